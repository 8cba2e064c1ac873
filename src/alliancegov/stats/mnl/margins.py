"""Average marginal effects and predicted probabilities of the MNL, with delta-method standard errors.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import stats

from alliancegov.stats.mnl.core import (
    _chunk_rows,
    _column_names,
    _cov,
    _design,
    _params,
    _softmax,
    _utilities,
    _weights,
)


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
