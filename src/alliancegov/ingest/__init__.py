"""Read a raw survey wave (Kobo/plain CSV, Excel, SPSS, Stata) into the codebook's canonical form.

Canonical form: one row per submitted response, columns named as in the codebook; select_one
answers as choice names (``"textile"``, or a missing-value name such as ``"dont_know"``);
Likert, integer and decimal answers as floats (missing-value codes such as 98 kept as such,
for the cleaning stage to classify); text as strings. ``source_row`` is the row of the response
in its file (spreadsheet numbering: the header is row 1) so that every error and exclusion
points back to it. Identifying fields are replaced by a keyed pseudonymous ``firm_key`` right
here and never leave this stage.

Rooms: :mod:`~alliancegov.ingest.readers` (CSV, Excel, SPSS and Stata files),
:mod:`~alliancegov.ingest.cells` (cells as text, column headers), :mod:`~alliancegov.ingest.answers`
(answers to the codebook's names), :mod:`~alliancegov.ingest.crosswalk` (revised instruments),
:mod:`~alliancegov.ingest.pseudonymise` (the firm key) and :mod:`~alliancegov.ingest.stage` (rule
``ingest``).
"""
