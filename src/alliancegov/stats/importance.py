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

__all__ = ["MAX_GROUPS", "dominance", "shapley_r2", "subset_r2"]

MAX_GROUPS = 15
_TIE_TOLERANCE = 1e-12


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _block(values, n: int, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ValueError(f"{what} must have {n} rows (one per observation); got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{what} has no columns")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} has missing or non-finite values; drop incomplete rows first")
    return arr


def _prepare(y, groups, controls, weights):
    """Centred, scaled cross-products: returns (C, c_y, s_yy, group column lists, control columns, n)."""
    yv = np.asarray(y, dtype=float)
    if yv.ndim == 2 and yv.shape[1] == 1:
        yv = yv[:, 0]
    if yv.ndim != 1 or yv.size < 2:
        raise ValueError(f"y must be 1-D with at least 2 observations; got shape {yv.shape}")
    if not np.all(np.isfinite(yv)):
        raise ValueError("y has missing or non-finite values; drop incomplete rows first")
    n = yv.size
    if not isinstance(groups, Mapping) or len(groups) == 0:
        raise ValueError("groups must be a non-empty mapping {name: (n,) or (n, k) array / DataFrame}")
    if len(groups) > MAX_GROUPS:
        raise ValueError(f"at most {MAX_GROUPS} groups ({2 ** MAX_GROUPS} subset regressions); got {len(groups)}")
    names = [str(name) for name in groups]
    if len(set(names)) != len(names):
        raise ValueError("group names must be distinct as strings")

    if weights is None:
        w = np.ones(n)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (n,):
            raise ValueError(f"weights must have shape ({n},); got {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")

    blocks = [_block(groups[key], n, f"group {name!r}") for key, name in zip(groups, names)]
    if controls is not None:
        blocks.append(_block(controls, n, "controls"))
    X = np.hstack(blocks)
    sizes = [b.shape[1] for b in blocks]
    starts = np.cumsum([0] + sizes)
    group_cols = [np.arange(starts[i], starts[i + 1]) for i in range(len(names))]
    control_cols = np.arange(starts[len(names)], starts[-1]) if controls is not None else np.arange(0)

    wsum = w.sum()
    yc = yv - (w @ yv) / wsum
    Xc = X - (w @ X) / wsum
    s_yy = float(w @ (yc * yc))
    if s_yy <= 0:
        raise ValueError("y is constant (zero weighted variance): R-squared is undefined")
    scale = np.sqrt((w @ (Xc * Xc)) / wsum)
    scale[scale == 0] = 1.0  # a constant column is all zeros once centred; lstsq ignores it
    Xs = Xc / scale
    sw = np.sqrt(w)[:, None]
    C = (Xs * sw).T @ (Xs * sw)
    c_y = Xs.T @ (w * yc)
    return C, c_y, s_yy, names, group_cols, control_cols, [b.shape[1] for b in blocks[:len(names)]]


def _r2(C, c_y, s_yy, cols: np.ndarray) -> float:
    if cols.size == 0:
        return 0.0
    sub = C[np.ix_(cols, cols)]
    rhs = c_y[cols]
    b = np.linalg.lstsq(sub, rhs, rcond=None)[0]
    return float(min(max(rhs @ b / s_yy, 0.0), 1.0))


def _all_subsets(y, groups, controls, weights):
    """R2 of every subset, indexed by bitmask (bit g set = group g included; controls always in)."""
    C, c_y, s_yy, names, group_cols, control_cols, ncols = _prepare(y, groups, controls, weights)
    G = len(names)
    r2 = np.empty(2 ** G)
    for mask in range(2 ** G):
        cols = [control_cols] + [group_cols[g] for g in range(G) if mask >> g & 1]
        r2[mask] = _r2(C, c_y, s_yy, np.concatenate(cols))
    return r2, names, ncols


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
    fact = [math.factorial(k) for k in range(G + 1)]
    shapley = np.empty(G)
    for g, (_, sizes, inc) in enumerate(marginals):
        weight = np.array([fact[k] * fact[G - k - 1] for k in sizes], dtype=float) / fact[G]
        shapley[g] = float(weight @ inc)
    decomposed = float(r2[-1] - r2[0])
    share = shapley / decomposed if decomposed > 0 else np.full(G, np.nan)
    out = pd.DataFrame({"group": names, "n_columns": ncols, "shapley_r2": shapley, "share": share})
    if conditional:
        cond = _conditional(marginals, G)
        for k in range(G):
            out[f"conditional_{k}"] = cond[:, k]
    out.attrs.update(r2_full=float(r2[-1]), r2_controls=float(r2[0]), r2_decomposed=decomposed,
                     n_obs=int(np.asarray(y).shape[0]))
    return out


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
