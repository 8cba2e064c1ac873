"""The cells of a wave file as text: blank or not, how to show one in a message, how to match one
against the codebook's labels, and the codebook name of a column header.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from alliancegov.codebook.labels import normalise_label
from alliancegov.ingest.numbers import plain_number

KOBO_META = {"_uuid": "submission_id", "_submission_time": "submission_time", "__version__": "instrument_version"}


class IngestError(ValueError):
    """A raw wave cannot be read; the message names the file, row, column and value."""


def header_key(text: object) -> str:
    """A header or variable name as headers are matched: case, accents and spaces ignored.

    Parameters
    ----------
    text : object
        A column header, or one part of a ``group/question`` header, or a codebook name.

    Returns
    -------
    str
        The text without accents, invisible characters or whitespace, case-folded.
    """
    folded = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in folded if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
                   and not ch.isspace()).casefold()


def name_keys(names: Iterable[str]) -> dict[str, str]:
    """The names a header may stand for, by :func:`header_key`.

    Parameters
    ----------
    names : iterable of str
        Codebook variable names (and crosswalk sources).

    Returns
    -------
    dict of str to str
        ``header_key(name)`` → name.

    Raises
    ------
    IngestError
        If two names have the same key: no header could tell them apart.
    """
    keys: dict[str, str] = {}
    for name in names:
        other = keys.setdefault(header_key(name), name)
        if other != name:
            raise IngestError(f"the names {other!r} and {name!r} differ only in case, accents or spaces, so no "
                              "column header can tell them apart; rename one in the codebook or the crosswalk")
    return keys


_KOBO_KEYS = {header_key(name): canonical for name, canonical in KOBO_META.items()}


def canonical_column(header: str, select_multiple: frozenset[str] = frozenset(),
                     names: dict[str, str] | None = None) -> str:
    """``group/subgroup/question`` → ``question``; Kobo's system names → codebook names.

    Kobo's 0/1 column of one choice of a select_multiple question, ``group/question/choice``,
    becomes ``question/choice``. With ``names``, the question is matched to a codebook name with
    case, accents and spaces ignored: ``profil/Sector``, `` SECTOR `` and ``Région`` are
    ``sector`` and ``region`` (a header in other words, ``Secteur d'activité``, needs a crosswalk).

    Parameters
    ----------
    header : str
        A column header of the wave file.
    select_multiple : frozenset of str, default=frozenset()
        The codebook's select_multiple questions.
    names : dict of str to str, optional
        :func:`name_keys` of the names the header may stand for; a question matching none keeps
        its spelling (stripped).

    Returns
    -------
    str
        The column's codebook name (``_uuid``, ``_submission_time`` and ``__version__`` become
        ``submission_id``, ``submission_time`` and ``instrument_version``).
    """
    names = names or {}
    header = str(header).strip()
    if header_key(header) in _KOBO_KEYS:
        return _KOBO_KEYS[header_key(header)]
    parts = [part.strip() for part in header.split("/")]
    question = names.get(header_key(parts[-1]), parts[-1])
    if len(parts) >= 2:
        group_question = names.get(header_key(parts[-2]), parts[-2])
        if group_question in select_multiple:
            return f"{group_question}/{parts[-1]}"
    return question


def show_cell(cell: object) -> str:
    """A raw cell as an error message shows it: numbers plainly, text quoted.

    Parameters
    ----------
    cell : object
        A raw cell.

    Returns
    -------
    str
        A float in ``g`` format, anything else as the ``repr`` of its text.
    """
    return f"{cell:g}" if isinstance(cell, (float, np.floating)) else repr(str(cell))


def match_key(cell: object) -> str:
    """A cell as answers are matched: a whole number as its code (``1.0`` from Stata/SPSS is
    code ``1``), anything else as its normalised label.

    Parameters
    ----------
    cell : object
        A raw cell.

    Returns
    -------
    str
        The key (:func:`alliancegov.codebook.labels.normalise_label` of the code or the text).
    """
    number = plain_number(cell)
    return normalise_label(int(number) if number is not None and number.is_integer() else cell)


def is_blank(cell: object) -> bool:
    """Whether a cell is empty: None, NaN, or text of blanks only.

    Parameters
    ----------
    cell : object
        A raw cell.

    Returns
    -------
    bool
        True for None, ``pd.NA``, ``pd.NaT``, a float NaN, or a string that is empty once stripped.
    """
    if isinstance(cell, str):
        return not cell.strip()
    return cell is None or cell is pd.NA or cell is pd.NaT or (isinstance(cell, float) and np.isnan(cell))


def map_distinct(cells: pd.Series, convert) -> tuple[np.ndarray, np.ndarray]:
    """``convert`` called once per distinct cell: the codes of the cells and the converted values.

    ``converted[codes]`` is the converted column. A column holds few distinct answers, so this is
    one Python call per answer rather than per response. Blank cells (None, NaN) are one value.

    Parameters
    ----------
    cells : Series
        A column of raw cells, n of them.
    convert : callable
        Takes one cell, returns its converted value.

    Returns
    -------
    codes : ndarray of int of shape (n,)
        Each cell's position among the distinct cells.
    converted : ndarray of object of shape (n_distinct,)
        ``convert`` of each distinct cell.
    """
    codes, distinct = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=False)
    converted = np.empty(len(distinct), dtype=object)
    for position, cell in enumerate(distinct):
        converted[position] = convert(cell)
    return codes, converted
