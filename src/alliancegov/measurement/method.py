"""Common-method variance: Harman's single factor, an unmeasured latent method factor, a marker variable.

One informant per firm answers every perceptual scale, so part of the correlations between
constructs may come from the method (Podsakoff, MacKenzie, Lee & Podsakoff 2003). Three checks,
each with what it can and cannot show in its ``note``:

* Harman's single-factor test, on all the scales' items: the share of variance of the first
  unrotated factor; known to be insensitive (a share under one half does not show the absence of
  method variance);
* the unmeasured latent method construct (ULMC): the trait CFA against the same model plus a
  factor on every item, uncorrelated with the traits, compared by a χ² difference test, with the
  share of each item's variance the method factor takes;
* the Lindell & Whitney (2001) marker-variable correction, when the config names a marker scale
  (a construct theoretically unrelated to the others): r_M, the marker's smallest positive
  correlation with the substantive variables, is taken out of every correlation.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.common_method import harman_single_factor, marker_variable_correction, method_factor_test
from alliancegov.stats.validity import listwise_correlation

METHOD_COLUMNS = ["test", "quantity", "variable_a", "variable_b", "value", "statistic", "df", "p_value", "note"]
HARMAN_NOTE = ("share of the items' variance taken by the first unrotated {kind} of the item correlations "
               "({n} complete responses); above one half suggests common-method variance, but the test is "
               "insensitive: a smaller share does not show its absence (Podsakoff et al. 2003)")
ULMC_NOTE = ("trait CFA with and without a method factor loading on every item, uncorrelated with the traits "
             "({loadings}); delta_chisq is the likelihood-ratio test of the method factor, method_share the share "
             "of an item's variance due to it (squared standardised loading)")
MARKER_NOTE = ("Lindell & Whitney (2001): r_A = (r - r_M) / (1 - r_M) with r_M = {r_m:.3f}, the marker's smallest "
               "positive correlation; t = r_A / sqrt((1 - r_A²) / (N - 3)) on N - 3 df ({n} complete responses, "
               "treated as independent; correlations.csv tests r_A with firm-clustered errors)")


def harman_rows(data: pd.DataFrame, items: Sequence[str]) -> list[dict]:
    """Harman's single-factor test by principal components and by principal-axis factoring.

    Parameters
    ----------
    data : DataFrame
        The responses.
    items : sequence of str
        All the scales' items.

    Returns
    -------
    list of dict
        Rows of ``METHOD_COLUMNS``: per method, ``first_factor_share`` (0 to 1, with the note on
        the test's weakness), ``first_eigenvalue`` and ``n_items``.
    """
    correlation, n = listwise_correlation(data, items)
    rows = []
    for method, kind in (("component", "principal component"), ("principal_axis", "principal-axis factor")):
        result = harman_single_factor(correlation, method=method)
        note = HARMAN_NOTE.format(kind=kind, n=n)
        rows += [{"test": f"harman_{method}", "quantity": "first_factor_share", "value": result["share"], "note": note},
                 {"test": f"harman_{method}", "quantity": "first_eigenvalue", "value": result["first_eigenvalue"]},
                 {"test": f"harman_{method}", "quantity": "n_items", "value": result["n_items"]}]
    return rows


def method_factor_rows(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], *, equal_loadings: bool) -> list[dict]:
    """The unmeasured latent method construct test, and each item's method share.

    Parameters
    ----------
    data : DataFrame
        The responses.
    factors : mapping of str to sequence of str
        The trait scales and their items.
    equal_loadings : bool
        Method loadings held equal (the factor's variance carries the effect), the usual way to
        identify it.

    Returns
    -------
    list of dict
        Rows of ``METHOD_COLUMNS``: the two models' χ² (``chisq``, with ``df`` and p-value), the
        test (``delta_chisq`` on ``delta_df``, with ``p_value``), ``delta_cfi``, ``delta_rmsea``
        (traits-only minus with-method: a negative ΔCFI means the method factor improves fit),
        ``mean_method_share``, then ``method_share`` and ``trait_share`` per item. Fit warnings
        (non-convergence, Heywood cases) go in the notes.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = method_factor_test(data, factors, equal_loadings=equal_loadings)
        except (ValueError, np.linalg.LinAlgError) as error:
            return [{"test": "ulmc", "quantity": "not_computed", "note": str(error)}]
    problems = list(dict.fromkeys(str(w.message) for w in caught))
    note = "; ".join([ULMC_NOTE.format(loadings="loadings held equal" if equal_loadings else "loadings free"),
                      *problems])
    share = result.mean_method_share
    share_note = "" if np.isfinite(share) else (
        "undefined: " + ("; ".join(p for p in problems if "negative variance" in p)
                         or "the method factor's standardised loadings are not finite"))
    comparison = result.comparison.set_index("model")
    with_method, traits = comparison.loc["traits + method"], comparison.loc["traits"]
    rows = [{"test": "ulmc", "quantity": "chisq", "variable_a": name, "value": fit["chisq"], "df": fit["df"],
             "p_value": fit["p_value"], "note": note if name == "traits" else ""}
            for name, fit in (("traits", traits), ("traits + method", with_method))]
    rows += [{"test": "ulmc", "quantity": "delta_chisq", "value": traits["delta_chisq"], "df": traits["delta_df"],
              "p_value": traits["p_delta"], "note": "χ² difference test: the method factor improves fit if small p"},
             {"test": "ulmc", "quantity": "delta_cfi", "value": traits["delta_cfi"]},
             {"test": "ulmc", "quantity": "delta_rmsea", "value": traits["delta_rmsea"]},
             {"test": "ulmc", "quantity": "mean_method_share", "value": share, "note": share_note}]
    for share in result.variance_shares.itertuples():
        rows += [{"test": "ulmc", "quantity": "method_share", "variable_a": share.item, "variable_b": share.trait,
                  "value": share.method_share},
                 {"test": "ulmc", "quantity": "trait_share", "variable_a": share.item, "variable_b": share.trait,
                  "value": share.trait_share}]
    return rows


def marker_rows(data: pd.DataFrame, variables: Sequence[str], marker: str | None) -> tuple[list[dict], float | None]:
    """Lindell & Whitney's marker-variable correction of the correlations of ``variables``.

    Parameters
    ----------
    data : DataFrame
        The responses with the variables and the marker.
    variables : sequence of str
        The substantive variables (the marker is left out if listed).
    marker : str or None
        The marker's column; None gives one row saying that no marker is configured.

    Returns
    -------
    rows : list of dict
        Rows of ``METHOD_COLUMNS``: ``marker_correlation`` (r_M), then per pair
        ``adjusted_correlation`` (value r_A, statistic t, df N - 3, p-value) with the observed r
        in the note of the first.
    marker_correlation : float or None
        r_M, or None when there is no marker or it has no positive correlation.
    """
    if marker is None:
        return [{"test": "marker", "quantity": "not_computed",
                 "note": "no marker variable configured (measurement.common_method.marker)"}], None
    substantive = [v for v in variables if v != marker]
    correlation, n = listwise_correlation(data, [*substantive, marker])
    try:
        table = marker_variable_correction(correlation, n, marker=marker)
    except ValueError as error:
        return [{"test": "marker", "quantity": "not_computed", "variable_a": marker, "note": str(error)}], None
    r_m = float(table.attrs["marker_correlation"])
    rows = [{"test": "marker", "quantity": "marker_correlation", "variable_a": marker, "value": r_m,
             "note": MARKER_NOTE.format(r_m=r_m, n=n)}]
    rows += [{"test": "marker", "quantity": "adjusted_correlation", "variable_a": row.variable_a,
              "variable_b": row.variable_b, "value": row.adjusted, "statistic": row.statistic, "df": row.df,
              "p_value": row.p_value, "note": f"observed r = {row.correlation:.3f}"} for row in table.itertuples()]
    return rows, r_m


def common_method_table(rows: Sequence[dict]) -> pd.DataFrame:
    """The rows of the three checks as one tidy table.

    Parameters
    ----------
    rows : sequence of dict
        From :func:`harman_rows`, :func:`method_factor_rows` and :func:`marker_rows`.

    Returns
    -------
    DataFrame
        Columns ``METHOD_COLUMNS``.
    """
    return pd.DataFrame(list(rows), columns=METHOD_COLUMNS)
