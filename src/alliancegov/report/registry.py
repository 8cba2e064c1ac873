"""The report's registry of tables and figures (``registry.yaml``): where each goes and how it is laid out.

A table of the run slots into the report by an entry here and its caption and note in the
message catalogues; :func:`check_coverage` refuses a run table that no entry shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

REGISTRY_FILE = Path(__file__).with_name("registry.yaml")
SECTIONS = ("sample", "measurement", "choice", "performance", "waves", "hypotheses")
ENTRY_KEYS = ("key", "section", "presenter", "source", "appendix")


@dataclass(frozen=True)
class TableEntry:
    """One table of the report.

    Attributes
    ----------
    key : str
        Its name (its caption and note are ``tables.<key>`` in the catalogues).
    section : str
        One of :data:`SECTIONS`.
    presenter : str
        How it is laid out (:data:`alliancegov.report.presenters.PRESENTERS`).
    source : str
        The run table (CSV file stem) it is made from.
    appendix : bool
        In Appendix A rather than the Results.
    options : dict
        The presenter's options (``columns``, ``where``, ``show``...).
    """

    key: str
    section: str
    presenter: str
    source: str
    appendix: bool = False
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FigureEntry:
    """One figure of the report.

    Attributes
    ----------
    stem : str
        Its file stem (``results/figures/<language>/<stem>.png``).
    section : str
        One of :data:`SECTIONS`.
    """

    stem: str
    section: str


@cache
def registry(path: str | Path = REGISTRY_FILE) -> tuple[tuple[TableEntry, ...], tuple[FigureEntry, ...]]:
    """The tables and figures of the registry file, in order.

    Parameters
    ----------
    path : str or Path
        The registry (default: the package's ``registry.yaml``).

    Returns
    -------
    tables : tuple of TableEntry
    figures : tuple of FigureEntry

    Raises
    ------
    ValueError
        For a repeated key or stem, or an unknown section.
    """
    import yaml

    content = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    tables = tuple(TableEntry(key=item["key"], section=item["section"], presenter=item["presenter"],
                              source=item.get("source", item["key"]), appendix=bool(item.get("appendix", False)),
                              options={k: v for k, v in item.items() if k not in ENTRY_KEYS})
                   for item in content["tables"])
    figures = tuple(FigureEntry(stem=item["stem"], section=item["section"]) for item in content["figures"])
    for kind, names in (("table", [t.key for t in tables]), ("figure", [f.stem for f in figures])):
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"{path}: {kind} entries repeat: {repeated}")
    unknown = sorted({entry.section for entry in (*tables, *figures)} - set(SECTIONS))
    if unknown:
        raise ValueError(f"{path}: unknown sections {unknown}; known: {list(SECTIONS)}")
    return tables, figures


def check_coverage(run_tables: Iterable[str], tables: Iterable[TableEntry]) -> None:
    """Refuse a run table no entry shows, so that no computed table is silently left out.

    Parameters
    ----------
    run_tables : iterable of str
        File stems of the run's CSV tables.
    tables : iterable of TableEntry
        The registry's tables.

    Raises
    ------
    ValueError
        Naming the tables without an entry and where to add one.
    """
    shown = {entry.source for entry in tables}
    missing = sorted(set(run_tables) - shown)
    if missing:
        raise ValueError(f"the report has no place for the tables {missing}: add an entry to {REGISTRY_FILE} "
                         "and its caption and note to the message catalogues (alliancegov/messages/*.yaml)")
