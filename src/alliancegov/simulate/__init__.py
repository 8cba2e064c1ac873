"""Simulated SME alliance surveys with known truth, written the way survey tools export them.

The data-generating process is documented in ``truth.yaml`` in this package (every number
lives there). In short: firms get a context (sector, region, size, market, partner); perceived
transaction-cost constructs and a marker scale are latent scores drawn jointly from a known
correlation matrix, answered through Likert items of known loadings that also carry a common
method factor of known variance, partly reverse-coded; the governance form follows a true
multinomial logit on the scale scores (drawn as the argmax of utility plus Gumbel errors); the
performance index follows one equation per form (trust, misfit, alliance age), its noise possibly
correlated with the chosen form's choice error (selection on unobservables, ``selection_rho``).
Firms are re-interviewed in later waves with drifting constructs, so a panel links across waves: a
firm keeping its alliance (``same_alliance``) moves along the true Markov transition matrix from its
previous form, a new firm or a new alliance follows the logit. Submission times fall in each wave's
fieldwork, unrelated to the answers unless the truth plants a lateness pattern, and each wave has a
simulated sampling frame.

Three layers, each usable alone:

* :func:`~alliancegov.simulate.population.simulate_waves` returns clean canonical frames (codebook
  names; select_one answers as choice names, numbers as numbers) plus truth columns prefixed
  ``true_``; :func:`~alliancegov.simulate.population.draw` pools them in one frame from a truth with
  some keys changed (:func:`~alliancegov.simulate.truth.override_truth`), for Monte Carlo studies;
* :func:`~alliancegov.simulate.mess.add_mess` plants what real exports contain (missing-value codes, duplicates,
  impossible values, speeders, straight-liners, failed attention checks, a refusal to take
  part, hostile free text);
* :func:`~alliancegov.simulate.exports.write_kobo_csv`, ``write_xlsx`` and ``write_sav`` export a canonical frame as
  KoboToolbox (French labels, group prefixes), Excel (English labels) and SPSS (numeric codes,
  value labels, user-missing codes) files.

The simulator knows nothing of the estimators; it uses numpy, pandas and scipy's special functions.

Rooms: :mod:`~alliancegov.simulate.truth` (the true parameters and models),
:mod:`~alliancegov.simulate.items` (latent constructs and Likert answers, the measurement truth),
:mod:`~alliancegov.simulate.firms` (new firms and partners), :mod:`~alliancegov.simulate.outcomes`
(form, governance attributes, performance), :mod:`~alliancegov.simulate.population` (waves and the
panel), :mod:`~alliancegov.simulate.mess` and :mod:`~alliancegov.simulate.exports`
(``python -m alliancegov.simulate OUT_DIR`` writes the bundled example).
"""
