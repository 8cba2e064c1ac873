"""Answers read as the codebook means them: labels and codes to answer names, numbers to floats,
Kobo's one-column-per-choice exports joined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook.labels import normalise_label
from alliancegov.codebook.tables import Codebook
from alliancegov.ingest.cells import IngestError, is_blank, map_distinct, match_key
from alliancegov.ingest.dates import ISO_FORMATS, parse_dates
from alliancegov.ingest.identifiers import text_value
from alliancegov.ingest.numbers import NumberError, plain_number, read_number


class UnreadableCells(IngestError):
    """Cells of one column that fit no reading of the wave's notation; ``cells`` lists them.

    Attributes
    ----------
    cells : list of tuple of (int, object, str)
        ``(position, cell, reason)`` of each cell, 0-based positions in the column.
    """

    def __init__(self, cells: list[tuple[int, object, str]]):
        super().__init__(f"{len(cells)} cell(s) fit no reading")
        self.cells = cells


def join_choice_columns(cells: pd.DataFrame, variable: str, choices: list[str]) -> pd.Series:
    """One select_multiple answer from Kobo's ``variable/choice`` 0/1 columns: the chosen names, joined.

    A row whose 0/1 cells are all blank is unanswered (missing), not "nothing chosen".

    Parameters
    ----------
    cells : DataFrame
        The wave's raw cells, with canonical column names (``variable/choice`` for the 0/1 columns).
    variable : str
        The select_multiple question.
    choices : list of str
        Its answer names, in the codebook's order.

    Returns
    -------
    Series
        Per row, the names of the choices whose cell is 1, space-separated in the codebook's order
        (empty text when none is); missing where every 0/1 cell is blank. On ``cells``' index.

    Raises
    ------
    IngestError
        If a ``variable/…`` column names no choice of the codebook.
    """
    columns = [c for c in cells.columns if c.startswith(f"{variable}/")]
    unknown = [c for c in columns if c.split("/", 1)[1] not in choices]
    if unknown:
        raise IngestError(f"columns {unknown} name no choice of {variable!r} in the codebook")
    chosen = {}
    for column in columns:
        codes, numbers = map_distinct(cells[column], lambda c: np.nan if is_blank(c) else plain_number(c))
        chosen[column] = pd.Series(numbers[codes], index=cells.index, dtype=float)
    chosen = pd.DataFrame(chosen, index=cells.index, columns=columns)
    answered = chosen.notna().any(axis=1)
    order = [c for c in choices if f"{variable}/{c}" in columns]
    # each chosen name followed by a space, concatenated across columns, then the last space trimmed
    joined = np.full(len(cells), "", dtype=object)
    for name in order:
        joined = joined + np.where(chosen[f"{variable}/{name}"].to_numpy() == 1, name + " ", "")
    joined = pd.Series(joined, index=cells.index, dtype=object).str.rstrip()
    return joined.where(answered)


def answer_lookups(codebook: Codebook, variable: str) -> tuple[dict[str, object], dict[str, object]]:
    """How a variable's answers are recognised: by code, and by name or label.

    Parameters
    ----------
    codebook : Codebook
        Gives the variable's value set and missing-value list.
    variable : str
        A codebook variable.

    Returns
    -------
    by_code : dict
        :func:`~alliancegov.ingest.cells.match_key` of each code → the canonical answer: its name
        for select_one and select_multiple questions, its code (float) for the others.
    by_label : dict
        :func:`~alliancegov.codebook.labels.normalise_label` of each name and French and English label →
        the canonical answer. Both include the missing-value answers; empty without value sets.
    """
    by_code: dict[str, object] = {}
    by_label: dict[str, object] = {}
    by_name = codebook.variables.at[variable, "type"] in ("select_one", "select_multiple")
    for list_column in ("list_name", "missing_list"):
        list_name = codebook.variables.at[variable, list_column]
        if not list_name:
            continue
        for row in codebook.choices(list_name).itertuples():
            target = row.name if by_name else float(row.code)
            by_code[match_key(row.code)] = target
            for spelling in (row.name, row.label_fr, row.label_en):
                by_label[normalise_label(spelling)] = target
    return by_code, by_label


def _answer_lookup(codebook: Codebook, variable: str) -> dict[str, object]:
    """Normalised spelling (name, French or English label, code) → canonical answer."""
    by_code, by_label = answer_lookups(codebook, variable)
    return {**by_label, **by_code}


def convert_column(cells: pd.Series, variable: str, codebook: Codebook, *, locale: str = "en",
                   date_formats: tuple[str, ...] = ISO_FORMATS,
                   identifier: bool = False) -> tuple[pd.Series, list[tuple[int, object]]]:
    """Convert one column of raw cells to canonical values.

    Answers are matched by name, French or English label or code, with case, accents and spaces
    ignored; missing-value answers (the variable's ``missing_list``) are matched too. Numbers
    written as text are read by the wave's notation (:mod:`~alliancegov.ingest.numbers`).

    Parameters
    ----------
    cells : Series
        The raw cells of the column.
    variable : str
        The codebook variable the column holds.
    codebook : Codebook
        Gives the variable's type and answers.
    locale : {"en", "fr"}, default="en"
        Keyword-only: the notation of numbers written as text.
    date_formats : tuple of str, default=ISO_FORMATS
        Keyword-only: the formats of a datetime variable
        (:func:`~alliancegov.ingest.dates.date_formats`).
    identifier : bool, default=False
        Keyword-only: the column is an identifier (see
        :func:`~alliancegov.ingest.identifiers.text_value`).

    Returns
    -------
    converted : Series
        On ``cells``' index: text answers as text (:func:`~alliancegov.ingest.identifiers.text_value`);
        datetime answers as ``datetime64[ns]``; select_one answers as answer names; select_multiple
        answers as the names, space-separated in the codebook's order (or a single missing-value
        name); other types (Likert, integer, decimal) as floats, a label read as its code. Blank
        and unconvertible cells are missing.
    failures : list of tuple of (int, object)
        The (position, cell) pairs that could not be converted (0-based positions in ``cells``):
        unknown answers, or dates no format reads.

    Raises
    ------
    UnreadableCells
        If a numeric column holds text written like a number that fits no reading of ``locale``,
        or, in a column of whole numbers (integer, Likert), a number whose decimal separator is
        followed by exactly three digits (``"1,500"`` in ``fr``: 1.5, or 1500 in the other notation).
    """
    vtype = codebook.variables.at[variable, "type"]
    if vtype == "text":
        codes, text = map_distinct(cells, lambda c: text_value(c, identifier=identifier) or pd.NA)
        return pd.Series(text[codes], index=cells.index).astype("str"), []
    if vtype == "datetime":
        parsed, invalid = parse_dates(cells, date_formats)
        return parsed, [(position, cell) for position, cell, _ in invalid]
    if vtype == "select_multiple":
        lookup = _answer_lookup(codebook, variable)
        order = {name: i for i, name in enumerate(codebook.answer_names(variable))}

        def convert(cell: object) -> object:
            if is_blank(cell):
                return None
            whole = lookup.get(normalise_label(cell))   # a missing-value label, or a single choice
            tokens = [whole] if whole is not None else [
                lookup.get(normalise_label(token), _UNMAPPED) for token in str(cell).split()]
            return _UNMAPPED if _UNMAPPED in tokens else " ".join(
                sorted(set(tokens), key=lambda token: order.get(token, -1)))
    elif vtype == "select_one":
        lookup = _answer_lookup(codebook, variable)

        def convert(cell: object) -> object:
            return None if is_blank(cell) else lookup.get(match_key(cell), _UNMAPPED)
    else:
        lookup = _answer_lookup(codebook, variable)
        whole = vtype != "decimal"

        def convert(cell: object) -> object:
            if is_blank(cell):
                return np.nan
            try:
                number = read_number(cell, locale)
            except NumberError as error:
                return _Unreadable(str(error))
            if number is None:
                return lookup.get(normalise_label(cell), _UNMAPPED)
            if whole and number.three_decimals:
                return _Unreadable(
                    f"{str(cell).strip()!r} reads as {number.value:g} in locale {locale!r} and as "
                    f"{number.value * 1000:g} with a thousands separator, and {variable!r} holds whole numbers: "
                    "check the wave's locale, or write the number without a separator")
            return number.value
    codes, converted = map_distinct(cells, convert)
    unreadable = np.array([isinstance(value, _Unreadable) for value in converted], dtype=bool)
    if unreadable.any():
        raise UnreadableCells([(int(i), cells.iloc[i], converted[codes[i]].reason)
                               for i in np.flatnonzero(unreadable[codes])])
    unmapped = np.array([value is _UNMAPPED for value in converted], dtype=bool)
    converted[unmapped] = None
    bad = unmapped[codes]
    failures = [(int(i), cells.iloc[i]) for i in np.flatnonzero(bad)]
    converted = pd.Series(converted[codes], index=cells.index)
    if vtype in ("select_one", "select_multiple"):
        return converted.astype("str"), failures
    return converted.astype(float), failures


_UNMAPPED = object()


class _Unreadable:
    """A converted cell that fits no reading of the wave's notation, with the reason why."""

    def __init__(self, reason: str):
        self.reason = reason
