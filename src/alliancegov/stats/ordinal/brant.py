"""The Brant (1990) test of the ordered logit's proportional-odds (parallel lines) assumption.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from alliancegov.stats.ordinal.likelihood import (
    _checked_inputs,
)
from alliancegov.stats.ordinal.margins import _expit


def _binary_logit(Xc: np.ndarray, z: np.ndarray, cut: int, w: np.ndarray | None) -> np.ndarray:
    """Coefficients (k+1,) of the (weighted) logit of ``z`` on ``Xc`` (whose first column is the
    constant): the two-outcome MNL of :func:`alliancegov.stats.mnl.fit_mnl_newton`."""
    from alliancegov.stats.mnl import fit_mnl_newton

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = fit_mnl_newton(Xc, z.astype(np.int64), weights=w, tol=1e-12)
    if not fit.converged:
        raise ValueError(
            f"binary logit y > {cut} did not converge ((quasi-)separation?); as SPost's brant, the Brant "
            "test cannot be computed when a regressor cannot be retained in every binary logit")
    return fit.params[:, 0]


def brant_test(X, y, names=None, *, weights=None,
               weight_type: Literal["frequency", "probability"] = "frequency", groups=None,
               robust: bool = False, design=None) -> pd.DataFrame:
    """Brant (1990) Wald test of the proportional-odds (parallel lines) assumption.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Regressors without constant (as for :func:`fit_ordered_logit`).
    y : array-like of shape (n,)
        Integer codes ``0 .. J-1``, J >= 3.
    names : sequence of str of length k, optional
        Labels.
    weights : array-like of shape (n,), optional
        Non-negative weights.
    weight_type : {"frequency", "probability"}, default "frequency"
        How the weights enter the covariance (see Notes).
    groups : array-like of shape (n,), optional
        Cluster labels: the joint covariance of the binary logits is then cluster-robust (see Notes).
    robust : bool, default False
        The robust (sandwich) joint covariance even without probability weights (see Notes).
    design : alliancegov.stats.survey.SurveyDesign, optional
        A complex sample: its sampling weights weight the binary logits and the joint covariance is
        linearised over its strata and PSUs (see Notes). Give no ``weights`` or ``groups`` with it.

    Returns
    -------
    DataFrame
        Columns ``term, statistic, df, p_value``; first row ``all`` (omnibus), then one row per
        variable.

    Raises
    ------
    ValueError
        If a binary logit is separated or fails (SPost stops too), J < 3, the inputs fail the
        checks of :func:`fit_ordered_logit`, or ``design`` comes with ``weights`` or ``groups``.

    Notes
    -----
    As SPost's ``brant`` after ``ologit`` (Long & Freese) and R ``brant::brant``: fit the J-1
    binary logits of ``y > j`` (j = 0 .. J-2) on X with a constant, stack their slopes
    ``beta* = (b_1', ..., b_{J-1}')'`` ((J-1)k), and estimate their joint covariance by Brant's
    formula: ``Var(b_m) = (X'W_mm X)^-1`` and, for m < l,
    ``Cov(b_m, b_l) = (X'W_mm X)^-1 (X'W_ml X) (X'W_ll X)^-1`` with ``X`` including the constant,
    ``W_ml = diag(pi_l - pi_m pi_l)`` (``pi_m`` the fitted ``P(y > m)`` of binary model m; since
    ``y > l`` implies ``y > m``, ``E[z_m z_l] = pi_l``), constant rows/columns dropped afterwards.
    The Wald statistic of ``H0: b_1 = ... = b_{J-1}`` is ``(D beta*)' (D V D')^-1 (D beta*)`` with
    ``D`` the contrasts ``b_1 - b_j`` (j = 2 .. J-1): df ``(J-2)k`` overall (term ``all``) and
    ``J-2`` for each variable (the same test restricted to that variable's J-1 coefficients).

    Weights: the J-1 binary logits are weighted (pseudo-)ML fits, each row's log-likelihood term
    multiplied by ``w_i``. Frequency weights also weight Brant's covariance
    (``W_ml = diag(w_i (pi_l - pi_m pi_l))``): the test equals the test on the rows repeated
    ``w_i`` times. Brant's covariance is model-based, so with probability weights it is replaced
    by the robust (sandwich) joint covariance of the stacked binary logits,
    ``N/(N-1) A_m^-1 (sum_i w_i^2 r_mi r_li x_i x_i') A_l^-1`` with ``A_m = X' diag(w pi_m (1 - pi_m)) X``,
    ``r_mi = z_mi - pi_mi`` and N the rows with positive weight (as Stata's ``suest`` of the
    weighted logits); the statistic is then a robust Wald test of the same contrasts. With ``groups``
    the meat sums each cluster's weighted residual scores first, ``G/(G-1) A_m^-1 (sum_g S_mg S_lg')
    A_l^-1`` (``suest, vce(cluster)``); ``robust`` asks for the sandwich whatever the weights (frequency
    weights then weight each row's meat as its repeated rows would); with a ``design``, the stacked
    weighted scores of the J-1 logits are linearised over its strata and PSUs
    (:func:`alliancegov.stats.survey.linearised_covariance`, ``svy`` with ``suest``). Brant's
    model-based formula is used only when neither is given and the weights (if any) are frequencies.

    The tests reproduce ``brant::brant``'s published example (``MASS::survey``,
    ``Smoke ~ Sex + Height``).

    References
    ----------
    Brant, R. (1990), Assessing proportionality in the proportional odds model for ordinal
    logistic regression, Biometrics 46:1171-1178; Long & Freese, Regression Models for
    Categorical Dependent Variables Using Stata.
    """
    from scipy import stats

    if design is not None:
        if weights is not None or groups is not None:
            raise ValueError("a survey design carries its own weights and PSUs: give no weights or groups")
        weights, weight_type = design.weights, "probability"
    Xa, labels, w, yi, J = _checked_inputs(X, y, names, weights, weight_type)
    n, k = Xa.shape
    if J < 3:
        raise ValueError("the Brant test needs at least three ordered categories (J >= 3)")

    Xc = np.column_stack([np.ones(n), Xa])
    betas, probs, indicators = [], [], []
    for m in range(J - 1):
        indicators.append((yi > m).astype(float))
        coef = _binary_logit(Xc, indicators[m], m, w)
        betas.append(coef[1:])
        probs.append(_expit(Xc @ coef))

    def cross(v: np.ndarray) -> np.ndarray:
        return (Xc * v[:, None]).T @ Xc

    ones = np.ones(n) if w is None else w
    inverses = [np.linalg.inv(cross(ones * pi * (1.0 - pi))) for pi in probs]
    M = J - 1
    if design is not None or groups is not None or robust or (weight_type == "probability" and w is not None):
        residuals = np.column_stack([z - pi for z, pi in zip(indicators, probs)])
        V = _stacked_sandwich(Xc, residuals, inverses, w, weight_type, groups, design)
    else:
        # Brant: E[(z_m - pi_m)(z_q - pi_q)] = pi_q - pi_m pi_q for m <= q, since y > q implies y > m
        V = np.zeros((M * (k + 1), M * (k + 1)))
        for m in range(M):
            for q in range(m, M):
                block = inverses[m] @ cross(ones * (probs[q] - probs[m] * probs[q])) @ inverses[q]
                V[m * (k + 1):(m + 1) * (k + 1), q * (k + 1):(q + 1) * (k + 1)] = block
                V[q * (k + 1):(q + 1) * (k + 1), m * (k + 1):(m + 1) * (k + 1)] = block.T
    slopes = np.flatnonzero(np.arange(M * (k + 1)) % (k + 1) != 0)     # the constants' rows and columns out
    V = V[np.ix_(slopes, slopes)]
    beta_star = np.concatenate(betas)

    # contrasts b_1 - b_j, j = 2 .. J-1 (SPost's design matrix)
    D = np.zeros(((M - 1) * k, M * k))
    for j in range(1, M):
        D[(j - 1) * k:j * k, :k] = np.eye(k)
        D[(j - 1) * k:j * k, j * k:(j + 1) * k] = -np.eye(k)

    def wald(rows: np.ndarray, cols: np.ndarray) -> float:
        Ds = D[np.ix_(rows, cols)]
        diff = Ds @ beta_star[cols]
        return float(diff @ np.linalg.solve(Ds @ V[np.ix_(cols, cols)] @ Ds.T, diff))

    all_rows = np.arange((M - 1) * k)
    all_cols = np.arange(M * k)
    statistics = [wald(all_rows, all_cols)]
    dfs = [(J - 2) * k]
    for v in range(k):
        statistics.append(wald(np.arange(v, (M - 1) * k, k), np.arange(v, M * k, k)))
        dfs.append(J - 2)
    statistics = np.asarray(statistics)
    dfs = np.asarray(dfs)
    return pd.DataFrame({
        "term": ["all"] + labels,
        "statistic": statistics,
        "df": dfs,
        "p_value": stats.chi2.sf(statistics, dfs),
    })


def _stacked_sandwich(Xc: np.ndarray, residuals: np.ndarray, inverses: list[np.ndarray], w: np.ndarray | None,
                      weight_type: str, groups, design) -> np.ndarray:
    """Joint sandwich covariance (M(k+1), M(k+1)) of the M stacked binary logits (``suest``): bread the
    block-diagonal inverse weighted informations, meat from the (n, M) residuals ``z_m - pi_m`` times
    the rows ``Xc`` (n, k+1), robust or clustered with Stata's factors, or linearised over a design."""
    from scipy import linalg

    from alliancegov.stats.mnl.covariance import _cluster_meat, meat_scaling

    n = Xc.shape[0]
    bread = linalg.block_diag(*inverses)
    if design is not None:
        from alliancegov.stats.survey.design import linearised_covariance

        weighted = residuals if w is None else residuals * w[:, None]
        return linearised_covariance((weighted[:, :, None] * Xc[:, None, :]).reshape(n, -1), bread, design)
    scale, factor, codes = meat_scaling(n, kind="robust" if groups is None else "cluster", groups=groups, weights=w,
                                        weight_type="sampling" if weight_type == "probability" else "frequency")
    scaled = residuals if scale is None else residuals * scale[:, None]
    if codes is None:
        scores = (scaled[:, :, None] * Xc[:, None, :]).reshape(n, -1)
        meat = scores.T @ scores
    else:
        meat = _cluster_meat(Xc, scaled, codes)        # equation-major blocks, as the stacked coefficients
    V = factor * bread @ meat @ bread
    return (V + V.T) / 2
