"""Read a raw survey wave (Kobo/plain CSV, Excel, SPSS, Stata) into the codebook's canonical form.

Canonical form: one row per submitted response, columns named as in the codebook; select_one
answers as choice names (``"textile"``, or a missing-value name such as ``"dont_know"``);
Likert, integer and decimal answers as floats (missing-value codes such as 98 kept as such,
for the cleaning stage to classify); text as strings. ``source_row`` is the row of the response
in its file (spreadsheet numbering: the header is row 1) so that every error and exclusion
points back to it. Identifying fields are replaced by a keyed pseudonymous ``firm_key`` right
here and never leave this stage.

Nothing ambiguous is guessed: what a file cannot tell (the notation of its numbers, the format of
its dates, which sheet holds the wave) the waves sheet declares, and what contradicts itself (value
labels against the codebook, a file against its declared format, encodings mixed in one file) stops
the run naming the file, row and column.

Rooms: :mod:`~alliancegov.ingest.readers` (CSV, Excel, SPSS and Stata files, and what their first
bytes say they are), :mod:`~alliancegov.ingest.text_files` (encodings, delimiters, records),
:mod:`~alliancegov.ingest.workbooks` (sheets, formulas), :mod:`~alliancegov.ingest.cells` (cells as
text, column headers), :mod:`~alliancegov.ingest.numbers` (numbers by the wave's notation),
:mod:`~alliancegov.ingest.dates` (dates by the wave's formats), :mod:`~alliancegov.ingest.identifiers`
(text and identifiers), :mod:`~alliancegov.ingest.answers` (answers to the codebook's names),
:mod:`~alliancegov.ingest.labels` (SPSS and Stata value labels against the codebook),
:mod:`~alliancegov.ingest.crosswalk` (revised instruments), :mod:`~alliancegov.ingest.pseudonymise`
(the key and the firm key), :mod:`~alliancegov.ingest.settings` (the config's and the waves sheet's
settings), :mod:`~alliancegov.ingest.waves_sheet` (the waves sheet) and
:mod:`~alliancegov.ingest.stage` (rule ``ingest``).
"""
