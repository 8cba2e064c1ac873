"""The HTML reports: every result of the run, numbered and captioned, one self-contained page per language.

Rooms: :mod:`~alliancegov.report.registry` (where each table and figure goes, ``registry.yaml``),
:mod:`~alliancegov.report.presenters` (how a table is laid out: models side by side, tidy rows,
fit statistics; :mod:`~alliancegov.report.measurement` and :mod:`~alliancegov.report.hypotheses`
for their sections), :mod:`~alliancegov.report.cells` (numbers as journals print them),
:mod:`~alliancegov.report.narrative` (the text opening each section, the methods notes),
:mod:`~alliancegov.report.document` (sections, numbering, notes), :mod:`~alliancegov.report.render`
(the page, from ``templates/report.html.j2``), :mod:`~alliancegov.report.provenance` (inputs,
configuration, versions, simulated data), :mod:`~alliancegov.report.stage` (rule ``report``),
:mod:`~alliancegov.report.pdf` (rule ``report_pdf``) and :mod:`~alliancegov.report.summary` (rule
``summary``). Every word is the codebook's or the message catalogue's (:mod:`alliancegov.messages`).
"""
