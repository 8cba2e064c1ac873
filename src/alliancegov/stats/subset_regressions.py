"""The R-squared of every regression on a subset of groups of regressors, from one pass over the data.

The groups' columns, the controls' and the outcome are stacked and centred once
(:func:`stack_design`); each subset regression then solves its normal equations on the standardised
cross-products. Under other weights (a bootstrap resample's: each row's weight times the times it
was drawn) the cross-products come from the same stacked columns without copying them.

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_GROUPS", "StackedDesign", "stack_design", "subset_r2s"]

MAX_GROUPS = 15
# A column whose standard deviation under some weights is below this fraction of the data's own is constant
# there (a resample without a dummy's rows): the centring's cancellation leaves it about the square root of
# the machine epsilon (1.5e-8) of its scale, where a varying column keeps far more than 1e-6.
_CONSTANT = 1e-6


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


@dataclass(frozen=True)
class StackedDesign:
    """Every regressor and the outcome side by side, centred once, with the weights: what each subset
    regression's cross-products are computed from, for the data's own weights or for a bootstrap
    resample's (its rows' counts times them), without copying the data.

    Built by :func:`stack_design`. ``values`` is (n, p + 1): the groups' columns in order, the
    controls', then the outcome, each centred at its weighted mean; ``spread`` (p + 1,) their
    weighted standard deviations (0 for a constant column).
    """

    values: np.ndarray
    weights: np.ndarray
    spread: np.ndarray
    names: list[str]
    group_columns: list[np.ndarray]
    control_columns: np.ndarray
    sizes: list[int]


def stack_design(y, groups: Mapping, controls=None, weights=None) -> StackedDesign:
    """The checked, centred columns of a decomposition.

    Parameters
    ----------
    y : array-like of shape (n,)
        The outcome.
    groups : mapping of str to array-like of shape (n,) or (n, k_g)
        ``name ->`` the group's regressors (G <= 15 groups).
    controls : array-like of shape (n,) or (n, k_c), optional
        Regressors included in every regression.
    weights : array-like of shape (n,), optional
        Non-negative weights.

    Returns
    -------
    StackedDesign
        The columns side by side (groups, controls, outcome), centred at their weighted means.

    Raises
    ------
    ValueError
        If an input has the wrong shape or missing values, there are no groups or more than 15,
        the weights are invalid, or ``y`` is constant.
    """
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
    sizes = [b.shape[1] for b in blocks]
    starts = np.cumsum([0] + sizes)
    group_columns = [np.arange(starts[i], starts[i + 1]) for i in range(len(names))]
    control_columns = np.arange(starts[len(names)], starts[-1]) if controls is not None else np.arange(0)
    values = np.hstack([*blocks, yv[:, None]])
    weighted_rows = values[w > 0]
    constant = (weighted_rows == weighted_rows[0]).all(axis=0)
    if constant[-1]:
        raise ValueError("y is constant (zero weighted variance): R-squared is undefined")
    values -= (w @ values) / w.sum()
    spread = np.where(constant, 0.0, np.sqrt((w @ (values * values)) / w.sum()))
    return StackedDesign(values, w, spread, names, group_columns, control_columns, sizes[:len(names)])


def _standardised_cross_products(design: StackedDesign, weights: np.ndarray):
    """(C, c_y, s_yy): the regressors' weighted cross-products scaled to unit variance, their cross-products
    with the outcome, and the outcome's sum of squares, all about the means under ``weights``.

    The columns were centred at the data's own means; under other weights (a resample's) the
    difference of means is removed here, ``S = Z'WZ - t t'/sum(w)`` with ``t = Z'w``, which loses
    no precision because that difference is small. A column constant under ``weights`` (a dummy no
    resampled row has) gets zero cross-products, which the minimum-norm solution ignores.
    """
    Z = design.values
    weighted = Z * weights[:, None]
    totals = weighted.sum(axis=0)
    wsum = weights.sum()
    S = weighted.T @ Z - np.outer(totals, totals) / wsum
    spread = np.sqrt(np.clip(np.diag(S), 0.0, None) / wsum)
    s_yy = float(S[-1, -1])
    if spread[-1] <= _CONSTANT * design.spread[-1]:
        raise ValueError("y is constant (zero weighted variance): R-squared is undefined")
    varying = (design.spread[:-1] > 0) & (spread[:-1] > _CONSTANT * design.spread[:-1])
    scale = np.where(varying, spread[:-1], 1.0)
    C = S[:-1, :-1] / np.outer(scale, scale) * np.outer(varying, varying)
    c_y = S[:-1, -1] / scale * varying
    return C, c_y, s_yy


def _r2(C, c_y, s_yy, cols: np.ndarray) -> float:
    if cols.size == 0:
        return 0.0
    sub = C[np.ix_(cols, cols)]
    rhs = c_y[cols]
    b = np.linalg.lstsq(sub, rhs, rcond=None)[0]
    return float(min(max(rhs @ b / s_yy, 0.0), 1.0))


def subset_r2s(design: StackedDesign, weights: np.ndarray) -> np.ndarray:
    """R2 of every subset of the groups, under some weights.

    Parameters
    ----------
    design : StackedDesign
        :func:`stack_design` of the data.
    weights : ndarray of shape (n,)
        Non-negative weights: ``design.weights``, or those times a resample's counts.

    Returns
    -------
    ndarray of shape (2^G,)
        Indexed by bitmask (bit g set = group g included; the controls always in).

    Raises
    ------
    ValueError
        If the outcome is constant under ``weights``.
    """
    C, c_y, s_yy = _standardised_cross_products(design, weights)
    G = len(design.names)
    r2 = np.empty(2 ** G)
    for mask in range(2 ** G):
        cols = [design.control_columns] + [design.group_columns[g] for g in range(G) if mask >> g & 1]
        r2[mask] = _r2(C, c_y, s_yy, np.concatenate(cols))
    return r2
