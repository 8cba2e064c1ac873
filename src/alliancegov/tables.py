"""Tables for publication: safe, byte-stable CSV files and descriptive cross-tabulations.

Every table leaving the pipeline goes through :func:`write_csv`, which neutralises
spreadsheet formulas (CSV injection) and writes the same bytes on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from alliancegov.codebook import Codebook

# OWASP CSV injection: a spreadsheet evaluates a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"


def neutralise_cell(value: object) -> object:
    """Prefix ``value`` with a single quote if it is a string a spreadsheet would run as a formula.

    Non-string values are returned unchanged.

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

    Text columns are those of ``str``, object or categorical dtype; numeric and datetime
    columns are copied unchanged. Columns are addressed by position, so duplicated
    column names are fine.
    """
    mapped = df.copy()
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        if _may_hold_text(column):
            mapped.isetitem(position, column.map(cell_function, na_action="ignore"))
    return mapped


def neutralise_text_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` in which text cells and column names cannot run as spreadsheet formulas.

    Input: any DataFrame. Output: same shape, index and dtypes. In text-capable columns
    (``str``, object or categorical dtype) every string starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading ``'``; column names likewise, since
    the header row is a cell too. Numeric columns are left untouched, so negative numbers
    stay numbers.
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

    Python's csv writer only quotes a field holding a character of the line terminator;
    with ``\\n`` as terminator a bare carriage return would be written unquoted and split
    the row for every reader. Numeric columns are untouched.
    """
    return map_text_cells(df, _normalise_cell_line_breaks)


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as a UTF-8 CSV that is safe to open in a spreadsheet and byte-stable.

    Text cells are neutralised (:func:`neutralise_text_cells`) and their line breaks
    normalised (:func:`normalise_line_breaks`); the index is dropped;
    lines end with ``\\n`` whatever the platform; floats use ``%.10g`` so that the last
    bits of floating-point noise do not change the file between runs. Parent folders are
    created. Returns the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    normalise_line_breaks(neutralise_text_cells(df)).to_csv(
        path, index=False, lineterminator="\n", float_format="%.10g", encoding="utf-8"
    )
    return path


def codebook_categorical(values: pd.Series, codebook: Codebook, variable: str) -> pd.Series:
    """``values`` as a categorical whose categories are the answers of ``variable`` in code order.

    Input: a Series of canonical answer names (missing values allowed). Output: a
    categorical Series with the same index. Raises ``ValueError`` if a non-missing value
    is not an answer of ``variable``, rather than silently turning it into a missing value.
    """
    answers = codebook.answer_names(variable)
    text = values.astype("string")
    unknown = text.notna() & ~text.isin(answers)
    if unknown.any():
        raise ValueError(
            f"{variable}: values not in the codebook: {sorted(set(text[unknown]))}; expected one of {answers}"
        )
    return pd.Series(pd.Categorical(text, categories=answers), index=values.index, name=values.name)


def form_by_sector_table(analysis: pd.DataFrame, codebook: Codebook, outcome: str = "governance_form",
                         group: str = "sector") -> pd.DataFrame:
    """Counts and within-group shares of each outcome answer (governance form by sector).

    Input: the analysis frame (one row per analysed response) with canonical answer names in
    ``group`` and ``outcome``; rows missing either are left out. Output: one row per group ×
    outcome combination, zeros included, in codebook order of groups then outcomes, with
    columns ``group`` and ``outcome`` named after the variables (str), ``n`` (int64) and
    ``share`` (float64, ``n`` over the group total; NaN for a group with no response, where a
    share is undefined).
    """
    counts = (
        pd.DataFrame({group: codebook_categorical(analysis[group], codebook, group),
                      outcome: codebook_categorical(analysis[outcome], codebook, outcome)})
        .groupby([group, outcome], observed=False)
        .size()
        .rename("n")
        .reset_index()
    )
    totals = counts.groupby(group, observed=False)["n"].transform("sum")
    return pd.DataFrame(
        {
            group: counts[group].astype(str),
            outcome: counts[outcome].astype(str),
            "n": counts["n"].astype("int64"),
            "share": (counts["n"] / totals.where(totals > 0)).astype("float64"),
        }
    )
