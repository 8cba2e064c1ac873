"""The survey instrument as tables an analyst edits in a spreadsheet.

The codebook folder holds three CSV files modelled on an XLSForm:

* ``variables.csv`` (like the ``survey`` sheet): one row per variable with its
  ``name``, Kobo ``group``, ``type`` (text, datetime, select_one, select_multiple,
  integer, decimal, likert; a select_multiple answer is its choice names joined by spaces, as
  Kobo stores it), ``role`` (meta, identifying, free_text, quality, profile,
  partner, governance, item, performance), the ``list_name`` of its answers, the
  ``missing_list`` of its missing-value codes, the valid ``min``/``max`` (a number,
  or ``survey_year`` for the year of the wave), the
  ``scale`` an item belongs to, whether the item is ``reverse``-coded, the French and
  English labels, and optionally (like XLSForm's ``relevant``) a pandas condition on other
  variables saying when the question applies, e.g. ``governance_form != 'repeated_contract'``.
* ``value_sets.csv`` (like the ``choices`` sheet): ``list_name, code, name,
  label_fr, label_en``. ``code`` is the number stored in SPSS/Stata files,
  ``name`` the canonical value (Kobo's choice name), labels are what a
  labelled export shows.
* ``scales.csv``: one row per multi-item construct with ``min_items`` answered
  for a score and its labels.

Everything else (validation schemas, label matching, pseudonymisation lists,
report labels) is derived from these tables, never written twice.

Rooms, each importing only those before it:

* ``vocabulary``: the three files' names, the allowed types and roles, the kinds of missing value,
  and :class:`~alliancegov.codebook.vocabulary.CodebookError`;
* ``labels``: how a label is folded before it is matched (:func:`~alliancegov.codebook.labels.normalise_label`);
* ``consistency``: the rules the three tables obey together, checked when a codebook is built;
* ``tables``: :class:`~alliancegov.codebook.tables.Codebook`, the tables read and looked up;
* ``validation``: answers as the codebook's categories, and the schema of a cleaned wave.
"""
