"""Relative importance of groups of regressors in an OLS R-squared: Shapley value / dominance analysis.

Generic: nothing here knows about the survey.

The R-squared of an OLS regression (always with an intercept) is a set function ``R2(S)`` of the
subset ``S`` of regressor GROUPS it contains. Each group's Shapley value is its marginal
contribution ``R2(S + g) - R2(S)`` averaged over all G! orderings of the groups, computed exactly
from the 2^G subset regressions with the weights ``|S|! (G - |S| - 1)! / G!``. This is

* the "lmg" metric of Lindeman, Merenda & Gold (1980) as implemented in R's ``relaimpo``
  (Groemping 2006, *J. Statistical Software* 17(1)), with ``groups=`` for sets of columns;
* the "general dominance" statistic of dominance analysis (Budescu 1993, *Psychological Bulletin*
  114:542-551; Azen & Budescu 2003, *Psychological Methods* 8:129-148), as in Stata's ``domin``
  and R's ``domir``;
* Owen/Shapley "Shapley value regression".

The contributions are non-negative and sum to the R-squared being decomposed.

Controls
--------
``controls`` are in EVERY subset regression and are not decomposed (``relaimpo``'s ``always=``,
``domin``'s ``all()``): the values decompose ``R2(all groups + controls) - R2(controls)``, and the
shares are relative to that difference. ``R2(controls)`` (0 without controls) and the full R2 are
returned in ``DataFrame.attrs`` of :func:`shapley_r2`.

Weights
-------
Optional non-negative ``weights`` give weighted least squares and the weighted R-squared
``1 - sum w e^2 / sum w (y - ybar_w)^2`` (frequency / analytic weights, as ``lm(weights=)``).

Implementation: all regressors are centred (weighted) and scaled, their weighted cross-product
matrix is formed once, and each subset R2 solves the normal equations of that subset by least
squares (minimum-norm, so collinear columns inside a group are harmless). numpy and pandas are
imported at module level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from alliancegov.stats.subset_regressions import MAX_GROUPS, StackedDesign, stack_design, subset_r2s

__all__ = ["MAX_GROUPS", "dominance", "resampled_shares", "shapley_r2", "subset_r2"]

_TIE_TOLERANCE = 1e-12


def _all_subsets(y, groups, controls, weights):
    """R2 of every subset (:func:`~alliancegov.stats.subset_regressions.subset_r2s`), the group names and
    their numbers of columns."""
    design = stack_design(y, groups, controls, weights)
    return subset_r2s(design, design.weights), design.names, design.sizes


def _popcount(masks: np.ndarray) -> np.ndarray:
    counts = np.zeros_like(masks)
    m = masks.copy()
    while np.any(m):
        counts += m & 1
        m >>= 1
    return counts


def _marginals(r2: np.ndarray, G: int):
    """For each group: (masks without g, sizes of those masks, increments r2[S+g] - r2[S])."""
    masks = np.arange(2 ** G)
    sizes = _popcount(masks)
    out = []
    for g in range(G):
        without = masks[(masks >> g & 1) == 0]
        out.append((without, sizes[without], r2[without | (1 << g)] - r2[without]))
    return out


def _shapley_values(r2: np.ndarray, marginals) -> tuple[np.ndarray, np.ndarray]:
    """Each group's Shapley value (G,) from the subset R2s and its share of the decomposed R2 (NaN if
    the groups add nothing)."""
    G = len(marginals)
    fact = [math.factorial(k) for k in range(G + 1)]
    shapley = np.empty(G)
    for g, (_, sizes, inc) in enumerate(marginals):
        weight = np.array([fact[k] * fact[G - k - 1] for k in sizes], dtype=float) / fact[G]
        shapley[g] = float(weight @ inc)
    decomposed = float(r2[-1] - r2[0])
    return shapley, shapley / decomposed if decomposed > 0 else np.full(G, np.nan)


def _conditional(marginals, G: int) -> np.ndarray:
    """(G, G) matrix: row g, column k = mean increment of g over the subsets of k other groups."""
    cond = np.empty((G, G))
    for g, (_, sizes, inc) in enumerate(marginals):
        for k in range(G):
            cond[g, k] = inc[sizes == k].mean()
    return cond


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------


def subset_r2(y, groups: Mapping, controls=None, weights=None) -> pd.Series:
    """R-squared of the OLS of ``y`` on the controls plus every subset of the groups.

    Parameters
    ----------
    y : array-like of shape (n,)
        The outcome.
    groups : mapping of str to array-like of shape (n,) or (n, k_g)
        ``name ->`` array / Series / DataFrame of the group's regressors (G <= 15 groups).
    controls : array-like of shape (n,) or (n, k_c), optional
        Regressors included in every regression.
    weights : array-like of shape (n,), optional
        Non-negative weights.

    Returns
    -------
    Series
        Named ``r2``, length 2^G, indexed by the tuple of included group names (in the order of
        ``groups``; ``()`` is the controls-only model, whose R2 is 0 without controls).

    Raises
    ------
    ValueError
        If an input has the wrong shape or missing values, there are no groups or more than 15,
        the weights are invalid, or ``y`` is constant.
    """
    r2, names, _ = _all_subsets(y, groups, controls, weights)
    G = len(names)
    index = [tuple(names[g] for g in range(G) if mask >> g & 1) for mask in range(2 ** G)]
    return pd.Series(r2, index=pd.Index(index, tupleize_cols=False), name="r2")


def shapley_r2(y, groups: Mapping, controls=None, weights=None, *, conditional: bool = False) -> pd.DataFrame:
    """Exact Shapley decomposition (general dominance, relaimpo "lmg") of R2 among groups of regressors.

    Parameters
    ----------
    y : array-like of shape (n,)
        The outcome.
    groups : mapping of str to array-like of shape (n,) or (n, k_g)
        ``name ->`` array / Series / DataFrame of the group's regressors; G <= 15 groups (2^G
        subset regressions; G ~ 12 takes well under a second for moderate k).
    controls : array-like of shape (n,) or (n, k_c), optional
        Regressors kept in every regression and NOT decomposed.
    weights : array-like of shape (n,), optional
        Non-negative weights (weighted least squares and weighted R2).
    conditional : bool, default False
        Add the conditional-dominance statistics ``conditional_0 .. conditional_{G-1}``: column
        ``conditional_k`` is the group's mean increment over all subsets of ``k`` OTHER groups
        (Azen & Budescu 2003); their row mean is ``shapley_r2``; ``conditional_0`` is the
        increment over the controls-only model.

    Returns
    -------
    DataFrame
        One row per group in the order given, columns ``group``, ``n_columns``, ``shapley_r2``
        (summing to ``r2_full - r2_controls``) and ``share`` (``shapley_r2`` divided by that sum;
        shares sum to 1, NaN if the groups add nothing). ``attrs`` holds ``r2_full``,
        ``r2_controls`` (0.0 without controls), ``r2_decomposed`` and ``n_obs``.

    Raises
    ------
    ValueError
        As :func:`subset_r2`.
    """
    r2, names, ncols = _all_subsets(y, groups, controls, weights)
    G = len(names)
    marginals = _marginals(r2, G)
    shapley, share = _shapley_values(r2, marginals)
    decomposed = float(r2[-1] - r2[0])
    out = pd.DataFrame({"group": names, "n_columns": ncols, "shapley_r2": shapley, "share": share})
    if conditional:
        cond = _conditional(marginals, G)
        for k in range(G):
            out[f"conditional_{k}"] = cond[:, k]
    out.attrs.update(r2_full=float(r2[-1]), r2_controls=float(r2[0]), r2_decomposed=decomposed,
                     n_obs=int(np.asarray(y).shape[0]))
    return out


def resampled_shares(design: StackedDesign, counts: np.ndarray) -> np.ndarray:
    """The groups' shares of R2 (as :func:`shapley_r2`'s ``share``) on a resample of the rows.

    A resample is the data with each row's weight multiplied by the number of times it was drawn, so
    its cross-products come from the stacked columns without copying them (about three passes over
    the data instead of the dozen of a decomposition of the copied rows: the bootstrap of the shares
    at 10^6 rows).

    Parameters
    ----------
    design : StackedDesign
        :func:`stack_design` of the data.
    counts : ndarray of shape (n,)
        Times each row was drawn (0 for rows left out).

    Returns
    -------
    ndarray of shape (G,)
        The shares, NaN if the groups add nothing on the resample.

    Raises
    ------
    ValueError
        If the outcome is constant on the resample.
    """
    r2 = subset_r2s(design, design.weights * counts)
    return _shapley_values(r2, _marginals(r2, len(design.names)))[1]


def dominance(y, groups: Mapping, controls=None, weights=None) -> dict[str, pd.DataFrame]:
    """Complete, conditional and general dominance between groups (Azen & Budescu 2003).

    Parameters
    ----------
    y : array-like of shape (n,)
        The outcome.
    groups : mapping of str to array-like of shape (n,) or (n, k_g)
        As :func:`shapley_r2`, G >= 2 groups.
    controls : array-like of shape (n,) or (n, k_c), optional
        Regressors kept in every regression and not decomposed.
    weights : array-like of shape (n,), optional
        Non-negative weights.

    Returns
    -------
    dict of str to DataFrame
        Keys "complete", "conditional", "general", each a (G, G) DataFrame indexed (rows and
        columns) by group names. Entry [i, j] is 1.0 if group i dominates group j, 0.0 if j
        dominates i, 0.5 if neither (undetermined or tied; differences within 1e-12 count as
        ties); the diagonal is NaN (the coding of R's ``dominanceanalysis``).

    Raises
    ------
    ValueError
        If there are fewer than 2 groups, or as :func:`subset_r2`.

    Notes
    -----
    * complete: ``R2(S + i) > R2(S + j)`` for every subset ``S`` of the other G-2 groups
      (controls always included);
    * conditional: the mean increment of i exceeds that of j at every model size k = 0 .. G-1
      (see ``conditional=`` in :func:`shapley_r2`);
    * general: the Shapley value (mean of the conditional statistics) of i exceeds that of j.

    Complete implies conditional implies general dominance.
    """
    r2, names, _ = _all_subsets(y, groups, controls, weights)
    G = len(names)
    if G < 2:
        raise ValueError("dominance needs at least 2 groups")
    cond = _conditional(_marginals(r2, G), G)
    general = cond.mean(axis=1)
    masks = np.arange(2 ** G)

    def verdict(diff: np.ndarray) -> float:
        if np.all(diff > _TIE_TOLERANCE):
            return 1.0
        if np.all(diff < -_TIE_TOLERANCE):
            return 0.0
        return 0.5

    result = {key: np.full((G, G), np.nan) for key in ("complete", "conditional", "general")}
    for i in range(G):
        for j in range(G):
            if i == j:
                continue
            rest = masks[((masks >> i & 1) == 0) & ((masks >> j & 1) == 0)]
            result["complete"][i, j] = verdict(r2[rest | (1 << i)] - r2[rest | (1 << j)])
            result["conditional"][i, j] = verdict(cond[i] - cond[j])
            result["general"][i, j] = verdict(np.array([general[i] - general[j]]))
    return {key: pd.DataFrame(value, index=names, columns=names) for key, value in result.items()}
