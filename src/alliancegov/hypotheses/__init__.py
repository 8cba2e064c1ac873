"""The study's claims (H1–H9) as computed verdicts.

``config/hypotheses.yaml`` lists each hypothesis with one or more checks; each check reads an
estimate with its confidence interval and p-value, from a table the models wrote or from a test
computed here on the analysis frame, and compares its sign with the expected direction:

* ``supported``: significant at ``alpha`` in the expected direction;
* ``contradicted``: significant in the opposite direction;
* ``inconclusive``: not significant.

A hypothesis is supported when all its checks are, contradicted when any is, else inconclusive.
Check types:

* ``coefficient``: a row of a model table (``table``, filters in ``where``), against 0 or ``value``;
* ``proportion``: the share of responses meeting a pandas ``expression`` against ``value``
  (Wilson interval, exact binomial test);
* ``mean``: the mean of ``variable`` against ``value`` (t interval and test);
* ``logit``: a binary logit of a pandas ``expression`` on ``formula``, coefficient ``term``;
* ``ordered_logit``: an ordered logit of the ordinal ``outcome`` on ``formula``, coefficient ``term``;
* ``largest_share``: whether ``group``'s share of R² in the ``importance`` table exceeds every
  other share: the margin over the largest other share, its bootstrap interval and the one-sided
  intersection-union p-value (the ``largest`` row of the table);
* ``event_by``: the Kaplan–Meier probability of the event by ``horizon`` in one ``level`` of ``group``
  against ``value``;
* ``cox``: a Cox model's log hazard ratio for ``term`` (``formula`` over the analysis frame).

The two survival checks take ``time``, ``event``, ``censor_time`` and ``group`` from the register's
``time_to_event`` block (see :func:`time_to_event`), unless the check sets them.

``expected`` is ``positive`` or ``negative`` (for a value comparison: the estimate above or below it)."""
