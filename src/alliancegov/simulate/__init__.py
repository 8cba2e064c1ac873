"""Simulated SME alliance surveys with known truth, written the way survey tools export them.

The data-generating process is documented in ``truth.yaml`` in this package (every number
lives there). In short: firms get a context (sector, region, size, market, partner); perceived
transaction-cost constructs are latent scores answered through noisy, partly reverse-coded
Likert items; the governance form follows a true multinomial logit on the scale scores; the
performance index depends on the form, trust, sector and a penalty when the chosen form is not
the aligned one (the form of highest true choice probability). Firms are re-interviewed in later
waves with drifting constructs, so a panel links across waves; a re-interviewed firm's form follows
the true Markov transition matrix from its previous form, a new firm's the multinomial logit.

Three layers, each usable alone:

* :func:`~alliancegov.simulate.population.simulate_waves` returns clean canonical frames (codebook
  names; select_one answers as choice names, numbers as numbers) plus truth columns prefixed ``true_``;
* :func:`~alliancegov.simulate.mess.add_mess` plants what real exports contain (missing-value codes, duplicates,
  impossible values, speeders, straight-liners, failed attention checks, a refusal to take
  part, hostile free text);
* :func:`~alliancegov.simulate.exports.write_kobo_csv`, ``write_xlsx`` and ``write_sav`` export a canonical frame as
  KoboToolbox (French labels, group prefixes), Excel (English labels) and SPSS (numeric codes,
  value labels, user-missing codes) files.

The simulator knows nothing of the estimators; it only uses numpy and pandas.

Rooms: :mod:`~alliancegov.simulate.truth` (the true parameters and models),
:mod:`~alliancegov.simulate.population`, :mod:`~alliancegov.simulate.mess` and
:mod:`~alliancegov.simulate.exports` (``python -m alliancegov.simulate OUT_DIR`` writes the bundled
example).
"""
