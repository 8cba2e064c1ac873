"""The HTML report: every result of the run on one self-contained page, in French or English.

Rooms: :mod:`~alliancegov.report.text` (the report's own wording), :mod:`~alliancegov.report.sections`
(the sections of the stages turned on, the sample's counts, the methods notes),
:mod:`~alliancegov.report.cells` (tables as a reader sees them), :mod:`~alliancegov.report.hypotheses`,
:mod:`~alliancegov.report.measurement` and :mod:`~alliancegov.report.misalignment` (those stages' tables
and notes), :mod:`~alliancegov.report.provenance` (input files, configuration, software and code
versions) and :mod:`~alliancegov.report.stage` (the page, rule ``report``), rendered from
``templates/report.html.j2``.
"""
