"""Text answers and identifiers, made comparable across exports before anything is hashed or matched.

Statistics packages and spreadsheets store a number-like identifier as a float: registry number
100011 comes back as ``100011.0`` from SPSS or Excel while the CSV export of the next wave says
``100011``. Text pasted from web forms and word processors carries invisible characters (zero-width
spaces, byte-order marks, direction marks) and the same accented letter in two Unicode forms. Either
difference would give the same firm two pseudonymous keys and silently cut its panel links.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from alliancegov.ingest.cells import is_blank

_WHOLE_FLOAT_TEXT = re.compile(r"[+-]?\d+\.0+")


def visible_text(text: str) -> str:
    """``text`` without invisible characters, NFC-normalised and stripped.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text with every Unicode format character (category Cf: zero-width spaces and joiners,
        byte-order marks, soft hyphens, direction marks) and control character other than
        whitespace removed, composed (NFC) and stripped of surrounding whitespace.
    """
    if not text.isascii() or not text.isprintable():
        text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch.isspace())
        text = unicodedata.normalize("NFC", text)
    return text.strip()


def text_value(cell: object, *, identifier: bool = False) -> str | None:
    """A text answer from a raw cell.

    Parameters
    ----------
    cell : object
        A raw cell: text, or a number a spreadsheet or statistics package stored.
    identifier : bool, default=False
        Keyword-only: the cell is an identifier (the firm identifier, the submission id). Text
        written like a whole float (``"100011.0"``, as a float column is written to CSV) then
        becomes the whole number (``"100011"``) too.

    Returns
    -------
    str or None
        None for a blank cell (or one that holds only invisible characters); a whole number
        (``100011.0``) as its digits (``"100011"``); another number by its shortest ``repr``; text
        through :func:`visible_text`.
    """
    if is_blank(cell):
        return None
    if isinstance(cell, (bool, np.bool_)):
        return str(bool(cell))
    if isinstance(cell, (float, np.floating)):
        return str(int(cell)) if float(cell).is_integer() else repr(float(cell))
    if isinstance(cell, (int, np.integer)) and not isinstance(cell, (bool, np.bool_)):
        return str(int(cell))
    text = visible_text(str(cell))
    if identifier and _WHOLE_FLOAT_TEXT.fullmatch(text):
        text = text.split(".", 1)[0]
    return text or None
