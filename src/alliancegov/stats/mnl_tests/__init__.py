"""Specification tests and fit statistics for a multinomial logit (MNL) that statsmodels lacks.

Modelled on Stata's ``mlogit`` with SPost's ``mlogtest`` / ``fitstat`` (Long & Freese,
*Regression Models for Categorical Dependent Variables Using Stata*, chapter on nominal
outcomes; SPost ``mlogtest.ado`` version 1.7.6) and on Long (1997), *Regression Models for
Categorical and Limited Dependent Variables*, ch. 4 and 6.

Conventions used throughout
---------------------------
* ``y`` holds integer codes ``0 .. J-1``; code 0 is the base outcome whose coefficients are 0.
  Every code must occur (statsmodels drops absent levels).
* ``X`` is the ``(n, k)`` design matrix (ndarray or DataFrame) including the intercept column,
  ``names`` its ``k`` column names.
* A statsmodels ``MNLogit`` result has ``params`` of shape ``(k, J-1)``. The coefficient
  vector is stacked **equation-major**: ``theta = params.T.ravel()``, so coefficient of column
  ``c`` in the equation of outcome ``j`` (``j >= 1``) is ``theta[(j - 1) * k + c]``. This is the
  order of ``result.cov_params()`` and the order expected of any ``cov=`` argument
  (shape ``((J-1) k, (J-1) k)``).
* Tests return chi-square statistics, their degrees of freedom and upper-tail p-values.

Nothing here knows about the survey; numpy and pandas are imported at module level, scipy and
statsmodels inside the functions that need them.
"""

from __future__ import annotations

from alliancegov.stats.mnl_tests.combine import combine_outcomes_tests, combine_parametrisation, combine_restriction
from alliancegov.stats.mnl_tests.common import (
    COMBINE_COLUMNS,
    IIA_COLUMNS,
    NEGATIVE_HAUSMAN_NOTE,
    TEST_COLUMNS,
    ChiSquareTest,
    fit_mnl_linear_constrained,
    mnl_loglik,
)
from alliancegov.stats.mnl_tests.fit_statistics import classification_table, fit_statistics, null_loglik
from alliancegov.stats.mnl_tests.iia import hausman_mcfadden, iia_tests, small_hsiao, small_hsiao_splits, suest_hausman
from alliancegov.stats.mnl_tests.terms import design_adjusted_f, equal_coefficients_test, lr_test_terms, wald_test_terms

__all__ = [
    "COMBINE_COLUMNS",
    "ChiSquareTest",
    "IIA_COLUMNS",
    "NEGATIVE_HAUSMAN_NOTE",
    "TEST_COLUMNS",
    "classification_table",
    "combine_outcomes_tests",
    "combine_parametrisation",
    "combine_restriction",
    "design_adjusted_f",
    "equal_coefficients_test",
    "fit_mnl_linear_constrained",
    "fit_statistics",
    "hausman_mcfadden",
    "iia_tests",
    "lr_test_terms",
    "mnl_loglik",
    "null_loglik",
    "small_hsiao",
    "small_hsiao_splits",
    "suest_hausman",
    "wald_test_terms",
]
