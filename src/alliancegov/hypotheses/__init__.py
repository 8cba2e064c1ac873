"""The study's claims (H1–H9) as computed verdicts: the register read as a pre-registration.

``config/hypotheses.yaml`` lists each hypothesis with one or more checks; each check reads an
estimate with its SE, confidence interval and p-value, from a table the models wrote or from a
test computed here on the analysis frame, and compares it with the expected direction:

* ``supported``: significant at ``alpha`` in the expected direction;
* ``contradicted``: significant in the opposite direction;
* ``no effect``: the check has an equivalence ``margin`` and two one-sided tests (TOST, with the
  check's own SE) show the estimate within ``reference ± margin``;
* ``inconclusive``: none of these.

Which p decides (``verdict_p``: the ``adjusted`` one, Benjamini–Hochberg or Holm across every
computed check (``multiplicity``), or the ``raw`` one) and how the checks of a hypothesis combine
(``rule``: ``all``, ``any`` or ``majority``, per hypothesis or as the register's default; see
:func:`~alliancegov.hypotheses.verdicts.hypothesis_verdict`) are written in the register and printed with
the verdicts. Checks computed on the frame cluster their SEs by firm (``cluster``, default
``firm_key``: firms repeat across waves) and honour the config's frequency ``choice.weights``.

Check types (every type but ``coefficient`` and ``largest_share`` takes an optional ``subset``
expression restricting its rows):

* ``coefficient``: a row of a model table (``table``, filters in ``where``), against 0 or ``value``,
  with the table's own SE and test;
* ``proportion``: the share of responses meeting an ``expression`` against ``value`` (logit-scale
  t interval and test, firm-cluster SE; Cohen's h);
* ``mean``: the mean of ``variable`` against ``value`` (t interval and test, firm-cluster SE;
  Cohen's d);
* ``logit``: a binary logit of an ``expression`` on ``formula``, coefficient ``term`` (firm-cluster
  SE; odds ratio);
* ``ordered_logit``: an ordered logit of the ordinal ``outcome`` on ``formula``, coefficient
  ``term`` (firm-cluster SE; odds ratio);
* ``exact_odds_ratio``: Fisher's exact test of an ``expression`` by an ``exposure`` expression,
  one response per firm (its latest), with the conditional ML odds ratio and its exact interval:
  for near-separated tables, where a logit's odds ratio runs off;
* ``largest_share``: whether ``group``'s share of R² in the ``importance`` table exceeds every
  other share: the margin over the largest other share, its bootstrap interval and the one-sided
  intersection-union p-value (the ``largest`` row of the table);
* ``event_by``: the Kaplan–Meier probability of the event by ``horizon`` in one ``level`` of
  ``group`` against ``value`` (cluster-robust SE; log-log scale);
* ``cox``: a Cox model's log hazard ratio for ``term`` (``formula`` over the analysis frame;
  robust SE clustered by firm; hazard ratio).

The two survival checks take ``time``, ``event``, ``censor_time`` and ``group`` from the register's
``time_to_event`` block (see :func:`~alliancegov.hypotheses.survival_checks.time_to_event`),
unless the check sets them. ``expected`` is ``positive`` or ``negative`` (for a value comparison:
the estimate above or below it); ``note`` adds a sentence to the check's note.
"""
