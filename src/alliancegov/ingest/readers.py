"""Readers of the wave files: each returns the cells under the header row, their row numbers in
the file, and details for the provenance record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alliancegov.ingest.cells import IngestError, header_key, is_blank
from alliancegov.ingest.text_files import decode, parse_records, sniff_delimiter
from alliancegov.ingest.workbooks import read_workbook

FORMATS = ("csv", "kobo_csv", "xlsx", "sav", "dta")


HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class ReadOptions:
    """What the waves sheet says about reading one file.

    Attributes
    ----------
    sheet : str or None, default=None
        The workbook sheet to read (``.xlsx``); None reads the only sheet holding data.
    delimiter : str or None, default=None
        The delimiter of a text file; None sniffs it.
    """

    sheet: str | None = None
    delimiter: str | None = None


@dataclass
class RawTable:
    """Cells of a wave file under its header row, with each row's number in the file.

    Attributes
    ----------
    cells : DataFrame
        One column per header cell, one row per non-blank data row.
    row_numbers : ndarray of int
        Spreadsheet numbering: the file's first line or row is 1.
    details : dict
        Encoding, delimiter, header row, blank rows skipped, sheet: for the provenance record.
    value_labels : dict of str to dict, default={}
        SPSS and Stata files: per column, the file's own code → label map.
    short_rows : dict of int to int, default={}
        Delimited text: the rows with fewer fields than the header (padded with blanks), by
        position in ``cells``, with their number of fields.
    """

    cells: pd.DataFrame
    row_numbers: np.ndarray
    details: dict
    value_labels: dict = field(default_factory=dict)
    short_rows: dict = field(default_factory=dict)


def sniff_format(path: Path) -> str | None:
    """What the file's first bytes say it is, whatever its name or declared format.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    str or None
        ``xlsx`` (a zip package with a workbook), ``zip`` (another zip package), ``xls`` (an old
        Excel or other OLE2 document), ``sav``, ``dta``, ``text`` (no NUL byte among the first 4 KiB,
        or a UTF-16 byte-order mark), or None (empty, or unknown binary).
    """
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head:
        return None
    if head.startswith(b"PK\x03\x04"):
        import zipfile

        try:
            with zipfile.ZipFile(path) as package:
                return "xlsx" if "xl/workbook.xml" in package.namelist() else "zip"
        except zipfile.BadZipFile:
            return None   # a damaged package: the reader says what it cannot read
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head[:4] in (b"$FL2", b"$FL3"):
        return "sav"
    if head.startswith(b"<stata_dta>") or (len(head) > 2 and 102 <= head[0] <= 115 and head[1] in (1, 2)
                                            and head[2] == 1):
        return "dta"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in head:
        return "text"
    return None


FORMAT_CONTENT = {"csv": "text", "kobo_csv": "text", "xlsx": "xlsx", "sav": "sav", "dta": "dta"}
CONTENT_NAMES = {"text": "a text (CSV) file", "xlsx": "an Excel .xlsx workbook", "sav": "an SPSS .sav file",
                 "dta": "a Stata .dta file", "xls": "an old Excel .xls workbook (or another OLE2 document)",
                 "zip": "a zip archive that is not a workbook"}
FORMAT_OF_CONTENT = {"text": "csv", "xlsx": "xlsx", "sav": "sav", "dta": "dta"}


def format_mismatch(path: Path, fmt: str) -> str | None:
    """Why the file's content contradicts its declared format, or None when it does not.

    Parameters
    ----------
    path : Path
        The file.
    fmt : str
        The format the waves sheet declares (one of :data:`FORMATS`).

    Returns
    -------
    str or None
        E.g. "declared 'dta' but the file is an SPSS .sav file: set its format to sav"; None when
        the content fits the format or says nothing (an empty file, unknown bytes: the reader
        then names the problem).
    """
    content = sniff_format(path)
    if content is None or content == FORMAT_CONTENT.get(fmt):
        return None
    advice = (f": set its format to {FORMAT_OF_CONTENT[content]}" if content in FORMAT_OF_CONTENT
              else ": save it as .xlsx" if content == "xls" else "")
    return f"declared {fmt!r} in the waves sheet but the file is {CONTENT_NAMES[content]}{advice}"


def find_header_row(rows: list[list[object]], known: set[str]) -> int:
    """Index of the header among the first rows: the first row naming at least two known variables.

    Excel sheets and some CSV exports put a title or notes above the header. Falls back to 0 so that
    a file naming no known variable fails later on its required columns, with their names.

    Parameters
    ----------
    rows : list of list of object
        The file's rows of cells, from the first.
    known : set of str
        The codebook's variable names (and the Kobo system fields' codebook names); a header cell's
        last ``/`` part is compared with case, accents and spaces ignored
        (:func:`~alliancegov.ingest.cells.header_key`).

    Returns
    -------
    int
        0-based index of the header row among the first ``HEADER_SEARCH_ROWS`` rows, or 0.
    """
    keys = {header_key(name) for name in known} | {"_uuid", "_submission_time", "__version__"}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {header_key(str(c).split("/")[-1]) for c in row if not is_blank(c)}
        if len(names & keys) >= 2:
            return index
    return 0


def _table_from_rows(rows: list[list[object]], row_numbers: list[int], path: Path, known: set[str],
                     details: dict) -> RawTable:
    if not rows:
        raise IngestError(f"{path}: the file is empty")
    header_index = find_header_row(rows, known)
    header = ["" if is_blank(c) else str(c).strip() for c in rows[header_index]]
    while header and header[-1] == "":
        header.pop()
    body, numbers, short, blank, width = [], [], {}, 0, len(header)
    for row, number in zip(rows[header_index + 1:], row_numbers[header_index + 1:]):
        if _blank_row(row):
            blank += 1
            continue
        if len(row) != width:
            if len(row) > width and not all(is_blank(c) for c in row[width:]):
                raise IngestError(f"{path}: row {number} has {len(row)} fields but the header (row "
                                  f"{row_numbers[header_index]}) has {width}")
            if len(row) < width:   # answers after the cut are lost: flagged, never silently blank
                short[len(body)] = len(row)
            row = list(row[:width]) + [""] * (width - len(row))
        body.append(row)
        numbers.append(number)
    if any(name == "" for name in header):
        raise IngestError(f"{path}: the header (row {row_numbers[header_index]}) has an empty column name "
                          f"at position {header.index('') + 1}")
    cells = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header)
    details |= {"header_row": int(row_numbers[header_index]), "blank_rows_skipped": blank}
    return RawTable(cells, np.asarray(numbers, dtype=int), details, short_rows=short)


def _blank_row(row: list[object]) -> bool:
    try:  # a text row (CSV): one C-level join instead of a Python call per cell
        return not "".join(row).strip()
    except TypeError:  # a spreadsheet row holds numbers, dates or NaN
        return all(is_blank(c) for c in row)


def read_csv_table(path: Path, known: set[str], options: ReadOptions = ReadOptions()) -> RawTable:
    """A delimited text file: encoding and delimiter detected, title rows above the header skipped.

    A row with more (non-blank) fields than the header is an error; a shorter row is padded with
    blanks and listed in ``short_rows``, for the cleaning stage to flag (``short_row``).
    KoboToolbox's optional HXL hashtag row under the header is dropped. Encoding and delimiter:
    see :mod:`~alliancegov.ingest.text_files`.

    Parameters
    ----------
    path : Path
        The file.
    known : set of str
        Variable names that identify the header row (see :func:`find_header_row`).
    options : ReadOptions, default=ReadOptions()
        ``delimiter``: the waves sheet's, else sniffed.

    Returns
    -------
    RawTable
        The cells (text, one column per header cell) of the non-blank rows under the header, each
        row's line number in the file (a quoted cell may span lines), the short rows, and
        ``details``: ``encoding``, ``delimiter`` (and ``delimiter_declared``), ``header_row``,
        ``blank_rows_skipped``, ``short_rows`` (their number) and ``hxl_row`` when that row was
        dropped.

    Raises
    ------
    IngestError
        If the file is empty, is neither UTF-8 nor cp1252 text, mixes encodings, holds NUL bytes,
        has no sniffable delimiter, a malformed record, a row with more (non-blank) fields than
        the header, or a header with an empty name.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise IngestError(f"{path}: the file is empty")
    text, encoding = decode(raw, path)
    if not text.strip():
        raise IngestError(f"{path}: the file is empty")
    delimiter = options.delimiter or sniff_delimiter(text, path)
    rows, numbers = parse_records(text, delimiter, path)
    table = _table_from_rows(rows, numbers, path, known, {"encoding": encoding, "delimiter": delimiter,
                                                          "delimiter_declared": options.delimiter is not None})
    first = table.cells.iloc[0] if len(table.cells) else None
    if first is not None and all(str(v).startswith("#") or v == "" for v in first):
        # KoboToolbox's optional HXL hashtag row under the header
        table.cells = table.cells.iloc[1:].reset_index(drop=True)
        table.row_numbers = table.row_numbers[1:]
        table.short_rows = {position - 1: n for position, n in table.short_rows.items() if position > 0}
        table.details["hxl_row"] = True
    table.details["short_rows"] = len(table.short_rows)
    return table


def read_xlsx_table(path: Path, known: set[str], options: ReadOptions = ReadOptions()) -> RawTable:
    """One sheet of a workbook; title rows above the header skipped.

    Parameters
    ----------
    path : Path
        The ``.xlsx`` file.
    known : set of str
        Variable names that identify the header row (see :func:`find_header_row`).
    options : ReadOptions, default=ReadOptions()
        ``sheet``: the sheet to read (see :func:`~alliancegov.ingest.workbooks.read_workbook`).

    Returns
    -------
    RawTable
        The cells (as the sheet holds them: text, numbers, dates; one column per header cell) of
        the non-blank rows under the header, each row's number in the sheet, and ``details``:
        ``encoding`` (``xlsx``), ``sheet``, ``header_row`` and ``blank_rows_skipped``.

    Raises
    ------
    IngestError
        If the workbook is damaged or not a workbook, the sheet is missing, several sheets hold data
        and none is named, a cell holds a formula without saved value or an error value, the sheet is
        empty, or the header has an empty name or is shorter than a row's non-blank fields.
    """
    rows, sheet = read_workbook(path, options.sheet)
    return _table_from_rows(rows, list(range(1, len(rows) + 1)), path, known, {"encoding": "xlsx", "sheet": sheet})


def read_spss_table(path: Path, known: set[str], options: ReadOptions = ReadOptions()) -> RawTable:
    """SPSS/Stata with user-missing codes kept as values (pyreadstat would turn them into NaN).

    Parameters
    ----------
    path : Path
        A ``.sav`` file, or a ``.dta`` file or one whose content is Stata's (read as Stata).
    known : set of str
        Not used: these files have no rows above their variable names.
    options : ReadOptions, default=ReadOptions()
        Not used.

    Returns
    -------
    RawTable
        The data (one column per variable, values as stored), rows numbered from 1, the file's
        value labels, and ``details``: ``encoding`` (the file's, or ``binary``), ``header_row`` 0,
        ``blank_rows_skipped`` 0 and ``value_labels`` (the number of labelled variables).

    Raises
    ------
    IngestError
        If pyreadstat cannot read the file.
    """
    import pyreadstat

    stata = sniff_format(path) == "dta" if path.suffix.lower() != ".dta" else True
    reader = pyreadstat.read_dta if stata else pyreadstat.read_sav
    try:
        cells, meta = reader(str(path), user_missing=True)
    except pyreadstat.ReadstatError as error:
        raise IngestError(f"{path}: not a readable {path.suffix} file ({error})") from error
    labels = {name: dict(value_labels) for name, value_labels in (meta.variable_value_labels or {}).items()}
    details = {"encoding": meta.file_encoding or "binary", "header_row": 0, "blank_rows_skipped": 0,
               "value_labels": len(labels)}
    return RawTable(cells, np.arange(1, len(cells) + 1), details, value_labels=labels)


READERS = {"csv": read_csv_table, "kobo_csv": read_csv_table, "xlsx": read_xlsx_table,
           "sav": read_spss_table, "dta": read_spss_table}
