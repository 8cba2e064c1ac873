"""Rubin's rules: estimates from ``m`` imputations pooled, with Barnard–Rubin degrees of freedom,
and the pooled tidy table (see the package docstring for the references)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class PooledEstimate:
    """Estimates pooled over ``m`` imputations by Rubin's rules (``p`` parameters).

    The per-parameter quantities ``riv``, ``lambda_``, ``df`` and ``fmi`` come from the diagonals of
    W, B and T.

    Attributes
    ----------
    estimate : ndarray of shape (p,)
        Mean of the m estimates, Q̄.
    cov : ndarray of shape (p, p)
        Total variance T = W + (1 + 1/m) B.
    within : ndarray of shape (p, p)
        Mean covariance W (Ū).
    between : ndarray of shape (p, p)
        Covariance of the m estimates B (ddof 1).
    riv : ndarray of shape (p,)
        Relative increase in variance r = (1 + 1/m) B / W.
    lambda_ : ndarray of shape (p,)
        Proportion of the variance due to missingness λ = (1 + 1/m) B / T = r / (1 + r)
        (statsmodels' ``frac_miss_info``, R mice's ``lambda``).
    fmi : ndarray of shape (p,)
        Fraction of missing information (r + 2 / (df + 3)) / (r + 1), as R mice's ``fmi`` and
        Stata.
    df : ndarray of shape (p,)
        Degrees of freedom (Rubin's, or Barnard–Rubin's when ``df_complete`` is set).
    m : int
        Number of imputations.
    n_obs : int, optional
        Kept as given (None when not given).
    df_complete : float, optional
        Kept as given (None when not given).
    """

    estimate: np.ndarray
    cov: np.ndarray
    within: np.ndarray
    between: np.ndarray
    riv: np.ndarray
    lambda_: np.ndarray
    fmi: np.ndarray
    df: np.ndarray
    m: int
    n_obs: int | None = None
    df_complete: float | None = None

    @property
    def std_error(self) -> np.ndarray:
        """Pooled standard errors √diag(T), shape (p,)."""
        return np.sqrt(np.diag(self.cov))


def rubin_pool(estimates, covariances, n_obs: int | None = None,
               df_complete: float | None = None) -> PooledEstimate:
    """Pool estimates and covariances from m ≥ 2 imputations by Rubin's rules.

    Any model's coefficient vector works (e.g. a multinomial logit's equation-major vector).

    Parameters
    ----------
    estimates : array-like of shape (m, p)
        Each imputation's estimates.
    covariances : array-like of shape (m, p, p)
        Each imputation's covariance of them.
    n_obs : int, optional
        Rows per completed data set; only recorded.
    df_complete : float, optional
        The complete-data degrees of freedom ν_com (e.g. n − k for OLS, R mice's ``dfcom``):
        given, the df are Barnard–Rubin's small-sample ν_BR; None means large-sample inference
        with Rubin's (1987) ν.

    Returns
    -------
    PooledEstimate

    Raises
    ------
    ValueError
        If the shapes do not fit, m < 2, a value is not finite, or ``df_complete`` is not
        positive.
    """
    estimates, covariances = _check_pool_input(estimates, covariances, df_complete)
    m = estimates.shape[0]
    estimate = estimates.mean(axis=0)
    within = covariances.mean(axis=0)
    deviations = estimates - estimate
    between = deviations.T @ deviations / (m - 1)
    total = within + (1 + 1 / m) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * np.diag(between) / np.diag(within)
        lambda_ = (1 + 1 / m) * np.diag(between) / np.diag(total)
    df = barnard_rubin_df(m, lambda_, df_complete)
    with np.errstate(divide="ignore", invalid="ignore"):
        fmi = (riv + 2 / (df + 3)) / (riv + 1)
    return PooledEstimate(estimate=estimate, cov=total, within=within, between=between, riv=riv,
                          lambda_=lambda_, fmi=fmi, df=df, m=m, n_obs=n_obs, df_complete=df_complete)


def _check_pool_input(estimates, covariances, df_complete) -> tuple[np.ndarray, np.ndarray]:
    """Arrays (m, p) and (m, p, p) of finite floats with m ≥ 2, else ValueError."""
    estimates = np.asarray(estimates, dtype=float)
    covariances = np.asarray(covariances, dtype=float)
    if estimates.ndim != 2 or estimates.shape[0] < 2:
        raise ValueError(f"estimates must be (m, p) with m >= 2 imputations, got shape {estimates.shape}")
    m, p = estimates.shape
    if covariances.shape != (m, p, p):
        raise ValueError(f"covariances must be (m, p, p) = {(m, p, p)}, got {covariances.shape}")
    if not (np.isfinite(estimates).all() and np.isfinite(covariances).all()):
        raise ValueError("estimates and covariances must be finite")
    if df_complete is not None and not df_complete > 0:
        raise ValueError(f"df_complete must be positive, got {df_complete}")
    return estimates, covariances


def barnard_rubin_df(m: int, lambda_, df_complete: float | None = None) -> np.ndarray:
    """Degrees of freedom per parameter from λ = (1 + 1/m) B / T.

    Parameters
    ----------
    m : int
        Number of imputations.
    lambda_ : array-like of shape (p,)
        λ of each parameter.
    df_complete : float, optional
        The complete-data df ν_com; None or inf = large sample, Rubin's ν.

    Returns
    -------
    ndarray of shape (p,)
        Rubin (1987): ν = (m − 1) / λ² = (m − 1)(1 + 1/r)² (infinite when B = 0). With
        ``df_complete``, Barnard & Rubin (1999): ν_BR = (1/ν + 1/ν_obs)⁻¹ with
        ν_obs = (ν_com + 1)/(ν_com + 3) ν_com (1 − λ).

    Notes
    -----
    R mice floors λ at 1e-4 (ν ≤ 4e8 (m − 1)); here λ = 0 gives ν = ∞ instead.
    """
    lambda_ = np.asarray(lambda_, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_rubin = lambda_**2 / (m - 1)
        if df_complete is None or np.isinf(df_complete):
            return 1 / inverse_rubin
        nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lambda_)
        return 1 / (inverse_rubin + 1 / nu_obs)


def pooled_tidy(pooled: PooledEstimate, terms, level: float = 0.95) -> pd.DataFrame:
    """Tidy table of a ``PooledEstimate``: one row per term, in the project's convention.

    Parameters
    ----------
    pooled : PooledEstimate
        The pooled estimates.
    terms : sequence of str, length p
        Names of the parameters; patsy categorical names are made readable.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per term, columns ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high, df, fmi``; Wald t statistics referred to Student t with each parameter's own
        ``df`` (normal when infinite); CIs at ``level``.

    Raises
    ------
    ValueError
        If ``terms`` does not have p names.
    """
    from scipy import stats

    from alliancegov.stats.tidy import TIDY_COLUMNS, readable_term

    terms = list(terms)
    if len(terms) != pooled.estimate.size:
        raise ValueError(f"{len(terms)} terms for {pooled.estimate.size} pooled estimates")
    std_error = pooled.std_error
    statistic = pooled.estimate / std_error
    half_width = stats.t.ppf(0.5 + level / 2, pooled.df) * std_error
    table = pd.DataFrame({
        "term": [readable_term(str(term)) for term in terms],
        "estimate": pooled.estimate,
        "std_error": std_error,
        "statistic": statistic,
        "p_value": 2 * stats.t.sf(np.abs(statistic), pooled.df),
        "conf_low": pooled.estimate - half_width,
        "conf_high": pooled.estimate + half_width,
        "df": pooled.df,
        "fmi": pooled.fmi,
    })
    return table[[*TIDY_COLUMNS, "df", "fmi"]]
