"""Firth's bias-reduced multinomial logit (Jeffreys-prior penalised likelihood).

Firth (1993, Biometrika 80:27–38) removes the O(1/n) bias of the ML estimate; for a canonical
link the estimate maximises the penalised log-likelihood

    ℓ*(θ) = ℓ(θ) + ½ log|I(θ)|,

with ``I`` the Fisher information. For the multinomial logit this is Bull, Mak & Greenwood
(2002, "A modified score function estimator for multinomial logistic regression in small
samples", Comput. Stat. Data Anal. 39:57–74). Unlike ML, the estimate is finite under complete or
quasi-complete separation. With J = 2 it is the binary Firth logistic regression of Heinze &
Schemper (2002, Stat. Med. 21:2409–2419; R package ``logistf``).

Notation: ``X`` (n, k) design, ``y`` (n,) codes 0..J-1 with 0 the base, m = J-1 equations,
``params`` (k, m) as in statsmodels, ``theta = params.T.ravel()`` (equation-major, length m·k),
``P`` (n, m) the probabilities of the non-base outcomes and, per row,
``W_i = diag(P_i) - P_i P_i'`` (m, m). Then

    I(θ) = Σ_i W_i ⊗ x_i x_i'                    (mk, mk)
    ∂ℓ*/∂θ_(m,s) = Σ_i x_is (y_im - P_im + ½ a_im)  (the modified score)
    a_im = tr(H_i ∂W_i/∂η_im)
         = P_im [H_i,mm - Σ_j P_ij H_i,jj - 2 (H_i P_i)_m + 2 P_i' H_i P_i],

where ``H_i = (1_m ⊗ x_i)' I⁻¹ (1_m ⊗ x_i)`` (m, m), i.e. ``H_i[j, l] = x_i' (I⁻¹)_{jl} x_i``.
This is ½ tr(I⁻¹ ∂I/∂θ_r) written out; with J = 2 it reduces to Firth's binary adjustment
``a_i = h_i (1 - 2π_i)`` with ``h_i`` the hat-matrix diagonal.

The maximiser is found by Fisher scoring on the modified score, ``θ ← θ + I(θ)⁻¹ U*(θ)``, with
each step capped at 5 per coordinate and halved until ℓ* does not decrease (as in ``logistf``).
``cov`` is ``I(θ̂)⁻¹``, the covariance ``logistf`` reports; Wald intervals from it
(:meth:`FirthFit.tidy`) can be poor under separation, where profile penalised-likelihood
intervals are preferable (not implemented here).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_STEP = 5.0
MAX_HALVINGS = 30


@dataclass
class FirthFit:
    """Result of :func:`fit_firth_mnl`.

    Attributes
    ----------
    params : ndarray of shape (k, J-1)
        The estimates, column ``j-1`` the equation of outcome ``j``.
    cov : ndarray of shape (k(J-1), k(J-1))
        ``I(θ̂)⁻¹``, in ``theta = params.T.ravel()`` order.
    loglik : float
        The unpenalised log-likelihood at the estimate.
    penalised_loglik : float
        ``loglik`` plus ½ log|I|.
    converged : bool
        Whether Fisher scoring converged.
    iterations : int
        Scoring iterations taken.
    """

    params: np.ndarray
    cov: np.ndarray
    loglik: float
    penalised_loglik: float
    converged: bool
    iterations: int

    @property
    def std_errors(self) -> np.ndarray:
        """Wald standard errors, shape (k, J-1) like ``params``."""
        k, m = self.params.shape
        return np.sqrt(np.diag(self.cov)).reshape(m, k).T

    def tidy(self, names=None, outcomes=None, level: float = 0.95) -> pd.DataFrame:
        """Tidy table with Wald statistics and CIs.

        Parameters
        ----------
        names : sequence of str, length k, optional
            Names of the design columns (default ``x0, x1, ...``).
        outcomes : sequence, length J-1, optional
            Labels of the non-base outcomes (default ``1..J-1``).
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        DataFrame
            One row per outcome and term: ``outcome`` then the project's tidy columns (``term,
            estimate, std_error, statistic, p_value, conf_low, conf_high``), normal reference;
            estimates in log-odds against the base outcome.
        """
        from alliancegov.stats.tidy import tidy_coefficients

        k, m = self.params.shape
        names = [f"x{p}" for p in range(k)] if names is None else list(names)
        outcomes = list(range(1, m + 1)) if outcomes is None else list(outcomes)
        se = self.std_errors
        tables = []
        for j in range(m):
            table = tidy_coefficients(names, self.params[:, j], se[:, j], level=level)
            table.insert(0, "outcome", outcomes[j])
            tables.append(table)
        return pd.concat(tables, ignore_index=True)


def _probabilities(X: np.ndarray, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of the non-base outcomes (n, m) and log-probabilities of all J outcomes (n, J)."""
    eta = np.column_stack([np.zeros(X.shape[0]), X @ params])
    log_prob = eta - np.logaddexp.reduce(eta, axis=1, keepdims=True)
    return np.exp(log_prob[:, 1:]), log_prob


def _information(X: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Fisher information Σ_i W_i ⊗ x_i x_i' for equation-major theta; (mk, mk)."""
    k = X.shape[1]
    m = P.shape[1]
    W = -P[:, :, None] * P[:, None, :]
    W[:, np.arange(m), np.arange(m)] += P
    weighted = (W.reshape(-1, m * m)[:, :, None] * X[:, None, :]).reshape(-1, m * m * k)   # (n, m·m·k)
    info = (X.T @ weighted).reshape(k, m, m, k).transpose(1, 0, 2, 3)                      # [j, p, l, q]
    return np.ascontiguousarray(info).reshape(m * k, m * k)


def _penalised_state(X: np.ndarray, Y: np.ndarray, params: np.ndarray) -> dict:
    """Log-likelihoods, information, its inverse and the modified score at ``params`` (k, m)."""
    k, m = params.shape
    P, log_prob = _probabilities(X, params)
    info = _information(X, P)
    chol = np.linalg.cholesky(info)  # LinAlgError if singular
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    loglik = float(np.sum(Y * log_prob[:, 1:]) + np.sum((1 - Y.sum(axis=1)) * log_prob[:, 0]))
    return {"P": P, "info": info, "chol": chol, "loglik": loglik, "penalised": loglik + 0.5 * log_det}


def _modified_score(X: np.ndarray, Y: np.ndarray, state: dict) -> np.ndarray:
    """Gradient of ℓ + ½ log|I| in theta order; (mk,). See the module docstring for ``a``."""
    P = state["P"]
    k = X.shape[1]
    m = P.shape[1]
    inv_info = _cho_inverse(state["chol"]).reshape(m, k, m, k)
    left = (X @ inv_info.transpose(1, 0, 2, 3).reshape(k, -1)).reshape(-1, m, m, k)  # [i, j, l, q]
    H = np.einsum("ijlq,iq->ijl", left, X)                                    # (n, m, m)
    H_diag = np.einsum("ijj->ij", H)                                          # (n, m)
    HP = np.einsum("ijl,il->ij", H, P)                                        # (n, m)
    pHp = np.einsum("ij,ij->i", P, HP)                                        # (n,)
    a = P * (H_diag - np.sum(P * H_diag, axis=1, keepdims=True) - 2 * HP + 2 * pHp[:, None])
    return (X.T @ (Y - P + 0.5 * a)).T.ravel()


def _cho_inverse(chol: np.ndarray) -> np.ndarray:
    """Inverse of ``L L'`` from its lower Cholesky factor ``L``."""
    from scipy.linalg import cho_solve

    return cho_solve((chol, True), np.eye(chol.shape[0]))


def _indicator_matrix(y: np.ndarray, n_outcomes: int) -> np.ndarray:
    """Indicators of the non-base outcomes; (n, J-1)."""
    return (y[:, None] == np.arange(1, n_outcomes)[None, :]).astype(float)


def fit_firth_mnl(X, y, tol: float = 1e-8, maxiter: int = 200) -> FirthFit:
    """Firth's bias-reduced multinomial logit by Fisher scoring on the modified score.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Float design (include the intercept column yourself).
    y : array-like of shape (n,)
        Integer codes 0..J-1 with 0 the base (J = max(y) + 1, J ≥ 2).
    tol : float, default 1e-8
        Converged when the largest absolute full (un-halved) step is at most ``tol``.
    maxiter : int, default 200
        Scoring iterations at the most.

    Returns
    -------
    FirthFit
        ``params`` (k, J-1) and ``cov`` = I(θ̂)⁻¹ (k(J-1), k(J-1)).

    Raises
    ------
    ValueError
        If ``X`` is not (n, k) with n = len(y), ``y`` does not hold codes 0..J-1 with J ≥ 2, or the
        Fisher information at the start is singular (the design is not of full column rank).

    Warns
    -----
    RuntimeWarning
        If it did not converge in ``maxiter`` iterations.
    """
    X = np.asarray(X, float)
    y = np.asarray(y).astype(int)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (n, k) with n = len(y); got {X.shape} and {y.shape}")
    if y.min() < 0 or y.max() < 1:
        raise ValueError("y must hold integer codes 0..J-1 with J >= 2")
    k = X.shape[1]
    m = int(y.max())
    Y = _indicator_matrix(y, m + 1)
    params = np.zeros((k, m))
    try:
        state = _penalised_state(X, Y, params)
    except np.linalg.LinAlgError as error:
        raise ValueError("Fisher information is singular: the design is not of full column rank") from error
    converged, iterations = False, 0
    while iterations < maxiter:
        iterations += 1
        step = _cho_inverse(state["chol"]) @ _modified_score(X, Y, state)
        if np.max(np.abs(step)) <= tol:
            converged = True
            break
        step *= min(1.0, MAX_STEP / np.max(np.abs(step)))
        params, state = _halving_step(X, Y, params, state, step)
    if not converged:
        warnings.warn(f"Firth MNL did not converge in {maxiter} iterations", RuntimeWarning, stacklevel=2)
    return FirthFit(
        params=params,
        cov=_cho_inverse(state["chol"]),
        loglik=state["loglik"],
        penalised_loglik=state["penalised"],
        converged=converged,
        iterations=iterations,
    )


def _halving_step(X, Y, params, state, step):
    """Take ``step`` (theta order), halving it until the penalised log-likelihood does not drop."""
    k, m = params.shape
    for _ in range(MAX_HALVINGS):
        candidate = params + step.reshape(m, k).T
        try:
            new_state = _penalised_state(X, Y, candidate)
        except np.linalg.LinAlgError:  # numerically singular information far out: step back
            step = step / 2
            continue
        if new_state["penalised"] >= state["penalised"] - 1e-12 * abs(state["penalised"]):
            return candidate, new_state
        step = step / 2
    return params, state
