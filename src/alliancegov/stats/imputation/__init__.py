"""Multiple imputation by chained equations (MICE) and Rubin's rules, generic over models.

``impute_chained`` returns ``m`` completed copies of a data frame, in the spirit of R's
``mice(data, m, maxit)`` and Stata's ``mi impute chained``:

* each imputation is its own chain (as in R ``mice``): starting values, then ``iterations``
  cycles over the incomplete variables (fewest missing first), each variable imputed from all
  the other ``columns`` with their current values;
* numeric columns: statsmodels' ``MICEData`` machinery, i.e. an OLS imputation model whose
  coefficients are drawn from their normal approximation, then predictive mean matching (PMM):
  each missing cell takes the observed value of one of the ``donors`` observed cases whose
  predicted means are closest (so imputations are always values that occur in the data);
* categorical columns (strings, ``category``, booleans): a multinomial logit draw (like R
  ``mice``'s ``polyreg`` / Stata's ``mi impute mlogit``). The logit has a weak ridge penalty
  (as scikit-learn's ``LogisticRegression(C=1)`` on standardised predictors, fitted here by
  Newton steps) so that sparse cells and separation do not break it, and is fitted on a
  bootstrap resample of the observed cases (the parameter draw that makes the imputation
  "proper"); each missing cell is then drawn from its predicted category probabilities. Only
  categories observed in the column can be drawn (not PMM on integer codes, which would
  impose an order on unordered categories). Categorical columns enter the other variables'
  imputation models as treatment dummies.

Seeding: ``numpy.random.SeedSequence(seed).spawn(m)`` gives one independent stream per
imputation, and each chain uses only its own ``numpy.random.Generator`` (statsmodels >= 0.15
``MICEData`` draws from its ``rng`` attribute, never from numpy's global RNG). So the same seed
gives identical imputations, imputation ``j`` does not depend on ``m``, and numpy's global
random state is neither used nor changed. With an older statsmodels whose ``MICEData`` draws
from the global RNG, the chain runs inside ``seeded_global_numpy`` (seeded from the same
stream, previous global state restored afterwards).

``rubin_pool`` pools any per-imputation (estimate vector, covariance) pairs by Rubin's rules
with Barnard–Rubin (1999) degrees of freedom, reproducing R ``mice::pool`` (checked against
mice 3.15's ``pool.scalar``); ``pooled_tidy`` turns the result into the project's tidy table.

References: Rubin (1987) *Multiple Imputation for Nonresponse in Surveys*; Barnard & Rubin
(1999) Biometrika 86:948–955; van Buuren (2018) *Flexible Imputation of Missing Data*, 2nd ed.,
§2.3–2.4 and §5.2.

Rooms: ``chained`` (the imputations asked for: :func:`~alliancegov.stats.imputation.chained.impute_chained`
and :func:`~alliancegov.stats.imputation.chained.impute_for_model`, one chain each), ``mice_data``
(statsmodels' ``MICEData`` extended with the categorical draws) and ``rubin`` (Rubin's rules).
"""
