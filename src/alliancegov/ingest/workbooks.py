"""Excel workbooks: the sheet that holds the wave, read as the workbook last saved it.

A workbook with one sheet of data is read without being told which. When several sheets hold data
(the answers beside a codebook sheet, two waves in one file), the ``sheet`` column of the waves
sheet names the one to read, or the run stops naming them: reading the first one would be a guess.

A cell computed by a formula is read from the value Excel saved with it. A formula without a saved
value (a workbook written by a script and never opened in a spreadsheet program) or one whose saved
value is an error (``#DIV/0!``, ``#N/A``) stops the run naming the cell: read as it is, the cell
would be a blank answer that nobody gave.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from alliancegov.ingest.cells import IngestError

MAX_REPORTED_CELLS = 20


def _open(path: Path, *, data_only: bool):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only, keep_links=False)
    except (ValueError, OSError, KeyError, TypeError, zipfile.BadZipFile) as error:   # damaged or mislabelled
        raise IngestError(f"{path}: not a readable .xlsx workbook ({type(error).__name__}: {error})") from error


def _value(cell) -> object:
    """A cell as pandas' Excel reader gives it: whole numbers as int, blanks as NaN."""
    value = cell.value
    if value is None:
        return np.nan
    if cell.data_type == "n" and not isinstance(value, bool):
        return int(value) if int(value) == value else float(value)
    return value


def _rows(sheet) -> tuple[list[list[object]], list[str]]:
    """The sheet's rows (padded to one width) and its cells holding an error value."""
    from openpyxl.utils import get_column_letter

    sheet.reset_dimensions()   # declared dimensions can be wrong: let openpyxl find the real extent
    rows, errors = [], []
    for row in sheet.rows:
        rows.append([_value(cell) for cell in row])
        errors += [f"cell {get_column_letter(cell.column)}{cell.row} holds the error value {cell.value}"
                   for cell in row if cell.data_type == "e"]
    while rows and all(isinstance(v, float) and np.isnan(v) for v in rows[-1]):
        rows.pop()   # formatted but empty rows at the end are not part of the table
    width = max((len(row) for row in rows), default=0)
    return [row + [np.nan] * (width - len(row)) for row in rows], errors


def _holds_data(sheet) -> bool:
    sheet.reset_dimensions()
    return any(cell.value is not None for row in sheet.rows for cell in row)


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the package holds a formula element (cheap: no cell is parsed)."""
    with zipfile.ZipFile(path) as package:
        return any(b"<f>" in package.read(name) or b"<f " in package.read(name)
                   for name in package.namelist() if name.startswith("xl/worksheets/") and name.endswith(".xml"))


def _formula_problems(path: Path, sheet: str, values: list[list[object]]) -> list[str]:
    """The cells of ``sheet`` computed by a formula whose saved value is missing or an error."""
    from openpyxl.utils import get_column_letter

    book = _open(path, data_only=False)
    try:
        problems = []
        for row in book[sheet].rows:
            for cell in row:
                if cell.data_type != "f":
                    continue
                saved = values[cell.row - 1][cell.column - 1] if cell.row <= len(values) else np.nan
                where = f"{get_column_letter(cell.column)}{cell.row}"
                if isinstance(saved, float) and np.isnan(saved):
                    problems.append(f"cell {where} holds the formula {cell.value} but no saved value")
        return problems
    finally:
        book.close()


def read_workbook(path: Path, sheet: str | None) -> tuple[list[list[object]], str]:
    """The rows of the workbook's data sheet, each cell as the workbook saved its value.

    Parameters
    ----------
    path : Path
        The ``.xlsx`` file.
    sheet : str or None
        The sheet to read (the waves sheet's ``sheet`` column); None reads the only sheet holding
        data.

    Returns
    -------
    rows : list of list of object
        Every row of the sheet from row 1, all as long as the longest: text, numbers (whole ones as
        int), dates, booleans; empty cells NaN.
    sheet : str
        The sheet read.

    Raises
    ------
    IngestError
        If the file is not a readable workbook, the named sheet does not exist, no sheet was named
        and several hold data, a cell holds an error value (``#N/A``...), or a formula cell has no
        saved value; each names the file and the sheets or cells.
    """
    book = _open(path, data_only=True)
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise IngestError(f"{path}: the workbook has no sheet {sheet!r} (the waves sheet's `sheet` column); "
                              f"its sheets are {names}")
        if sheet is None:
            with_data = [name for name in names if _holds_data(book[name])]
            if len(with_data) > 1:
                raise IngestError(f"{path}: the sheets {with_data} all hold data; name the one to read in the "
                                  "`sheet` column of the waves sheet")
            sheet = with_data[0] if with_data else names[0]
        rows, errors = _rows(book[sheet])
    finally:
        book.close()
    problems = errors + (_formula_problems(path, sheet, rows) if _has_formulas(path) else [])
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED_CELLS])
        more = f" (and {len(problems) - MAX_REPORTED_CELLS} more)" if len(problems) > MAX_REPORTED_CELLS else ""
        raise IngestError(f"{path}: sheet {sheet!r}: {shown}{more}. Read as it is, such a cell would be a blank "
                          "answer: open the workbook in a spreadsheet program, let it calculate, correct the "
                          "errors and save it")
    return rows, sheet
