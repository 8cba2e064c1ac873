"""The MNL's likelihood pieces: checked inputs, probabilities, log-likelihood, scores and information.

Conventions (``X``, ``y``, ``params``, ``theta``, ``weights``) as in :mod:`alliancegov.stats.mnl`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg

from alliancegov.stats.products import tall_times_thin

# Rows per block when per-observation Jacobians are accumulated: a block holds at most about this
# many floats (so memory is O(chunk * k * J) whatever n is).
_BLOCK_FLOATS = 1 << 21


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------

def _design(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got shape {X.shape}")
    return X


def _column_names(X, k: int) -> list[str]:
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"x{c}" for c in range(k)]


def _params(params, k: int | None = None) -> np.ndarray:
    B = np.asarray(params, dtype=float)
    if B.ndim != 2:
        raise ValueError(f"params must have shape (k, J-1), got {B.shape}")
    if k is not None and B.shape[0] != k:
        raise ValueError(f"params has {B.shape[0]} rows but X has {k} columns")
    return B


def _outcomes(y, n: int, n_outcomes: int | None = None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be 1-dimensional with {n} elements")
    yi = y.astype(np.int64)
    if not np.array_equal(yi, y):
        raise ValueError("y must hold integer outcome codes 0..J-1")
    if yi.min(initial=0) < 0 or (n_outcomes is not None and yi.max(initial=0) >= n_outcomes):
        raise ValueError("y codes must lie in 0..J-1")
    return yi


def _weights(weights, n: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    return w


def _cov(cov, p: int) -> np.ndarray:
    C = np.asarray(cov, dtype=float)
    if C.shape != (p, p):
        raise ValueError(f"cov must have shape ({p}, {p}) (equation-major order), got {C.shape}")
    return C


def _theta_to_params(theta: np.ndarray, k: int) -> np.ndarray:
    return theta.reshape(-1, k).T


def _chunk_rows(floats_per_row: int) -> int:
    return max(64, _BLOCK_FLOATS // max(1, floats_per_row))


# --------------------------------------------------------------------------------------------
# likelihood pieces
# --------------------------------------------------------------------------------------------

def _utilities(X: np.ndarray, B: np.ndarray) -> np.ndarray:
    """(n, J) linear predictors with the base outcome's utility 0 in column 0."""
    eta = np.empty((X.shape[0], B.shape[1] + 1))
    eta[:, 0] = 0.0
    eta[:, 1:] = tall_times_thin(X, B)
    return eta


def _softmax(eta: np.ndarray) -> np.ndarray:
    z = eta - eta.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def probabilities(X, params) -> np.ndarray:
    """Outcome probabilities from a numerically stable softmax with base utility 0.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    params : array-like of shape (k, J-1)
        Coefficients, column ``j-1`` the equation of outcome ``j``.

    Returns
    -------
    ndarray of shape (n, J)
        ``P_ij = exp(x_i'b_j) / sum_m exp(x_i'b_m)`` with ``b_0 = 0``; each row sums to 1.

    Notes
    -----
    The largest utility of each row is subtracted before exponentiating, so huge linear predictors
    neither overflow nor give NaN.
    """
    X = _design(X)
    B = _params(params, X.shape[1])
    return _softmax(_utilities(X, B))


def _loglik_and_probs(X, y, B, w) -> tuple[float, np.ndarray]:
    eta = _utilities(X, B)
    top = eta.max(axis=1)
    P = eta - top[:, None]
    np.exp(P, out=P)
    total = P.sum(axis=1)
    P /= total[:, None]
    ll_i = np.take_along_axis(eta, y[:, None], axis=1)[:, 0] - top - np.log(total)
    ll = float(ll_i.sum()) if w is None else float(w @ ll_i)
    return ll, P


def log_likelihood(X, y, params, weights=None) -> float:
    """(Weighted) log-likelihood ``sum_i w_i log P_{i, y_i}``.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    y : array-like of shape (n,)
        Integer outcome codes ``0 .. J-1``.
    params : array-like of shape (k, J-1)
        Coefficients.
    weights : array-like of shape (n,), optional
        Non-negative weights (1 for every row if None).

    Returns
    -------
    float
        The log-likelihood, in nats.
    """
    X = _design(X)
    B = _params(params, X.shape[1])
    y = _outcomes(y, X.shape[0], B.shape[1] + 1)
    w = _weights(weights, X.shape[0])
    return _loglik_and_probs(X, y, B, w)[0]


def _residuals(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """(n, J-1) generalised residuals ``1{y_i = j} - P_ij`` for the non-base outcomes."""
    R = -P[:, 1:]
    rows = np.flatnonzero(y > 0)
    R[rows, y[rows] - 1] += 1.0
    return R


def score_contributions(X, y, params) -> np.ndarray:
    """Per-observation scores (unweighted), equation-major.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    y : array-like of shape (n,)
        Integer outcome codes ``0 .. J-1``.
    params : array-like of shape (k, J-1)
        Coefficients.

    Returns
    -------
    ndarray of shape (n, k(J-1))
        Row ``i``, element ``(j-1)*k + c`` is ``(1{y_i=j} - P_ij) x_ic``. With weights, the score
        of observation ``i`` in the (pseudo-)likelihood is ``w_i`` times this row.
    """
    X = _design(X)
    B = _params(params, X.shape[1])
    y = _outcomes(y, X.shape[0], B.shape[1] + 1)
    R = _residuals(y, probabilities(X, B))
    return (R[:, :, None] * X[:, None, :]).reshape(X.shape[0], -1)


def gradient(X, y, params, weights=None, fitted_probabilities=None) -> np.ndarray:
    """Gradient of the (weighted) log-likelihood, equation-major, without the (n, p) score matrix.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    y : array-like of shape (n,)
        Integer outcome codes ``0 .. J-1``.
    params : array-like of shape (k, J-1)
        Coefficients.
    weights : array-like of shape (n,), optional
        Non-negative weights (1 for every row if None).
    fitted_probabilities : ndarray of shape (n, J), optional
        :func:`probabilities` at ``params`` when already known (they are most of the cost: a
        bootstrap reweighting the rows at a fixed ``params`` computes them once).

    Returns
    -------
    ndarray of shape (k(J-1),)
        ``sum_i w_i s_i``, the weighted column sums of :func:`score_contributions`, formed as
        ``X' (w * R)`` with R the (n, J-1) residuals, so memory stays O(n J): at 10^6 rows and 48
        parameters the score matrix would take 384 MB.
    """
    X = _design(X)
    B = _params(params, X.shape[1])
    y = _outcomes(y, X.shape[0], B.shape[1] + 1)
    P = probabilities(X, B) if fitted_probabilities is None else np.asarray(fitted_probabilities, dtype=float)
    if P.shape != (X.shape[0], B.shape[1] + 1):
        raise ValueError(f"fitted_probabilities must have shape ({X.shape[0]}, {B.shape[1] + 1}), not {P.shape}")
    return _gradient(X, y, P, _weights(weights, X.shape[0]))


class ReweightedGradient:
    """The gradient of the log-likelihood on reweighted rows, ``g(theta, row_weights)``, for Newton
    steps on bootstrap resamples (``stats.bootstrap.newton_step_bootstrap``).

    Calling it with ``theta`` (k(J-1),) equation-major and ``row_weights`` (n,) returns
    :func:`gradient` there (k(J-1),), or None when an outcome has no weight (its coefficients
    have no finite maximum, as a refit of the resample would find).

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    y : array-like of shape (n,)
        Integer outcome codes ``0 .. J-1``.
    estimates : array-like of shape (k(J-1),)
        The full-sample estimates, where every resample's first step starts: the probabilities
        there are computed once.
    """

    def __init__(self, X, y, estimates):
        self.X = _design(X)
        self.estimates = np.asarray(estimates, dtype=float).ravel()
        self.n_outcomes = self.estimates.size // self.X.shape[1] + 1
        self.y = _outcomes(y, self.X.shape[0], self.n_outcomes)
        self.fitted = probabilities(self.X, self._params(self.estimates))

    def _params(self, theta: np.ndarray) -> np.ndarray:
        return theta.reshape(-1, self.X.shape[1]).T

    def __call__(self, theta: np.ndarray, row_weights: np.ndarray) -> np.ndarray | None:
        if np.any(np.bincount(self.y, weights=row_weights, minlength=self.n_outcomes) <= 0):
            return None
        fitted = self.fitted if np.array_equal(theta, self.estimates) else None
        return gradient(self.X, self.y, self._params(theta), row_weights, fitted_probabilities=fitted)


def _gradient(X, y, P, w) -> np.ndarray:
    R = _residuals(y, P)
    if w is not None:
        R *= w[:, None]
    return (X.T @ R).T.ravel()


def _pair_blocks(X: np.ndarray, left: np.ndarray, right: np.ndarray, diag: np.ndarray | None = None) -> np.ndarray:
    """Symmetric (k m, k m) matrix with block (j, l) = ``X' diag(left_j * right_l + [j == l] diag_j) X``.

    ``left``, ``right``, ``diag`` are (n, m); ``left_j * right_l`` must be symmetric in (j, l). One
    ``X.T @ (c * X)`` product per pair of outcomes, accumulated over cache-sized blocks of rows.
    """
    n, k = X.shape
    m = left.shape[1]
    out = np.zeros((k * m, k * m))
    rows = max(256, (1 << 16) // max(k, 1))
    for start in range(0, n, rows):
        Xc = X[start:start + rows]
        Lc, Rc = left[start:start + rows], right[start:start + rows]
        for a in range(m):
            for b in range(a, m):
                c = Lc[:, a] * Rc[:, b]
                if a == b and diag is not None:
                    c += diag[start:start + rows, a]
                out[a * k:(a + 1) * k, b * k:(b + 1) * k] += Xc.T @ (c[:, None] * Xc)
    for a in range(m):
        for b in range(a + 1, m):
            out[b * k:(b + 1) * k, a * k:(a + 1) * k] = out[a * k:(a + 1) * k, b * k:(b + 1) * k].T
    return out


def _information_from_probs(X: np.ndarray, P: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Block (j, l) = ``X' diag(w_i P_ij (delta_jl - P_il)) X`` for the non-base outcomes."""
    Pn = P[:, 1:]
    wPn = Pn if w is None else Pn * w[:, None]
    return _pair_blocks(X, wPn, -Pn, wPn)


def information(X, params, weights=None) -> np.ndarray:
    """Negative Hessian of the (weighted) log-likelihood, equation-major.

    For the MNL the observed and expected information coincide and do not depend on ``y``.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    params : array-like of shape (k, J-1)
        Coefficients.
    weights : array-like of shape (n,), optional
        Non-negative weights.

    Returns
    -------
    ndarray of shape (k(J-1), k(J-1))
        Block ``(j, l)`` is ``X' diag(w_i P_ij (delta_jl - P_il)) X``.

    Notes
    -----
    Built by looping over the pairs of outcomes (one ``X.T @ (c * X)`` product each), never
    forming an (n, K, K) tensor.
    """
    X = _design(X)
    B = _params(params, X.shape[1])
    w = _weights(weights, X.shape[0])
    return _information_from_probs(X, probabilities(X, B), w)


def model_covariance(information) -> np.ndarray:
    """Model-based (OIM) covariance: the inverse of the information matrix (Stata's default ``vce(oim)``).

    Parameters
    ----------
    information : array-like of shape (p, p)
        The information matrix (negative Hessian), positive definite.

    Returns
    -------
    ndarray of shape (p, p)
        Its inverse, symmetrised.

    Raises
    ------
    numpy.linalg.LinAlgError
        If the information is singular (collinear regressors, perfect prediction).
    """
    info = np.asarray(information, dtype=float)
    c, lower = linalg.cho_factor(info, lower=False, check_finite=True)
    inv = linalg.cho_solve((c, lower), np.eye(info.shape[0]))
    return (inv + inv.T) / 2
