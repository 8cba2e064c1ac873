"""Answers read as the codebook means them: labels and codes to answer names, numbers to floats,
Kobo's one-column-per-choice exports joined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook import Codebook, normalise_label
from alliancegov.ingest.cells import IngestError, is_blank, map_distinct, match_key, parse_number


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
        codes, numbers = map_distinct(cells[column], lambda c: np.nan if is_blank(c) else parse_number(c))
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


def _answer_lookup(codebook: Codebook, variable: str, value: str) -> dict[str, object]:
    """Normalised spelling (name, French or English label, code) → canonical value.

    ``value`` is ``"name"`` for select_one (canonical answers are names) or ``"code"`` for Likert.
    """
    lookup: dict[str, object] = {}
    for list_column in ("list_name", "missing_list"):
        list_name = codebook.variables.at[variable, list_column]
        if not list_name:
            continue
        for row in codebook.choices(list_name).itertuples():
            target = row.name if value == "name" else float(row.code)
            for spelling in (row.name, row.label_fr, row.label_en, str(row.code)):
                lookup[normalise_label(spelling)] = target
    return lookup


def convert_column(cells: pd.Series, variable: str, codebook: Codebook) -> tuple[pd.Series, list[tuple[int, object]]]:
    """Convert one column of raw cells to canonical values.

    Answers are matched by name, French or English label or code, with case, accents and spaces
    ignored; missing-value answers (the variable's ``missing_list``) are matched too.

    Parameters
    ----------
    cells : Series
        The raw cells of the column.
    variable : str
        The codebook variable the column holds.
    codebook : Codebook
        Gives the variable's type and answers.

    Returns
    -------
    converted : Series
        On ``cells``' index: text and datetime answers as stripped strings; select_one answers as
        answer names; select_multiple answers as the names, space-separated in the codebook's order
        (or a single missing-value name); other types (Likert, integer, decimal) as floats, a label
        read as its code. Blank and unconvertible cells are missing.
    failures : list of tuple of (int, object)
        The (position, cell) pairs that could not be converted (0-based positions in ``cells``).
    """
    vtype = codebook.variables.at[variable, "type"]
    if vtype in ("text", "datetime"):
        codes, text = map_distinct(cells, lambda c: pd.NA if is_blank(c) else str(c).strip())
        return pd.Series(text[codes], index=cells.index).astype("str"), []
    if vtype == "select_multiple":
        lookup = _answer_lookup(codebook, variable, "name")
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
        lookup = _answer_lookup(codebook, variable, "name")

        def convert(cell: object) -> object:
            return None if is_blank(cell) else lookup.get(match_key(cell), _UNMAPPED)
    else:
        lookup = _answer_lookup(codebook, variable, "code")

        def convert(cell: object) -> object:
            if is_blank(cell):
                return np.nan
            number = parse_number(cell)
            return number if number is not None else lookup.get(normalise_label(cell), _UNMAPPED)
    codes, converted = map_distinct(cells, convert)
    unmapped = np.array([value is _UNMAPPED for value in converted], dtype=bool)
    converted[unmapped] = None
    bad = unmapped[codes]
    failures = [(int(i), cells.iloc[i]) for i in np.flatnonzero(bad)]
    converted = pd.Series(converted[codes], index=cells.index)
    if vtype in ("select_one", "select_multiple"):
        return converted.astype("str"), failures
    return converted.astype(float), failures


_UNMAPPED = object()
