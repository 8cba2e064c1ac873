"""Design-based (Taylor-linearised) inference for complex survey samples.

Generic: nothing here knows about the survey of this project. SME surveys are often stratified
cluster samples with sampling weights; analysts compare with Stata ``svy: mlogit`` / ``svy: logit``
and R ``survey::svyglm``. This package provides

* in :mod:`~alliancegov.stats.survey.design`: :class:`~alliancegov.stats.survey.design.SurveyDesign`,
  the description of the sample (weights, strata, PSUs, finite population correction, lonely-PSU
  policy), as Stata's ``svyset`` / R's ``svydesign``;
  :func:`~alliancegov.stats.survey.design.linearised_covariance`, the Taylor-linearisation
  (Binder 1983) covariance of any M-estimator from its weighted score contributions and its bread;
  :func:`~alliancegov.stats.survey.design.design_effects`, Kish-style design effects;
* in :mod:`~alliancegov.stats.survey.mnl`: :func:`~alliancegov.stats.survey.mnl.fit_mnl_survey`,
  pseudo-maximum-likelihood multinomial logit with that covariance, built on
  :func:`alliancegov.stats.mnl.fit_mnl_newton` and :func:`~alliancegov.stats.mnl.score_contributions`.

The variance formula
--------------------
For an estimator solving ``sum_i u_i(theta) = 0`` with weighted score contributions ``u_i`` (n, p)
and bread ``A`` (p, p) (the inverse of the weighted information, i.e. of minus the derivative of the
estimating function), the linearised covariance is::

    V = A  [ sum_h (1 - f_h) n_h / (n_h - 1) sum_{i in h} (z_hi - zbar_h)(z_hi - zbar_h)' ]  A

where ``z_hi = sum_{obs in PSU i of stratum h} u`` are PSU totals of the weighted scores, ``n_h`` is
the number of sampled PSUs in stratum ``h``, ``zbar_h`` their mean and ``f_h`` the first-stage
sampling fraction (0 without an fpc). This is the ``with-replacement`` / ultimate-cluster variance of
Stata ``svy`` (``vce(linearized)``) and of R ``survey`` (``svyrecvar``); later sampling stages are
not modelled separately (their variability is carried by the PSU totals). Special cases:

* no strata, no PSU, unit weights: ``V = n/(n-1) A (sum_i u_i u_i') A`` at an MLE (scores sum to
  zero), which is Stata's ``vce(robust)`` and :func:`~alliancegov.stats.mnl.sandwich_covariance`
  with ``kind="robust"``;
* no strata, PSUs = clusters: ``G/(G-1) A (sum_g S_g S_g') A``, Stata's ``vce(cluster g)`` and
  ``sandwich_covariance(kind="cluster")``.

Conventions
-----------
* **PSUs are nested in strata**: a PSU is identified by the pair (stratum, psu label), as in
  Stata's ``svyset`` and R's ``svydesign(..., nest=TRUE)``; the same label in two strata denotes two
  PSUs.
* **Degrees of freedom**: ``design_df = n_psu - n_strata`` (Stata's design df, R's ``degf``).
  Stata's ``svy`` uses t quantiles with these df for confidence intervals and so does
  :meth:`SurveyFit.conf_int`. (R's ``summary.svyglm`` uses ``degf - (number of slopes)``.)
* **fpc** (as Stata ``svyset, fpc()`` and R ``svydesign(fpc=)``, first stage only): a per-observation
  array, constant within each stratum. If any value exceeds 1 the values are population sizes
  ``N_h`` (the number of PSUs in the population stratum, or of units without PSUs; ``np.inf`` is
  allowed) and ``f_h = n_h / N_h``; otherwise all values must lie in [0, 1] and are the sampling
  fractions ``f_h`` themselves. A stratum with ``f_h = 1`` (a census / certainty stratum) contributes
  no variance.
* **Lonely PSUs** (a stratum with a single sampled PSU and ``f_h < 1``), as Stata's
  ``svyset, singleunit()`` / R's ``options(survey.lonely.psu=)``:

  ``"error"``  (Stata ``missing``, R ``"fail"``) raise ``ValueError`` naming the strata;
  ``"certainty"`` the stratum contributes no variance (Stata ``certainty``, R ``"certainty"``);
  ``"remove"`` identical to ``"certainty"`` for this one-stage linearisation (R ``"remove"``); the
      design df are unchanged in both cases since a one-PSU stratum adds 1 - 1 = 0 to them;
  ``"adjust"`` centre the stratum's PSU total at the grand mean ``sum_all_PSUs z / n_psu`` instead of
      its own (undefined) mean, with factor ``(1 - f_h)`` and no ``n_h/(n_h - 1)`` (Stata
      ``centered``; R ``"adjust"``, whose older versions centre at zero). For the scores of an
      estimating equation the grand mean is zero at the solution, so the contribution is then
      ``(1 - f_h) z z'`` either way.

Frequency weights are not survey weights
----------------------------------------
Sampling (probability) weights ``w_i = 1/pi_i`` belong in ``SurveyDesign.weights``. **Frequency
weights** (row ``i`` stands for ``w_i`` identical observations, Stata ``fweight``) are a compact
encoding of an i.i.d. sample, not a design: use ``mnl.fit_mnl_newton(X, y, weights=fw)`` with its
model covariance (``.cov``) or ``mnl.sandwich_covariance(..., weights=fw, weight_type="frequency")``,
which reproduce the analysis of the expanded rows. Passing frequency weights here would treat each
row as one PSU: the meat becomes ``sum_i w_i^2 s_i s_i'`` instead of ``sum_i w_i s_i s_i'`` (an
overstated variance when weights exceed 1) and the df count rows instead of observations.
"""
