"""Fit measures of a CFA as lavaan reports them: χ² and its baseline, CFI, TLI, RMSEA with its
confidence interval and test of close fit, SRMR (``srmr_bentler``), log-likelihoods, AIC and BIC."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.stats.cfa.likelihood import GroupMoments
from alliancegov.stats.cfa.slots import ModelSlots, SampleMoments


def fit_measures(spec: ModelSlots, sample: SampleMoments, theta: np.ndarray,
                 n_dropped: int) -> tuple[pd.Series, pd.Series]:
    """Fit measures of the model at the estimates, and each group's χ² contribution.

    Parameters
    ----------
    spec : ModelSlots
        The model.
    sample : SampleMoments
        The groups' sample moments.
    theta : ndarray of shape (n_params,)
        The estimates (Σ_g positive definite in every group).
    n_dropped : int
        Rows left out by listwise deletion, reported as ``n_dropped``.

    Returns
    -------
    fit : Series
        ``n_obs, n_dropped, npar, chisq, df, p_value, baseline_chisq, baseline_df, cfi, tli,
        rmsea, rmsea_ci_low, rmsea_ci_high, rmsea_p_close, srmr, loglik, loglik_h1, aic, bic``
        (see :class:`~alliancegov.stats.cfa.result.CFAResult`).
    chisq_by_group : Series
        N_g F_g of each group, indexed by group label, named ``chisq``.
    """
    from scipy import stats

    p = len(spec.items)
    n_total = sample.n_obs.sum()
    G = spec.n_groups
    chisq_g, baseline_g, loglik, loglik_h1, srmr_g = [], [], 0.0, 0.0, []
    for g, n in enumerate(sample.n_obs):
        moments = GroupMoments(spec, sample, theta, g)   # positive definite: the optimiser kept F finite
        logdet_s = np.linalg.slogdet(moments.S)[1]
        chisq_g.append(n * moments.discrepancy)
        baseline_g.append(n * (np.log(np.diag(moments.S)).sum() - logdet_s))
        loglik += -n / 2 * (p * np.log(2 * np.pi) + moments.logdet + moments.quadratic)
        loglik_h1 += -n / 2 * (p * np.log(2 * np.pi) + logdet_s + p)
        srmr_g.append(_srmr(moments.S, moments.sigma, moments.residual if spec.meanstructure else None))
    chisq, baseline = float(sum(chisq_g)), float(sum(baseline_g))
    moments = G * (p * (p + 1) // 2 + (p if spec.meanstructure else 0))
    npar = spec.n_params
    df = moments - npar
    baseline_df = G * p * (p - 1) // 2
    rmsea, ci_low, ci_high, p_close = _rmsea(chisq, df, n_total, G)
    excess, baseline_excess = max(chisq - df, 0.0), max(baseline - baseline_df, 0.0)
    denominator = max(excess, baseline_excess)
    fit = pd.Series({
        "n_obs": n_total, "n_dropped": n_dropped, "npar": npar, "chisq": chisq, "df": df,
        "p_value": stats.chi2.sf(chisq, df) if df > 0 else np.nan,
        "baseline_chisq": baseline, "baseline_df": baseline_df,
        "cfi": 1 - excess / denominator if denominator > 0 else 1.0,
        "tli": ((baseline / baseline_df - chisq / df) / (baseline / baseline_df - 1)) if df > 0 else np.nan,
        "rmsea": rmsea, "rmsea_ci_low": ci_low, "rmsea_ci_high": ci_high, "rmsea_p_close": p_close,
        "srmr": float(np.dot(sample.weights, srmr_g)),
        "loglik": loglik, "loglik_h1": loglik_h1,
        "aic": -2 * loglik + 2 * npar, "bic": -2 * loglik + npar * np.log(n_total)})
    return fit, pd.Series(chisq_g, index=list(sample.labels), name="chisq")


def _srmr(S: np.ndarray, sigma: np.ndarray, mean_residual: np.ndarray | None) -> float:
    """lavaan's ``srmr_bentler`` of one group: residuals scaled by the observed standard deviations."""
    sd = np.sqrt(np.diag(S))
    scaled = (S - sigma) / np.outer(sd, sd)
    squares = scaled[np.triu_indices(len(sd))] ** 2
    if mean_residual is not None:
        squares = np.concatenate([squares, (mean_residual / sd) ** 2])
    return float(np.sqrt(squares.mean()))


def _rmsea(chisq: float, df: int, n_total: float, n_groups: int, level: float = 0.90,
           close: float = 0.05) -> tuple[float, float, float, float]:
    """RMSEA, its CI from the non-central χ² and the p-value of RMSEA <= ``close`` (lavaan's formulas)."""
    from scipy import optimize, stats

    if df <= 0:
        return (np.nan,) * 4

    def cdf(ncp):
        return stats.chi2.cdf(chisq, df) if ncp <= 0 else stats.ncx2.cdf(chisq, df, ncp)

    def ncp_for(probability):
        if cdf(0.0) < probability:
            return 0.0
        upper = max(chisq, 1.0)
        while cdf(upper) > probability:
            upper *= 2
        return optimize.brentq(lambda ncp: cdf(ncp) - probability, 0.0, upper, xtol=1e-12)

    def to_rmsea(ncp):
        return float(np.sqrt(ncp / (n_total * df)) * np.sqrt(n_groups))

    rmsea = to_rmsea(max(chisq - df, 0.0))
    tail = (1 - level) / 2
    p_close = float(stats.ncx2.sf(chisq, df, n_total * df * close ** 2 / n_groups))
    return rmsea, to_rmsea(ncp_for(1 - tail)), to_rmsea(ncp_for(tail)), p_close
