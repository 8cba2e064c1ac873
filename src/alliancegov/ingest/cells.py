"""The cells of a wave file as text: blank or not, how to show one in a message, how to match one
against the codebook's labels, and the codebook name of a column header.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook import normalise_label

KOBO_META = {"_uuid": "submission_id", "_submission_time": "submission_time", "__version__": "instrument_version"}


class IngestError(ValueError):
    """A raw wave cannot be read; the message names the file, row, column and value."""


def canonical_column(header: str, select_multiple: frozenset[str] = frozenset()) -> str:
    """``group/subgroup/question`` → ``question``; Kobo's system names → codebook names.

    Kobo's 0/1 column of one choice of a select_multiple question, ``group/question/choice``,
    becomes ``question/choice``.

    Parameters
    ----------
    header : str
        A column header of the wave file.
    select_multiple : frozenset of str, default=frozenset()
        The codebook's select_multiple questions.

    Returns
    -------
    str
        The column's codebook name (``_uuid``, ``_submission_time`` and ``__version__`` become
        ``submission_id``, ``submission_time`` and ``instrument_version``).
    """
    header = str(header).strip()
    if header in KOBO_META:
        return KOBO_META[header]
    parts = header.split("/")
    if len(parts) >= 2 and parts[-2] in select_multiple:
        return "/".join(parts[-2:])
    return parts[-1]


def parse_number(cell: object) -> float | None:
    """A number from a cell: ``12``, ``12.5``, ``'1 234,5'`` (French), or None if not a number.

    Parameters
    ----------
    cell : object
        A raw cell: a number, or text with spaces (also non-breaking) as thousands separators and a
        decimal comma or point.

    Returns
    -------
    float or None
        The number, or None if the cell is not one.
    """
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


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
        The key (:func:`alliancegov.codebook.normalise_label` of the code or the text).
    """
    number = parse_number(cell)
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
        True for None, a float NaN, or a string that is empty once stripped.
    """
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or (isinstance(cell, str) and not cell.strip())


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
