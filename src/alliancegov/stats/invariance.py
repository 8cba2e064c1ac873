"""Nested CFA comparisons: χ² difference tests and measurement invariance across groups.

The invariance steps are lavaan's ``group.equal`` sequence (the ``measurementInvariance()`` of
semTools): configural (one pattern, all parameters free per group), metric (loadings equal),
scalar (loadings and intercepts equal, latent means free in groups 2..), then either strict
(residual variances equal as well) or equal latent means. Fits come from
:func:`alliancegov.stats.cfa.fitting.fit_cfa`; nothing here knows about the survey.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.cfa.fitting import fit_cfa
from alliancegov.stats.cfa.result import CFAResult

COMPARISON_COLUMNS = ["model", "npar", "chisq", "df", "p_value", "cfi", "rmsea", "srmr", "delta_chisq",
                      "delta_df", "p_delta", "delta_cfi", "delta_rmsea", "delta_srmr"]
INVARIANCE_STEPS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
                    "strict": ("loadings", "intercepts", "residuals"), "means": ("loadings", "intercepts", "means")}


def compare_fits(fits: Mapping[str, CFAResult]) -> pd.DataFrame:
    """Nested-model comparison table: each model against the one before it (χ² difference test).

    Parameters
    ----------
    fits : mapping of str to CFAResult
        Model name -> fit, from the least to the most restricted; each must be nested in the one
        before it and fitted to the same rows.

    Returns
    -------
    DataFrame
        One row per model, columns ``COMPARISON_COLUMNS``. The ``delta_*`` columns are this
        model minus the previous one (so a negative ``delta_cfi`` is a loss of fit); ``p_delta``
        is the upper-tail χ²(``delta_df``) p-value of ``delta_chisq``; NaN on the first row.

    Raises
    ------
    ValueError
        If a model was fitted to another number of rows than the one before it.
    """
    from scipy import stats

    rows = []
    previous = None
    for name, result in fits.items():
        fit = result.fit
        row = {"model": name, **{key: fit[key] for key in ("npar", "chisq", "df", "p_value", "cfi", "rmsea", "srmr")}}
        if previous is None:
            row.update(dict.fromkeys(COMPARISON_COLUMNS[8:], np.nan))
        else:
            if fit["n_obs"] != previous["n_obs"]:
                raise ValueError(f"{name!r} was fitted to {fit['n_obs']} rows, the model before it "
                                 f"to {previous['n_obs']}")
            delta_chisq, delta_df = fit["chisq"] - previous["chisq"], fit["df"] - previous["df"]
            row.update(delta_chisq=delta_chisq, delta_df=delta_df,
                       p_delta=stats.chi2.sf(delta_chisq, delta_df) if delta_df > 0 else np.nan,
                       delta_cfi=fit["cfi"] - previous["cfi"], delta_rmsea=fit["rmsea"] - previous["rmsea"],
                       delta_srmr=fit["srmr"] - previous["srmr"])
        rows.append(row)
        previous = fit
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def invariance_table(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], group, *,
                     steps: Sequence[str] = ("configural", "metric", "scalar"), **options) -> pd.DataFrame:
    """Configural, metric and scalar measurement invariance across groups.

    Parameters
    ----------
    data : DataFrame
        As in :func:`fit_cfa`.
    factors : mapping of str to sequence of str
        As in :func:`fit_cfa`.
    group : str or array-like of shape (n_rows,)
        As in :func:`fit_cfa`; required.
    steps : sequence of str, default=("configural", "metric", "scalar")
        Keys of ``INVARIANCE_STEPS``, each nested in the one before: configural (same pattern,
        all free), metric (loadings equal), scalar (loadings and intercepts equal; latent means
        free in groups 2..), and optionally ``"strict"`` (residual variances equal too) or
        ``"means"`` (latent means equal, i.e. 0, too).
    **options
        Passed to :func:`fit_cfa` (``std_lv``, ``uncorrelated``, ...), except ``group_equal``.

    Returns
    -------
    DataFrame
        :func:`compare_fits` of the steps in order, one row per step.

    Raises
    ------
    ValueError
        If ``group`` is None or a step is unknown.
    """
    if group is None:
        raise ValueError("invariance needs a group")
    unknown = [step for step in steps if step not in INVARIANCE_STEPS]
    if unknown:
        raise ValueError(f"unknown invariance steps {unknown}; known: {list(INVARIANCE_STEPS)}")
    return compare_fits({step: fit_cfa(data, factors, group=group, group_equal=INVARIANCE_STEPS[step], **options)
                         for step in steps})
