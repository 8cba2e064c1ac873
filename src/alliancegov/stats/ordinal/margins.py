"""Category probabilities of the ordered logit and its average marginal effects (delta-method SEs).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from alliancegov.stats.ordinal.likelihood import (
    _DEFAULT_CHUNK_ROWS,
    _design,
    _names,
)
from alliancegov.stats.ordinal.result import OrderedFit


def _expit(z):
    from scipy.special import expit

    return expit(z)


def _cut_terms(eta: np.ndarray, cutpoints: np.ndarray):
    """For rows with linear predictor ``eta`` (m,): cdf, pdf and pdf' at ``c_j - eta``, each (m, J-1)."""
    z = cutpoints[None, :] - eta[:, None]
    F = _expit(z)
    f = F * (1.0 - F)
    fprime = f * (1.0 - 2.0 * F)
    return F, f, fprime


def _bracket_diff(A: np.ndarray) -> np.ndarray:
    """(m, J-1) values at the cut points -> (m, J) ``A_j - A_{j-1}`` with zeros at +-inf."""
    m = A.shape[0]
    padded = np.concatenate([np.zeros((m, 1)), A, np.zeros((m, 1))], axis=1)
    return padded[:, 1:] - padded[:, :-1]


def ordered_probabilities(X, slopes, cutpoints) -> np.ndarray:
    """Category probabilities of an ordered logit.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Regressors without constant.
    slopes : array-like of shape (k,)
        Coefficients.
    cutpoints : array-like of shape (J-1,)
        Increasing cut points.

    Returns
    -------
    ndarray of shape (n, J)
        ``P_ij = F(c_{j+1} - x_i'b) - F(c_j - x_i'b)`` with ``c_0 = -inf``, ``c_J = +inf``.

    Raises
    ------
    ValueError
        If X is not 2-d or not finite, or the number of slopes is not k.
    """
    Xa, _ = _design(X)
    b = np.asarray(slopes, dtype=float).ravel()
    c = np.asarray(cutpoints, dtype=float).ravel()
    if b.shape[0] != Xa.shape[1]:
        raise ValueError(f"{b.shape[0]} slopes for {Xa.shape[1]} columns of X")
    F = _expit(c[None, :] - (Xa @ b)[:, None])
    n = Xa.shape[0]
    cum = np.concatenate([np.zeros((n, 1)), F, np.ones((n, 1))], axis=1)
    return np.diff(cum, axis=1)


def _level_label(name: str) -> str:
    """Patsy ``C(f)[T.lvl]`` / ``f[T.lvl]`` / ``f[lvl]`` -> ``lvl``; other names unchanged."""
    match = re.search(r"\[(?:T\.)?(.*)\]$", name)
    return match.group(1) if match else name


def _ame_accumulate(Xa, b, c, continuous, factors, chunk_rows, w):
    """Weighted sums over rows (``w`` (n,), None: 1) of AMEs (T, J) and of their Jacobians (T, J, k+J-1)."""
    n, k = Xa.shape
    m = c.shape[0]
    J = m + 1
    p = k + m
    n_terms = len(continuous) + sum(len(cols) for cols in factors.values())
    est = np.zeros((n_terms, J))
    jac = np.zeros((n_terms, J, p))
    # (J, m) map from values at the cut points to category brackets: bracket_j = a_{j} - a_{j-1}
    # in cut-point indexing (cut j is the upper bound of category j).
    bracket = np.zeros((J, m))
    bracket[np.arange(m), np.arange(m)] = 1.0
    bracket[np.arange(1, J), np.arange(m)] = -1.0
    cont = np.asarray(continuous, dtype=int)

    for start in range(0, n, chunk_rows):
        Xc = Xa[start:start + chunk_rows]
        wc = np.ones(Xc.shape[0]) if w is None else w[start:start + chunk_rows]
        _, f, fp = _cut_terms(Xc @ b, c)
        if cont.size:
            # dP_ij/dx_ik = -b_k (f_ij - f_i,j-1), f at cut j (upper) and j-1 (lower).
            s = wc @ _bracket_diff(f)                              # (J,)
            Gx = (_bracket_diff(fp) * wc[:, None]).T @ Xc          # (J, k): sum_i w_i (f'_j - f'_{j-1}) x_il
            fp_sum = wc @ fp                                       # (m,)
            est[:cont.size] += -b[cont][:, None] * s[None, :]
            # d/db_l: -delta_kl s_j + b_k Gx[j, l]
            jac[:cont.size, :, :k] += b[cont][:, None, None] * Gx[None, :, :]
            jac[np.arange(cont.size), :, cont] -= s[None, :]
            # d/dc_q: -b_k (f'_q [q == j] - f'_q [q == j-1]) = -b_k bracket[j, q] f'_q
            jac[:cont.size, :, k:] += -b[cont][:, None, None] * (bracket * fp_sum[None, :])[None, :, :]
        row = cont.size
        for cols in factors.values():
            X0 = Xc.copy()
            X0[:, cols] = 0.0
            F0, f0, _ = _cut_terms(X0 @ b, c)
            P0_sum = wc @ _bracket_diff(F0)                        # (J,)
            grad_b0 = (_bracket_diff(f0) * wc[:, None]).T @ X0     # (J, k)
            f0_sum = wc @ f0
            for col in cols:
                X1 = X0.copy()
                X1[:, col] = 1.0
                F1, f1, _ = _cut_terms(X1 @ b, c)
                est[row] += wc @ _bracket_diff(F1) - P0_sum
                # dP_ij/db_l = -(f_j - f_{j-1}) x_il ; dP_ij/dc_q = bracket[j, q] f_q
                jac[row, :, :k] += -((_bracket_diff(f1) * wc[:, None]).T @ X1) + grad_b0
                jac[row, :, k:] += bracket * (wc @ f1 - f0_sum)[None, :]
                row += 1
    return est, jac


def ordered_average_marginal_effects(X, fit: OrderedFit, continuous: list[int],
                                     discrete: dict[str, list[int]] | None = None, *,
                                     weights=None, chunk_rows: int | None = None) -> pd.DataFrame:
    """Average marginal effects on every category probability, delta-method standard errors.

    As Stata ``margins, dydx(...) predict(outcome(j))`` after ``ologit`` (``vce(delta)``, the
    covariates at their sample values).

    Parameters
    ----------
    X : array-like of shape (n, k)
        The design the AMEs average over (usually the estimation sample), without constant.
    fit : OrderedFit
        Slopes, cut points and ``fit.cov``, whichever its ``cov_type``.
    continuous : list of int
        Column indices c of X; AME = mean over rows of
        ``dP_ij/dx_ic = -b_c [f(c_{j+1} - x_i'b) - f(c_j - x_i'b)]`` (f the logistic density).
    discrete : dict of str to list of int, optional
        ``{factor_name: [dummy column indices]}``; for each dummy d the average discrete change
        ``P_j(x with d = 1 and the factor's other dummies 0) - P_j(x with all the factor's dummies
        0)``, i.e. the level against the reference (Stata's ``i.`` factor variables). A binary
        regressor ``v`` is ``{"v": [col]}``.
    weights : array-like of shape (n,), optional
        The averages are weighted, ``sum_i w_i ME_i / sum_i w_i`` (Stata's ``margins`` after a
        weighted fit, frequency or probability weights alike; pass the fit's weights).
    chunk_rows : int, optional
        Rows per block of the accumulation (default 65536).

    Returns
    -------
    DataFrame
        Long table ``variable, outcome, estimate, std_error``: one row per term (continuous
        columns in the given order, then each factor dummy) and outcome ``0 .. J-1``; effects in
        probability units (per unit of a continuous regressor); the AMEs of a term sum to zero
        over outcomes. Terms are named ``fit.names[c]`` for continuous columns; a single-dummy
        factor is named by its key, a dummy of a multi-dummy factor ``name[level]`` with ``level``
        from the column name (patsy ``[T.level]`` reduced to ``level``).

    Raises
    ------
    ValueError
        If X does not match the fit or has no rows, a column index is out of range or used twice,
        a factor has no dummy or a dummy holds values other than 0/1, ``chunk_rows`` is not
        positive, or the weights are invalid or sum to zero.

    Notes
    -----
    Derivatives and the Jacobian ``G`` of the AMEs with respect to ``(slopes, cutpoints)`` are
    analytic, accumulated over blocks of ``chunk_rows`` rows: time linear in n and memory
    O(chunk_rows * (k + J) + terms * J * (k + J)). Standard errors are
    ``sqrt(diag(G fit.cov G'))``.
    """
    Xa, _ = _design(X)
    n, k = Xa.shape
    b = np.asarray(fit.slopes, dtype=float)
    c = np.asarray(fit.cutpoints, dtype=float)
    if b.shape[0] != k:
        raise ValueError(f"fit has {b.shape[0]} slopes but X has {k} columns")
    if n == 0:
        raise ValueError("X has no rows")
    names = _names(None, list(fit.names), k)
    factors = {str(key): [int(i) for i in cols] for key, cols in (discrete or {}).items()}
    cont = [int(i) for i in continuous]
    used = cont + [i for cols in factors.values() for i in cols]
    if any(i < 0 or i >= k for i in used):
        raise ValueError(f"column indices must lie in 0 .. {k - 1}; got {used}")
    if len(set(used)) != len(used):
        raise ValueError("a column appears more than once in continuous / discrete")
    for key, cols in factors.items():
        if not cols:
            raise ValueError(f"factor {key!r} has no dummy columns")
        values = Xa[:, cols]
        if not np.all((values == 0) | (values == 1)):
            raise ValueError(f"factor {key!r}: dummy columns must hold 0/1 only")
    rows = int(chunk_rows) if chunk_rows else _DEFAULT_CHUNK_ROWS
    if rows < 1:
        raise ValueError("chunk_rows must be positive")

    from alliancegov.stats.mnl.core import _weights

    w = _weights(weights, n)
    total = float(n) if w is None else float(w.sum())
    if total <= 0:
        raise ValueError("weights sum to zero")
    est, jac = _ame_accumulate(Xa, b, c, cont, factors, rows, w)
    est /= total
    jac /= total
    T, J, p = jac.shape
    G = jac.reshape(T * J, p)
    se = np.sqrt(np.maximum(np.einsum("ap,pq,aq->a", G, fit.cov, G), 0.0))
    labels = [names[i] for i in cont]
    for key, cols in factors.items():
        labels += [key] if len(cols) == 1 else [f"{key}[{_level_label(names[i])}]" for i in cols]
    return pd.DataFrame({
        "variable": np.repeat(labels, J),
        "outcome": np.tile(np.arange(J), T),
        "estimate": est.ravel(),
        "std_error": se,
    })
