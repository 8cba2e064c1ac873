"""Ordered (proportional-odds) logit: fit, tidy table, average marginal effects, Brant test.

Generic: nothing here knows about the survey. It provides what the literature reports from
Stata ``ologit`` + ``margins`` + ``brant`` (SPost) or R ``MASS::polr``:

* the maximum-likelihood fit with cut points and covariance on the natural scale
  (:func:`fit_ordered_logit`): our own vectorised Newton-Raphson with the analytic gradient and
  Hessian. statsmodels' ``OrderedModel`` only has a numerical Hessian (and estimates the
  thresholds after the first as log-increments): 100 to 1000 times slower at 10^5 rows, too slow
  for a fit that the pipeline repeats on up to 10^6 rows. The fit is checked in the tests against R
  ``polr``, Stata ``ologit``, statsmodels ``OrderedModel`` and ``Logit`` (J = 2);
* a tidy table with odds ratios (:func:`tidy_ordered`);
* average marginal effects on every category probability with delta-method standard errors,
  analytic, in time and memory linear in n (``OrderedModel`` has no ``get_margeff``, statsmodels
  issue #7831), see :func:`ordered_average_marginal_effects`;
* the Brant (1990) test of the parallel-lines assumption as SPost's ``brant``
  (:func:`brant_test`).

Conventions
-----------
Model
    ``P(y <= j | x) = F(c_{j+1} - x'b)`` for ``j = 0 .. J-2`` with ``F`` the logistic cdf, i.e.
    ``P(y = j) = F(c_{j+1} - x'b) - F(c_j - x'b)`` with ``c_0 = -inf`` and ``c_J = +inf``. This is
    the sign convention of Stata ``ologit`` (``/cut1 .. /cut{J-1}``), R ``MASS::polr`` (``zeta``)
    and statsmodels: a positive slope shifts mass to higher categories.
``X``
    (n, k) regressors WITHOUT a constant (the cut points play the intercept); a pandas DataFrame
    is accepted and its column names label the terms.
``y``
    integer outcome codes ``0 .. J-1`` in the scale's order; every code must occur.
Parameter vector
    ``theta = (slopes (k,), cutpoints (J-1,))``; every covariance here is (k+J-1, k+J-1) in that
    order, on the natural scale of the cut points.

Weights
    optional (n,) non-negative ``weights`` multiply each row's log-likelihood contribution (the
    fit, the marginal effects and the Brant test accept them; ``OrderedModel`` silently ignores
    weights). ``weight_type="frequency"`` (Stata ``fweight``, polr's case weights): row i stands
    for ``w_i`` identical observations, the fit equals the fit on the rows repeated, N = sum of
    the weights, and the covariance is the inverse of the weighted information.
    ``weight_type="probability"`` (Stata ``pweight``): the weighted log-likelihood is a
    pseudo-likelihood, so the same point estimates come with a sandwich covariance (Stata's
    ``N/(N-1)`` factor, N the rows with positive weight; or cluster-robust with ``groups``, factor
    ``G/(G-1)``), the rules of :func:`alliancegov.stats.mnl.meat_scaling`.

Heavy imports (scipy, and the MNL helpers of :mod:`alliancegov.stats.mnl`, which the weights and the
Brant test's binary logits reuse) happen inside the functions.
"""

from __future__ import annotations

from alliancegov.stats.ordinal.brant import brant_test
from alliancegov.stats.ordinal.fit import fit_ordered_logit, tidy_ordered
from alliancegov.stats.ordinal.margins import ordered_average_marginal_effects, ordered_probabilities
from alliancegov.stats.ordinal.result import OrderedFit

__all__ = [
    "OrderedFit",
    "brant_test",
    "fit_ordered_logit",
    "ordered_average_marginal_effects",
    "ordered_probabilities",
    "tidy_ordered",
]
