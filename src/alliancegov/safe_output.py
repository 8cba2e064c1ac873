"""Safe, byte-stable output: every CSV the pipeline publishes goes through :func:`write_csv`.

A spreadsheet runs a cell that starts like a formula (CSV injection), and a carriage return in
a cell splits a row for some readers: :func:`write_csv` neutralises both and writes the same
bytes on every run. :func:`printable` strips the control characters that XML-based formats
(Word, SVG) refuse.

:func:`visible_text` removes the invisible format characters (Unicode category Cf: the
bidirectional controls of "Trojan Source" text, zero-width spaces and joiners, the byte-order
mark) from every published text: CSV cells and headers, the LaTeX, Markdown, HTML and Word tables
(through :func:`printable`), the HTML report and the figures' texts. They are removed rather than
escaped: none carries meaning in a label or a table, a visible escape such as ``<U+202E>`` would
clutter the labels that picked one up by copy and paste, and removing them leaves the characters
in their stored (logical) order, which is what every reader then sees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pandas as pd


class _InvisibleCharacters(dict):
    """``str.translate`` table deleting category Cf, filled one code point at a time as text meets them."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Cf" else code
        self[code] = kept
        return kept


_INVISIBLE = _InvisibleCharacters()


def visible_text(text: str) -> str:
    """``text`` without its invisible format characters (Unicode category Cf).

    These are the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069),
    the marks U+200E, U+200F and U+061C, zero-width spaces and joiners (U+200B–U+200D, U+2060),
    the byte-order mark U+FEFF, the soft hyphen, tag characters and the other format characters
    of the Unicode database Python carries. A reader cannot see them, yet they reorder what a
    page or a spreadsheet shows ("Trojan Source") or make two equal-looking labels differ.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        ``text`` with every Cf character removed; everything else (line breaks and other
        control characters included) unchanged.

    Examples
    --------
    >>> visible_text("ab\u202ecd\u200d")
    'abcd'
    """
    # No ASCII character is in category Cf, and nearly all published text is ASCII.
    return text if text.isascii() else text.translate(_INVISIBLE)


def _visible_cell(value: object) -> object:
    return visible_text(value) if isinstance(value, str) else value


def visible_text_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names hold no invisible format characters.

    Parameters
    ----------
    df : DataFrame
        Any table.

    Returns
    -------
    DataFrame
        Same shape, index and dtypes; :func:`visible_text` applied to every string cell of the
        text-capable columns and to every string column name.
    """
    visible = map_text_cells(df, _visible_cell)
    visible.columns = [_visible_cell(name) for name in df.columns]
    return visible

# OWASP CSV injection: a spreadsheet evaluates a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


FORMULA_ESCAPE = "'"


def neutralise_cell(value: object) -> object:
    """Prefix ``value`` with a single quote if it is a string a spreadsheet would run as a formula.

    Parameters
    ----------
    value : object
        A cell.

    Returns
    -------
    object
        ``value`` with a leading ``'`` if it is a string starting with one of
        :data:`FORMULA_PREFIXES`; any other value unchanged (non-string values included).

    Examples
    --------
    >>> neutralise_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> neutralise_cell(-1.5)
    -1.5
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return FORMULA_ESCAPE + value
    return value


def _may_hold_text(column: pd.Series) -> bool:
    return (
        pd.api.types.is_string_dtype(column)
        or pd.api.types.is_object_dtype(column)
        or isinstance(column.dtype, pd.CategoricalDtype)
    ) and not pd.api.types.is_numeric_dtype(column)


def map_text_cells(df: pd.DataFrame, cell_function: Callable[[object], object]) -> pd.DataFrame:
    """A copy of ``df`` with ``cell_function`` applied to every non-missing cell of its text columns.

    Parameters
    ----------
    df : DataFrame
        Any table; duplicated column names are fine (columns are addressed by position).
    cell_function : callable
        Maps one cell to its new value.

    Returns
    -------
    DataFrame
        Same shape, index and columns. Text columns are those of ``str``, object or categorical
        dtype; numeric and datetime columns are copied unchanged.
    """
    mapped = df.copy()
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        if _may_hold_text(column):
            mapped.isetitem(position, column.map(cell_function, na_action="ignore"))
    return mapped


def neutralise_text_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` in which text cells and column names cannot run as spreadsheet formulas.

    Parameters
    ----------
    df : DataFrame
        Any table.

    Returns
    -------
    DataFrame
        Same shape, index and dtypes. In text-capable columns (``str``, object or categorical
        dtype) every string starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
        gets a leading ``'``; column names likewise, since the header row is a cell too. Numeric
        columns are left untouched, so negative numbers stay numbers.
    """
    neutralised = map_text_cells(df, neutralise_cell)
    neutralised.columns = [neutralise_cell(name) for name in df.columns]
    return neutralised


def _normalise_cell_line_breaks(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def normalise_line_breaks(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells use ``\\n`` for every line break (``\\r\\n`` and ``\\r`` too).

    Parameters
    ----------
    df : DataFrame
        Any table.

    Returns
    -------
    DataFrame
        Same shape; numeric columns are untouched.

    Notes
    -----
    Python's csv writer only quotes a field holding a character of the line terminator;
    with ``\\n`` as terminator a bare carriage return would be written unquoted and split
    the row for every reader.
    """
    return map_text_cells(df, _normalise_cell_line_breaks)


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as a UTF-8 CSV that is safe to open in a spreadsheet and byte-stable.

    Text cells and column names lose their invisible format characters
    (:func:`visible_text_cells`) and are then neutralised (:func:`neutralise_text_cells`), so that
    a zero-width space cannot hide a formula prefix; line breaks are normalised
    (:func:`normalise_line_breaks`); the index is dropped;
    lines end with ``\\n`` whatever the platform; floats use ``%.10g`` so that the last
    bits of floating-point noise do not change the file between runs.

    Parameters
    ----------
    df : DataFrame
        The table to publish.
    path : str or Path
        The CSV file; its parent folders are created.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    normalise_line_breaks(neutralise_text_cells(visible_text_cells(df))).to_csv(
        path, index=False, lineterminator="\n", float_format="%.10g", encoding="utf-8"
    )
    return path


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` on one line: line breaks become spaces, other control characters (invalid in XML) and
    invisible format characters (:func:`visible_text`) go.

    Parameters
    ----------
    text : str
        Any text (another object is converted with ``str``).

    Returns
    -------
    str
    """
    return visible_text(CONTROL_CHARACTERS.sub("", " ".join(str(text).splitlines())))
