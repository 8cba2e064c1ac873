"""Shared pieces of the MNL tests: the result type, checked inputs, refits, the log-likelihood and a
linearly constrained MNL fit.

Conventions as in :mod:`alliancegov.stats.mnl_tests`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from alliancegov.stats.products import tall_times_thin

TEST_COLUMNS = ["term", "df", "statistic", "p_value"]
COMBINE_COLUMNS = ["outcome_a", "outcome_b", "test", "df", "statistic", "p_value"]
IIA_COLUMNS = ["omitted", "test", "statistic", "df", "p_value", "note"]
NEGATIVE_HAUSMAN_NOTE = "chi2 < 0: the fitted model does not meet the asymptotic assumptions of the test"


class ChiSquareTest(NamedTuple):
    """A chi-square test result; unpacks as ``(statistic, df, p_value)``.

    Attributes
    ----------
    statistic : float
        The chi-square statistic.
    df : int
        Its degrees of freedom.
    p_value : float
        Upper-tail p-value (NaN when undefined, e.g. ``df`` 0 or a negative statistic where the
        test says so).
    """

    statistic: float
    df: int
    p_value: float


def _design(X, names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """``(n, k)`` float array and its ``k`` column names."""
    if isinstance(X, pd.DataFrame):
        columns = [str(c) for c in X.columns] if names is None else [str(c) for c in names]
        array = X.to_numpy(dtype=float)
    else:
        array = np.asarray(X, dtype=float)
        if array.ndim != 2:
            raise ValueError(f"X must be 2-d, got shape {array.shape}")
        columns = [f"x{i}" for i in range(array.shape[1])] if names is None else [str(c) for c in names]
    if len(columns) != array.shape[1]:
        raise ValueError(f"{len(columns)} names for {array.shape[1]} design columns")
    if len(set(columns)) != len(columns):
        raise ValueError("design column names must be unique")
    return array, columns


def _codes(y, n_outcomes: int | None = None, *, require_all: bool = True) -> tuple[np.ndarray, int]:
    """``y`` as int codes ``0..J-1`` and ``J``; checks that codes are integers (and all present)."""
    values = np.asarray(y, dtype=float).ravel()
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)) or np.any(values < 0):
        raise ValueError("y must hold non-negative integer codes 0..J-1")
    codes = values.astype(int)
    J = int(codes.max()) + 1 if n_outcomes is None else int(n_outcomes)
    if codes.max() >= J:
        raise ValueError(f"y has code {codes.max()} but only {J} outcomes")
    if require_all:
        missing = sorted(set(range(J)) - set(np.unique(codes).tolist()))
        if missing:
            raise ValueError(f"outcome codes {missing} do not occur in y")
    return codes, J


def _recode(codes: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """Map outcome ``order[i]`` to ``i`` (so ``order[0]`` becomes the base); others to -1."""
    lookup = np.full(int(codes.max()) + 1, -1, dtype=int)
    for new, old in enumerate(order):
        if old <= codes.max():
            lookup[old] = new
    return lookup[codes]


class _Refit(NamedTuple):
    """What the tests read of a refitted MNL, as the attributes of a statsmodels result."""

    params: np.ndarray        # (k, J-1)
    llf: float
    information: np.ndarray   # ((J-1) k, (J-1) k), equation-major

    def cov_params(self) -> np.ndarray:
        from alliancegov.stats.mnl import model_covariance

        return model_covariance(self.information)


def _fit_mnl(y: np.ndarray, X: np.ndarray, start=None) -> _Refit:
    """ML refit, code 0 as base, by the package's Newton (``stats.mnl.fit_mnl_newton``, which
    warns if it does not converge). The tests refit the model up to ~30 times; statsmodels'
    ``MNLogit`` takes about twice as long per fit and cannot start from a nearby estimate."""
    from alliancegov.stats.mnl import fit_mnl_newton

    fit = fit_mnl_newton(np.asarray(X, dtype=float), np.asarray(y), start=start)
    return _Refit(fit.params, fit.loglik, fit.information)


def _theta(result) -> np.ndarray:
    """Equation-major coefficient vector ``params.T.ravel()`` of length ``(J-1) k``."""
    return np.asarray(result.params, dtype=float).T.ravel()


def _cov(result, cov) -> np.ndarray:
    V = np.asarray(result.cov_params() if cov is None else cov, dtype=float)
    p = _theta(result).size
    if V.shape != (p, p):
        raise ValueError(f"covariance must be {p}x{p} (equation-major), got {V.shape}")
    return V


def _quadratic_form(d: np.ndarray, V: np.ndarray) -> float:
    """``d' V^{-1} d`` (Moore-Penrose inverse if ``V`` is singular)."""
    try:
        return float(d @ np.linalg.solve(V, d))
    except np.linalg.LinAlgError:
        return float(d @ np.linalg.pinv(V, hermitian=True) @ d)


def _chi2_sf(statistic: float, df: int) -> float:
    from scipy import stats

    if not np.isfinite(statistic) or df <= 0:
        return math.nan
    return float(stats.chi2.sf(statistic, df))


def _term_columns(names: Sequence[str], columns: Sequence[str], term: str) -> list[int]:
    index = {name: i for i, name in enumerate(names)}
    unknown = [c for c in columns if c not in index]
    if unknown:
        raise KeyError(f"term {term!r}: columns {unknown} are not in the design")
    if not columns:
        raise ValueError(f"term {term!r} has no columns")
    return [index[c] for c in columns]


def mnl_loglik(theta, y, X, *, derivatives: bool = False):
    """MNL log-likelihood at equation-major ``theta``, base code 0.

    Computed with a log-sum-exp so it is stable far from the optimum.

    Parameters
    ----------
    theta : array-like of shape (p,)
        Equation-major coefficients, ``p = (J-1) k``.
    y : array-like of shape (n,)
        Codes ``0..J-1`` with ``J = theta.size / k + 1``.
    X : array-like of shape (n, k)
        Design matrix.
    derivatives : bool, default False
        Also return the gradient and the Hessian.

    Returns
    -------
    float or tuple of (float, ndarray of shape (p,), ndarray of shape (p, p))
        The log-likelihood; with ``derivatives=True`` ``(loglik, gradient, Hessian)``, the
        derivatives in the same equation-major order (the Hessian negative definite).
    """
    X = np.asarray(X, dtype=float)
    theta = np.asarray(theta, dtype=float)
    n, k = X.shape
    J = theta.size // k + 1
    y = np.asarray(y, dtype=int)
    eta = np.zeros((n, J))
    eta[:, 1:] = tall_times_thin(X, theta.reshape(J - 1, k).T)
    top = eta.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(eta - top).sum(axis=1))
    rows = np.arange(n)
    loglik = float((eta[rows, y] - lse).sum())
    if not derivatives:
        return loglik
    P = np.exp(eta - lse[:, None])
    D = np.zeros((n, J))
    D[rows, y] = 1.0
    gradient = ((D - P)[:, 1:].T @ X).ravel()
    hessian = np.empty((theta.size, theta.size))
    for e in range(1, J):
        for f in range(e, J):
            w = P[:, e] * ((e == f) - P[:, f])
            block = -(X * w[:, None]).T @ X
            hessian[(e - 1) * k:e * k, (f - 1) * k:f * k] = block
            hessian[(f - 1) * k:f * k, (e - 1) * k:e * k] = block.T
    return loglik, gradient, hessian


def fit_mnl_linear_constrained(y, X, T, start=None, *, tol: float = 1e-12, maxiter: int = 200):
    """Maximise the MNL log-likelihood over ``theta = T @ phi`` (linear equality constraints).

    Newton-Raphson in ``phi`` with step halving; stops when the Newton decrement
    ``g' (-H)^{-1} g / 2`` (``g``, ``H`` the gradient and Hessian in ``phi``) falls below ``tol``.

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1``, base code 0.
    X : array-like of shape (n, k)
        Design matrix.
    T : array-like of shape (p, q)
        ``p = (J-1) k`` (equation-major) rows, one column per free parameter.
    start : array-like of shape (p,), optional
        Starting ``theta``, projected onto the column space of ``T``; default ``phi = 0``.
    tol : float, default 1e-12
        Convergence tolerance on the Newton decrement.
    maxiter : int, default 200
        Newton steps at the most.

    Returns
    -------
    loglik : float
        The maximised log-likelihood.
    theta : ndarray of shape (p,)
        The constrained estimate, equation-major.

    Warns
    -----
    RuntimeWarning
        If it did not converge in ``maxiter`` steps (the last point is returned).
    """
    T = np.asarray(T, dtype=float)
    phi = np.zeros(T.shape[1]) if start is None else np.linalg.lstsq(T, np.asarray(start, float), rcond=None)[0]
    loglik = mnl_loglik(T @ phi, y, X)
    for _ in range(maxiter):
        _, g, H = mnl_loglik(T @ phi, y, X, derivatives=True)
        g_phi = T.T @ g
        H_phi = T.T @ H @ T
        step = np.linalg.solve(-H_phi, g_phi)
        decrement = float(g_phi @ step) / 2
        if decrement < tol:
            return loglik, T @ phi
        t = 1.0
        while True:
            candidate = phi + t * step
            new = mnl_loglik(T @ candidate, y, X)
            if new >= loglik or t < 1e-10:
                break
            t /= 2
        phi, loglik = candidate, new
    warnings.warn("constrained MNL fit did not converge", RuntimeWarning, stacklevel=2)
    return loglik, T @ phi
