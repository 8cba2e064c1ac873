"""Power planning: how many firms the next wave needs to detect the H1 and H7 effects.

The project's own simulator (:mod:`alliancegov.simulate`) is set at the pipeline's current
estimates (:func:`truth_at_estimates`, :func:`calibrate_penalty`); survey samples of ``n`` firms
are drawn from it and put through the pipeline's own scoring and estimators; a check counts as
*detected* in a replicate when the pipeline's verdict rule (:func:`alliancegov.hypotheses.
check_verdict`) calls it ``supported``: significant at ``alpha`` in the expected direction.
Power is the share of replicates where it is detected (:func:`power_table`).

What each replicate computes, per effect (the checks of ``config/hypotheses.yaml`` that read
these tables):

* **H1**, ``choice_ame`` checks: the average marginal effects of the multinomial logit of the
  form, with the pipeline's estimator and standard errors (:mod:`alliancegov.choice`: Newton ML,
  or Firth's penalised fit when the sample is separated, as ``firth: auto`` does; the configured
  ``cov_type``, cluster-robust by firm here; delta-method SEs; z test). This is exactly the
  pipeline's test.
* **H7**, ``misalignment`` check ``model=misfit, term=misfit``: the misfit coefficient of the
  two-stage performance regression (:func:`alliancegov.misalignment.misalignment_table`), tested
  as the pipeline tests it, with the percentile p-value of a bootstrap that refits both stages,
  but with ``bootstrap_replicates`` resamples (default 99) instead of the pipeline's 200. Measured
  on this machine (one BLAS thread): a replicate costs 0.6–1.4 s of CPU, most of it the 99
  two-stage refits (separated resamples at 50 firms are the slowest), against 0.05–0.3 s for the
  H1 fit, AMEs and separation check; B = 200 would about double ``make power`` (25 min of CPU
  with the default config) for a small gain. Consequence: the p-value moves in steps of 2/B and
  the finite-B test loses a little power against the B → ∞ test the pipeline approximates (a
  loss of order 1/B, Jöckel 1986; Davidson & MacKinnon 2000), so the H7 curve is slightly
  *conservative*. An analytic
  (plug-in) SE was not used: the second-stage OLS SE ignores the first stage's estimation error
  and would overstate power, and the small samples where power matters are where a Wald test is
  least like the pipeline's percentile test. In small samples many resamples fail (separated
  first stages; about half of them at 50 firms); the pipeline then tests on the successful ones,
  and so does this study: the share failed is reported (``share_bootstrap_failed``), and a
  replicate whose own first stage cannot be fitted counts as not detected (``failed``).

Units of the H7 effect: the simulator's ``misalignment_penalty`` acts on a *latent* performance
index, while the pipeline's misfit coefficient is estimated on the composite index of
``performance.index`` (a mean of z-scores of noisy, rounded, partly ordinal indicators), so the
estimated coefficient is not the penalty: at the simulator's truth (−1.0) it is about −0.82. The
penalty is therefore *calibrated* (:func:`calibrate_penalty`) so that the misfit coefficient the
pipeline would estimate on a very large simulated sample equals the current estimate. The other
performance parameters (form effects, trust effect, noise) stay at the simulator's truth.

Samples are nested: replicate ``r`` simulates one population of ``population`` firms (the
largest sample size) from its own seed, and a sample of ``n`` firms is its first ``n`` firms
(firms are drawn independently, so that is a simple random sample). The same replicate thus
shares data across sample sizes (common random numbers), which makes differences between
sample sizes much less noisy without changing any single point's sampling distribution.

Everything is deterministic given ``seed``.

Rooms: :mod:`~alliancegov.power.settings` (the checks simulated, the model settings),
:mod:`~alliancegov.power.truth` (rule ``power_truth``), :mod:`~alliancegov.power.replicates` (rule
``power_replicates``) and :mod:`~alliancegov.power.summary` (rule ``power_summary``); the curves are
drawn by :mod:`alliancegov.figures.power`.
"""
