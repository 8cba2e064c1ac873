"""Pseudo-maximum-likelihood multinomial logit with the Taylor-linearised design covariance
(Stata ``svy: mlogit``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from alliancegov.stats.mnl import fit_mnl_newton, model_covariance, score_contributions
from alliancegov.stats.survey.design import SurveyDesign, design_degrees_of_freedom, linearised_covariance

__all__ = ["SurveyFit", "fit_mnl_survey"]


@dataclass(frozen=True, eq=False)
class SurveyFit:
    """Result of :func:`fit_mnl_survey`.

    Attributes
    ----------
    params : ndarray of shape (k, J-1)
        Coefficients (column ``j-1`` = equation of outcome ``j``; outcome 0 is the base).
    cov : ndarray of shape (k(J-1), k(J-1))
        Linearised design covariance, equation-major (``theta = params.T.ravel()``) as in
        :mod:`alliancegov.stats.mnl`.
    cov_srs : ndarray of shape (k(J-1), k(J-1))
        Model-based covariance for a simple random sample of the same size, ``(W/n_+) I_w^{-1}``
        with ``I_w`` the weighted information, ``W`` the sum of weights and ``n_+`` the
        observations with a positive weight (the denominator of :func:`design_effects`).
    loglik : float
        The weighted pseudo-log-likelihood ``sum_i w_i log P_{i,y_i}`` (depends on the scale of
        the weights, not a likelihood: no LR tests).
    n : int
        Observations.
    n_psu : int
        PSUs.
    n_strata : int
        Strata.
    design_df : int
        ``n_psu - n_strata``.
    converged : bool
        From Newton.
    iterations : int
        From Newton.
    """

    params: np.ndarray
    cov: np.ndarray
    cov_srs: np.ndarray
    loglik: float
    n: int
    n_psu: int
    n_strata: int
    design_df: int
    converged: bool
    iterations: int

    @property
    def std_errors(self) -> np.ndarray:
        """Linearised standard errors, shape (k, J-1) like ``params``."""
        k = self.params.shape[0]
        return np.sqrt(np.maximum(np.diag(self.cov), 0.0)).reshape(-1, k).T

    def conf_int(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Confidence intervals of the coefficients, as Stata's ``svy``.

        Student t with the design degrees of freedom.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        lower, upper : ndarray of shape (k, J-1)
            ``params -/+ t_{design_df, (1+level)/2} * std_errors`` (NaN if ``design_df < 1``).

        Raises
        ------
        ValueError
            If ``level`` is not in (0, 1).
        """
        if not 0 < level < 1:
            raise ValueError("level must lie in (0, 1)")
        q = stats.t.ppf(0.5 + level / 2, self.design_df) if self.design_df >= 1 else np.nan
        half = q * self.std_errors
        return self.params - half, self.params + half


def fit_mnl_survey(X, y, design: SurveyDesign, *, tol: float = 1e-10, maxiter: int = 100) -> SurveyFit:
    """Pseudo-maximum-likelihood MNL with the Taylor-linearised design covariance (Stata ``svy: mlogit``).

    The coefficients maximise ``sum_i w_i log P_{i,y_i}``
    (:func:`~alliancegov.stats.mnl.fit_mnl_newton` with the sampling weights; invariant to
    rescaling the weights); the covariance is :func:`linearised_covariance` of the weighted scores
    ``w_i s_i`` with bread ``I_w^{-1}``. With J = 2 this is the design-based binary logit of
    ``svy: logit`` and of ``survey::svyglm(family=quasibinomial)``.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Design matrix (include a constant column yourself).
    y : array-like of shape (n,)
        Integer outcome codes 0..J-1 (0 = base).
    design : SurveyDesign
        The sample design on the same n rows.
    tol : float, default 1e-10
        Newton's convergence tolerance (see :func:`~alliancegov.stats.mnl.fit_mnl_newton`).
    maxiter : int, default 100
        Newton updates at the most.

    Returns
    -------
    SurveyFit

    Raises
    ------
    ValueError
        If ``X`` is not 2-d, or as :func:`~alliancegov.stats.mnl.fit_mnl_newton` and
        :func:`linearised_covariance`.

    Warns
    -----
    RuntimeWarning
        If Newton does not converge (from :func:`~alliancegov.stats.mnl.fit_mnl_newton`).
    """
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got shape {Xa.shape}")
    n = Xa.shape[0]
    n_psu, n_strata, design_df = design_degrees_of_freedom(design, n)
    w = design.weights
    fit = fit_mnl_newton(Xa, y, weights=w, tol=tol, maxiter=maxiter)
    S = score_contributions(Xa, y, fit.params)
    if w is not None:
        S *= w[:, None]
    bread = model_covariance(fit.information)
    cov = linearised_covariance(S, bread, design)
    if w is None:
        cov_srs = bread
    else:
        cov_srs = bread * (float(w.sum()) / int(np.count_nonzero(w > 0)))
    return SurveyFit(params=fit.params, cov=cov, cov_srs=cov_srs, loglik=fit.loglik, n=n, n_psu=n_psu,
                     n_strata=n_strata, design_df=design_df, converged=fit.converged, iterations=fit.iterations)
