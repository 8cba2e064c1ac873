"""The nested logit fitted by full-information maximum likelihood (:func:`fit_nested_logit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from alliancegov.stats.nested_logit.likelihood import (
    _inputs,
    _loglik_scores,
    _n_alternatives,
    _Structure,
    _structure,
)

_TAU_FLOOR = 1e-4     # lower bound of a dissimilarity in the optimiser (the likelihood needs tau > 0)


@dataclass(frozen=True)
class NestedLogitFit:
    """Result of :func:`fit_nested_logit`.

    Attributes
    ----------
    theta : ndarray of shape (p,)
        Estimates, ``(B.T.ravel(), g, tau_free)`` (module docstring).
    cov : ndarray of shape (p, p)
        Covariance of ``theta`` of kind ``cov_type``.
    cov_type : {"model", "robust", "cluster"}
        ``model`` (inverse of minus the Hessian, Stata's ``vce(oim)``), ``robust`` (sandwich,
        ``N/(N-1)``) or ``cluster`` (``G/(G-1)``).
    loglik : float
        Maximised log-likelihood.
    loglik_mnl : float
        Log-likelihood of the same utilities with every dissimilarity 1 (the MNL), maximised.
    theta_mnl : ndarray of shape (p - n_free,)
        The MNL's estimates ``(B.T.ravel(), g)``.
    converged : bool
        Both optimisations succeeded, the Newton decrement ``g' (-H)^-1 g`` at the estimates is
        below 1e-8 and every diagonal element of ``(-H)^-1`` is positive.
    n : int
        Number of cases (rows).
    k, J, q : int
        Case-specific regressors, alternatives, alternative-specific regressors.
    nests : dict of str to tuple of int
        Nest name to its alternative codes.
    free_of_nest : tuple of int, length M
        Index of each nest's dissimilarity among the free ones, -1 where fixed at 1.
    form : {"ru2", "nonnormalized"}
        The model's form (module docstring).
    dissimilarity : {"free", "shared", "one"}
        How the dissimilarities were estimated (see :func:`fit_nested_logit`).
    x_names, z_names, alternatives : tuple of str
        Labels of the columns of X, of Z's regressors and of the alternatives.
    n_clusters : int or None
        G for ``cov_type="cluster"``.
    """

    theta: np.ndarray
    cov: np.ndarray
    cov_type: str
    loglik: float
    loglik_mnl: float
    theta_mnl: np.ndarray
    converged: bool
    n: int
    k: int
    J: int
    q: int
    nests: dict
    free_of_nest: tuple
    form: str
    dissimilarity: str
    x_names: tuple = field(default=())
    z_names: tuple = field(default=())
    alternatives: tuple = field(default=())
    n_clusters: int | None = None

    @property
    def n_free(self) -> int:
        """Number of estimated dissimilarities."""
        return int(max(self.free_of_nest, default=-1)) + 1

    @property
    def params(self) -> np.ndarray:
        """Case-specific coefficients, shape (k, J-1), column ``j-1`` for alternative j (as statsmodels' MNLogit)."""
        return self.theta[:self.k * (self.J - 1)].reshape(self.J - 1, self.k).T

    @property
    def gamma(self) -> np.ndarray:
        """Coefficients of the alternative-specific regressors, shape (q,)."""
        return self.theta[self.k * (self.J - 1):self.k * (self.J - 1) + self.q]

    @property
    def tau(self) -> np.ndarray:
        """Dissimilarity of every nest (1 where fixed), shape (M,)."""
        free = self.theta[self.theta.size - self.n_free:]
        return np.array([free[i] if i >= 0 else 1.0 for i in self.free_of_nest])

    @property
    def std_errors(self) -> np.ndarray:
        """Standard errors of ``theta``, shape (p,)."""
        return np.sqrt(np.diag(self.cov))


def _objective(X, y, Z, s: _Structure):
    n = X.shape[0]

    def value_and_gradient(theta):
        ll, S = _loglik_scores(theta, X, y, Z, s)
        total = ll.sum()
        if not np.isfinite(total):
            return np.inf, np.zeros_like(theta)
        return -total / n, -S.sum(axis=0) / n

    return value_and_gradient


def _hessian(theta, X, y, Z, s: _Structure) -> np.ndarray:
    """Central finite differences of the analytic gradient of the log-likelihood, symmetrised."""
    p = theta.size
    H = np.empty((p, p))
    for j in range(p):
        h = 1e-5 * (1.0 + abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        gradient_up = _loglik_scores(up, X, y, Z, s)[1].sum(axis=0)
        H[:, j] = (gradient_up - _loglik_scores(down, X, y, Z, s)[1].sum(axis=0)) / (2 * h)
    return (H + H.T) / 2


def _maximise(theta0, X, y, Z, s: _Structure):
    """L-BFGS-B on the mean negative log-likelihood (dissimilarities >= a small floor), then, from an
    interior optimum, scipy's trust-region Newton (``trust-exact``) with the finite-difference Hessian
    of the analytic gradient to meet a tight gradient tolerance. Returns (theta, success)."""
    from scipy.optimize import minimize

    n = X.shape[0]
    p = theta0.size
    fun = _objective(X, y, Z, s)
    bounds = [(None, None)] * (p - s.n_free) + [(_TAU_FLOOR, None)] * s.n_free
    first = minimize(fun, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                     options={"maxiter": 10000, "maxcor": 50, "ftol": 1e-15, "gtol": 1e-9})
    theta = first.x
    if s.n_free and np.any(theta[p - s.n_free:] <= 2 * _TAU_FLOOR):
        return theta, False
    polish = minimize(lambda t: fun(t)[0], theta, jac=lambda t: fun(t)[1],
                      hess=lambda t: -_hessian(t, X, y, Z, s) / n, method="trust-exact",
                      options={"gtol": 1e-10, "maxiter": 50})
    if np.isfinite(polish.fun) and polish.fun <= first.fun + 1e-12:
        theta = polish.x
    return theta, bool(first.success or polish.success)


def fit_nested_logit(X, y, nests, *, Z=None, names=None, z_names=None, alternatives=None,
                     dissimilarity: Literal["free", "shared", "one"] = "free",
                     form: Literal["ru2", "nonnormalized"] = "ru2",
                     cov_type: Literal["model", "robust", "cluster"] = "model", groups=None,
                     start=None) -> NestedLogitFit:
    """Fit a two-level nested logit by full-information maximum likelihood.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Case-specific regressors (firm characteristics), including a constant column for
        alternative-specific constants; each has a coefficient per alternative 1 .. J-1
        (alternative 0 is the base, as in :mod:`alliancegov.stats.mnl`). DataFrame column names
        label the terms.
    y : array-like of shape (n,)
        Chosen alternative, integer codes ``0 .. J-1``.
    nests : sequence of sequences of int, or mapping of str to sequence of int
        A partition of ``0 .. J-1`` into nests, e.g. ``{"market": [0], "hybrid": [1, 2],
        "hierarchy": [3]}``. Unnamed nests are ``nest1 ..``.
    Z : array-like of shape (n, J, q), optional
        Alternative-specific regressors (vary over alternatives) with generic coefficients.
    names, z_names, alternatives : sequence of str, optional
        Labels of X's columns, Z's regressors and the J alternatives (default their codes).
    dissimilarity : {"free", "shared", "one"}
        One dissimilarity per nest (``free``), a single one for all nests (``shared``, mlogit's
        ``un.nest.el = TRUE``), or all fixed at 1 (``one``: the MNL / conditional logit). Under
        ``form="ru2"`` degenerate nests keep a dissimilarity of 1 in every case.
    form : {"ru2", "nonnormalized"}
        The random-utility-consistent RU2 model (default; Stata ``nlogit``, mlogit) or the
        non-normalised one (Stata ``nonnormalized``, mlogit ``unscaled = TRUE``); see the module.
    cov_type : {"model", "robust", "cluster"}
        Covariance: inverse of minus the Hessian (Stata ``vce(oim)``), the sandwich with
        ``N/(N-1)`` (``vce(robust)``) or cluster-robust with ``G/(G-1)`` (``vce(cluster g)``), the
        rules of :func:`alliancegov.stats.mnl.meat_scaling`.
    groups : array-like of shape (n,), optional
        Cluster labels, for ``cov_type="cluster"``.
    start : array-like of shape (p,), optional
        Starting values; by default the MNL fit (all dissimilarities 1), itself started from
        :func:`alliancegov.stats.mnl.fit_mnl_newton` on X. Unused when no dissimilarity is
        estimated.

    Returns
    -------
    NestedLogitFit
        Estimates, covariance, log-likelihoods of the nested logit and of the MNL; see
        :func:`tidy_nested_logit`, :func:`nested_logit_tests`, :func:`rum_consistency`.

    Raises
    ------
    ValueError
        If the nests are not a partition of ``0 .. J-1``, an alternative is never chosen, an
        option is unknown, the shapes of the inputs do not fit, or ``cov_type="cluster"`` comes
        without ``groups``.

    Warns
    -----
    RuntimeWarning
        If the fit did not converge (or its Hessian is not negative definite); the estimates are
        then not ML estimates.
    """
    import warnings

    from alliancegov.stats.mnl import fit_mnl_newton, meat_scaling
    from alliancegov.stats.mnl.covariance import _cluster_meat

    x_labels = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
    J = _n_alternatives(nests)
    s = _structure(nests, J, dissimilarity, form)
    X, y, Z = _inputs(X, y, Z, J)
    n, k = X.shape
    q = Z.shape[2]
    restricted = _structure(nests, J, "one", form)
    if np.any(np.bincount(y, minlength=J) == 0):
        raise ValueError(f"alternatives {np.flatnonzero(np.bincount(y, minlength=J) == 0).tolist()} are never chosen")

    # the case-specific MNL's estimates start the fit (none to start when only Z has regressors)
    B0 = np.zeros((0, J - 1))
    if k:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            B0 = fit_mnl_newton(X, y).params
    mnl_theta, mnl_ok = _maximise(np.concatenate([B0.T.ravel(), np.zeros(q)]), X, y, Z, restricted)
    loglik_mnl = float(_loglik_scores(mnl_theta, X, y, Z, restricted, scores=False)[0].sum())
    if s.n_free:
        theta0 = np.concatenate([mnl_theta, np.ones(s.n_free)]) if start is None else np.asarray(start, float)
        theta, ok = _maximise(theta0, X, y, Z, s)
    else:
        theta, ok = mnl_theta, mnl_ok
    loglik, S = _loglik_scores(theta, X, y, Z, s)
    loglik = float(loglik.sum())
    H = _hessian(theta, X, y, Z, s)
    grad = S.sum(axis=0)
    try:
        bread = np.linalg.inv(-H)
        decrement = float(grad @ bread @ grad)
    except np.linalg.LinAlgError:
        bread = np.full_like(H, np.nan)
        decrement = np.inf
    converged = ok and mnl_ok and decrement < 1e-8 and bool(np.all(np.diag(bread) > 0))
    n_clusters = None
    if cov_type == "model":
        cov = bread
    elif cov_type in ("robust", "cluster"):
        scale, factor, codes = meat_scaling(n, kind=cov_type, groups=groups)
        meat = S.T @ S if codes is None else _cluster_meat(np.ones((n, 1)), S, codes)
        if codes is not None:
            n_clusters = int(np.unique(codes).size)
        cov = factor * bread @ meat @ bread
    else:
        raise ValueError("cov_type must be 'model', 'robust' or 'cluster'")
    if not converged:
        warnings.warn("nested logit did not converge (or its Hessian is not negative definite); the estimates are "
                      "not ML estimates", RuntimeWarning, stacklevel=2)
    names = x_labels if names is None else [str(v) for v in names]
    return NestedLogitFit(
        theta=theta, cov=(cov + cov.T) / 2, cov_type=cov_type, loglik=loglik, loglik_mnl=loglik_mnl,
        theta_mnl=mnl_theta, converged=converged, n=n, k=k, J=J, q=q,
        nests={name: tuple(int(a) for a in np.flatnonzero(s.nest_of == m)) for m, name in enumerate(s.nest_names)},
        free_of_nest=tuple(int(i) for i in s.free_of_nest), form=form, dissimilarity=dissimilarity,
        x_names=tuple(names if names is not None else [f"x{c}" for c in range(k)]),
        z_names=tuple(f"z{c}" for c in range(q)) if z_names is None else tuple(str(v) for v in z_names),
        alternatives=tuple(str(j) for j in range(J)) if alternatives is None else tuple(str(a) for a in alternatives),
        n_clusters=n_clusters)
