"""The nested logit's structure (nests and free dissimilarities), probabilities, log-likelihood and scores.

Model and parameter vector as in :mod:`alliancegov.stats.nested_logit`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from alliancegov.stats.products import tall_times_thin

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
    V[:, 1:] = tall_times_thin(X, B)
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
