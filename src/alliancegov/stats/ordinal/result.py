"""The ordered logit's fit (:class:`OrderedFit`) and Stata ``ologit``'s header statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class OrderedFit:
    """Ordered-logit maximum-likelihood fit on the natural scale.

    Attributes
    ----------
    slopes : ndarray of shape (k,)
        Coefficients of the columns of X.
    cutpoints : ndarray of shape (J-1,)
        Increasing cut points ``c_1 < ... < c_{J-1}`` (Stata ``/cut``, polr ``zeta``).
    cov : ndarray of shape (k+J-1, k+J-1)
        Covariance of ``(slopes, cutpoints)``, natural scale: see ``cov_type``.
    loglik : float
        Maximised (weighted; for probability weights pseudo-) log-likelihood.
    converged : bool
        Newton convergence flag (and finite covariance).
    n : float
        Stata's N: the sum of frequency weights, else the number of rows (with positive weight).
    names : tuple of str, length k
        Labels of the slopes.
    loglik_null : float
        Log-likelihood of the model with cut points only, in closed form ``sum_j W_j log(W_j / W)``
        (``W_j`` the weighted count of category j): its ML fitted probabilities are the shares.
    weight_type : {None, "frequency", "probability"}
        None for an unweighted fit.
    cov_type : {"oim", "robust", "cluster", "design"}
        ``oim``: inverse (weighted) observed information (Stata ``vce(oim)``, polr ``vcov``);
        ``robust``: sandwich with ``N/(N-1)``; ``cluster``: cluster-robust with ``G/(G-1)``;
        ``design``: Taylor-linearised covariance of a survey design (Stata ``svy: ologit``).
    n_clusters : int or None
        G for ``cov_type="cluster"``, the PSUs for ``cov_type="design"``.
    design_df : float or None
        The survey design's degrees of freedom (PSUs less strata) for ``cov_type="design"``: the
        model test is then the adjusted Wald F and intervals use t on these df.
    """

    slopes: np.ndarray
    cutpoints: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool
    n: float
    names: tuple[str, ...] = field(default=())
    loglik_null: float = math.nan
    weight_type: str | None = None
    cov_type: str = "oim"
    n_clusters: int | None = None
    design_df: float | None = None

    @property
    def n_categories(self) -> int:
        """J, the number of ordered outcome categories."""
        return int(self.cutpoints.shape[0]) + 1

    @property
    def params(self) -> np.ndarray:
        """``theta = (slopes, cutpoints)``, shape (k+J-1,), the order of :attr:`cov`."""
        return np.concatenate([self.slopes, self.cutpoints])

    @property
    def std_errors(self) -> np.ndarray:
        """Standard errors of ``(slopes, cutpoints)``, shape (k+J-1,)."""
        return np.sqrt(np.diag(self.cov))

    @property
    def df_model(self) -> int:
        """k, the degrees of freedom of the LR and Wald tests of all slopes = 0."""
        return int(self.slopes.shape[0])

    @property
    def lr_chi2(self) -> float:
        """Likelihood-ratio statistic ``2 (loglik - loglik_null)`` of all slopes = 0.

        NaN unless ``cov_type="oim"``: with a robust or cluster covariance (probability weights,
        clusters) the likelihood-ratio statistic has no chi-square distribution and Stata prints
        the Wald chi-square (:attr:`wald_chi2`) instead.
        """
        return 2.0 * (self.loglik - self.loglik_null) if self.cov_type == "oim" else math.nan

    @property
    def wald_chi2(self) -> float:
        """Wald statistic of all slopes = 0 with :attr:`cov` (Stata's ``Wald chi2(k)``)."""
        k = self.df_model
        b = self.slopes
        return float(b @ np.linalg.solve(self.cov[:k, :k], b))

    @property
    def pseudo_r2(self) -> float:
        """McFadden's ``1 - loglik / loglik_null`` (Stata's ``Pseudo R2``, printed for every weight type)."""
        return 1.0 - self.loglik / self.loglik_null

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 (k+J-1)`` (Stata ``estat ic``).

        NaN for probability weights (and a survey design), whose pseudo-likelihood is not a likelihood.
        """
        if self.weight_type == "probability":
            return math.nan
        return -2.0 * self.loglik + 2.0 * self.params.shape[0]

    @property
    def bic(self) -> float:
        """``-2 loglik + (k+J-1) ln N`` (Stata ``estat ic``); NaN for probability weights."""
        if self.weight_type == "probability":
            return math.nan
        return -2.0 * self.loglik + self.params.shape[0] * math.log(self.n)

    def fit_statistics(self) -> pd.DataFrame:
        """What Stata's ``ologit`` header prints, plus AIC and BIC, as ``statistic, value`` rows.

        Returns
        -------
        DataFrame
            Columns ``statistic, value`` (float); rows ``n_obs`` (N), ``log_likelihood``,
            ``log_likelihood_null``, the model test of all slopes = 0 (``lr_chi2`` for
            ``cov_type="oim"``, else ``wald_chi2`` with the fit's covariance, as Stata; under a survey
            design also ``wald_f``, the adjusted Wald F, and ``df_denominator``, its design df),
            ``df``, ``p_value`` (upper-tail chi-square, or F under a design), ``pseudo_r2``, ``aic``,
            ``bic`` (NaN for a pseudo-likelihood: probability weights or a design), ``n_clusters``
            (G, or the PSUs of a design; NaN otherwise).
        """
        from scipy import stats

        from alliancegov.stats.mnl_tests import design_adjusted_f

        test, statistic = ("lr_chi2", self.lr_chi2) if self.cov_type == "oim" else ("wald_chi2", self.wald_chi2)
        values = {"n_obs": float(self.n), "log_likelihood": self.loglik, "log_likelihood_null": self.loglik_null,
                  test: statistic, "df": float(self.df_model)}
        if self.design_df is not None:
            f, denominator, p_value = design_adjusted_f(statistic, self.df_model, self.design_df)
            values |= {"wald_f": f, "df_denominator": float(denominator), "p_value": p_value}
        else:
            values["p_value"] = float(stats.chi2.sf(statistic, self.df_model))
        values |= {"pseudo_r2": self.pseudo_r2, "aic": self.aic, "bic": self.bic,
                   "n_clusters": math.nan if self.n_clusters is None else float(self.n_clusters)}
        return pd.DataFrame({"statistic": list(values), "value": list(values.values())})
