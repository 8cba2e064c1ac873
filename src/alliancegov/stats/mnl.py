"""Multinomial logit (MNL) estimation and inference with Stata's conventions.

Generic: nothing here knows about the survey. ``statsmodels.MNLogit`` remains the reference fitter,
but it lacks what this module provides:

* Stata's finite-sample scaling of robust and cluster-robust covariances (``mlogit, vce(robust)``,
  ``mlogit, vce(cluster g)``), see :func:`sandwich_covariance`;
* frequency / sampling weights (statsmodels' ``MNLogit`` silently ignores ``weights=``);
* average marginal effects with delta-method standard errors in time and memory linear in the
  number of observations (``get_margeff(at='overall')`` is quadratic in memory), including discrete
  changes for factor dummies, as Stata's ``margins, dydx(*)``;
* predicted probabilities with delta-method confidence intervals at chosen profiles.

Conventions
-----------
``X``
    (n, k) design matrix (floats; a pandas DataFrame is accepted and its column names are used to
    label marginal effects).
``y``
    integer outcome codes ``0 .. J-1``; code 0 is the base outcome (its coefficients are fixed at 0).
``params``
    coefficients in statsmodels' shape (k, J-1): column ``j-1`` holds the equation of outcome ``j``.
``theta``
    the parameter VECTOR is equation-major, ``theta = params.T.ravel()`` (element ``(j-1)*k + c`` is
    the coefficient of column ``c`` in the equation of outcome ``j``). This is the order of
    statsmodels' ``MNLogitResults.cov_params()``; all covariance matrices here are
    (k(J-1), k(J-1)) in that order.
``weights``
    optional (n,) non-negative weights. For point estimates, log-likelihood, information and
    marginal effects, frequency weights (Stata ``fweight``) and sampling weights (``pweight``,
    pseudo-likelihood) share the same algebra: every observation's contribution is multiplied by its
    weight, which reproduces a fit on rows repeated ``w_i`` times exactly. They differ only in the
    robust covariance, see :func:`sandwich_covariance`.

Only numpy, scipy and pandas are imported; statsmodels is not needed at all.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from alliancegov.stats.clusters import cluster_codes
from alliancegov.stats.newton import newton_maximise

__all__ = [
    "MNLFit",
    "average_marginal_effects",
    "average_predicted_probabilities",
    "fit_mnl_newton",
    "information",
    "log_likelihood",
    "meat_scaling",
    "model_covariance",
    "predicted_probabilities",
    "probabilities",
    "sandwich_covariance",
    "score_contributions",
]

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
    # neither matmul(out=eta[:, 1:]) nor a transposed B: a strided operand skips BLAS, 3-10× slower
    eta[:, 1:] = X @ np.ascontiguousarray(B)
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


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MNLFit:
    """Result of :func:`fit_mnl_newton`.

    Attributes
    ----------
    params : ndarray of shape (k, J-1)
        The coefficients.
    converged : bool
        Whether Newton converged.
    iterations : int
        Newton updates taken.
    loglik : float
        The (weighted) log-likelihood at ``params``.
    information : ndarray of shape (k(J-1), k(J-1))
        The information, equation-major, evaluated at ``params``.
    """

    params: np.ndarray
    converged: bool
    iterations: int
    loglik: float
    information: np.ndarray

    @property
    def cov(self) -> np.ndarray:
        """Model-based covariance, ``model_covariance(information)``, shape (k(J-1), k(J-1))."""
        return model_covariance(self.information)


def _start_params(X, y, w, J) -> np.ndarray:
    k = X.shape[1]
    B = np.zeros((k, J - 1))
    ones = np.flatnonzero(np.all(X == 1.0, axis=0))
    if ones.size:
        share = np.bincount(y, weights=w, minlength=J).astype(float)
        if np.all(share > 0):
            B[ones[0], :] = np.log(share[1:] / share[0])
    return B


def fit_mnl_newton(X, y, weights=None, tol: float = 1e-10, maxiter: int = 100, start=None) -> MNLFit:
    """Maximum-likelihood MNL by vectorised Newton-Raphson with step-halving.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    y : array-like of shape (n,)
        Integer outcome codes ``0 .. J-1``; code 0 is the base outcome.
    weights : array-like of shape (n,), optional
        Non-negative weights. They multiply each observation's log-likelihood contribution, so
        integer frequency weights reproduce the fit on rows repeated ``w_i`` times exactly.
    tol : float, default 1e-10
        Convergence tolerance (see Notes).
    maxiter : int, default 100
        Newton updates at the most.
    start : array-like of shape (k, J-1), optional
        Starting coefficients. By default zero slopes with the intercepts (if ``X`` has a column of
        ones) at the log odds of each outcome's (weighted) share against the base, which is the
        null-model MLE. A refit on a bootstrap resample or a nested model started at the full
        fit's estimates needs two or three iterations instead of five to eight; the likelihood is
        concave, so the maximum reached does not depend on the start.

    Returns
    -------
    MNLFit
        ``params``, ``loglik`` and ``information`` all evaluated at the same point.

    Raises
    ------
    ValueError
        If ``y`` has fewer than two outcomes, an outcome code below its largest has no (weighted)
        observations, or ``start`` is not of shape (k, J-1).
    scipy.linalg.LinAlgError
        If the information matrix is singular (collinear regressors).

    Warns
    -----
    RuntimeWarning
        If Newton does not converge (e.g. perfect prediction); ``converged`` is then False.

    Notes
    -----
    Each iteration evaluates the gradient and the information at the current point, solves for
    the Newton step and halves it until the log-likelihood does not decrease (up to rounding).

    Convergence requires BOTH a small gradient, measured scale-free by the Newton decrement
    ``g' I^{-1} g <= tol`` (the gradient norm in the metric of the inverse information, i.e. twice
    the log-likelihood gain still available), AND a small parameter change, the largest absolute
    element of the Newton step ``<= tol * (1 + max|theta|)``.
    """
    X = _design(X)
    n, k = X.shape
    y = _outcomes(y, n)
    w = _weights(weights, n)
    present = np.bincount(y, weights=w)
    J = present.size
    if J < 2:
        raise ValueError("y needs at least two outcomes")
    if np.any(present <= 0):
        raise ValueError(f"outcome codes {np.flatnonzero(present <= 0).tolist()} have no (weighted) observations")

    B = _start_params(X, y, w, J) if start is None else _params(start, k).astype(float)
    if B.shape != (k, J - 1):
        raise ValueError(f"start must be ({k}, {J - 1}), not {B.shape}")
    def value(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return _loglik_and_probs(X, y, _theta_to_params(theta, k), w)

    def derivatives(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _gradient(X, y, P, w), _information_from_probs(X, P, w)

    def solve(info: np.ndarray, g: np.ndarray) -> np.ndarray:
        try:
            return linalg.solve(info, g, assume_a="pos")
        except linalg.LinAlgError as err:  # pragma: no cover - message only
            raise linalg.LinAlgError("information matrix is singular: collinear regressors?") from err

    result = newton_maximise(value, derivatives, solve, B.T.ravel(), tol=tol, maxiter=maxiter)
    theta, ll, info, converged, iterations = (result.theta, result.loglik, result.information, result.converged,
                                              result.iterations)
    if not converged:
        warnings.warn(f"MNL Newton did not converge in {iterations} iterations "
                      "(perfect prediction or too small maxiter?)", RuntimeWarning, stacklevel=2)
    return MNLFit(params=_theta_to_params(theta, k).copy(), converged=converged, iterations=iterations,
                  loglik=ll, information=info)


# --------------------------------------------------------------------------------------------
# sandwich covariances
# --------------------------------------------------------------------------------------------

def sandwich_covariance(X, y, params, *, kind: Literal["robust", "cluster"], groups=None, weights=None,
                        information=None,
                        weight_type: Literal["sampling", "frequency"] = "sampling") -> np.ndarray:
    """Robust or cluster-robust (sandwich) covariance with Stata's finite-sample scaling.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    y : array-like of shape (n,)
        Integer outcome codes ``0 .. J-1``.
    params : array-like of shape (k, J-1)
        The fitted coefficients.
    kind : {"robust", "cluster"}
        ``vce(robust)`` or ``vce(cluster g)`` (see Notes).
    groups : array-like of shape (n,), optional
        Cluster labels of any kind; required for ``kind="cluster"``.
    weights : array-like of shape (n,), optional
        Non-negative weights.
    information : array-like of shape (k(J-1), k(J-1)), optional
        The negative Hessian, with the same weights, to avoid recomputing it.
    weight_type : {"sampling", "frequency"}, default "sampling"
        Stata ``pweight`` or ``fweight`` (see Notes).

    Returns
    -------
    ndarray of shape (k(J-1), k(J-1))
        The covariance, equation-major.

    Raises
    ------
    ValueError
        If ``kind`` or ``weight_type`` is unknown, or ``kind="cluster"`` comes without ``groups``.

    Notes
    -----
    With ``A = I^{-1}`` the inverse (weighted) information and ``s_i`` the per-observation score
    (:func:`score_contributions`):

    ``kind="robust"`` (Stata ``mlogit, vce(robust)``)
        ``V = N/(N-1) * A (sum_i u_i u_i') A``.
        *Unweighted*: ``u_i = s_i``, ``N = n``.
        *Sampling weights* (``weight_type="sampling"``, Stata ``pweight``, the default): the weights
        multiply the scores, ``u_i = w_i s_i``, and ``N`` is the number of observations (rows with
        a positive weight), not the sum of weights.
        *Frequency weights* (``weight_type="frequency"``, Stata ``fweight``): Stata treats row ``i``
        as ``w_i`` identical observations, so the meat is ``sum_i w_i s_i s_i'`` and
        ``N = sum_i w_i``; the result equals the robust covariance on the expanded data.
    ``kind="cluster"`` (Stata ``mlogit, vce(cluster g)``)
        ``V = G/(G-1) * A (sum_g S_g S_g') A`` with ``S_g = sum_{i in g} w_i s_i`` the summed
        (weighted) scores of cluster ``g`` and ``G`` the number of clusters (with positive weight).
        Frequency and sampling weights give the same result here (and fweights reproduce the
        expanded data). There is no ``(N-1)/(N-K)`` factor: Stata applies it only for ``regress``.

    Relation to statsmodels' ``MNLogit(...).fit(cov_type=...)`` (unweighted):

    * ``cov_type="HC0"`` (and HC1..HC3, which ``MNLogit`` treats the same) is the plain sandwich,
      so Stata's robust ``= N/(N-1) * HC0``;
    * ``cov_type="cluster"`` scales by ``G/(G-1) * (N-1)/(N-K)`` with ``K = k(J-1)`` the number of
      all parameters, so Stata's cluster ``= statsmodels' cluster * (N-K)/(N-1)``.

    Robust meats are built from outcome-pair products like :func:`information`, so no
    (n, k(J-1)) score matrix is formed; cluster meats from blocks of clusters
    (:func:`_cluster_meat`).
    """
    X = _design(X)
    n, k = X.shape
    B = _params(params, k)
    y = _outcomes(y, n, B.shape[1] + 1)
    w = _weights(weights, n)
    P = probabilities(X, B)
    if information is None:
        info = _information_from_probs(X, P, w)
    else:
        info = np.asarray(information, dtype=float)
    bread = model_covariance(info)
    U = _residuals(y, P)
    scale, factor, codes = meat_scaling(n, kind=kind, groups=groups, weights=w, weight_type=weight_type)
    if scale is not None:
        U *= scale[:, None]
    meat = _pair_blocks(X, U, U) if codes is None else _cluster_meat(X, U, codes)
    V = factor * bread @ meat @ bread
    return (V + V.T) / 2


def meat_scaling(n: int, *, kind: Literal["robust", "cluster"], groups=None, weights=None,
                 weight_type: Literal["sampling", "frequency"] = "sampling"):
    """Stata's rules for the meat of a robust or cluster-robust sandwich, for any ML estimator.

    Parameters
    ----------
    n : int
        Number of rows.
    kind : {"robust", "cluster"}
        ``vce(robust)`` or ``vce(cluster g)``.
    groups : array-like of shape (n,), optional
        Cluster labels; required for ``kind="cluster"``.
    weights : array-like of shape (n,), optional
        Non-negative weights.
    weight_type : {"sampling", "frequency"}
        Stata ``pweight`` or ``fweight`` (see :func:`sandwich_covariance`).

    Returns
    -------
    scale : ndarray of shape (n,) or None
        Multiplier of each row's unweighted score in the meat (None: 1).
    factor : float
        ``N/(N-1)`` (robust; N the sum of frequency weights, else the rows with positive weight) or
        ``G/(G-1)`` (cluster; G the clusters with positive weight).
    codes : ndarray of shape (n,) or None
        Cluster numbers ``0 .. G-1`` (None for ``kind="robust"``): the meat is
        ``sum_g S_g S_g'`` over the clusters' summed scaled scores, else ``sum_i u_i u_i'``.

    Raises
    ------
    ValueError
        If ``kind`` or ``weight_type`` is unknown, or ``kind="cluster"`` comes without ``groups``.
    """
    w = _weights(weights, n)
    if weight_type not in ("sampling", "frequency"):
        raise ValueError("weight_type must be 'sampling' or 'frequency'")
    positive = np.ones(n, bool) if w is None else w > 0
    if kind == "robust":
        if w is None:
            return None, n / (n - 1), None
        if weight_type == "frequency":
            # row i stands for w_i identical observations: sum_i w_i s_i s_i' = sum_i (sqrt(w_i) s_i)(...)'
            N = float(w.sum())
            return np.sqrt(w), N / (N - 1), None
        N = int(positive.sum())
        return w, N / (N - 1), None
    if kind == "cluster":
        if groups is None:
            raise ValueError("kind='cluster' needs groups")
        codes = cluster_codes(groups, n)
        G = int(np.unique(codes[positive]).size)
        return w, G / (G - 1), codes
    raise ValueError("kind must be 'robust' or 'cluster'")


def _cluster_score_sums(X: np.ndarray, U: np.ndarray, codes: np.ndarray):
    """Blocks ``(clusters, sums)`` of the summed scores ``S_g = sum_{i in g} U_i (x) x_i``: cluster
    numbers (b,) in increasing order and their sums (b, m k), equation-major; ``X`` (n, k), ``U``
    (n, m) score residuals (weighted), ``codes`` (n,) cluster numbers. A block of clusters at a
    time: all G at once, (G, m k), took 2.9 GB with 10^6 firms and 360 parameters."""
    m, k = U.shape[1], X.shape[1]
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    bounds = np.r_[starts, codes.size]
    clusters_per_block = max(1, _chunk_rows(m * k) * starts.size // max(codes.size, 1))
    for first in range(0, starts.size, clusters_per_block):
        last = min(first + clusters_per_block, starts.size)
        rows = order[bounds[first]:bounds[last]]
        scores = (U[rows][:, :, None] * X[rows][:, None, :]).reshape(rows.size, m * k)
        yield codes[order[starts[first:last]]], np.add.reduceat(scores, starts[first:last] - bounds[first], axis=0)


def _cluster_meat(X: np.ndarray, U: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``sum_g S_g S_g'`` (m k, m k) over the clusters' summed scores (:func:`_cluster_score_sums`)."""
    p = U.shape[1] * X.shape[1]
    meat = np.zeros((p, p))
    for _, sums in _cluster_score_sums(X, U, codes):
        meat += sums.T @ sums
    return meat


def stacked_covariance(samples, *, kind: Literal["model", "robust", "cluster"]) -> np.ndarray:
    """Joint covariance of MNLs fitted separately on several samples, as Stata's ``suest``.

    Parameters
    ----------
    samples : iterable of tuple
        Per sample ``(X (n_s, k_s), y (n_s,), params (k_s, J-1), groups)``: unweighted ML fits on
        that sample, ``groups`` (n_s,) the cluster labels of its rows (None unless
        ``kind="cluster"``; a cluster may have rows in several samples: a firm interviewed in
        several waves).
    kind : {"model", "robust", "cluster"}
        The bread is block-diagonal (each sample's inverse information); ``model`` stops there;
        ``robust`` is the sandwich with each row's scores in its own sample's block, ``N/(N-1)``
        with N the rows of all samples; ``cluster`` sums each cluster's scores within each sample,
        the meat's block (s, t) pairing the clusters the two samples share, scaled by ``G/(G-1)``
        with G the distinct clusters of all samples.

    Returns
    -------
    ndarray of shape (P, P)
        The covariance of the stacked equation-major coefficient vectors, ``P = sum_s (J-1) k_s``.

    Raises
    ------
    ValueError
        If ``kind`` is unknown, or ``kind="cluster"`` lacks the groups of a sample or they hold a
        missing value.

    Notes
    -----
    This is the covariance of the pooled model with every coefficient interacted with the sample
    (whose estimates are the separate fits), without that model's (n, P) design: with 10^6 rows
    in 10 waves that design and its fit took 6 GB.
    """
    from scipy import linalg

    blocks, residuals, labels = [], [], []
    for X, y, params, groups in samples:
        X = _design(X)
        B = _params(params, X.shape[1])
        y = _outcomes(y, X.shape[0], B.shape[1] + 1)
        P = probabilities(X, B)
        blocks.append(model_covariance(_information_from_probs(X, P, None)))
        residuals.append((X, _residuals(y, P)))
        labels.append(groups)
    bread = linalg.block_diag(*blocks)
    if kind == "model":
        return bread
    sizes = [block.shape[0] for block in blocks]
    offsets = np.r_[0, np.cumsum(sizes)]
    meat = np.zeros_like(bread)
    if kind == "robust":
        for s, (X, U) in enumerate(residuals):
            meat[offsets[s]:offsets[s + 1], offsets[s]:offsets[s + 1]] = _pair_blocks(X, U, U)
        n = sum(X.shape[0] for X, _ in residuals)
        factor = n / (n - 1)
    elif kind == "cluster":
        if any(groups is None for groups in labels):
            raise ValueError("kind='cluster' needs the groups of every sample")
        codes, uniques = pd.factorize(np.concatenate([np.asarray(groups) for groups in labels]))
        if np.any(codes < 0):
            raise ValueError("groups contains missing values")
        sums = []
        for (X, U), sample_codes in zip(residuals, np.split(codes, np.cumsum([len(g) for g in labels])[:-1])):
            clusters, parts = zip(*_cluster_score_sums(X, U, sample_codes))
            sums.append((np.concatenate(clusters), np.vstack(parts)))
        for s, (clusters_s, sums_s) in enumerate(sums):
            for t in range(s, len(sums)):
                clusters_t, sums_t = sums[t]
                _, in_s, in_t = np.intersect1d(clusters_s, clusters_t, assume_unique=True, return_indices=True)
                block = sums_s[in_s].T @ sums_t[in_t]
                meat[offsets[s]:offsets[s + 1], offsets[t]:offsets[t + 1]] = block
                meat[offsets[t]:offsets[t + 1], offsets[s]:offsets[s + 1]] = block.T
        factor = len(uniques) / (len(uniques) - 1)
    else:
        raise ValueError("kind must be 'model', 'robust' or 'cluster'")
    V = factor * bread @ meat @ bread
    return (V + V.T) / 2


# --------------------------------------------------------------------------------------------
# marginal effects and predictions
# --------------------------------------------------------------------------------------------

def _prob_jacobian_coef(P: np.ndarray) -> np.ndarray:
    """(n, J, J-1) array ``P_ij (delta_jl - P_il)``: d P_ij / d(x_i'b_l) for non-base l."""
    Pn = P[:, 1:]
    C = -P[:, :, None] * Pn[:, None, :]
    m = Pn.shape[1]
    C[:, np.arange(1, m + 1), np.arange(m)] += Pn
    return C


def _row_weights(w, n):
    if w is None:
        return None, float(n)
    total = float(w.sum())
    if total <= 0:
        raise ValueError("weights sum to zero")
    return w, total


_LEVEL_LABEL = re.compile(r"\[(?:T\.)?(.*)\]$")


def _level_label(name: str) -> str:
    m = _LEVEL_LABEL.search(name)
    return m.group(1) if m else name


def _ame_terms(X, B, continuous, discrete, w):
    """AMEs ``(T, J)`` and their Jacobian ``(T, J, J-1, k)`` w.r.t. the coefficients, plus labels.

    Jacobian entry ``[t, j, l-1, d]`` is d AME_{t,j} / d b_{l,d}; reshaped to ``(T*J, k(J-1))`` it is
    in the equation-major ``theta`` order.
    """
    n, k = X.shape
    m = B.shape[1]
    J = m + 1
    Bfull = np.hstack([np.zeros((k, 1)), B])
    continuous = [int(c) for c in continuous]
    nc = len(continuous)
    for c in continuous:
        if not 0 <= c < k:
            raise ValueError(f"continuous column {c} out of range")
    levels = []  # (factor name, reference column or None, all level columns, this level's column)
    for name, spec in (discrete or {}).items():
        ref, cols = spec
        cols = [int(c) for c in cols]
        if not cols:
            raise ValueError(f"discrete factor {name!r} has no level columns")
        for c in cols + ([] if ref is None else [int(ref)]):
            if not 0 <= c < k:
                raise ValueError(f"column {c} of factor {name!r} out of range")
        for c in cols:
            levels.append((name, None if ref is None else int(ref), cols, c))
    T = nc + len(levels)
    est = np.zeros((T, J))
    jac = np.zeros((T, J, m, k))
    w, W = _row_weights(w, n)
    chunk = _chunk_rows(J * m * max(nc, 1) + 4 * k + 4 * J * m)
    Bc = Bfull[continuous, :]  # (nc, J)
    for start in range(0, n, chunk):
        Xc = X[start:start + chunk]
        wc = (np.ones(Xc.shape[0]) if w is None else w[start:start + chunk]) / W
        P = _softmax(_utilities(Xc, B))
        if nc:
            # D_ijc = b_jc - sum_m P_im b_mc, ME_ijc = P_ij D_ijc
            D = Bc.T[None, :, :] - (P @ Bc.T)[:, None, :]  # (c, J, nc)
            ME = P[:, :, None] * D
            est[:nc] += np.einsum("i,ijc->cj", wc, ME)
            # d ME_ijc / d b_ld = x_id a_ijlc + delta_cd P_ij (delta_jl - P_il), with
            # a_ijlc = delta_jl ME_ijc - P_il ME_ijc - P_ij P_il D_ilc
            Pn = P[:, 1:]
            a = -ME[:, :, None, :] * Pn[:, None, :, None]
            a -= P[:, :, None, None] * (Pn[:, :, None] * D[:, 1:, :])[:, None, :, :]
            idx = np.arange(m)
            a[:, idx + 1, idx, :] += ME[:, 1:, :]
            a *= wc[:, None, None, None]
            term = (a.reshape(Xc.shape[0], -1).T @ Xc).reshape(J, m, nc, k)
            jac[:nc] += term.transpose(2, 0, 1, 3)
            Q = np.einsum("i,ijl->jl", wc, _prob_jacobian_coef(P))
            for t, c in enumerate(continuous):
                jac[t, :, :, c] += Q
        t = nc
        base_cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for name, ref, cols, col in levels:
            if name not in base_cache:
                X0 = Xc.copy()
                X0[:, cols] = 0.0
                if ref is not None:
                    X0[:, ref] = 1.0
                P0 = _softmax(_utilities(X0, B))
                C0 = _prob_jacobian_coef(P0) * wc[:, None, None]
                base_cache[name] = (X0, P0, (C0.reshape(X0.shape[0], -1).T @ X0).reshape(J, m, k))
            X0, P0, jac0 = base_cache[name]
            X1 = X0.copy()
            if ref is not None:
                X1[:, ref] = 0.0
            X1[:, col] = 1.0
            P1 = _softmax(_utilities(X1, B))
            est[t] += wc @ (P1 - P0)
            C1 = _prob_jacobian_coef(P1) * wc[:, None, None]
            jac[t] += (C1.reshape(X1.shape[0], -1).T @ X1).reshape(J, m, k) - jac0
            t += 1
    return est, jac, levels


def average_marginal_effects(X, params, cov, *, continuous: list[int],
                             discrete: dict[str, tuple[int | None, list[int]]] | None = None,
                             weights=None) -> pd.DataFrame:
    """Average marginal effects on every outcome probability, with delta-method standard errors.

    As Stata's ``margins, dydx(...) predict(outcome(j))`` after ``mlogit`` (``vce(delta)``, the
    covariates held at their sample values): the (weighted) average over observations of the
    effects described under ``continuous`` and ``discrete``.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n, k)
        Design matrix; a DataFrame's column names name the variables.
    params : array-like of shape (k, J-1)
        Coefficients.
    cov : array-like of shape (k(J-1), k(J-1))
        Equation-major covariance of the coefficients (model-based, robust or cluster).
    continuous : list of int
        Indices of continuous columns ``c`` of ``X``; the effect is
        ``dP_ij/dx_ic = P_ij (b_jc - sum_m P_im b_mc)`` with ``b_0 = 0``.
    discrete : dict of str to tuple of (int or None, list of int), optional
        Discrete factors, ``{name: (reference_column, level_columns)}``: ``level_columns`` are the
        column indices of the factor's dummies (one per non-reference level). For each level
        column ``d`` the effect is the discrete change
        ``P_j(x with d = 1 and the factor's other dummies 0) - P_j(x with all the factor's dummies 0)``,
        i.e. the level against the reference level, every other covariate at its observed value.
        ``reference_column`` is ``None`` under the usual treatment coding (the reference level has
        no column); if the design carries a column for the reference level, give its index and it
        is set to 1 in the reference scenario and 0 in the level scenarios. A binary dummy ``v`` is
        ``{"v": (None, [col])}``.
    weights : array-like of shape (n,), optional
        Non-negative weights of the average.

    Returns
    -------
    DataFrame
        Long table with columns ``variable, outcome, estimate, std_error``: one row per variable
        (continuous columns in the given order, then each factor level) and outcome ``0..J-1``
        (all J outcomes, the base included; they sum to zero over outcomes). Effects are in
        probability units (per unit of a continuous covariate). Variables are named by the column
        names of ``X`` if it is a DataFrame (``x{c}`` otherwise); a factor level is ``name`` for a
        single-dummy factor and ``name[level]`` otherwise, with ``level`` taken from the column
        name (a patsy ``...[T.level]`` suffix is reduced to ``level``).

    Raises
    ------
    ValueError
        If a column index is out of range, a factor has no level columns, or the weights sum to
        zero.

    Notes
    -----
    Standard errors are ``sqrt(diag(G cov G'))`` with ``G`` the Jacobian of the AMEs, computed
    analytically as the average of per-observation Jacobians accumulated over blocks of rows: time
    is linear in n and memory O(block * k * J), never n x n.
    """
    Xa = _design(X)
    names = _column_names(X, Xa.shape[1])
    B = _params(params, Xa.shape[1])
    k, m = B.shape
    C = _cov(cov, k * m)
    w = _weights(weights, Xa.shape[0])
    est, jac, levels = _ame_terms(Xa, B, continuous, discrete, w)
    T, J = est.shape
    G = jac.reshape(T * J, k * m)
    se = np.sqrt(np.maximum(np.einsum("ap,pq,aq->a", G, C, G), 0.0))
    labels = [names[int(c)] for c in continuous]
    for name, _ref, cols, col in levels:
        labels.append(name if len(cols) == 1 else f"{name}[{_level_label(names[col])}]")
    return pd.DataFrame({
        "variable": np.repeat(labels, J),
        "outcome": np.tile(np.arange(J), T),
        "estimate": est.ravel(),
        "std_error": se,
    })


def _wald_frame(est, se, level, extra: dict) -> pd.DataFrame:
    z = stats.norm.ppf(0.5 + level / 2)
    frame = pd.DataFrame(extra)
    frame["estimate"] = est
    frame["std_error"] = se
    frame["conf_low"] = est - z * se
    frame["conf_high"] = est + z * se
    return frame


def predicted_probabilities(X_profiles, params, cov, level: float = 0.95) -> pd.DataFrame:
    """Predicted probabilities of every outcome at chosen covariate profiles, with delta-method CIs.

    Parameters
    ----------
    X_profiles : array-like of shape (R, k)
        One row per profile, built exactly like the estimation design (e.g. a grid over one
        covariate with the others at chosen values).
    params : array-like of shape (k, J-1)
        Coefficients.
    cov : array-like of shape (k(J-1), k(J-1))
        Equation-major covariance of the coefficients.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        Long table with columns ``profile`` (row position 0..R-1), ``outcome`` (0..J-1),
        ``estimate, std_error, conf_low, conf_high``, all on the probability scale.

    Notes
    -----
    For profile ``r`` and outcome ``j`` the gradient of ``P_rj`` w.r.t. the coefficients of
    equation ``l`` is ``P_rj (delta_jl - P_rl) x_r``; the standard error is ``sqrt(g' cov g)`` and
    the interval is the symmetric Wald interval **on the probability scale**,
    ``estimate -/+ z_{(1+level)/2} std_error`` (as Stata's ``margins, at(...)``); it may extend
    slightly outside [0, 1] for probabilities near the bounds.
    """
    X = _design(X_profiles)
    B = _params(params, X.shape[1])
    k, m = B.shape
    C = _cov(cov, k * m)
    R = X.shape[0]
    J = m + 1
    est = np.empty((R, J))
    se = np.empty((R, J))
    chunk = _chunk_rows(J * m * k)
    for start in range(0, R, chunk):
        Xc = X[start:start + chunk]
        P = _softmax(_utilities(Xc, B))
        G = (_prob_jacobian_coef(P)[:, :, :, None] * Xc[:, None, None, :]).reshape(-1, k * m)
        est[start:start + chunk] = P
        se[start:start + chunk] = np.sqrt(np.maximum(np.einsum("ap,pq,aq->a", G, C, G), 0.0)).reshape(-1, J)
    return _wald_frame(est.ravel(), se.ravel(), level,
                       {"profile": np.repeat(np.arange(R), J), "outcome": np.tile(np.arange(J), R)})


def average_predicted_probabilities(X, params, cov, weights=None, *, level: float = 0.95) -> pd.DataFrame:
    """(Weighted) mean predicted probability of each outcome over the sample, with delta-method SEs.

    As Stata's ``margins`` after ``mlogit`` (one row per outcome, ``predict(outcome(j))``).

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix.
    params : array-like of shape (k, J-1)
        Coefficients.
    cov : array-like of shape (k(J-1), k(J-1))
        Equation-major covariance of the coefficients.
    weights : array-like of shape (n,), optional
        Non-negative weights of the mean.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per outcome, columns ``outcome, estimate, std_error, conf_low, conf_high`` (Wald
        interval on the probability scale at ``level``).

    Notes
    -----
    The gradient ``(1/W) sum_i w_i P_ij (delta_jl - P_il) x_i`` is accumulated over blocks of rows.
    """
    Xa = _design(X)
    n = Xa.shape[0]
    B = _params(params, Xa.shape[1])
    k, m = B.shape
    C = _cov(cov, k * m)
    w, W = _row_weights(_weights(weights, n), n)
    J = m + 1
    est = np.zeros(J)
    jac = np.zeros((J, m, k))
    chunk = _chunk_rows(J * m + 2 * k)
    for start in range(0, n, chunk):
        Xc = Xa[start:start + chunk]
        wc = (np.ones(Xc.shape[0]) if w is None else w[start:start + chunk]) / W
        P = _softmax(_utilities(Xc, B))
        est += wc @ P
        coef = _prob_jacobian_coef(P) * wc[:, None, None]
        jac += (coef.reshape(Xc.shape[0], -1).T @ Xc).reshape(J, m, k)
    G = jac.reshape(J, k * m)
    se = np.sqrt(np.maximum(np.einsum("ap,pq,aq->a", G, C, G), 0.0))
    return _wald_frame(est, se, level, {"outcome": np.arange(J)})
