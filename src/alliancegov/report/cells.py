"""Cells as journals print them: p-values, counts, estimates and suppressed cells, by column.

A column's name says what its numbers are: ``p_value``, ``p_adjusted``, ``p_holm``... are
p-values (``< 0.001``, else three decimals), ``n``, ``n_*``, ``count_*``, ``df``... are counts
(integers), anything else an estimate (three decimals, small values with two significant
digits: :meth:`~alliancegov.formatting.NumberFormat.estimate`). Text cells are labelled
(:class:`~alliancegov.messages.labels.Labeller`); a cell hidden
for disclosure shows one symbol, :data:`~alliancegov.disclosure.SUPPRESSION_MARKER`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from alliancegov.disclosure import SUPPRESSION_MARKER
from alliancegov.formatting import NumberFormat
from alliancegov.messages.labels import Labeller

P_COLUMN = re.compile(r"^(p_value|p_.+|.+_p_value|.+_p)$")
COUNT_COLUMN = re.compile(r"^(n|n_.+|.+_n|count_.+|total_.+|row_total|events|parameters|rows|npar|df|delta_df|"
                          r"wald_df)$")
# The columns a table suppressed for disclosure leaves blank (alliancegov.disclosure).
SUPPRESSIBLE = ("n", "share", "row_share", "estimate", "std_error", "conf_low", "conf_high")
# Bookkeeping columns: a table's note (its words are the catalogue's, under the table), how it was made.
BOOKKEEPING = ("note", "method", "inference", "verdict_on", "suppressed", "share_failed", "n_ok", "n_trimmed", "n_rows",
               "estimator", "base",
               "se_type", "reference")


def is_integral(values: Iterable[object]) -> bool:
    """Whether every known value is a whole number.

    Parameters
    ----------
    values : iterable
        Numbers (missing values ignored).

    Returns
    -------
    bool
    """
    known = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return all(math.isfinite(v) and v == round(v) for v in known)


def cell_text(value: object, column: str, numbers: NumberFormat, labeller: Labeller, *, whole: bool) -> str:
    """One cell as text.

    Parameters
    ----------
    value : object
        The cell.
    column : str
        Its column's name (what its numbers are).
    numbers : NumberFormat
        The locale.
    labeller : Labeller
        Labels of text cells.
    whole : bool
        Whether the column's numbers are all whole (a ``df`` column of Welch tests is not).

    Returns
    -------
    str
    """
    if isinstance(value, bool | np.bool_):
        return str(labeller.value(str(bool(value))))
    if isinstance(value, str):
        return str(labeller.value(value, column))
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, int | np.integer):   # a whole number kept as such (a count among estimates)
        return numbers.count(int(value)) if COUNT_COLUMN.match(column) or column == "value" else str(int(value))
    if P_COLUMN.match(column):
        return numbers.p_value(float(value))
    if COUNT_COLUMN.match(column) and whole:
        return numbers.count(int(round(float(value))))
    if COUNT_COLUMN.match(column):
        return numbers.fixed(float(value), 1)
    return numbers.estimate(float(value))


def numeric_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its text columns that hold only numbers (and blanks) read as numbers.

    Parameters
    ----------
    table : DataFrame
        A table read as text.

    Returns
    -------
    DataFrame
        A copy; ``"True"``/``"False"`` columns stay text.
    """
    out = table.copy()
    for column in out.columns:
        if out[column].dtype.kind in "biuf":
            continue
        text = out[column].astype(str).where(out[column].notna(), "")
        converted = pd.to_numeric(text.where(text != "", None), errors="coerce")
        if converted.notna().sum() == (text != "").sum() and (text != "").any():
            out[column] = converted
    return out


def present_long(table: pd.DataFrame, labeller: Labeller, numbers: NumberFormat, *, show: Sequence[str] | None = None,
                 answers: Sequence[str] = ()) -> pd.DataFrame:
    """A tidy table as a reader sees it: chosen columns, labelled headers and cells, journal numbers.

    Parameters
    ----------
    table : DataFrame
        The CSV as read.
    labeller : Labeller
        Labels of headers and text cells.
    numbers : NumberFormat
        The locale.
    show : sequence of str, optional
        The columns shown, in this order; by default every column but the bookkeeping ones
        (:data:`BOOKKEEPING`).
    answers : sequence of str
        Columns whose numbers are answer codes (labelled as answers: a Likert item's ``code``).

    Returns
    -------
    DataFrame
        Strings; a row whose ``suppressed`` cell is true shows
        :data:`~alliancegov.disclosure.SUPPRESSION_MARKER` in its blanked cells; without ``show``,
        a column blank in every row is left out.
    """
    table = numeric_columns(table)
    suppressed = (table["suppressed"].astype(str).str.lower() == "true") if "suppressed" in table else None
    columns = list(show) if show is not None else [c for c in table.columns if c not in BOOKKEEPING]
    out = pd.DataFrame(index=table.index)
    for column in columns:
        values = table[column]
        if column in answers:
            out[column] = [labeller.answer(str(int(v)) if not isinstance(v, str) else v) if pd.notna(v) else ""
                           for v in values]
            continue
        whole = values.dtype.kind in "biuf" and is_integral(values)
        out[column] = [cell_text(v, column, numbers, labeller, whole=whole) for v in values]
        if suppressed is not None and column in SUPPRESSIBLE:
            out.loc[suppressed & (out[column] == ""), column] = SUPPRESSION_MARKER
    if show is None:   # a column this run left blank throughout (a df of z tests) says nothing
        out = out.loc[:, [column for column in out.columns if (out[column] != "").any()]]
    out.columns = [labeller.column(column) for column in out.columns]
    return out.reset_index(drop=True)
