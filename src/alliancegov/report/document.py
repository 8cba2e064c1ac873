"""The report as a document: sections of numbered tables and figures, each with its caption and notes.

Tables and figures are numbered in the order they appear in the Results (Table 1, Figure 1...),
the appendix's tables after them (Table A1...); the narrative of each section refers to them by
those numbers. A table's notes are its own (what a model table's numbers are), the presenter's,
the catalogue's note for its key, and the suppression symbol's when a cell shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from alliancegov.disclosure import SUPPRESSION_MARKER
from alliancegov.messages import message, section
from alliancegov.report.context import Presented, ReportContext
from alliancegov.report.narrative import PARAGRAPHS
from alliancegov.report.presenters import present
from alliancegov.report.registry import SECTIONS, FigureEntry, TableEntry, check_coverage, registry
from alliancegov.table_formats import TableLayout, table_layout

WIDE_COLUMNS = 9    # a table with more columns is set in a smaller font
NOTE_COUNTS = ("n_ok", "n", "n_trimmed", "n_rows")   # counts a table's note quotes ({n_ok} resamples...)
OPTIONAL_SECTIONS = ("measurement", "choice", "performance", "waves")   # left out with a sentence when empty


@dataclass
class TableBlock:
    """A numbered table of the report.

    Attributes
    ----------
    key : str
        Its registry key (the HTML element's id).
    number : str
        ``"3"`` or ``"A7"``.
    caption : str
        Its caption in the report's language.
    layout : TableLayout or None
        Header, body, rules and row parts; None for a table empty in this run.
    notes : list of str
        The notes under it.
    """

    key: str
    number: str
    caption: str
    layout: TableLayout | None
    notes: list[str]

    @property
    def wide(self) -> bool:
        """Whether it has many columns (set smaller, and on its own page in print)."""
        return self.layout is not None and len(self.layout.header) > WIDE_COLUMNS


@dataclass
class FigureBlock:
    """A numbered figure of the report.

    Attributes
    ----------
    stem : str
        Its file stem (the HTML element's id).
    number : str
        ``"2"``.
    caption : str
        Its caption (plain text).
    path : Path
        Its PNG file.
    """

    stem: str
    number: str
    caption: str
    path: Path


@dataclass
class Section:
    """A part of the Results or of the appendix.

    Attributes
    ----------
    key : str
        One of :data:`~alliancegov.report.registry.SECTIONS`.
    title : str
        Its heading.
    text : str
        Its narrative paragraph (Results only; ``""`` in the appendix).
    blocks : list of TableBlock or FigureBlock
        Its tables, then its figures.
    left_out : bool
        A section of a stage the configuration left out: ``text`` says so, and it has no blocks.
    """

    key: str
    title: str
    text: str = ""
    blocks: list = field(default_factory=list)
    left_out: bool = False


def promoted(entry: TableEntry, context: ReportContext) -> TableEntry:
    """``entry``, moved from the appendix to the Results when the table its ``main_without`` names is absent.

    Parameters
    ----------
    entry : TableEntry
    context : ReportContext
        The run's tables.

    Returns
    -------
    TableEntry
        The ordered and binary logits are appendix tables beside a multinomial logit, and the
        Results' own tables without one.
    """
    absent = entry.options.get("main_without")
    if entry.appendix and absent and absent not in context.sources:
        return replace(entry, appendix=False)
    return entry


def table_counts(table) -> dict[str, int]:
    """The counts a table's note may quote from its first row: ``n_ok`` (resamples), ``n``, ``n_trimmed`` and
    ``n_rows`` (the rows a check used).

    Parameters
    ----------
    table : DataFrame or None
        A run table.

    Returns
    -------
    dict of str to int
        The columns of :data:`NOTE_COUNTS` it has, from its first row (missing as 0).
    """
    if table is None or table.empty:
        return {}
    first = table.iloc[0]
    return {name: int(float(first[name])) if str(first[name]) not in ("", "nan") else 0
            for name in NOTE_COUNTS if name in table}


def table_notes(entry: TableEntry, presented: Presented, layout: TableLayout | None,
                context: ReportContext) -> list[str]:
    """Every note under one table, in the report's language.

    Parameters
    ----------
    entry : TableEntry
    presented : Presented
        The table and its presenter's notes.
    layout : TableLayout or None
        Its layout (its ``note`` rows).
    context : ReportContext
        Settings quoted by the catalogue's note.

    Returns
    -------
    list of str
    """
    language = context.language
    catalogue = str(section(f"tables.{entry.key}", language).get("note", ""))
    notes = [*(layout.notes if layout is not None else []), *presented.notes]
    if catalogue:
        notes.append(catalogue.format(**context.settings, **table_counts(context.sources.get(entry.source))))
    if layout is not None and any(SUPPRESSION_MARKER == cell for row in layout.body for cell in row):
        notes.append(message("report.suppressed", language, marker=SUPPRESSION_MARKER,
                             minimum=context.settings["minimum_cell"]))
    return notes


def build_sections(context: ReportContext, figures: Mapping[str, Path], captions: Mapping[str, str],
                   run_tables: list[str], entries: tuple[tuple[TableEntry, ...], tuple[FigureEntry, ...]] | None = None,
                   ) -> tuple[list[Section], list[Section]]:
    """The Results and the appendix's sections, every table and figure numbered and captioned.

    Parameters
    ----------
    context : ReportContext
    figures : mapping of str to Path
        The run's figures by stem (a registered figure the run did not draw is left out).
    captions : mapping of str to str
        Each figure's caption in the report's language.
    run_tables : list of str
        The run's CSV tables (stems): each must have a registry entry.
    entries : tuple, optional
        The registry (default: the package's).

    Returns
    -------
    results : list of Section
        One per section with a narrative, in :data:`~alliancegov.report.registry.SECTIONS` order.
    appendix : list of Section
        Appendix A's tables, by section (sections without any left out).

    Raises
    ------
    ValueError
        If a run table has no registry entry, or a figure has no registry entry.
    """
    tables, registered = entries or registry()
    check_coverage(run_tables, tables)
    unknown = sorted(set(figures) - {entry.stem for entry in registered})
    if unknown:
        raise ValueError(f"figures without a place in the report: {unknown}; add them to the registry")
    language = context.language
    # numbered in the order they are shown: section by section, the registry's order within one
    shown = sorted((promoted(entry, context) for entry in tables if entry.source in context.sources
                    or entry.presenter in ("descriptives", "sample_flow")),
                   key=lambda entry: SECTIONS.index(entry.section))
    main = [e for e in shown if not e.appendix]
    numbers = {e.key: str(i) for i, e in enumerate(main, start=1)}
    numbers |= {e.key: message("report.appendix_number", language, number=i)
                for i, e in enumerate([e for e in shown if e.appendix], start=1)}
    drawn = sorted((entry for entry in registered if entry.stem in figures), key=lambda e: SECTIONS.index(e.section))
    figure_numbers = {e.stem: str(i) for i, e in enumerate(drawn, start=1)}

    def refer(name: str) -> str:
        """``"Table 3"`` for a table key, ``"Figure 2"`` for ``"figure:<stem>"``."""
        if name.startswith("figure:"):
            return message("report.figure_reference", language, number=figure_numbers.get(name[7:], "?"))
        return message("report.table_reference", language, number=numbers.get(name, "?"))

    blocks = {}
    for entry in shown:
        presented = present(entry, context)
        layout = table_layout(presented.table) if presented.table is not None else None
        notes = table_notes(entry, presented, layout, context)
        if layout is None:
            notes = [message("report.empty", language, reason=message("report.empty_reason", language)), *notes]
        caption = message(f"tables.{entry.key}.caption", language, **context.settings)   # {outcome}, {base}...
        blocks[entry.key] = TableBlock(entry.key, numbers[entry.key], caption, layout, notes)
    labels = {"outcome": context.labeller.variable(context.outcome)}
    titles = {key: title.format(**labels) for key, title in section("report.sections", language).items()}
    results = []
    for key in SECTIONS:
        sectioned = [blocks[e.key] for e in main if e.section == key]
        sectioned += [FigureBlock(e.stem, figure_numbers[e.stem], captions.get(e.stem, ""), Path(figures[e.stem]))
                      for e in drawn if e.section == key]
        if sectioned:
            results.append(Section(key, titles[key], PARAGRAPHS[key](context, refer), sectioned))
        elif key in OPTIONAL_SECTIONS:   # nothing in the main text: the stage is off (its appendix may list blanks)
            results.append(Section(key, titles[key], message(f"report.left_out.{key}", language), left_out=True))
    appendix = [Section(key, titles[key], "", [blocks[e.key] for e in shown if e.appendix and e.section == key])
                for key in SECTIONS]
    return results, [part for part in appendix if part.blocks]
