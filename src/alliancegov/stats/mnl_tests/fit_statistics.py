"""Fit statistics (SPost's ``fitstat``) and the classification table of an MNL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.mnl_tests.common import (
    _codes,
)


def null_loglik(y, n_outcomes: int | None = None, weights=None) -> float:
    """Closed-form log-likelihood of the intercept-only MNL: ``sum_j n_j log(n_j / N)``.

    Exact for any MNL with an intercept (its ML fitted probabilities are the sample shares).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1``; a code need not occur.
    n_outcomes : int, optional
        ``J`` (default the largest code + 1).
    weights : array-like of shape (n,), optional
        Frequency weights (``n_j`` weighted).

    Returns
    -------
    float
        The log-likelihood, in nats.
    """
    codes, J = _codes(y, n_outcomes, require_all=False)
    w = np.ones(codes.size) if weights is None else np.asarray(weights, dtype=float)
    counts = np.bincount(codes, weights=w, minlength=J)
    total = counts.sum()
    present = counts > 0
    return float((counts[present] * np.log(counts[present] / total)).sum())


def fit_statistics(y, probabilities, loglik: float, n_params: int, weights=None) -> pd.DataFrame:
    """Fit statistics of a fitted MNL (Long 1997, ch. 4.3 and 6; SPost ``fitstat``; Stata ``mlogit``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1``.
    probabilities : array-like of shape (n, J)
        Fitted probabilities (column ``j`` = outcome ``j``).
    loglik : float
        The model's log-likelihood ``LL``.
    n_params : int
        ``K``, the number of estimated coefficients including intercepts (``(J-1) k`` for an MNL).
    weights : array-like of shape (n,), optional
        Frequency weights: then ``N = sum(weights)``, counts are weighted and ``loglik`` must be
        the weighted log-likelihood.

    Returns
    -------
    DataFrame
        Columns ``statistic, value``, one row per statistic listed below (all values float).

    Raises
    ------
    ValueError
        If ``probabilities`` is not 2-d or has another number of rows than ``y``.

    Notes
    -----
    Rows (``statistic, value``):

    * ``log_likelihood`` ``LL``; ``log_likelihood_null`` ``LL0 = sum_j n_j log(n_j/N)`` (closed
      form, exact for a model with an intercept);
    * ``lr_chi2 = 2 (LL - LL0)``, ``lr_df = K - (J-1)``, ``lr_p_value``;
    * ``mcfadden_r2 = 1 - LL/LL0``; ``mcfadden_adj_r2 = 1 - (LL - K)/LL0``;
    * ``cox_snell_r2`` (maximum-likelihood R2) ``= 1 - exp(2 (LL0 - LL) / N)``;
    * ``nagelkerke_r2`` (Cragg-Uhler) ``= cox_snell_r2 / (1 - exp(2 LL0 / N))``;
    * ``count_r2`` = share correctly classified (prediction = argmax of the probabilities,
      lowest code on ties); ``adj_count_r2 = (correct - max_j n_j) / (N - max_j n_j)``;
    * ``aic = -2 LL + 2 K`` (Stata ``estat ic``, statsmodels); ``aic_per_obs = aic / N`` (Long's AIC);
    * ``bic = -2 LL + K ln N`` (Stata ``estat ic`` / ``e(bic)``, statsmodels ``bic``);
      ``bic_prime = -lr_chi2 + lr_df ln N`` (Raftery's BIC', Long 1997 / SPost ``fitstat``);
    * ``n_obs`` ``N``; ``n_params`` ``K``.

    Checked (tests/stats/test_mnl_tests.py) against Stata 11 ``mlogit`` on ANES 1996 as shipped with
    statsmodels (``statsmodels.discrete.tests.results.results_discrete.Anes.mnlogit_basezero``):
    ``e(ll)``, ``e(ll_0)``, ``e(chi2)``, ``e(df_m)``, ``e(p)``, ``e(r2_p)``, AIC, BIC and ``e(N)``
    agree to 1e-4 or better; the other statistics against Long's formulas.
    """
    from scipy import stats

    P = np.asarray(probabilities, dtype=float)
    if P.ndim != 2:
        raise ValueError("probabilities must be (n, J)")
    codes, J = _codes(y, P.shape[1], require_all=False)
    if P.shape[0] != codes.size:
        raise ValueError("probabilities and y have different numbers of rows")
    w = np.ones(codes.size) if weights is None else np.asarray(weights, dtype=float)
    N = float(w.sum())
    K = int(n_params)
    LL = float(loglik)
    LL0 = null_loglik(codes, J, w)
    counts = np.bincount(codes, weights=w, minlength=J)
    correct = float(w[P.argmax(axis=1) == codes].sum())
    lr = 2.0 * (LL - LL0)
    lr_df = K - (J - 1)
    cox_snell = 1.0 - math.exp(2.0 * (LL0 - LL) / N)
    values = {
        "log_likelihood": LL,
        "log_likelihood_null": LL0,
        "lr_chi2": lr,
        "lr_df": float(lr_df),
        "lr_p_value": float(stats.chi2.sf(lr, lr_df)) if lr_df > 0 else math.nan,
        "mcfadden_r2": 1.0 - LL / LL0,
        "mcfadden_adj_r2": 1.0 - (LL - K) / LL0,
        "cox_snell_r2": cox_snell,
        "nagelkerke_r2": cox_snell / (1.0 - math.exp(2.0 * LL0 / N)),
        "count_r2": correct / N,
        "adj_count_r2": (correct - counts.max()) / (N - counts.max()),
        "aic": -2.0 * LL + 2.0 * K,
        "aic_per_obs": (-2.0 * LL + 2.0 * K) / N,
        "bic": -2.0 * LL + K * math.log(N),
        "bic_prime": -lr + lr_df * math.log(N),
        "n_obs": N,
        "n_params": float(K),
    }
    return pd.DataFrame({"statistic": list(values), "value": list(values.values())})


def classification_table(y, probabilities, labels: Sequence | None = None, weights=None) -> pd.DataFrame:
    """Observed x predicted counts (prediction = argmax of the probabilities).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1``.
    probabilities : array-like of shape (n, J)
        Fitted probabilities.
    labels : sequence, optional
        ``J`` outcome names (default the codes).
    weights : array-like of shape (n,), optional
        Frequency weights: a row counts as that many observations (whole numbers).

    Returns
    -------
    DataFrame of shape (J + 1, J + 1)
        Integer counts (of observations: weighted by the frequency weights). Rows are observed outcomes (index
        name ``observed``), columns predicted ones (``predicted``), each with a ``Total`` margin; the diagonal
        sum over ``N`` is the count R2.

    Raises
    ------
    ValueError
        If ``labels`` does not have ``J`` entries.
    """
    P = np.asarray(probabilities, dtype=float)
    codes, J = _codes(y, P.shape[1], require_all=False)
    labels = list(range(J)) if labels is None else list(labels)
    if len(labels) != J:
        raise ValueError(f"{len(labels)} labels for {J} outcomes")
    table = np.zeros((J + 1, J + 1), dtype=int)
    counts = 1 if weights is None else np.asarray(weights).astype(int)
    np.add.at(table, (codes, P.argmax(axis=1)), counts)
    table[J, :J] = table[:J, :J].sum(axis=0)
    table[:, J] = table[:, :J].sum(axis=1)
    index = pd.Index(labels + ["Total"], name="observed", dtype=object)
    columns = pd.Index(labels + ["Total"], name="predicted", dtype=object)
    return pd.DataFrame(table, index=index, columns=columns)
