"""The nested logit's tidy table, its tests against the MNL and the check of consistency with utility maximisation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from alliancegov.stats.nested_logit.fit import NestedLogitFit


def _free_labels(fit: NestedLogitFit) -> list[str]:
    names = list(fit.nests)
    return ["+".join(names[m] for m, i in enumerate(fit.free_of_nest) if i == f) for f in range(fit.n_free)]


def tidy_nested_logit(fit: NestedLogitFit, level: float = 0.95) -> pd.DataFrame:
    """Tidy coefficient table of a nested logit.

    Parameters
    ----------
    fit : NestedLogitFit
        The fit.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        Columns ``outcome, term, estimate, std_error, statistic, p_value, conf_low, conf_high``
        (t on the design's degrees of freedom when the fit has them, else z).
        Rows: the case-specific coefficients by alternative (``outcome`` = the alternative's
        label, ``term`` = X's column), then the generic coefficients of the alternative-specific
        regressors (``outcome = "generic"``), then the estimated dissimilarities (``outcome =
        "dissimilarity"``, ``term`` = the nest, or the nests joined by ``+`` for a shared one).
        Wald z against 0 and normal CIs at ``level``
        (:func:`alliancegov.stats.tidy.tidy_coefficients`); the tests of the dissimilarities
        against 1 are in :func:`nested_logit_tests`.
    """
    from alliancegov.stats.tidy import tidy_coefficients

    outcome, terms = [], []
    for j in range(1, fit.J):
        outcome += [fit.alternatives[j]] * fit.k
        terms += list(fit.x_names)
    outcome += ["generic"] * fit.q + ["dissimilarity"] * fit.n_free
    terms += list(fit.z_names) + _free_labels(fit)
    table = tidy_coefficients(terms, fit.theta, fit.std_errors, df_resid=fit.design_df, level=level)
    table.insert(0, "outcome", outcome)
    return table


def nested_logit_tests(fit: NestedLogitFit) -> pd.DataFrame:
    """Tests of the nested logit against the MNL: all estimated dissimilarities equal to 1.

    Parameters
    ----------
    fit : NestedLogitFit
        The fit.

    Returns
    -------
    DataFrame
        Columns ``test, statistic, df, p_value, valid, note``; rows ``LR``
        (``2 (loglik - loglik_mnl)``) and ``Wald`` (``(tau - 1)' V^-1 (tau - 1)`` with the fit's
        covariance); df = the number of estimated dissimilarities. The LR test needs the
        likelihood to be the model's: with a robust or cluster covariance (``valid`` False) use the
        Wald test, as Stata reports for ``vce(cluster)``.

    Raises
    ------
    ValueError
        If the fit has no estimated dissimilarity (all nests degenerate, or
        ``dissimilarity="one"``).
    """
    from scipy import stats

    m = fit.n_free
    if m == 0:
        raise ValueError("the fit has no estimated dissimilarity (all nests degenerate, or dissimilarity='one')")
    d = fit.theta[-m:] - 1.0
    wald = float(d @ np.linalg.solve(fit.cov[-m:, -m:], d))
    lr = 2.0 * (fit.loglik - fit.loglik_mnl)
    lr_valid = fit.cov_type == "model"
    return pd.DataFrame({
        "test": ["LR", "Wald"],
        "statistic": [lr, wald],
        "df": [m, m],
        "p_value": [float(stats.chi2.sf(lr, m)), float(stats.chi2.sf(wald, m))],
        "valid": [lr_valid, True],
        "note": ["" if lr_valid else f"not valid with a {fit.cov_type} covariance: use the Wald test", ""],
    })


def rum_consistency(fit: NestedLogitFit) -> pd.DataFrame:
    """Whether each dissimilarity lies in (0, 1], McFadden's (1978) condition for consistency with RUM.

    That is, for the nested logit to be consistent with random utility maximisation for all
    values of the regressors.

    Parameters
    ----------
    fit : NestedLogitFit
        The fit.

    Returns
    -------
    DataFrame
        One row per nest, columns ``nest, alternatives, dissimilarity, std_error, estimated,
        consistent`` (``std_error`` NaN for a fixed dissimilarity).

    Notes
    -----
    Fixed dissimilarities (1: degenerate RU2 nests) are consistent. For ``form="nonnormalized"`` the model is
    RUM-consistent only if moreover all dissimilarities are equal (Koppelman & Wen 1998; Heiss 2002);
    ``consistent`` is then False for every nest unless they are. A value above 1 can still be
    consistent locally, over the observed range of the data (Börsch-Supan 1990).
    """
    tau = fit.tau
    se = np.sqrt(np.diag(fit.cov))[fit.theta.size - fit.n_free:]
    in_range = (tau > 0) & (tau <= 1)
    if fit.form == "nonnormalized":
        in_range &= bool(np.allclose(tau, tau[0]))
    return pd.DataFrame({
        "nest": list(fit.nests),
        "alternatives": [", ".join(fit.alternatives[a] for a in members) for members in fit.nests.values()],
        "dissimilarity": tau,
        "std_error": [se[i] if i >= 0 else math.nan for i in fit.free_of_nest],
        "estimated": [i >= 0 for i in fit.free_of_nest],
        "consistent": in_range,
    })
