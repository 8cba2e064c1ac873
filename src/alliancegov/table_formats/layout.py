"""The layout every writer renders: a table's header, body rows, rules and notes, as display text.

A table with a ``part`` column (as the regression and descriptive tables of
:mod:`alliancegov.publication` have) sorts its rows into coefficients (``estimate``, then its
``statistic`` and, with exact p-values, ``p_value`` rows), fit statistics and notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alliancegov.safe_output import printable

PART_COLUMN = "part"


LABEL_COLUMN = "term"


TABLE_PARTS = ("estimate", "statistic", "p_value", "fit", "note")


# The rows of one coefficient: no rule between them.
COEFFICIENT_PARTS = frozenset({"estimate", "statistic", "p_value"})


def cell_text(value: object) -> str:
    """A cell as display text: missing values blank, floats as ``%.10g``, then :func:`printable`.

    Parameters
    ----------
    value : object
        A table cell.

    Returns
    -------
    str
        One line of text, free of control characters; not escaped for any format.
    """
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{float(value):.10g}"
    return printable(str(value))


@dataclass(frozen=True)
class TableLayout:
    """What every writer renders: header cells, body rows (with a rule above or not) and notes.

    All cells are display text (:func:`cell_text`), not yet escaped.

    Attributes
    ----------
    header : list of str
        The column headings.
    body : list of list of str
        The rows shown, each as many cells as ``header``.
    rule_above : list of bool
        One per body row: ``rule_above[i]`` is true for the first row of a new part (the fit rows
        of a regression table).
    notes : list of str
        The notes printed under the table.
    parts : list of str
        One per body row: its part (``estimate``, ``statistic``, ``p_value``, ``fit``), or
        ``"row"`` in a table without a ``part`` column.
    """

    header: list[str]
    body: list[list[str]]
    rule_above: list[bool]
    notes: list[str]
    parts: list[str] = field(default_factory=list)


def table_layout(table: pd.DataFrame) -> TableLayout:
    """The layout of a table for the writers.

    Parameters
    ----------
    table : DataFrame
        Any table. A non-default index (a cross-tab's row labels) becomes the first column(s).
        If it has a ``part`` column (as :func:`alliancegov.publication.regression_table`), that
        column is not shown: its ``note`` rows become notes (text taken from ``term``), a rule
        separates parts other than a coefficient's rows (:data:`COEFFICIENT_PARTS`), and the
        ``term`` header is blank.

    Returns
    -------
    TableLayout
        All cells as text (:func:`cell_text`), unescaped.
    """
    index = table.index
    default_index = isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0 and index.step == 1
    frame = table if default_index else table.reset_index()
    if PART_COLUMN not in frame.columns:
        body = [[cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        return TableLayout([cell_text(c) for c in frame.columns], body, [False] * len(body), [], ["row"] * len(body))
    parts = frame[PART_COLUMN].astype(str).tolist()
    shown = frame.drop(columns=PART_COLUMN)
    header = ["" if column == LABEL_COLUMN else cell_text(column) for column in shown.columns]
    notes = [cell_text(text) for text, part in zip(shown[LABEL_COLUMN], parts) if part == "note"]
    body, rule_above, shown_parts, previous = [], [], [], None
    for part, row in zip(parts, shown.itertuples(index=False, name=None)):
        if part == "note":
            continue
        new_part = previous is not None and part != previous and not {part, previous} <= COEFFICIENT_PARTS
        body.append([cell_text(v) for v in row])
        rule_above.append(new_part)
        shown_parts.append(part)
        previous = part
    return TableLayout(header, body, rule_above, notes, shown_parts)
