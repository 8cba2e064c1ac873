"""Readers of the wave files: each returns the cells under the header row, their row numbers in
the file, and details for the provenance record.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alliancegov.ingest.cells import IngestError, canonical_column, is_blank

FORMATS = ("csv", "kobo_csv", "xlsx", "sav", "dta")


HEADER_SEARCH_ROWS = 10


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode as UTF-8 (with or without BOM), else cp1252; refuse bytes only latin-1 would take."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise IngestError(f"{path}: the file contains NUL bytes (UTF-16 text?); re-export it as UTF-8")
        if encoding == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            return text, "utf-8-sig"
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise IngestError(f"{path}: the file is neither UTF-8 nor cp1252 text; re-export it as UTF-8")


@dataclass
class RawTable:
    """Cells of a wave file under its header row, with each row's number in the file."""

    cells: pd.DataFrame       # one column per header cell, one row per non-blank data row
    row_numbers: np.ndarray   # spreadsheet numbering: the file's first line or row is 1
    details: dict             # encoding, delimiter, header row, blank rows skipped


def find_header_row(rows: list[list[object]], known: set[str]) -> int:
    """Index of the header among the first rows: the first row naming at least two known variables.

    Excel sheets and some CSV exports put a title or notes above the header. Falls back to 0 so that
    a file naming no known variable fails later on its required columns, with their names.

    Parameters
    ----------
    rows : list of list of object
        The file's rows of cells, from the first.
    known : set of str
        The codebook's variable names (and the Kobo system fields' codebook names); headers are
        compared after :func:`~alliancegov.ingest.cells.canonical_column`.

    Returns
    -------
    int
        0-based index of the header row among the first ``HEADER_SEARCH_ROWS`` rows, or 0.
    """
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {canonical_column(c) for c in row if not is_blank(c)}
        if len(names & known) >= 2:
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
    body, numbers, blank, width = [], [], 0, len(header)
    for row, number in zip(rows[header_index + 1:], row_numbers[header_index + 1:]):
        if _blank_row(row):
            blank += 1
            continue
        if len(row) != width:
            if len(row) > width and not all(is_blank(c) for c in row[width:]):
                raise IngestError(f"{path}: row {number} has {len(row)} fields but the header (row "
                                  f"{row_numbers[header_index]}) has {width}")
            row = list(row[:width]) + [""] * (width - len(row))
        body.append(row)
        numbers.append(number)
    if any(name == "" for name in header):
        raise IngestError(f"{path}: the header (row {row_numbers[header_index]}) has an empty column name "
                          f"at position {header.index('') + 1}")
    cells = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header)
    details |= {"header_row": int(row_numbers[header_index]), "blank_rows_skipped": blank}
    return RawTable(cells, np.asarray(numbers, dtype=int), details)


def _blank_row(row: list[object]) -> bool:
    try:  # a text row (CSV): one C-level join instead of a Python call per cell
        return not "".join(row).strip()
    except TypeError:  # a spreadsheet row holds numbers, dates or NaN
        return all(is_blank(c) for c in row)


def _parse_csv(text: str, delimiter: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """The records of a delimited text and the line each starts on (the file's first line is 1)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error:
        rows = None  # read again record by record below, to name the row at fault
    if rows is not None and reader.line_num == len(rows):  # one line per record: numbering is trivial
        return rows, list(range(1, len(rows) + 1))
    # A quoted cell spans lines (or a record is malformed): number the records as they are read.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows, numbers, start = [], [], 1
    try:
        for row in reader:
            rows.append(row)
            numbers.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise IngestError(f"{path}: row {start}: {error}") from error
    return rows, numbers


def read_csv_table(path: Path, known: set[str]) -> RawTable:
    """A delimited text file: encoding and delimiter detected, title rows above the header skipped.

    A row with more fields than the header is an error; a shorter row is padded with blanks, as
    spreadsheet programs write rows whose last answers are empty. The text is read as UTF-8 (with
    or without BOM), else cp1252; the delimiter is whichever of ``;``, ``,`` and tab is most
    frequent on a line of the first rows. KoboToolbox's optional HXL hashtag row under the header
    is dropped.

    Parameters
    ----------
    path : Path
        The file.
    known : set of str
        Variable names that identify the header row (see :func:`find_header_row`).

    Returns
    -------
    RawTable
        The cells (text, one column per header cell) of the non-blank rows under the header, each
        row's line number in the file (a quoted cell may span lines), and ``details``:
        ``encoding``, ``delimiter``, ``header_row``, ``blank_rows_skipped`` and ``hxl_row`` when
        that row was dropped.

    Raises
    ------
    IngestError
        If the file is empty, is neither UTF-8 nor cp1252 text, holds NUL bytes, has a malformed
        record, a row with more (non-blank) fields than the header, or a header with an empty name.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise IngestError(f"{path}: the file is empty")
    text, encoding = _decode(raw, path)
    sample = text[:20000].splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = max([";", ",", "\t"], key=lambda d: max(line.count(d) for line in sample))
    rows, numbers = _parse_csv(text, delimiter, path)
    table = _table_from_rows(rows, numbers, path, known, {"encoding": encoding, "delimiter": delimiter})
    first = table.cells.iloc[0] if len(table.cells) else None
    if first is not None and all(str(v).startswith("#") or v == "" for v in first):
        # KoboToolbox's optional HXL hashtag row under the header
        table.cells = table.cells.iloc[1:].reset_index(drop=True)
        table.row_numbers = table.row_numbers[1:]
        table.details["hxl_row"] = True
    return table


def read_xlsx_table(path: Path, known: set[str]) -> RawTable:
    """The first sheet of a workbook; title rows above the header skipped.

    Parameters
    ----------
    path : Path
        The ``.xlsx`` file.
    known : set of str
        Variable names that identify the header row (see :func:`find_header_row`).

    Returns
    -------
    RawTable
        The cells (as the sheet holds them: text, numbers, dates; one column per header cell) of
        the non-blank rows under the header, each row's number in the sheet, and ``details``:
        ``encoding`` (``xlsx``), ``header_row`` and ``blank_rows_skipped``.

    Raises
    ------
    IngestError
        If the workbook is damaged or not a workbook, the sheet is empty, or the header has an
        empty name or is shorter than a row's non-blank fields.
    """
    try:
        sheet = pd.read_excel(path, header=None, dtype=object)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:  # damaged or mislabelled workbook
        raise IngestError(f"{path}: not a readable .xlsx workbook ({type(error).__name__}: {error})") from error
    rows = sheet.to_numpy(dtype=object).tolist()
    return _table_from_rows(rows, list(range(1, len(rows) + 1)), path, known, {"encoding": "xlsx"})


def read_spss_table(path: Path, known: set[str]) -> RawTable:
    """SPSS/Stata with user-missing codes kept as values (pyreadstat would turn them into NaN).

    Parameters
    ----------
    path : Path
        A ``.sav`` file, or a ``.dta`` file (read as Stata).
    known : set of str
        Not used: these files have no rows above their variable names.

    Returns
    -------
    RawTable
        The data (one column per variable, values as stored), rows numbered from 1, and
        ``details``: ``encoding`` (the file's, or ``binary``), ``header_row`` 0 and
        ``blank_rows_skipped`` 0.

    Raises
    ------
    IngestError
        If pyreadstat cannot read the file.
    """
    import pyreadstat

    reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    try:
        cells, meta = reader(str(path), user_missing=True)
    except pyreadstat.ReadstatError as error:
        raise IngestError(f"{path}: not a readable {path.suffix} file ({error})") from error
    details = {"encoding": meta.file_encoding or "binary", "header_row": 0, "blank_rows_skipped": 0}
    return RawTable(cells, np.arange(1, len(cells) + 1), details)


READERS = {"csv": read_csv_table, "kobo_csv": read_csv_table, "xlsx": read_xlsx_table,
           "sav": read_spss_table, "dta": read_spss_table}
