"""The waves sheet (``config/waves.tsv``): one row per wave, read strictly when the workflow is built.

A sheet edited by hand goes wrong in quiet ways: spaces typed instead of tabs make one wide
column; a forgotten cell shifts every later one (a description read as a crosswalk path); a file
declared ``csv`` that is a workbook. Each is refused here, naming the line and the column, before
any job runs.

Columns: ``wave``, ``year``, ``format``, ``file`` (required), then optionally ``crosswalk``,
``sheet``, ``locale``, ``delimiter``, ``date_format``, ``description`` and ``frame_size`` (firms in
the wave's sampling frame, for its response rate); an empty cell means "not declared". Every line
has exactly as many tab-separated cells as the header.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from alliancegov.ingest.readers import FORMATS, format_mismatch
from alliancegov.ingest.settings import WaveOptions

REQUIRED_COLUMNS = ("wave", "year", "format", "file")
OPTIONAL_COLUMNS = ("crosswalk", "sheet", "locale", "delimiter", "date_format", "description", "frame_size")


class WavesSheetError(ValueError):
    """The waves sheet cannot be read as it is; the message names the line and the column."""


def _records(path: Path) -> list[tuple[int, list[str]]]:
    """The sheet's non-blank records and the line each starts on."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise WavesSheetError(f"{path}: not UTF-8 text ({error}); save it as UTF-8") from error
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    records, start = [], 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                records.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        raise WavesSheetError(f"{path}: line {start}: {error}") from error
    if not records:
        raise WavesSheetError(f"{path}: the waves sheet is empty; it needs a header ({', '.join(REQUIRED_COLUMNS)}) "
                              "and one row per wave")
    return records


def _spaces_instead_of_tabs(row: list[str]) -> bool:
    # wave, year and format never hold spaces: one that does was typed with spaces for tabs
    return len(row) == 1 and len(row[0].split()) > 1 or any(len(cell.split()) > 1 for cell in row[:3])


def read_waves_sheet(path: str | Path, check_files: bool = True) -> pd.DataFrame:
    """The waves sheet, checked.

    Parameters
    ----------
    path : str or Path
        The sheet (tab-separated, UTF-8).
    check_files : bool, default=True
        Also hold each existing wave file's content against its declared format (a missing file
        is left to the workflow, which names it as a missing input).

    Returns
    -------
    DataFrame
        One row per wave, every column of :data:`REQUIRED_COLUMNS` and :data:`OPTIONAL_COLUMNS`
        (those the sheet lacks as empty text), all text but ``year`` (int); cells stripped.

    Raises
    ------
    WavesSheetError
        If the sheet is empty, a line is separated by spaces instead of tabs, a line has another
        number of cells than the header, a column is unknown, repeated or required and missing, a
        required cell is empty, a year or a frame size is not a whole number, a format is unknown, a ``locale``,
        ``delimiter`` or ``date_format`` cell is not one the readers know, or a wave file's
        content contradicts its format; each names the line (and the wave and column).
    """
    path = Path(path)
    records = _records(path)
    header_line, header = records[0]
    header = [cell.strip() for cell in header]
    if _spaces_instead_of_tabs(header):
        raise WavesSheetError(f"{path}: line {header_line}: the header is separated by spaces, not tabs; separate "
                              "the columns with tabs (a spreadsheet's \"Save as… tab-separated\" does)")
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    unknown = [c for c in header if c not in known]
    repeated = sorted({c for c in header if header.count(c) > 1})
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or repeated or missing:
        problems = ([f"unknown columns {unknown} (known: {list(known)})"] if unknown else []) + \
            ([f"repeated columns {repeated}"] if repeated else []) + \
            ([f"required columns {missing} are missing"] if missing else [])
        raise WavesSheetError(f"{path}: line {header_line}: " + "; ".join(problems))
    rows = []
    for line, row in records[1:]:
        if len(row) != len(header):
            hint = (" (spaces instead of tabs?)" if len(row) < len(header) and _spaces_instead_of_tabs(row) else
                    "; leave an undeclared cell empty but keep its tab")
            raise WavesSheetError(f"{path}: line {line} has {len(row)} tab-separated cells but the header has "
                                  f"{len(header)}{hint}")
        rows.append((line, {c: cell.strip() for c, cell in zip(header, row)}))
    for line, row in rows:
        wave = row["wave"]
        empty = [c for c in REQUIRED_COLUMNS if not row[c]]
        if empty:
            raise WavesSheetError(f"{path}: line {line}: required cells {empty} are empty")
        if not row["year"].isdigit():
            raise WavesSheetError(f"{path}: line {line} (wave {wave!r}): year {row['year']!r} is not a whole number")
        if row.get("frame_size") and not (row["frame_size"].isdigit() and int(row["frame_size"]) > 0):
            raise WavesSheetError(f"{path}: line {line} (wave {wave!r}): frame_size {row['frame_size']!r} is not a "
                                  "positive whole number (firms in the sampling frame; leave it empty for none)")
        if row["format"] not in FORMATS:
            raise WavesSheetError(f"{path}: line {line} (wave {wave!r}): unknown format {row['format']!r}; expected "
                                  f"one of {FORMATS}")
        try:
            WaveOptions.from_sheet(row)
        except ValueError as error:
            raise WavesSheetError(f"{path}: line {line} (wave {wave!r}): {error}") from error
        file = Path(row["file"])
        if check_files and file.is_file():
            mismatch = format_mismatch(file, row["format"])
            if mismatch:
                raise WavesSheetError(f"{path}: line {line} (wave {wave!r}, file {row['file']}): {mismatch}")
    table = pd.DataFrame([row for _, row in rows], columns=list(header), dtype=str)
    for column in known:
        if column not in table:
            table[column] = pd.Series("", index=table.index, dtype=str)
    table["year"] = table["year"].astype(int)
    return table[list(known)]


def frame_sizes(waves: pd.DataFrame) -> dict[str, int | None]:
    """Each wave's sampling frame size, from :func:`read_waves_sheet`'s table.

    Parameters
    ----------
    waves : DataFrame
        :func:`read_waves_sheet`'s table.

    Returns
    -------
    dict of str to int or None
        Wave → firms in its frame; None where the cell is empty.
    """
    return {wave: int(size) if size else None for wave, size in zip(waves["wave"], waves["frame_size"])}
