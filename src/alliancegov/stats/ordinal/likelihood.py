"""The ordered logit's checked inputs and its analytic log-likelihood, gradient, Hessian and scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_DEFAULT_CHUNK_ROWS = 65536


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------

def _design(X) -> tuple[np.ndarray, list[str]]:
    """(n, k) float array and column names (``x1 .. xk`` for arrays)."""
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        Xa = X.to_numpy(dtype=float)
    else:
        Xa = np.asarray(X, dtype=float)
        if Xa.ndim == 1:
            Xa = Xa[:, None]
        names = [f"x{i + 1}" for i in range(Xa.shape[1])] if Xa.ndim == 2 else []
    if Xa.ndim != 2:
        raise ValueError(f"X must be 2-dimensional (n, k); got shape {Xa.shape}")
    if not np.all(np.isfinite(Xa)):
        raise ValueError("X contains missing or non-finite values; drop or impute them first")
    return Xa, names


def _check_no_constant(Xa: np.ndarray, names: list[str]) -> None:
    """Raise if X has a constant column or spans a constant (e.g. a full set of dummies)."""
    n, k = Xa.shape
    if k == 0:
        raise ValueError("X has no columns; an ordered logit needs at least one regressor")
    constant = [names[i] for i in range(k) if np.ptp(Xa[:, i]) == 0]
    if constant:
        raise ValueError(
            f"X contains constant column(s) {constant}: an ordered logit has no intercept (the cut "
            "points play its role); drop the constant column")
    # implicit constant: is the vector of ones in the column space of X?
    ones = np.ones(n)
    coef, *_ = np.linalg.lstsq(Xa, ones, rcond=None)
    if np.linalg.norm(Xa @ coef - ones) <= 1e-8 * np.sqrt(n):
        raise ValueError(
            "the columns of X span a constant (e.g. a full set of dummies of a factor): drop one "
            "reference column; an ordered logit has no intercept (the cut points play its role)")


def _outcome_codes(y, n: int, weights: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    ya = np.asarray(y)
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(f"y must be 1-dimensional with {n} entries (rows of X); got shape {ya.shape}")
    yf = ya.astype(float)
    if not np.all(np.isfinite(yf)) or np.any(yf != np.round(yf)) or np.any(yf < 0):
        raise ValueError("y must hold integer outcome codes 0 .. J-1 without missing values")
    yi = yf.astype(int)
    J = int(yi.max()) + 1
    counts = np.bincount(yi, weights=weights, minlength=J)
    if np.any(counts <= 0):
        raise ValueError(f"outcome code(s) {np.flatnonzero(counts <= 0).tolist()} never occur (or weigh 0); y "
                         "must use every code 0 .. J-1 (recode the scale without gaps)")
    if J < 2:
        raise ValueError("y has a single category; an ordered logit needs at least two")
    return yi, J


def _names(names, default: list[str], k: int) -> list[str]:
    if names is None:
        return list(default) if len(default) == k else [f"x{i + 1}" for i in range(k)]
    names = [str(s) for s in names]
    if len(names) != k:
        raise ValueError(f"{len(names)} names given for {k} columns of X")
    return names


def _sorted_by_category(Xa: np.ndarray, yi: np.ndarray, J: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of X grouped by outcome (a stable sort), the (J+1,) bounds (category j is rows
    ``bounds[j]:bounds[j+1]``) and the (n,) sorting permutation, to sort weights and clusters alike.
    The log-likelihood is a sum over rows, so the order is immaterial; contiguous categories let
    every per-category quantity be a slice with scalar cut points."""
    order = np.argsort(yi, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(yi, minlength=J))])
    return Xa[order], bounds, order


def _loglik_derivatives(Xs: np.ndarray, bounds: np.ndarray, b: np.ndarray, c: np.ndarray,
                        ws: np.ndarray | None = None, *, scores: bool = False):
    """(Weighted) log-likelihood, gradient (p,) and Hessian (p, p) in ``(slopes, cutpoints)``.

    ``Xs`` and ``bounds`` from :func:`_sorted_by_category`, ``ws`` the (n,) weights in the same
    order (None: 1). For a row of category j write
    ``u = c_{j+1} - eta`` and ``l = c_j - eta`` (0-based cut ``j`` is the upper bound of category j),
    ``P = F(u) - F(l)``. Evaluated stably for any arguments as

        P = F(u) F(-l) (1 - exp(l - u)),                   log P = logF(u) + logF(-l) + log D,

    with ``D = -expm1(l - u) = -expm1(c_j - c_{j+1})`` a scalar per category, and the score ratios
    ``g_u = f(u)/P = exp(logF(-u) - logF(-l)) / D``, ``g_l = f(l)/P = exp(logF(l) - logF(u)) / D``
    (f = F(1-F); for the lowest / highest category ``P = F(u)`` / ``F(-l)``). Second derivatives
    of log P in (u, l): ``H_uu = g_u (1 - 2F(u)) - g_u^2``, ``H_ll = -g_l (1 - 2F(l)) - g_l^2``,
    ``H_ul = g_u g_l``; ``d/d eta = -(d/du + d/dl)``. The slope block is ``X' diag(w) X``, the
    slope-cut block ``X_j'(...)`` products per category, the cut block tridiagonal: O(n p^2) time,
    O(n) memory besides ``Xs``, no Python loop over rows. Each row's terms are multiplied by its
    weight before summing. With ``scores=True`` a fourth value is the (n, p) matrix of the rows'
    unweighted scores ``d log P_i / d theta``, for sandwich covariances.
    """
    from scipy.special import expit, log_expit

    n, k = Xs.shape
    m = c.shape[0]
    w = np.ones(n) if ws is None else ws
    eta = Xs @ b
    d_eta = np.empty(n)     # d log P_i / d eta_i
    d2_eta = np.empty(n)    # d^2 log P_i / d eta_i^2 (<= 0: log-concavity, Pratt 1981)
    d_up = np.zeros(n)      # d log P_i / d (the upper cut of row i's category)
    d_low = np.zeros(n)     # d log P_i / d (its lower cut)
    grad_c = np.zeros(m)
    hess_bc = np.zeros((k, m))
    hess_cc = np.zeros((m, m))
    loglik = 0.0
    for j in range(m + 1):
        rows = slice(bounds[j], bounds[j + 1])
        e = eta[rows]
        wr = w[rows]
        h_ul = 0.0
        if j == 0:                                  # P = F(u)
            u = c[0] - e
            loglik += (wr * log_expit(u)).sum()
            g_u = expit(-u)
            h_uu = -g_u * expit(u)
            h_ll = 0.0
            d_up[rows] = g_u
        elif j == m:                                # P = 1 - F(l) = F(-l)
            low = c[m - 1] - e
            loglik += (wr * log_expit(-low)).sum()
            g_l = expit(low)
            h_ll = -g_l * expit(-low)
            h_uu = 0.0
            d_low[rows] = -g_l
        else:
            u = c[j] - e
            low = c[j - 1] - e
            log_d = np.log(-np.expm1(c[j - 1] - c[j]))
            log_fu, log_fmu = log_expit(u), log_expit(-u)
            log_fl, log_fml = log_expit(low), log_expit(-low)
            loglik += (wr * (log_fu + log_fml)).sum() + log_d * wr.sum()
            g_u = np.exp(log_fmu - log_fml - log_d)
            g_l = np.exp(log_fl - log_fu - log_d)
            h_uu = -g_u * np.tanh(u / 2) - g_u * g_u      # 1 - 2F(z) = -tanh(z/2)
            h_ll = g_l * np.tanh(low / 2) - g_l * g_l
            h_ul = g_u * g_l
            d_up[rows] = g_u
            d_low[rows] = -g_l
            hess_cc[j - 1, j] += (wr * h_ul).sum()
            hess_cc[j, j - 1] = hess_cc[j - 1, j]
        d_eta[rows] = -(d_up[rows] + d_low[rows])
        d2_eta[rows] = h_uu + 2 * h_ul + h_ll
        if j < m:
            hess_bc[:, j] -= Xs[rows].T @ (wr * (h_uu + h_ul))
            grad_c[j] += (wr * d_up[rows]).sum()
            hess_cc[j, j] += (wr * h_uu).sum()
        if j > 0:
            hess_bc[:, j - 1] -= Xs[rows].T @ (wr * (h_ul + h_ll))
            grad_c[j - 1] += (wr * d_low[rows]).sum()
            hess_cc[j - 1, j - 1] += (wr * h_ll).sum()
    grad = np.concatenate([Xs.T @ (w * d_eta), grad_c])
    d2_eta *= w
    hess = np.empty((k + m, k + m))
    hess[:k, :k] = 0.0
    for start in range(0, n, _DEFAULT_CHUNK_ROWS):      # X' diag(d2_eta) X without an (n, k) temporary
        block = Xs[start:start + _DEFAULT_CHUNK_ROWS]
        hess[:k, :k] += (block * d2_eta[start:start + _DEFAULT_CHUNK_ROWS, None]).T @ block
    hess[:k, k:] = hess_bc
    hess[k:, :k] = hess_bc.T
    hess[k:, k:] = hess_cc
    if not scores:
        return float(loglik), grad, hess
    S = np.zeros((n, k + m))
    S[:, :k] = Xs * d_eta[:, None]
    for j in range(m + 1):
        rows = slice(bounds[j], bounds[j + 1])
        if j < m:
            S[rows, k + j] = d_up[rows]
        if j > 0:
            S[rows, k + j - 1] = d_low[rows]
    return float(loglik), grad, hess, S


def _newton_step(information: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``information^-1 grad``; least squares if the information is not numerically positive definite
    (collinear regressors, or a separated direction whose information has underflowed)."""
    from scipy import linalg

    try:
        return linalg.cho_solve(linalg.cho_factor(information), grad)
    except linalg.LinAlgError:
        return np.linalg.lstsq(information, grad, rcond=None)[0]


def _checked_inputs(X, y, names, weights, weight_type: str):
    """The design (n, k) without a constant, its column names, the weights (n,) or None, and the
    outcome codes (n,) with their number of categories J, after the checks every fit shares."""
    from alliancegov.stats.mnl.core import _weights

    Xa, default_names = _design(X)
    n, k = Xa.shape
    labels = _names(names, default_names, k)
    _check_no_constant(Xa, labels)
    w = _weights(weights, n)
    if weight_type not in ("frequency", "probability"):
        raise ValueError("weight_type must be 'frequency' or 'probability'")
    yi, J = _outcome_codes(y, n, w)
    return Xa, labels, w, yi, J
