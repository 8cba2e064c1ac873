"""Governance-form choice: a multinomial logit on transaction-cost variables, at the standard of
Stata's ``mlogit`` + ``margins`` + SPost's ``mlogtest``.

The package's vectorised Newton fit (``stats.mnl.fit_mnl_newton``) estimates the model; it is
held in the tests to statsmodels' ``MNLogit`` and to Stata's published results (see
:func:`fit_mnl` for why it, not ``MNLogit``, runs here). The outcome is coded with the
configured base as 0 and the other forms in codebook order, and every table row carries outcome
and base names (statsmodels would take the first sorted level as base and drop the labels).

Standard errors (``cov_type``): ``model`` (inverse information, Stata's default ``oim``),
``robust`` (sandwich × N/(N−1), Stata's ``vce(robust)``) or ``cluster`` (sandwich of cluster
score sums × G/(G−1), Stata's ``vce(cluster)``; statsmodels' own cluster option also multiplies
by (N−1)/(N−K), which Stata does not) or ``design`` (a survey design: sampling weights, strata,
PSUs and a finite population correction give pseudo-likelihood estimates with Taylor-linearised
standard errors and t intervals on the design degrees of freedom, as Stata's ``svy: mlogit``).

Rooms: :mod:`~alliancegov.choice.spec` (what to fit), :mod:`~alliancegov.choice.design` (the data),
:mod:`~alliancegov.choice.model` (the fit and its tables), :mod:`~alliancegov.choice.diagnostics`
(tests and fit statistics), :mod:`~alliancegov.choice.ordered` (the ordered logit),
:mod:`~alliancegov.choice.variants` (binary, cross-validated, imputed and alternative models),
:mod:`~alliancegov.choice.notes` (what each table's inference is),
:mod:`~alliancegov.choice.bootstrap` (the scattered bootstrap, rules ``choice_bootstrap_part`` and
``choice_bootstrap``) and :mod:`~alliancegov.choice.stage` (rule ``choice``).
"""
