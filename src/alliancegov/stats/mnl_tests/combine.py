"""Tests that two outcomes can be combined (SPost's ``mlogtest, combine`` and ``lrcomb``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.mnl_tests.common import (
    COMBINE_COLUMNS,
    _chi2_sf,
    _codes,
    _cov,
    _design,
    _fit_mnl,
    _quadratic_form,
    _theta,
    fit_mnl_linear_constrained,
    mnl_loglik,
)


def _intercept_columns(X: np.ndarray, names: list[str], intercept) -> list[int]:
    if intercept is None:
        return [i for i in range(X.shape[1]) if np.ptp(X[:, i]) == 0 and X[0, i] != 0]
    items = [intercept] if isinstance(intercept, (str, int)) else list(intercept)
    return [names.index(c) if isinstance(c, str) else int(c) for c in items]


def combine_restriction(J: int, k: int, slopes: Sequence[int], a: int, b: int) -> np.ndarray:
    """Restriction matrix ``R`` of H0 "outcomes a and b can be combined".

    Parameters
    ----------
    J : int
        Number of outcomes.
    k : int
        Design columns per equation.
    slopes : sequence of int
        The slope columns (all but the intercepts).
    a, b : int
        The two distinct outcome codes.

    Returns
    -------
    ndarray of shape (len(slopes), (J-1) k)
        Row ``s``: ``beta_b[s] - beta_a[s]`` for slope column ``s`` (equation-major ``theta``);
        when ``a`` is the base (0) the row is just ``beta_b[s]``. ``R theta = 0`` is Stata's
        ``test [b = a]`` (or ``test [b]``), which leaves intercepts out.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` are not two distinct outcomes in ``0..J-1``.
    """
    if not (0 <= a < J and 0 <= b < J and a != b):
        raise ValueError(f"need two distinct outcomes in 0..{J - 1}, got {a}, {b}")
    R = np.zeros((len(slopes), (J - 1) * k))
    for row, s in enumerate(slopes):
        if b > 0:
            R[row, (b - 1) * k + s] += 1.0
        if a > 0:
            R[row, (a - 1) * k + s] -= 1.0
    return R


def combine_parametrisation(J: int, k: int, slopes: Sequence[int], a: int, b: int) -> np.ndarray:
    """Parametrisation ``theta = T phi`` of the coefficients satisfying :func:`combine_restriction`.

    The slopes of the higher of the two outcomes are substituted by those of the lower one
    (by 0 when the lower one is the base); intercepts and all other equations stay free.

    Parameters
    ----------
    J : int
        Number of outcomes.
    k : int
        Design columns per equation.
    slopes : sequence of int
        The slope columns.
    a, b : int
        The two distinct outcome codes, in either order.

    Returns
    -------
    ndarray of shape ((J-1) k, (J-1) k - len(slopes))
        0/1 matrix ``T``, equation-major rows.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` are not two distinct outcomes in ``0..J-1``.
    """
    lo, hi = sorted((a, b))
    if lo == hi or not 0 <= lo < hi < J:
        raise ValueError(f"need two distinct outcomes in 0..{J - 1}, got {a}, {b}")
    p = (J - 1) * k
    removed = {(hi - 1) * k + s for s in slopes}
    free = [i for i in range(p) if i not in removed]
    position = {i: j for j, i in enumerate(free)}
    T = np.zeros((p, len(free)))
    for i in free:
        T[i, position[i]] = 1.0
    if lo > 0:
        for s in slopes:
            T[(hi - 1) * k + s, position[(lo - 1) * k + s]] = 1.0
    return T


def combine_outcomes_tests(y, X, result=None, cov=None, *, intercept=None, labels: Sequence | None = None,
                           pairs: Iterable[tuple[int, int]] | None = None,
                           tests: Sequence[str] = ("wald", "lr")) -> pd.DataFrame:
    """Wald and LR tests that two outcomes can be combined (SPost ``mlogtest, combine lrcomb``).

    H0 for outcomes ``a < b``: every coefficient except the intercept is equal in the two
    equations (relative to any base), i.e. the odds of ``a`` vs ``b`` do not depend on the
    regressors. ``df`` = number of non-intercept columns.

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (0 = base), ``J >= 3``.
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    result : MNLogitResults, optional
        The statsmodels ``MNLogit`` fit of ``y`` on ``X`` (fitted here if ``None``).
    cov : array-like of shape ((J-1) k, (J-1) k), optional
        Equation-major covariance for the Wald test (default ``result.cov_params()``).
    intercept : str, int or sequence of them, optional
        The intercept column(s) by name or position (default: every constant non-zero column of
        ``X``).
    labels : sequence, optional
        Names of the outcomes for the output (default the codes).
    pairs : iterable of tuple of (int, int), optional
        Subset of ``(a, b)`` code pairs (default all ``J (J-1) / 2``).
    tests : sequence of {"wald", "lr"}, default ("wald", "lr")
        The tests to run (see Notes).

    Returns
    -------
    DataFrame
        One row per pair and test: ``outcome_a, outcome_b, test, df, statistic, p_value``.

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 outcomes, ``tests`` names an unknown test, ``result`` does not
        match ``(y, X)``, or the design has no regressor besides the intercept.

    Notes
    -----
    * ``wald``: ``(R theta)' (R V R')^{-1} (R theta)`` with ``R`` from :func:`combine_restriction`
      (differences of the two equations; a pair with the base tests the other equation's slopes
      against 0), as ``test [b = a]`` in SPost.
    * ``lr``: ``2 (LL_full - LL_constrained)``. SPost's ``lrcomb`` fits ``mlogit`` with base ``b``
      under ``constraint [a]`` (all slopes of ``a`` vs ``b`` zero, intercept free); the
      identical model is fitted here by Newton-Raphson with ``b``'s slopes substituted by ``a``'s
      (:func:`combine_parametrisation`, :func:`fit_mnl_linear_constrained`). ``LL_full`` is the
      log-likelihood of ``result`` on ``(y, X)``.

    Both statistics are invariant to the choice of base.
    """
    X, names = _design(X)
    codes, J = _codes(y)
    if J < 3:
        raise ValueError("combining outcomes needs at least 3 outcomes")
    unknown = set(tests) - {"wald", "lr"}
    if unknown:
        raise ValueError(f"unknown tests {sorted(unknown)}")
    if result is None:
        result = _fit_mnl(codes, X)
    k = X.shape[1]
    theta = _theta(result)
    if theta.size != (J - 1) * k:
        raise ValueError("result does not match (y, X): wrong number of coefficients")
    consts = set(_intercept_columns(X, names, intercept))
    slopes = [i for i in range(k) if i not in consts]
    if not slopes:
        raise ValueError("the design has no regressor besides the intercept")
    V = _cov(result, cov) if "wald" in tests else None
    full_ll = mnl_loglik(theta, codes, X) if "lr" in tests else math.nan
    label = (lambda j: j) if labels is None else (lambda j: labels[j])
    todo = [(a, b) for a in range(J) for b in range(a + 1, J)] if pairs is None else [tuple(sorted(p)) for p in pairs]
    rows = []
    for a, b in todo:
        if "wald" in tests:
            R = combine_restriction(J, k, slopes, a, b)
            statistic = _quadratic_form(R @ theta, R @ V @ R.T)
            rows.append((label(a), label(b), "wald", len(slopes), statistic, _chi2_sf(statistic, len(slopes))))
        if "lr" in tests:
            T = combine_parametrisation(J, k, slopes, a, b)
            constrained_ll, _ = fit_mnl_linear_constrained(codes, X, T, start=theta)
            statistic = 2.0 * (full_ll - constrained_ll)
            rows.append((label(a), label(b), "lr", len(slopes), statistic, _chi2_sf(statistic, len(slopes))))
    return pd.DataFrame(rows, columns=COMBINE_COLUMNS)
