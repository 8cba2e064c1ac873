"""Confirmatory factor analysis by normal-theory maximum likelihood, single- and multigroup.

The model for group ``g`` with ``p`` items and ``m`` factors is

    Σ_g = Λ_g Φ_g Λ_g' + Θ_g,        μ_g = ν_g + Λ_g α_g,

with loadings ``Λ`` (p, m), factor covariances ``Φ`` (m, m), diagonal residual variances ``Θ``,
item intercepts ``ν`` (p,) and latent means ``α`` (m,). Every choice below follows lavaan 0.6
(Rosseel 2012, *J. Stat. Softw.* 48(2)), so that its ``cfa()`` output can be reproduced:

* identification by a marker item (the first item of each factor has loading 1) or, with
  ``std_lv=True``, by factor variances fixed to 1 (freed in groups 2.. under metric invariance);
* a mean structure only with several groups (or on request); latent means are 0 in group 1 and
  free in the other groups once the intercepts are held equal;
* sample covariances with divisor N; the discrepancy per group is
  ``F_g = log|Σ| + tr(S Σ⁻¹) - log|S| - p + (ȳ - μ)' Σ⁻¹ (ȳ - μ)`` and ``χ² = Σ_g N_g F_g``;
* standard errors from the expected information evaluated at the model-implied moments;
* RMSEA with N (not N - 1) and lavaan's multigroup factor ``sqrt(G)``; SRMR as lavaan's
  ``srmr_bentler`` (residuals scaled by the observed standard deviations, mean residuals
  included under a mean structure, groups weighted by N_g / N); AIC and BIC from the
  log-likelihood of the raw data, with the number of free parameters after equality constraints.

An equality constraint is one parameter shared by several matrix entries, so ``npar`` and the
degrees of freedom count it once. The gradient and the expected information come from the
Jacobian of (Σ, μ) with respect to the free parameters; scipy's trust-region optimiser uses the
expected information as its Hessian (Fisher scoring with a trust region).

Rooms, each importing only those before it:

* ``slots``: the model as flat arrays of matrix entries, and the groups' sample moments;
* ``likelihood``: the discrepancy, its gradient and expected information, the ML estimates;
* ``fit_measures``: χ², CFI, TLI, RMSEA, SRMR, AIC, BIC;
* ``result``: :class:`~alliancegov.stats.cfa.result.CFAResult`, the fitted model;
* ``fitting``: :func:`~alliancegov.stats.cfa.fitting.fit_cfa`, from data to a fitted model;
* ``modification``: modification indices of the absent loadings.

Nothing here knows about the survey; scipy is imported inside the functions that use it.
"""
