"""Multinomial logit (MNL) estimation and inference with Stata's conventions.

Generic: nothing here knows about the survey. ``statsmodels.MNLogit`` remains the reference fitter,
but it lacks what this module provides:

* Stata's finite-sample scaling of robust and cluster-robust covariances (``mlogit, vce(robust)``,
  ``mlogit, vce(cluster g)``), see :func:`sandwich_covariance`;
* frequency / sampling weights (statsmodels' ``MNLogit`` silently ignores ``weights=``);
* average marginal effects with delta-method standard errors in time and memory linear in the
  number of observations (``get_margeff(at='overall')`` is quadratic in memory), including discrete
  changes for factor dummies, as Stata's ``margins, dydx(*)``;
* predicted probabilities with delta-method confidence intervals at chosen profiles.

Conventions
-----------
``X``
    (n, k) design matrix (floats; a pandas DataFrame is accepted and its column names are used to
    label marginal effects).
``y``
    integer outcome codes ``0 .. J-1``; code 0 is the base outcome (its coefficients are fixed at 0).
``params``
    coefficients in statsmodels' shape (k, J-1): column ``j-1`` holds the equation of outcome ``j``.
``theta``
    the parameter VECTOR is equation-major, ``theta = params.T.ravel()`` (element ``(j-1)*k + c`` is
    the coefficient of column ``c`` in the equation of outcome ``j``). This is the order of
    statsmodels' ``MNLogitResults.cov_params()``; all covariance matrices here are
    (k(J-1), k(J-1)) in that order.
``weights``
    optional (n,) non-negative weights. For point estimates, log-likelihood, information and
    marginal effects, frequency weights (Stata ``fweight``) and sampling weights (``pweight``,
    pseudo-likelihood) share the same algebra: every observation's contribution is multiplied by its
    weight, which reproduces a fit on rows repeated ``w_i`` times exactly. They differ only in the
    robust covariance, see :func:`sandwich_covariance`.

Only numpy, scipy and pandas are imported; statsmodels is not needed at all.
"""

from __future__ import annotations

from alliancegov.stats.mnl.core import (
    ReweightedGradient,
    gradient,
    information,
    log_likelihood,
    model_covariance,
    probabilities,
    score_contributions,
)
from alliancegov.stats.mnl.covariance import meat_scaling, sandwich_covariance, stacked_covariance
from alliancegov.stats.mnl.fit import MNLFit, fit_mnl_newton
from alliancegov.stats.mnl.margins import (
    average_marginal_effects,
    average_predicted_probabilities,
    predicted_probabilities,
)

__all__ = [
    "MNLFit",
    "ReweightedGradient",
    "average_marginal_effects",
    "average_predicted_probabilities",
    "fit_mnl_newton",
    "gradient",
    "information",
    "log_likelihood",
    "meat_scaling",
    "model_covariance",
    "predicted_probabilities",
    "probabilities",
    "sandwich_covariance",
    "score_contributions",
    "stacked_covariance",
]
