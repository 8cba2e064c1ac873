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
    cov_type : {"model", "robust", "cluster", "design"}
        ``model`` (inverse of minus the Hessian, Stata's ``vce(oim)``), ``robust`` (sandwich,
        ``N/(N-1)``), ``cluster`` (``G/(G-1)``) or ``design`` (Taylor linearisation, Stata ``svy``).
    loglik : float
        Maximised (weighted; pseudo- for sampling weights) log-likelihood.
    loglik_mnl : float
        Log-likelihood of the same utilities with every dissimilarity 1 (the MNL), maximised.
    theta_mnl : ndarray of shape (p - n_free,)
        The MNL's estimates ``(B.T.ravel(), g)``.
    converged : bool
        Both optimisations succeeded, the Newton decrement ``g' (-H)^-1 g`` at the estimates is
        below 1e-8 and every diagonal element of ``(-H)^-1`` is positive.
    n : float
        N: the sum of frequency weights, else the number of cases (rows).
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
        G for ``cov_type="cluster"``, the PSUs for ``cov_type="design"``.
    design_df : float or None
        The survey design's degrees of freedom for ``cov_type="design"``.
    weight_type : {None, "frequency", "sampling"}
        How the fit was weighted.
    """

    theta: np.ndarray
    cov: np.ndarray
    cov_type: str
    loglik: float
    loglik_mnl: float
    theta_mnl: np.ndarray
    converged: bool
    n: float
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
    design_df: float | None = None
    weight_type: str | None = None

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


def _objective(X, y, Z, s: _Structure, w: np.ndarray):
    total_weight = w.sum()

    def value_and_gradient(theta):
        ll, S = _loglik_scores(theta, X, y, Z, s)
        total = w @ ll
        if not np.isfinite(total):
            return np.inf, np.zeros_like(theta)
        return -total / total_weight, -(w @ S) / total_weight

    return value_and_gradient


def _hessian(theta, X, y, Z, s: _Structure, w: np.ndarray) -> np.ndarray:
    """Central finite differences of the analytic gradient of the weighted log-likelihood, symmetrised."""
    p = theta.size
    H = np.empty((p, p))
    for j in range(p):
        h = 1e-5 * (1.0 + abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        gradient_up = w @ _loglik_scores(up, X, y, Z, s)[1]
        H[:, j] = (gradient_up - w @ _loglik_scores(down, X, y, Z, s)[1]) / (2 * h)
    return (H + H.T) / 2


def _outer_product(theta, X, y, Z, s: _Structure, w: np.ndarray) -> np.ndarray:
    """The weighted outer product of the scores (BHHH): the information from first derivatives alone."""
    S = _loglik_scores(theta, X, y, Z, s)[1]
    return (S * w[:, None]).T @ S


def _maximise(theta0, X, y, Z, s: _Structure, w: np.ndarray):
    """L-BFGS-B on the mean negative log-likelihood (dissimilarities >= a small floor), then, from an
    interior optimum, scipy's trust-region method (``trust-exact``) and one Newton step to meet a tight
    gradient tolerance. The trust region's curvature is the outer product of the scores (BHHH), one
    evaluation of the scores, where the finite-difference Hessian costs two per parameter (90% of the
    fit's time at 10^5 rows); it stops near 1e-10 in the mean gradient, where the function's changes
    fall below rounding, and the one Newton step with the finite-difference Hessian takes the gradient
    to rounding error. Returns (theta, success)."""
    from scipy.optimize import minimize

    p = theta0.size
    fun = _objective(X, y, Z, s, w)
    bounds = [(None, None)] * (p - s.n_free) + [(_TAU_FLOOR, None)] * s.n_free
    first = minimize(fun, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                     options={"maxiter": 10000, "maxcor": 50, "ftol": 1e-15, "gtol": 1e-9})
    theta = first.x
    if s.n_free and np.any(theta[p - s.n_free:] <= 2 * _TAU_FLOOR):
        return theta, False
    polish = minimize(lambda t: fun(t)[0], theta, jac=lambda t: fun(t)[1],
                      hess=lambda t: _outer_product(t, X, y, Z, s, w) / w.sum(), method="trust-exact",
                      options={"gtol": 1e-10, "maxiter": 50})
    if np.isfinite(polish.fun) and polish.fun <= first.fun + 1e-12:
        theta = polish.x
    try:
        newton = theta - np.linalg.solve(_hessian(theta, X, y, Z, s, w), w @ _loglik_scores(theta, X, y, Z, s)[1])
    except np.linalg.LinAlgError:
        newton = theta
    if np.all(np.isfinite(newton)) and fun(newton)[0] <= fun(theta)[0] + 1e-15:
        theta = newton
    return theta, bool(first.success or polish.success)


def fit_nested_logit(X, y, nests, *, Z=None, names=None, z_names=None, alternatives=None,
                     dissimilarity: Literal["free", "shared", "one"] = "free",
                     form: Literal["ru2", "nonnormalized"] = "ru2",
                     cov_type: Literal["model", "robust", "cluster"] = "model", groups=None,
                     start=None, weights=None, weight_type: Literal["frequency", "sampling"] = "frequency",
                     design=None) -> NestedLogitFit:
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
    weights : array-like of shape (n,), optional
        Non-negative weights multiplying each row's log-likelihood (and score). ``frequency``
        weights reproduce the fit on the rows repeated (N their sum; Stata ``fweight``);
        ``sampling`` weights give the pseudo-likelihood (Stata ``pweight``), whose covariance must
        be robust or clustered.
    weight_type : {"frequency", "sampling"}
        How the weights enter a robust or cluster covariance (:func:`alliancegov.stats.mnl.meat_scaling`).
    design : alliancegov.stats.survey.SurveyDesign, optional
        A complex sample: its sampling weights weight the pseudo-likelihood and the covariance is
        the Taylor linearisation of the weighted scores (``cov_type`` is then ``design``, and
        ``design_df`` its degrees of freedom). Give no ``weights`` or ``groups`` with it.

    Returns
    -------
    NestedLogitFit
        Estimates, covariance, log-likelihoods of the nested logit and of the MNL; see
        :func:`tidy_nested_logit`, :func:`nested_logit_tests`, :func:`rum_consistency`.

    Raises
    ------
    ValueError
        If the nests are not a partition of ``0 .. J-1``, an alternative is never chosen, an
        option is unknown, the shapes of the inputs do not fit, ``cov_type="cluster"`` comes
        without ``groups``, sampling weights come with ``cov_type="model"``, or ``design`` with
        ``weights`` or ``groups``.

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
    if design is not None:
        if weights is not None or groups is not None:
            raise ValueError("a survey design carries its own weights and PSUs: give no weights or groups")
        weights, weight_type, cov_type = design.weights, "sampling", "design"
    if weight_type == "sampling" and cov_type == "model":
        raise ValueError("sampling weights give a pseudo-likelihood: ask for a robust, cluster or design covariance")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights must be {n} finite non-negative numbers")
    chosen = np.bincount(y, weights=w, minlength=J)
    if np.any(chosen == 0):
        raise ValueError(f"alternatives {np.flatnonzero(chosen == 0).tolist()} are never chosen")

    # the case-specific MNL's estimates start the fit (none to start when only Z has regressors)
    B0, mnl_converged = np.zeros((0, J - 1)), True
    if k:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            newton = fit_mnl_newton(X, y, weights=w)
        B0, mnl_converged = newton.params, newton.converged
    if q:
        mnl_theta, mnl_ok = _maximise(np.concatenate([B0.T.ravel(), np.zeros(q)]), X, y, Z, restricted, w)
    else:   # Newton's estimates are the MNL's maximum already
        mnl_theta, mnl_ok = B0.T.ravel(), mnl_converged
    loglik_mnl = float(w @ _loglik_scores(mnl_theta, X, y, Z, restricted, scores=False)[0])
    if s.n_free:
        theta0 = np.concatenate([mnl_theta, np.ones(s.n_free)]) if start is None else np.asarray(start, float)
        theta, ok = _maximise(theta0, X, y, Z, s, w)
    else:
        theta, ok = mnl_theta, mnl_ok
    loglik, S = _loglik_scores(theta, X, y, Z, s)
    loglik = float(w @ loglik)
    H = _hessian(theta, X, y, Z, s, w)
    grad = w @ S
    try:
        bread = np.linalg.inv(-H)
        decrement = float(grad @ bread @ grad)
    except np.linalg.LinAlgError:
        bread = np.full_like(H, np.nan)
        decrement = np.inf
    converged = ok and mnl_ok and decrement < 1e-8 and bool(np.all(np.diag(bread) > 0))
    n_clusters = design_df = None
    if cov_type == "model":
        cov = bread
    elif cov_type == "design":
        from alliancegov.stats.survey.design import design_degrees_of_freedom, linearised_covariance

        cov = linearised_covariance(S * w[:, None], bread, design)
        n_clusters, _, design_df = design_degrees_of_freedom(design, n)
    elif cov_type in ("robust", "cluster"):
        scale, factor, codes = meat_scaling(n, kind=cov_type, groups=groups, weights=weights,
                                            weight_type=weight_type)
        U = S if scale is None else S * scale[:, None]
        meat = U.T @ U if codes is None else _cluster_meat(np.ones((n, 1)), U, codes)
        if codes is not None:
            n_clusters = int(np.unique(codes[w > 0]).size)
        cov = factor * bread @ meat @ bread
    else:
        raise ValueError("cov_type must be 'model', 'robust' or 'cluster'")
    if not converged:
        warnings.warn("nested logit did not converge (or its Hessian is not negative definite); the estimates are "
                      "not ML estimates", RuntimeWarning, stacklevel=2)
    names = x_labels if names is None else [str(v) for v in names]
    return NestedLogitFit(
        theta=theta, cov=(cov + cov.T) / 2, cov_type=cov_type, loglik=loglik, loglik_mnl=loglik_mnl,
        theta_mnl=mnl_theta, converged=converged, n=float(w.sum()) if weight_type == "frequency" else int(n), k=k,
        J=J, q=q,
        nests={name: tuple(int(a) for a in np.flatnonzero(s.nest_of == m)) for m, name in enumerate(s.nest_names)},
        free_of_nest=tuple(int(i) for i in s.free_of_nest), form=form, dissimilarity=dissimilarity,
        x_names=tuple(names if names is not None else [f"x{c}" for c in range(k)]),
        z_names=tuple(f"z{c}" for c in range(q)) if z_names is None else tuple(str(v) for v in z_names),
        alternatives=tuple(str(j) for j in range(J)) if alternatives is None else tuple(str(a) for a in alternatives),
        n_clusters=n_clusters, design_df=None if design_df is None else float(design_df),
        weight_type=None if weights is None else weight_type)
