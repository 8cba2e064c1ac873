"""Reliability, convergent and discriminant validity statistics.

Computed from a fitted CFA (:func:`alliancegov.stats.cfa.fitting.fit_cfa`) or from an item correlation
matrix. Several statistics exist in more than one published form; each table names the form in
its columns or in a ``method`` column, because the forms differ in the second decimal:

* composite reliability ω: ``omega_implied`` divides the trait's share of the sum score's variance
  by the *model-implied* variance of the sum, 1'Σ̂1 (Jöreskog 1971; Raykov 1997; under simple
  structure this is (Σλ)²φ / ((Σλ)²φ + Σθ)); ``omega_observed`` divides by the *observed*
  variance 1'S1, as semTools' ``compRelSEM()`` does by default (``obs.var = TRUE``);
* average variance extracted: ``ave`` is the mean squared completely standardised loading
  (Fornell & Larcker 1981, on the standardised solution); ``ave_observed`` is Σλ²φ over the sum of
  the observed item variances, as semTools' ``AVE()``;
* HTMT: the original ratio of arithmetic mean correlations (Henseler, Ringle & Sarstedt 2015,
  *J. Acad. Mark. Sci.* 43:115–135) or HTMT2 of geometric means (Roemer, Schuberth & Henseler
  2021, *Ind. Manag. Data Syst.* 121:2637–2650), the default of semTools' ``htmt()`` since 0.5-6.

Nothing here knows about the survey.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.cfa.modification import modification_indices
from alliancegov.stats.cfa.result import CFAResult

RELIABILITY_COLUMNS = ["group", "factor", "n_items", "omega_implied", "omega_observed", "ave", "ave_observed"]
FORNELL_LARCKER_COLUMNS = ["group", "factor_a", "factor_b", "correlation", "sqrt_ave_a", "sqrt_ave_b",
                           "discriminant"]
HTMT_COLUMNS = ["factor_a", "factor_b", "value", "method"]
HTMT_METHODS = {"htmt": "HTMT, arithmetic means (Henseler, Ringle & Sarstedt 2015)",
                "htmt2": "HTMT2, geometric means (Roemer, Schuberth & Henseler 2021)"}
LOADING_COLUMNS = ["group", "factor", "item", "estimate", "std_all", "low_loading"]
MI_CRITICAL = 3.84            # χ²(1) at the 5 % level: lavaan users' usual cut for modification indices


def listwise_correlation(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Pearson correlations of ``columns`` on the rows complete on all of them.

    Parameters
    ----------
    data : DataFrame
        The data.
    columns : sequence of str
        The columns to correlate; each must be numeric or convertible to numbers.

    Returns
    -------
    correlation : DataFrame of shape (n_columns, n_columns)
        Indexed by ``columns`` in rows and columns.
    n_obs : int
        Number of complete rows.

    Raises
    ------
    ValueError
        If fewer than 3 rows are complete, or a column cannot be converted to numbers.
    """
    complete = data[list(columns)].apply(pd.to_numeric, errors="raise").dropna()
    if len(complete) < 3:
        raise ValueError(f"{len(complete)} complete rows: too few for correlations")
    return complete.corr(), len(complete)


def reliability(result: CFAResult) -> pd.DataFrame:
    """Composite reliability (ω) and average variance extracted of every factor and group.

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.

    Returns
    -------
    DataFrame
        One row per group and factor, columns ``RELIABILITY_COLUMNS``: ``omega_implied``
        = (Σλ)²φ / 1'Σ̂1 (Jöreskog/Raykov, model-implied variance of the factor's sum score),
        ``omega_observed`` = (Σλ)²φ / 1'S1 (semTools ``compRelSEM``, observed variance),
        ``ave`` = mean of the squared completely standardised loadings (Fornell & Larcker) and
        ``ave_observed`` = Σλ²φ / Σ s_ii (semTools ``AVE``). Sums run over the factor's items.
    """
    rows = []
    for group in result.groups:
        lam, phi = result.loadings(group), result.factor_covariance(group)
        implied, observed = result.implied_covariance(group), result.sample_covariance(group)
        standardized = result.standardized_loadings(group)
        for factor, members in result.factors.items():
            loadings = lam.loc[members, factor].to_numpy()
            variance = phi.loc[factor, factor]
            true_score = loadings.sum() ** 2 * variance
            rows.append({
                "group": group, "factor": factor, "n_items": len(members),
                "omega_implied": true_score / implied.loc[members, members].to_numpy().sum(),
                "omega_observed": true_score / observed.loc[members, members].to_numpy().sum(),
                "ave": float(np.mean(standardized.loc[members, factor].to_numpy() ** 2)),
                "ave_observed": (loadings ** 2).sum() * variance / np.diag(observed.loc[members, members]).sum(),
            })
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)


def fornell_larcker(result: CFAResult) -> pd.DataFrame:
    """Fornell–Larcker criterion: √AVE of each factor against its correlation with every other.

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.

    Returns
    -------
    DataFrame
        One row per group and pair of factors, columns ``FORNELL_LARCKER_COLUMNS``;
        ``discriminant`` is True when |correlation| is below both √AVE (``ave`` of
        :func:`reliability`). Pairs whose covariance is fixed to 0 (a method factor) are omitted.
    """
    ave = reliability(result).set_index(["group", "factor"])["ave"]
    rows = []
    for group in result.groups:
        correlation = result.factor_correlation(group)
        fixed_zero = result.factor_covariance(group) == 0
        names = list(correlation.index)
        for a, first in enumerate(names):
            for second in names[a + 1:]:
                if fixed_zero.loc[first, second]:
                    continue
                r = correlation.loc[first, second]
                root_a, root_b = np.sqrt(ave[(group, first)]), np.sqrt(ave[(group, second)])
                rows.append({"group": group, "factor_a": first, "factor_b": second, "correlation": r,
                             "sqrt_ave_a": root_a, "sqrt_ave_b": root_b,
                             "discriminant": bool(abs(r) < min(root_a, root_b))})
    return pd.DataFrame(rows, columns=FORNELL_LARCKER_COLUMNS)


def htmt(correlation: pd.DataFrame, factors: Mapping[str, Sequence[str]], *, method: str = "htmt2") -> pd.DataFrame:
    """Heterotrait–monotrait ratio of correlations for every pair of factors.

    With |r| the absolute item correlations (as semTools' default ``absolute = TRUE``),
    HTMT_ab = M(|r| between a's and b's items) / sqrt(M(|r| within a) · M(|r| within b)), the
    within-factor means over distinct item pairs; M is the arithmetic mean for ``"htmt"`` and the
    geometric mean for ``"htmt2"``. Values near 1 (above .85 or .90) signal a lack of
    discriminant validity.

    Parameters
    ----------
    correlation : DataFrame of shape (n_items, n_items)
        Item correlation matrix with item names as index and columns (see
        :func:`listwise_correlation`).
    factors : mapping of str to sequence of str
        Factor name -> its items (at least two each, for the within-factor mean).
    method : {"htmt2", "htmt"}, default="htmt2"
        See ``HTMT_METHODS``.

    Returns
    -------
    DataFrame
        One row per pair of factors, columns ``HTMT_COLUMNS``; ``method`` names the form.

    Raises
    ------
    ValueError
        If ``method`` is unknown or a factor has fewer than two items.
    """
    if method not in HTMT_METHODS:
        raise ValueError(f"method must be one of {list(HTMT_METHODS)}, got {method!r}")
    if any(len(members) < 2 for members in factors.values()):
        raise ValueError("HTMT needs at least two items per factor")
    absolute = correlation.abs()

    def mean(values):
        values = np.asarray(values, dtype=float)
        return float(np.exp(np.log(values).mean())) if method == "htmt2" else float(values.mean())

    def within(members):
        block = absolute.loc[members, members].to_numpy()
        return mean(block[np.triu_indices(len(members), 1)])

    names = list(factors)
    rows = []
    for a, first in enumerate(names):
        for second in names[a + 1:]:
            between = mean(absolute.loc[factors[first], factors[second]].to_numpy().ravel())
            rows.append({"factor_a": first, "factor_b": second,
                         "value": between / np.sqrt(within(factors[first]) * within(factors[second])),
                         "method": HTMT_METHODS[method]})
    return pd.DataFrame(rows, columns=HTMT_COLUMNS)


def loading_flags(result: CFAResult, threshold: float = 0.5) -> pd.DataFrame:
    """Loadings with their completely standardised value, flagged when below ``threshold``.

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.
    threshold : float, default=0.5
        The flag's cut on |std_all|.

    Returns
    -------
    DataFrame
        One row per loading and group, columns ``LOADING_COLUMNS``; ``low_loading`` is
        |std_all| < ``threshold`` (.5 by default: the item shares less than a quarter of its
        variance with the factor).
    """
    loadings = result.params[result.params["op"] == "=~"]
    return pd.DataFrame({
        "group": loadings["group"], "factor": loadings["lhs"], "item": loadings["rhs"],
        "estimate": loadings["estimate"], "std_all": loadings["std_all"],
        "low_loading": loadings["std_all"].abs() < threshold,
    }).reset_index(drop=True)


def cross_loadings(result: CFAResult, critical: float = MI_CRITICAL) -> pd.DataFrame:
    """Candidate cross-loadings: the modification index of each absent loading.

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.
    critical : float, default=MI_CRITICAL
        The flag's cut on the modification index (3.84, the 5 % point of χ²(1)).

    Returns
    -------
    DataFrame
        :func:`alliancegov.stats.cfa.modification.modification_indices` with a column ``flagged``
        (``mi`` > ``critical``, by default the 5 % point of χ²(1)), sorted by decreasing ``mi``.
    """
    table = modification_indices(result)
    table["flagged"] = table["mi"] > critical
    return table.sort_values("mi", ascending=False, ignore_index=True)

