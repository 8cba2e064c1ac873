"""Common-method-variance statistics: Harman's single-factor test, Lindell & Whitney's marker
variable correction, and the unmeasured latent method factor.

Nothing here knows about the survey; scipy is imported inside the functions that use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.stats.cfa.fitting import fit_cfa
from alliancegov.stats.cfa.result import CFAResult
from alliancegov.stats.invariance import compare_fits

MARKER_COLUMNS = ["variable_a", "variable_b", "correlation", "adjusted", "statistic", "df", "p_value"]
METHOD_SHARE_COLUMNS = ["group", "item", "trait", "trait_share", "method_share"]


def harman_single_factor(correlation: pd.DataFrame, *, method: str = "component",
                         max_iter: int = 200, tol: float = 1e-8) -> pd.Series:
    """Harman's single-factor test: the share of item variance taken by the first unrotated factor.

    A share above one half is read as a sign of common-method variance. The test is weak
    (Podsakoff, MacKenzie, Lee & Podsakoff 2003, *J. Appl. Psychol.* 88:879–903): one factor rarely
    dominates even when method variance is substantial, so a share below one half does not show
    its absence, and a large share can come from substantively correlated constructs.

    Parameters
    ----------
    correlation : DataFrame of shape (n_items, n_items)
        Correlation matrix of all the study's items.
    method : {"component", "principal_axis"}, default="component"
        First principal component of the correlation matrix (eigenvalue / n_items), or the first
        principal-axis factor (iterated communalities from squared multiple correlations; the
        first eigenvalue of the reduced matrix / n_items).
    max_iter, tol : int, float
        Iterations and tolerance on the communalities for ``"principal_axis"``.

    Returns
    -------
    Series
        ``method``, ``n_items``, ``first_eigenvalue``, ``share`` (of the total item variance,
        0 to 1) and ``above_half``.

    Raises
    ------
    ValueError
        If ``method`` is unknown.
    """
    R = correlation.to_numpy(dtype=float)
    if method == "component":
        first = np.linalg.eigvalsh(R)[-1]
    elif method == "principal_axis":
        communality = 1 - 1 / np.diag(np.linalg.inv(R))
        for _ in range(max_iter):
            reduced = R.copy()
            np.fill_diagonal(reduced, communality)
            values, vectors = np.linalg.eigh(reduced)
            updated = np.clip(values[-1] * vectors[:, -1] ** 2, 0.0, 1.0)
            converged = np.abs(updated - communality).max() < tol
            communality = updated
            if converged:
                break
        first = values[-1]
    else:
        raise ValueError(f"method must be 'component' or 'principal_axis', got {method!r}")
    share = first / len(R)
    return pd.Series({"method": method, "n_items": len(R), "first_eigenvalue": float(first),
                      "share": float(share), "above_half": bool(share > 0.5)})


def marker_variable_correction(correlation: pd.DataFrame, n_obs: int, *, marker: str | None = None,
                               marker_correlation: float | None = None) -> pd.DataFrame:
    """Lindell & Whitney (2001) marker-variable correction of a correlation matrix.

    Each correlation is adjusted for common-method variance r_M as r_A = (r_U - r_M) / (1 - r_M)
    and tested by t = r_A / sqrt((1 - r_A²) / (N - 3)) with N - 3 degrees of freedom (Lindell &
    Whitney 2001, *J. Appl. Psychol.* 86:114–121, eqs. 2 and 4).

    Parameters
    ----------
    correlation : DataFrame of shape (n_variables, n_variables)
        Observed correlations r_U.
    n_obs : int
        Sample size N behind the correlations.
    marker : str, default=None
        A variable theoretically unrelated to the others; r_M is then its smallest positive
        correlation with them (Lindell & Whitney's conservative choice), and it is left out of
        the output.
    marker_correlation : float, default=None
        r_M given directly (e.g. the second-smallest correlation); exactly one of ``marker`` and
        ``marker_correlation`` must be given.

    Returns
    -------
    DataFrame
        One row per pair of variables, columns ``MARKER_COLUMNS`` (``p_value`` two-sided);
        ``attrs["marker_correlation"]`` holds r_M.

    Raises
    ------
    ValueError
        If not exactly one of ``marker`` and ``marker_correlation`` is given, the marker has no
        positive correlation, or r_M is outside (-1, 1).
    """
    from scipy import stats

    if (marker is None) == (marker_correlation is None):
        raise ValueError("give exactly one of marker and marker_correlation")
    variables = list(correlation.columns)
    if marker is not None:
        with_marker = correlation.loc[marker].drop(marker)
        positive = with_marker[with_marker > 0]
        if positive.empty:
            raise ValueError(f"marker {marker!r} has no positive correlation with the other variables")
        marker_correlation = float(positive.min())
        variables.remove(marker)
    if not -1 < marker_correlation < 1:
        raise ValueError(f"marker correlation must lie in (-1, 1), got {marker_correlation}")
    df = n_obs - 3
    rows = []
    for a, first in enumerate(variables):
        for second in variables[a + 1:]:
            observed = correlation.loc[first, second]
            adjusted = (observed - marker_correlation) / (1 - marker_correlation)
            statistic = adjusted / np.sqrt((1 - adjusted ** 2) / df)
            rows.append({"variable_a": first, "variable_b": second, "correlation": observed,
                         "adjusted": adjusted, "statistic": statistic, "df": df,
                         "p_value": 2 * stats.t.sf(abs(statistic), df)})
    table = pd.DataFrame(rows, columns=MARKER_COLUMNS)
    table.attrs["marker_correlation"] = marker_correlation
    return table


@dataclass(frozen=True)
class MethodFactorComparison:
    """Trait CFA with and without an unmeasured latent method factor (see :func:`method_factor_test`).

    Attributes
    ----------
    comparison : DataFrame
        :func:`alliancegov.stats.invariance.compare_fits` of the two models, "traits + method"
        then the nested "traits"; on the second row ``delta_chisq`` (χ²_traits - χ²_with_method,
        on ``delta_df`` degrees of freedom) is the likelihood-ratio test of the method factor.
    variance_shares : DataFrame
        One row per group and item, columns ``METHOD_SHARE_COLUMNS``: the shares of the item's
        model-implied variance due to its trait and to the method factor (squared completely
        standardised loadings; for an item on several correlated traits ``trait_share`` is the sum
        of its squared trait loadings, which leaves out their covariance).
    traits, with_method : CFAResult
        The two fits.
    """

    comparison: pd.DataFrame
    variance_shares: pd.DataFrame
    traits: CFAResult
    with_method: CFAResult

    @property
    def mean_method_share(self) -> float:
        """Average share of item variance due to the method factor."""
        return float(self.variance_shares["method_share"].mean())


def method_factor_test(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], *, method: str = "method",
                       equal_loadings: bool = False, **options) -> MethodFactorComparison:
    """Unmeasured latent method construct (ULMC): add a factor on every item, orthogonal to the traits.

    Parameters
    ----------
    data : DataFrame
        As in :func:`alliancegov.stats.cfa.fitting.fit_cfa`.
    factors : mapping of str to sequence of str
        As in :func:`alliancegov.stats.cfa.fitting.fit_cfa`; these are the traits.
    method : str, default="method"
        Name of the method factor (must not be a trait's name).
    equal_loadings : bool, default=False
        Hold the method loadings equal (the method factor's variance then carries the effect),
        which often rescues an empirically under-identified free-loading ULMC.
    **options
        Passed to both :func:`fit_cfa` calls (``group``, ``std_lv``, ...).

    Returns
    -------
    MethodFactorComparison
        The two fits, their comparison and the items' variance shares.

    Raises
    ------
    ValueError
        If ``method`` is a trait's name.
    """
    if method in factors:
        raise ValueError(f"the method factor's name {method!r} is a trait's name")
    items = list(dict.fromkeys(item for members in factors.values() for item in members))
    traits = fit_cfa(data, factors, **options)
    with_method = fit_cfa(data, {**factors, method: items}, uncorrelated=(method,),
                          equal_loadings=(method,) if equal_loadings else (), **options)
    rows = []
    for group in with_method.groups:
        standardized = with_method.standardized_loadings(group)
        for item in items:
            trait_loadings = standardized.loc[item, list(factors)]
            rows.append({"group": group, "item": item,
                         "trait": ", ".join(trait_loadings.index[trait_loadings != 0]),
                         "trait_share": float((trait_loadings ** 2).sum()),
                         "method_share": float(standardized.loc[item, method] ** 2)})
    comparison = compare_fits({"traits + method": with_method, "traits": traits})
    return MethodFactorComparison(comparison, pd.DataFrame(rows, columns=METHOD_SHARE_COLUMNS), traits, with_method)
