"""Two-level nested logit by full-information maximum likelihood, with Stata's covariances.

Generic: nothing here knows about the survey. statsmodels has no nested logit; this module fits
the one that Stata's ``nlogit`` and R ``mlogit(..., nests = )`` fit by default and reports what
they report: coefficients, dissimilarity (inclusive-value) parameters, model-based, robust or
cluster-robust covariances with Stata's factors, the likelihood-ratio and Wald tests of the nested
logit against the multinomial logit (all dissimilarities 1), and a check of consistency with random
utility maximisation.

Model
-----
Alternatives ``0 .. J-1`` are partitioned into nests ``B_1 .. B_M``. With systematic utilities
``V_ij = x_i'b_j + z_ij'g`` (``b_0 = 0``: alternative 0 is the base of the case-specific
coefficients, as in :mod:`alliancegov.stats.mnl`) and dissimilarity ``tau_m`` for nest m, the default
``form="ru2"`` is McFadden's (1978) random-utility-consistent nested logit, in Hensher & Greene's
(2002) terms the RU2 normalisation (Heiss 2002: RUMNL):

    P(j | m) = exp(V_ij / tau_m) / sum_{l in B_m} exp(V_il / tau_m),
    I_m = log sum_{l in B_m} exp(V_il / tau_m)                       (inclusive value),
    P(m) = exp(tau_m I_m) / sum_n exp(tau_n I_n),    P_ij = P(m) P(j | m).

This is Stata's ``nlogit`` default and R mlogit's ``nests =`` with ``unscaled = FALSE``. In it the
dissimilarity of a degenerate (single-alternative) nest cancels from every probability (``tau I =
V_j``), so it is not identified and is fixed at 1 (Heiss 2002; Stata's ``nlogit`` sets it to 1 too).
``form="nonnormalized"`` is the other variant (Daly's, Koppelman & Wen's (1998) "non-normalised"
nested logit; Stata's ``nonnormalized`` option, mlogit's ``unscaled = TRUE``, Greene's *Econometric
Analysis* tables): the utilities are not divided by ``tau_m`` inside the nest,
``P(j | m) = exp(V_ij) / sum exp(V_il)``,
``I_m = log sum exp(V_il)``; it is consistent with utility maximisation only when all
dissimilarities are equal, and there a degenerate nest's dissimilarity is identified (it scales
that alternative's utility) and estimated. With every ``tau_m = 1`` both forms are the MNL.

The log-likelihood ``sum_i log P_{i, y_i}`` is maximised by ``scipy.optimize.minimize`` with its
analytic gradient (:func:`_loglik_scores`): L-BFGS-B (dissimilarities bounded below by a small
positive number), then scipy's ``trust-exact`` to a tight gradient tolerance. The Hessian, for both
that step and the covariance, is the central finite difference of the analytic gradient. The
likelihood of a nested logit need not be concave in the dissimilarities (it is in the coefficients
given them, Daganzo & Kusnic 1993), so the fit starts from the MNL (all dissimilarities 1).

Parameter vector
----------------
``theta = (B.T.ravel(), g, tau_free)``: the case-specific coefficients equation-major as in
:mod:`alliancegov.stats.mnl` (``(J-1) k``), the generic coefficients of the alternative-specific
regressors (q), then the free dissimilarities (one per nest that has one, or a single shared one).

numpy and pandas are imported with the module, scipy and the MNL helpers inside the functions.
"""

from __future__ import annotations

from alliancegov.stats.nested_logit.fit import NestedLogitFit, fit_nested_logit
from alliancegov.stats.nested_logit.likelihood import nested_logit_log_likelihood, nested_logit_probabilities
from alliancegov.stats.nested_logit.tables import nested_logit_tests, rum_consistency, tidy_nested_logit

__all__ = [
    "NestedLogitFit",
    "fit_nested_logit",
    "nested_logit_log_likelihood",
    "nested_logit_probabilities",
    "nested_logit_tests",
    "rum_consistency",
    "tidy_nested_logit",
]
