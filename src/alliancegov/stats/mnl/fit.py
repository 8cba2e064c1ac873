"""The MNL fitted by vectorised Newton-Raphson (:func:`fit_mnl_newton`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from alliancegov.stats.mnl.core import (
    _design,
    _gradient,
    _information_from_probs,
    _loglik_and_probs,
    _outcomes,
    _params,
    _theta_to_params,
    _weights,
    model_covariance,
)
from alliancegov.stats.newton import newton_maximise


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
