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
    """
    header = str(header).strip()
    if header in KOBO_META:
        return KOBO_META[header]
    parts = header.split("/")
    if len(parts) >= 2 and parts[-2] in select_multiple:
        return "/".join(parts[-2:])
    return parts[-1]


def parse_number(cell: object) -> float | None:
    """A number from a cell: ``12``, ``12.5``, ``'1 234,5'`` (French), or None if not a number."""
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
    """A raw cell as an error message shows it: numbers plainly, text quoted."""
    return f"{cell:g}" if isinstance(cell, (float, np.floating)) else repr(str(cell))


def match_key(cell: object) -> str:
    """A cell as answers are matched: a whole number as its code (``1.0`` from Stata/SPSS is
    code ``1``), anything else as its normalised label."""
    number = parse_number(cell)
    return normalise_label(int(number) if number is not None and number.is_integer() else cell)


def is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or (isinstance(cell, str) and not cell.strip())


def map_distinct(cells: pd.Series, convert) -> tuple[np.ndarray, np.ndarray]:
    """``convert`` called once per distinct cell: the codes of the cells and the converted values.

    ``converted[codes]`` is the converted column. A column holds few distinct answers, so this is
    one Python call per answer rather than per response. Blank cells (None, NaN) are one value.
    """
    codes, distinct = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=False)
    converted = np.empty(len(distinct), dtype=object)
    for position, cell in enumerate(distinct):
        converted[position] = convert(cell)
    return codes, converted
