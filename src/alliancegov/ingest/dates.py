"""Dates and times, parsed with the formats the waves sheet declares, never guessed.

``03/04/2025`` is the 3rd of April in Casablanca and the 4th of March in a US export: the date
format is a property of the tool that exported the wave, so each wave declares its formats in the
``date_format`` column of the waves sheet (``strftime`` codes, several separated by ``|``, tried in
order). A wave that declares none is read as ISO 8601 (:data:`ISO_FORMATS`), as KoboToolbox,
ODK and the bundled example write it. Cells already holding dates (Excel, SPSS, Stata) are taken as
they are. Times with a UTC offset are converted to UTC; times without one are taken as written.

A cell that no format reads is never dropped in silence: it stays missing and the response carries
the ``invalid_date`` quality flag.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from alliancegov.ingest.cells import is_blank, map_distinct
from alliancegov.ingest.identifiers import visible_text

ISO_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z",
               "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def date_formats(declared: str | None) -> tuple[str, ...]:
    """The formats of a wave's ``date_format`` cell.

    Parameters
    ----------
    declared : str or None
        ``strftime`` formats separated by ``|``; empty or None for ISO 8601.

    Returns
    -------
    tuple of str
        The formats in the order given, or :data:`ISO_FORMATS`.

    Raises
    ------
    ValueError
        If a declared format has no ``%`` code (a date written as an example, not as a format).
    """
    formats = tuple(part.strip() for part in (declared or "").split("|") if part.strip())
    bad = [f for f in formats if "%" not in f]
    if bad:
        raise ValueError(f"date formats {bad} hold no % code; write them as strftime formats, e.g. %d/%m/%Y %H:%M")
    return formats or ISO_FORMATS


def _parse(text: str, formats: tuple[str, ...]) -> tuple[object, str]:
    """(timestamp, "") or (NaT, "impossible date" / "not a date in the declared format")."""
    problem = "not a date in the declared format"
    for fmt in formats:
        try:
            value = dt.datetime.strptime(text, fmt)
        except ValueError as error:
            if "out of range" in str(error):    # the shape fits but the calendar does not: 30 February
                problem = "impossible date"
            continue
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return pd.Timestamp(value), ""
    return pd.NaT, problem


def parse_dates(cells: pd.Series, formats: tuple[str, ...]) -> tuple[pd.Series, list[tuple[int, object, str]]]:
    """A column of dates and times from raw cells.

    Parameters
    ----------
    cells : Series
        Raw cells: text, or dates a spreadsheet or statistics package stored.
    formats : tuple of str
        The wave's formats (:func:`date_formats`), tried in order.

    Returns
    -------
    parsed : Series
        On ``cells``' index, ``datetime64[ns]``; blank and unreadable cells NaT.
    invalid : list of tuple of (int, object, str)
        ``(position, cell, problem)`` for each cell no format reads, ``problem`` being "impossible
        date" (the 30th of February) or "not a date in the declared format".
    """
    def convert(cell: object) -> tuple[object, str]:
        if is_blank(cell) or cell is pd.NaT:
            return pd.NaT, ""
        if isinstance(cell, (dt.datetime, dt.date, np.datetime64)):
            return pd.Timestamp(cell), ""
        text = visible_text(str(cell))
        return (pd.NaT, "") if not text else _parse(text, formats)

    codes, converted = map_distinct(cells, convert)
    values = pd.to_datetime(pd.Series([v for v, _ in converted], dtype=object), errors="raise")
    parsed = pd.Series(values.to_numpy(dtype="datetime64[ns]")[codes], index=cells.index)
    bad = np.array([problem != "" for _, problem in converted], dtype=bool)
    invalid = [(int(i), cells.iloc[i], converted[codes[i]][1]) for i in np.flatnonzero(bad[codes])]
    return parsed, invalid
