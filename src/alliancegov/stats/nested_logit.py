"""Two-level nested logit by full-information maximum likelihood, with Stata's covariances.

Generic: nothing here knows about the survey. statsmodels has no nested logit; this module fits
the one that Stata's ``nlogit`` and R ``mlogit(..., nests = )`` fit by default and reports what
they report: coefficients, dissimilarity (inclusive-value) parameters, model-based, robust or
cluster-robust covariances with Stata's factors, the likelihood-ratio and Wald tests of the nested
logit against the multinomial logit (all dissimilarities 1), and a check of consistency with random
utility maximisation.

Model
-----
Alternatives ``0 .. J-1`` are partitioned into nests ``B_1 .. B_M``. With systematic utilities
``V_ij = x_i'b_j + z_ij'g`` (``b_0 = 0``: alternative 0 is the base of the case-specific
coefficients, as in :mod:`alliancegov.stats.mnl`) and dissimilarity ``tau_m`` for nest m, the default
``form="ru2"`` is McFadden's (1978) random-utility-consistent nested logit, in Hensher & Greene's
(2002) terms the RU2 normalisation (Heiss 2002: RUMNL):

    P(j | m) = exp(V_ij / tau_m) / sum_{l in B_m} exp(V_il / tau_m),
    I_m = log sum_{l in B_m} exp(V_il / tau_m)                       (inclusive value),
    P(m) = exp(tau_m I_m) / sum_n exp(tau_n I_n),    P_ij = P(m) P(j | m).

This is Stata's ``nlogit`` default and R mlogit's ``nests =`` with ``unscaled = FALSE``. In it the
dissimilarity of a degenerate (single-alternative) nest cancels from every probability (``tau I =
V_j``), so it is not identified and is fixed at 1 (Heiss 2002; Stata's ``nlogit`` sets it to 1 too).
``form="nonnormalized"`` is the other variant (Daly's, Koppelman & Wen's (1998) "non-normalised"
nested logit; Stata's ``nonnormalized`` option, mlogit's ``unscaled = TRUE``, Greene's *Econometric
Analysis* tables): the utilities are not divided by ``tau_m`` inside the nest,
``P(j | m) = exp(V_ij) / sum exp(V_il)``,
``I_m = log sum exp(V_il)``; it is consistent with utility maximisation only when all
dissimilarities are equal, and there a degenerate nest's dissimilarity is identified (it scales
that alternative's utility) and estimated. With every ``tau_m = 1`` both forms are the MNL.

The log-likelihood ``sum_i log P_{i, y_i}`` is maximised by ``scipy.optimize.minimize`` with its
analytic gradient (:func:`_loglik_scores`): L-BFGS-B (dissimilarities bounded below by a small
positive number), then scipy's ``trust-exact`` to a tight gradient tolerance. The Hessian, for both
that step and the covariance, is the central finite difference of the analytic gradient. The
likelihood of a nested logit need not be concave in the dissimilarities (it is in the coefficients
given them, Daganzo & Kusnic 1993), so the fit starts from the MNL (all dissimilarities 1).

Parameter vector
----------------
``theta = (B.T.ravel(), g, tau_free)``: the case-specific coefficients equation-major as in
:mod:`alliancegov.stats.mnl` (``(J-1) k``), the generic coefficients of the alternative-specific
regressors (q), then the free dissimilarities (one per nest that has one, or a single shared one).

numpy and pandas are imported with the module, scipy and the MNL helpers inside the functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "NestedLogitFit",
    "fit_nested_logit",
    "nested_logit_log_likelihood",
    "nested_logit_probabilities",
    "nested_logit_tests",
    "rum_consistency",
    "tidy_nested_logit",
]

_TAU_FLOOR = 1e-4     # lower bound of a dissimilarity in the optimiser (the likelihood needs tau > 0)


# --------------------------------------------------------------------------------------------
# model structure
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Structure:
    """Nests and the map from the free dissimilarities to the nests."""

    nest_of: np.ndarray          # (J,) nest number of each alternative
    nest_names: tuple[str, ...]  # (M,)
    free_of_nest: np.ndarray     # (M,) index into the free dissimilarities, -1 where fixed at 1
    n_free: int
    form: str

    @property
    def n_nests(self) -> int:
        return len(self.nest_names)


def _structure(nests, J: int, dissimilarity: str, form: str) -> _Structure:
    if form not in ("ru2", "nonnormalized"):
        raise ValueError("form must be 'ru2' or 'nonnormalized'")
    if dissimilarity not in ("free", "shared", "one"):
        raise ValueError("dissimilarity must be 'free', 'shared' or 'one'")
    if isinstance(nests, Mapping):
        names = [str(name) for name in nests]
        members = [list(nests[name]) for name in nests]
    else:
        members = [list(m) for m in nests]
        names = [f"nest{m + 1}" for m in range(len(members))]
    nest_of = np.full(J, -1)
    for m, alternatives in enumerate(members):
        if not alternatives:
            raise ValueError(f"nest {names[m]!r} is empty")
        for a in alternatives:
            if not (isinstance(a, (int, np.integer)) and 0 <= a < J):
                raise ValueError(f"nest {names[m]!r}: alternatives must be codes 0 .. {J - 1}, got {a!r}")
            if nest_of[a] >= 0:
                raise ValueError(f"alternative {a} is in more than one nest")
            nest_of[a] = m
    if np.any(nest_of < 0):
        raise ValueError(f"alternatives {np.flatnonzero(nest_of < 0).tolist()} are in no nest")
    sizes = np.bincount(nest_of, minlength=len(members))
    # RU2: a degenerate nest's dissimilarity cancels from the probabilities (fixed at 1, as Stata)
    estimable = np.ones(len(members), bool) if form == "nonnormalized" else sizes > 1
    free_of_nest = np.full(len(members), -1)
    if dissimilarity == "free":
        free_of_nest[estimable] = np.arange(int(estimable.sum()))
    elif dissimilarity == "shared" and estimable.any():
        free_of_nest[estimable] = 0
    n_free = int(free_of_nest.max(initial=-1)) + 1
    return _Structure(nest_of=nest_of, nest_names=tuple(names), free_of_nest=free_of_nest, n_free=n_free,
                      form=form)


def _inputs(X, y, Z, J: int):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional (n, k), got shape {X.shape}")
    n = X.shape[0]
    y = np.asarray(y)
    if y.shape != (n,) or not np.array_equal(y, np.round(y)) or y.min(initial=0) < 0:
        raise ValueError(f"y must hold {n} integer alternative codes 0 .. J-1")
    y = y.astype(np.int64)
    if y.max(initial=0) >= J:
        raise ValueError(f"y has a code >= J = {J}")
    if Z is None:
        Z = np.zeros((n, J, 0))
    Z = np.asarray(Z, dtype=float)
    if Z.ndim != 3 or Z.shape[:2] != (n, J):
        raise ValueError(f"Z must have shape (n, J, q) = ({n}, {J}, q), got {Z.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Z))):
        raise ValueError("X and Z must be finite")
    return X, y, Z


def _unpack(theta: np.ndarray, k: int, J: int, q: int, s: _Structure):
    """(B (k, J-1), g (q,), tau (M,)) from the parameter vector."""
    if theta.shape != (k * (J - 1) + q + s.n_free,):
        raise ValueError(f"theta must have {k * (J - 1) + q + s.n_free} elements ((J-1) k coefficients, q generic "
                         f"coefficients, {s.n_free} dissimilarities), got shape {theta.shape}")
    B = theta[:k * (J - 1)].reshape(J - 1, k).T
    g = theta[k * (J - 1):k * (J - 1) + q]
    free = theta[k * (J - 1) + q:]
    tau = np.where(s.free_of_nest >= 0, free[np.maximum(s.free_of_nest, 0)] if free.size else 1.0, 1.0)
    return B, g, tau


# --------------------------------------------------------------------------------------------
# likelihood and scores
# --------------------------------------------------------------------------------------------

def _probabilities(X, Z, B, g, tau, s: _Structure):
    """Utilities V (n, J), within-nest P(j|m) (n, J), nest probabilities Q (n, M), inclusive values
    A (n, M), within-nest means of V (n, M) and the scale inside each nest (M,)."""
    n, J = X.shape[0], Z.shape[1]
    V = np.zeros((n, J))
    V[:, 1:] = X @ B
    if g.size:
        V += Z @ g
    scale = 1.0 / tau if s.form == "ru2" else np.ones_like(tau)
    M = s.n_nests
    A = np.empty((n, M))
    cond = np.empty((n, J))
    Vbar = np.empty((n, M))
    for m in range(M):
        cols = np.flatnonzero(s.nest_of == m)
        U = V[:, cols] * scale[m]
        top = U.max(axis=1, keepdims=True)
        E = np.exp(U - top)
        total = E.sum(axis=1, keepdims=True)
        cond[:, cols] = E / total
        A[:, m] = top[:, 0] + np.log(total[:, 0])
        Vbar[:, m] = (cond[:, cols] * V[:, cols]).sum(axis=1)
    W = A * tau
    top = W.max(axis=1, keepdims=True)
    Q = np.exp(W - top)
    Q /= Q.sum(axis=1, keepdims=True)
    return V, cond, Q, A, Vbar, scale


def _loglik_scores(theta, X, y, Z, s: _Structure, scores: bool = True):
    """Per-row log-likelihood (n,) and scores (n, p) ``d log P_{i, y_i} / d theta`` (None if not ``scores``).

    For the chosen alternative c in nest k, ``log P = s_k V_c - A_k + tau_k A_k - log sum_m
    exp(tau_m A_m)`` with ``s_m`` the scale inside nest m (``1/tau_m`` for RU2, 1 otherwise). Then
    ``d log P / d V_l = s_k ([l = c] - P(l|k) [l in k]) + tau_k s_k P(l|k) [l in k] - Q_m tau_m s_m P(l|m)``
    for l in nest m, and ``d log P / d tau_m = [m = k] (V_c - Vbar_k) ds_k/dtau_k + ([m = k] - Q_m)
    (A_m + tau_m Vbar_m ds_m/dtau_m)`` with ``Vbar_m = sum_{l in m} P(l|m) V_l`` and ``ds/dtau = -1/tau^2``
    (RU2) or 0; a shared dissimilarity sums the derivatives of its nests.
    """
    n, k = X.shape
    J, q = Z.shape[1], Z.shape[2]
    B, g, tau = _unpack(theta, k, J, q, s)
    V, cond, Q, A, Vbar, scale = _probabilities(X, Z, B, g, tau, s)
    rows = np.arange(n)
    nest_y = s.nest_of[y]
    W = A * tau
    top = W.max(axis=1)
    lse = top + np.log(np.exp(W - top[:, None]).sum(axis=1))
    ll = scale[nest_y] * V[rows, y] - A[rows, nest_y] + W[rows, nest_y] - lse
    if not scores:
        return ll, None
    own = s.nest_of[None, :] == nest_y[:, None]                           # (n, J): l in the chosen nest
    gV = -(Q[:, s.nest_of] * (tau * scale)[s.nest_of] * cond)
    gV += own * (tau[nest_y] * scale[nest_y] - scale[nest_y])[:, None] * cond
    gV[rows, y] += scale[nest_y]
    parts = [(gV[:, 1:, None] * X[:, None, :]).reshape(n, -1)]
    if q:
        parts.append(np.einsum("ij,ijq->iq", gV, Z))
    if s.n_free:
        dscale = -1.0 / tau ** 2 if s.form == "ru2" else np.zeros_like(tau)
        dW = A + tau * Vbar * dscale                                        # (n, M)
        chosen = np.zeros_like(Q)
        chosen[rows, nest_y] = 1.0
        gtau = (chosen - Q) * dW
        gtau[rows, nest_y] += (V[rows, y] - Vbar[rows, nest_y]) * dscale[nest_y]
        free = np.zeros((n, s.n_free))
        for m in range(s.n_nests):
            if s.free_of_nest[m] >= 0:
                free[:, s.free_of_nest[m]] += gtau[:, m]
        parts.append(free)
    return ll, np.hstack(parts)


def _n_alternatives(nests) -> int:
    """J: one more than the largest alternative code in the nests (the partition is checked in _structure)."""
    members = nests.values() if isinstance(nests, Mapping) else nests
    return int(max((a for m in members for a in m), default=-1)) + 1


def nested_logit_probabilities(X, theta, nests, *, Z=None, dissimilarity: str = "free",
                               form: Literal["ru2", "nonnormalized"] = "ru2") -> np.ndarray:
    """Choice probabilities ``P_ij = P(m) P(j | m)`` at ``theta``.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Case-specific regressors (with a constant column for alternative-specific constants).
    theta : array-like of shape (p,)
        Parameter vector in the layout of the module docstring.
    nests : sequence of sequences of int, or mapping of str to sequence of int
        As in :func:`fit_nested_logit`.
    Z : array-like of shape (n, J, q), optional
        As in :func:`fit_nested_logit`.
    dissimilarity : {"free", "shared", "one"}, default "free"
        As in :func:`fit_nested_logit`.
    form : {"ru2", "nonnormalized"}, default "ru2"
        As in :func:`fit_nested_logit`.

    Returns
    -------
    ndarray of shape (n, J)
        The probabilities; each row sums to 1.

    Raises
    ------
    ValueError
        If the nests are not a partition of ``0 .. J-1``, an option is unknown, or the shapes of
        ``X``, ``Z`` or ``theta`` do not fit.
    """
    J = _n_alternatives(nests)
    s = _structure(nests, J, dissimilarity, form)
    X, _, Z = _inputs(X, np.zeros(np.asarray(X).shape[0]), Z, J)
    B, g, tau = _unpack(np.asarray(theta, dtype=float), X.shape[1], J, Z.shape[2], s)
    _, cond, Q, *_ = _probabilities(X, Z, B, g, tau, s)
    return cond * Q[:, s.nest_of]


def nested_logit_log_likelihood(X, y, theta, nests, *, Z=None, dissimilarity: str = "free",
                                form: Literal["ru2", "nonnormalized"] = "ru2") -> float:
    """Log-likelihood ``sum_i log P_{i, y_i}`` at ``theta``.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Case-specific regressors, as in :func:`fit_nested_logit`.
    y : array-like of shape (n,)
        Chosen alternative, integer codes ``0 .. J-1``.
    theta : array-like of shape (p,)
        Parameter vector in the layout of the module docstring.
    nests : sequence of sequences of int, or mapping of str to sequence of int
        As in :func:`fit_nested_logit`.
    Z : array-like of shape (n, J, q), optional
        As in :func:`fit_nested_logit`.
    dissimilarity : {"free", "shared", "one"}, default "free"
        As in :func:`fit_nested_logit`.
    form : {"ru2", "nonnormalized"}, default "ru2"
        As in :func:`fit_nested_logit`.

    Returns
    -------
    float
        The log-likelihood, in nats.

    Raises
    ------
    ValueError
        As :func:`nested_logit_probabilities`, or if ``y`` is not codes ``0 .. J-1``.
    """
    J = _n_alternatives(nests)
    s = _structure(nests, J, dissimilarity, form)
    X, y, Z = _inputs(X, y, Z, J)
    return float(_loglik_scores(np.asarray(theta, dtype=float), X, y, Z, s, scores=False)[0].sum())


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------

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

    from alliancegov.stats.mnl import _cluster_meat, fit_mnl_newton, meat_scaling

    x_labels = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
    J = _n_alternatives(nests)
    s = _structure(nests, J, dissimilarity, form)
    X, y, Z = _inputs(X, y, Z, J)
    n, k = X.shape
    q = Z.shape[2]
    restricted = _structure(nests, J, "one", form)
    if np.any(np.bincount(y, minlength=J) == 0):
        raise ValueError(f"alternatives {np.flatnonzero(np.bincount(y, minlength=J) == 0).tolist()} are never chosen")

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


# --------------------------------------------------------------------------------------------
# tables and tests
# --------------------------------------------------------------------------------------------

def _free_labels(fit: NestedLogitFit) -> list[str]:
    names = list(fit.nests)
    return ["+".join(names[m] for m, i in enumerate(fit.free_of_nest) if i == f) for f in range(fit.n_free)]


def tidy_nested_logit(fit: NestedLogitFit, level: float = 0.95) -> pd.DataFrame:
    """Tidy coefficient table of a nested logit.

    Parameters
    ----------
    fit : NestedLogitFit
        The fit.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        Columns ``outcome, term, estimate, std_error, statistic, p_value, conf_low, conf_high``.
        Rows: the case-specific coefficients by alternative (``outcome`` = the alternative's
        label, ``term`` = X's column), then the generic coefficients of the alternative-specific
        regressors (``outcome = "generic"``), then the estimated dissimilarities (``outcome =
        "dissimilarity"``, ``term`` = the nest, or the nests joined by ``+`` for a shared one).
        Wald z against 0 and normal CIs at ``level``
        (:func:`alliancegov.stats.tidy.tidy_coefficients`); the tests of the dissimilarities
        against 1 are in :func:`nested_logit_tests`.
    """
    from alliancegov.stats.tidy import tidy_coefficients

    outcome, terms = [], []
    for j in range(1, fit.J):
        outcome += [fit.alternatives[j]] * fit.k
        terms += list(fit.x_names)
    outcome += ["generic"] * fit.q + ["dissimilarity"] * fit.n_free
    terms += list(fit.z_names) + _free_labels(fit)
    table = tidy_coefficients(terms, fit.theta, fit.std_errors, level=level)
    table.insert(0, "outcome", outcome)
    return table


def nested_logit_tests(fit: NestedLogitFit) -> pd.DataFrame:
    """Tests of the nested logit against the MNL: all estimated dissimilarities equal to 1.

    Parameters
    ----------
    fit : NestedLogitFit
        The fit.

    Returns
    -------
    DataFrame
        Columns ``test, statistic, df, p_value, valid, note``; rows ``LR``
        (``2 (loglik - loglik_mnl)``) and ``Wald`` (``(tau - 1)' V^-1 (tau - 1)`` with the fit's
        covariance); df = the number of estimated dissimilarities. The LR test needs the
        likelihood to be the model's: with a robust or cluster covariance (``valid`` False) use the
        Wald test, as Stata reports for ``vce(cluster)``.

    Raises
    ------
    ValueError
        If the fit has no estimated dissimilarity (all nests degenerate, or
        ``dissimilarity="one"``).
    """
    from scipy import stats

    m = fit.n_free
    if m == 0:
        raise ValueError("the fit has no estimated dissimilarity (all nests degenerate, or dissimilarity='one')")
    d = fit.theta[-m:] - 1.0
    wald = float(d @ np.linalg.solve(fit.cov[-m:, -m:], d))
    lr = 2.0 * (fit.loglik - fit.loglik_mnl)
    lr_valid = fit.cov_type == "model"
    return pd.DataFrame({
        "test": ["LR", "Wald"],
        "statistic": [lr, wald],
        "df": [m, m],
        "p_value": [float(stats.chi2.sf(lr, m)), float(stats.chi2.sf(wald, m))],
        "valid": [lr_valid, True],
        "note": ["" if lr_valid else f"not valid with a {fit.cov_type} covariance: use the Wald test", ""],
    })


def rum_consistency(fit: NestedLogitFit) -> pd.DataFrame:
    """Whether each dissimilarity lies in (0, 1], McFadden's (1978) condition for consistency with RUM.

    That is, for the nested logit to be consistent with random utility maximisation for all
    values of the regressors.

    Parameters
    ----------
    fit : NestedLogitFit
        The fit.

    Returns
    -------
    DataFrame
        One row per nest, columns ``nest, alternatives, dissimilarity, std_error, estimated,
        consistent`` (``std_error`` NaN for a fixed dissimilarity).

    Notes
    -----
    Fixed dissimilarities (1: degenerate RU2 nests) are consistent. For ``form="nonnormalized"`` the model is
    RUM-consistent only if moreover all dissimilarities are equal (Koppelman & Wen 1998; Heiss 2002);
    ``consistent`` is then False for every nest unless they are. A value above 1 can still be
    consistent locally, over the observed range of the data (Börsch-Supan 1990).
    """
    tau = fit.tau
    se = np.sqrt(np.diag(fit.cov))[fit.theta.size - fit.n_free:]
    in_range = (tau > 0) & (tau <= 1)
    if fit.form == "nonnormalized":
        in_range &= bool(np.allclose(tau, tau[0]))
    return pd.DataFrame({
        "nest": list(fit.nests),
        "alternatives": [", ".join(fit.alternatives[a] for a in members) for members in fit.nests.values()],
        "dissimilarity": tau,
        "std_error": [se[i] if i >= 0 else math.nan for i in fit.free_of_nest],
        "estimated": [i >= 0 for i in fit.free_of_nest],
        "consistent": in_range,
    })
