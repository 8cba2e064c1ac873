"""Statistical disclosure control: small-cell suppression of published cross-tabulations.

Counts of firms under a minimum (and the cells that would give them back from the margins) are
suppressed before a table or a figure label is published, as statistical offices do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SUPPRESSION_MARKER = "x"


TOTAL_LABEL = "Total"


def _count_matrix(counts: pd.DataFrame) -> np.ndarray:
    """``counts`` as an int64 array, after checking it holds non-negative whole numbers only."""
    values = counts.to_numpy(dtype="float64", na_value=np.nan)
    if values.size == 0:
        raise ValueError("empty table of counts")
    if np.isnan(values).any() or (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("counts must be non-negative whole numbers without missing values")
    return values.astype("int64")


def primary_suppression(values: np.ndarray, minimum: int = 5) -> np.ndarray:
    """Mask of the cells at risk: ``0 < n < minimum``.

    Parameters
    ----------
    values : ndarray of shape (r, c)
        Counts of a two-way table, without margins.
    minimum : int
        Smallest count published.

    Returns
    -------
    ndarray of bool, shape (r, c)
        True where a cell is to be suppressed. True zeros are published, as statistical offices do.
    """
    return (values > 0) & (values < minimum)


def _secondary_candidate(values: np.ndarray, mask: np.ndarray) -> int | None:
    """Position of the cell to suppress next in one row/column: the smallest unsuppressed non-zero
    cell (first in order if tied), else the first unsuppressed zero, else ``None``."""
    open_cells = np.flatnonzero(~mask)
    if open_cells.size == 0:
        return None
    nonzero = open_cells[values[open_cells] > 0]
    pool = nonzero if nonzero.size else open_cells
    return int(pool[np.argmin(values[pool])])


def secondary_suppression(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` extended until no row and no column has exactly one suppressed cell.

    Parameters
    ----------
    values : ndarray of shape (r, c)
        Counts of a two-way table, without margins.
    mask : ndarray of bool, shape (r, c)
        The cells already suppressed (:func:`primary_suppression`); not modified.

    Returns
    -------
    ndarray of bool, shape (r, c)
        A new mask, true where suppressed.

    Raises
    ------
    ValueError
        If a line has no other cell to suppress (a one-row or one-column table), where only
        suppressing the total could protect the cell.

    Notes
    -----
    Heuristic (not tau-argus' hypercube, and no check of interval/LP disclosure): repeatedly
    take the first row, else the first column, with exactly one suppressed cell and suppress
    its smallest unsuppressed non-zero cell (the first if tied; a zero only if nothing else is
    left, since a suppressed zero protects little). Stops when stable; every step adds a cell,
    so it ends.
    """
    mask = mask.copy()
    while True:
        rows = np.flatnonzero(mask.sum(axis=1) == 1)
        columns = np.flatnonzero(mask.sum(axis=0) == 1)
        if rows.size:
            line, position = mask[rows[0], :], _secondary_candidate(values[rows[0], :], mask[rows[0], :])
            where = (rows[0], position)
        elif columns.size:
            line, position = mask[:, columns[0]], _secondary_candidate(values[:, columns[0]], mask[:, columns[0]])
            where = (position, columns[0])
        else:
            return mask
        if position is None:
            raise ValueError(f"cannot protect a suppressed cell in a line of {line.size} cell(s): "
                             "merge categories or suppress the total")
        mask[where] = True


def suppress_small_cells(counts: pd.DataFrame, minimum: int = 5, secondary: bool = True, *, margins: bool = True,
                         marker: str = SUPPRESSION_MARKER,
                         total_label: str = TOTAL_LABEL) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small-cell suppression of a two-way table of counts, as statistical offices publish cross-tabs.

    Primary suppression hides cells with ``0 < n < minimum``; true zeros are published
    (structural/true zeros are not disclosive by themselves, the common practice of statistical
    offices). With ``secondary`` (default) further cells are hidden so that no suppressed cell
    equals a published total minus published cells: see :func:`secondary_suppression`.

    Parameters
    ----------
    counts : DataFrame
        Rows × columns of non-negative whole numbers, *without* margins (for instance
        ``pd.crosstab(a, b)``).
    minimum : int
        Smallest count published (at least 1).
    secondary : bool
        Whether to add secondary suppression.
    margins : bool
        Whether to add a total column and row.
    marker : str
        What a suppressed cell shows.
    total_label : str
        Label of the total column and row.

    Returns
    -------
    table : DataFrame
        Object dtype: the published counts as ints and ``marker`` in suppressed cells, plus (with
        ``margins``) a ``total_label`` column and row holding the *true* totals, never suppressed.
    mask : DataFrame
        Boolean, with the same index and columns as ``table``, true where suppressed (margins
        false).

    Raises
    ------
    ValueError
        If ``minimum`` is below 1, ``counts`` is empty or holds anything but non-negative whole
        numbers, or (with ``margins``) ``total_label`` is already a row or column.

    Notes
    -----
    Margins below ``minimum`` are published as they are: merge such categories before publishing.
    """
    if minimum < 1:
        raise ValueError(f"minimum must be at least 1, not {minimum}")
    values = _count_matrix(counts)
    mask = primary_suppression(values, minimum)
    if secondary:
        mask = secondary_suppression(values, mask)
    published = pd.DataFrame(values, index=counts.index, columns=counts.columns).astype(object)
    published = published.mask(pd.DataFrame(mask, index=counts.index, columns=counts.columns), marker)
    hidden = pd.DataFrame(mask, index=counts.index, columns=counts.columns)
    if margins:
        if total_label in counts.index or total_label in counts.columns:
            raise ValueError(f"{total_label!r} is already a row or column: pass the table without margins")
        published[total_label] = values.sum(axis=1).tolist()
        published.loc[total_label] = [*values.sum(axis=0).tolist(), int(values.sum())]
        hidden[total_label] = False
        hidden.loc[total_label] = False
        published, hidden = published.astype(object), hidden.astype(bool)
    return published, hidden


def suppress_tidy_crosstab(tidy: pd.DataFrame, row: str, column: str, n: str = "n", *, minimum: int = 5,
                           secondary: bool = True, shares: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`suppress_small_cells` on a long cross-tab, one row per cell.

    For instance :func:`alliancegov.descriptives.form_by_sector_table`'s output. The suppression
    pattern is computed on the wide table with row and column totals, since shares reveal the
    group totals.

    Parameters
    ----------
    tidy : DataFrame
        One row per ``row`` × ``column`` combination (every combination present once, zeros
        included) with counts in ``n``.
    row, column : str
        The columns whose values make the rows and the columns of the wide table.
    n : str
        The column of counts.
    minimum : int
        Smallest count published.
    secondary : bool
        Whether to add secondary suppression.
    shares : sequence of str, optional
        Columns derived from the counts (default: ``["share"]`` if that column exists).

    Returns
    -------
    DataFrame
        A copy of ``tidy`` (same rows, order and index) in which ``n`` (as nullable ``Int64``) and
        the shares are missing where suppressed, plus a boolean ``suppressed`` column.

    Raises
    ------
    ValueError
        If a named column is missing, ``tidy`` already has a ``suppressed`` column, or a
        combination is duplicated or absent; and as :func:`suppress_small_cells`.
    """
    shares = list(shares) if shares is not None else [c for c in ("share",) if c in tidy.columns]
    missing = [c for c in (row, column, n, *shares) if c not in tidy.columns]
    if missing:
        raise ValueError(f"missing columns {missing}")
    if "suppressed" in tidy.columns:
        raise ValueError("the table already has a 'suppressed' column")
    if tidy.duplicated([row, column]).any():
        raise ValueError(f"duplicated {row} × {column} combinations")
    row_order, column_order = pd.unique(tidy[row]), pd.unique(tidy[column])
    if len(tidy) != len(row_order) * len(column_order):
        raise ValueError(f"every {row} × {column} combination must appear once (zeros included)")
    wide = tidy.pivot(index=row, columns=column, values=n).reindex(index=row_order, columns=column_order)
    _, mask = suppress_small_cells(wide, minimum, secondary, margins=False)
    keys = pd.MultiIndex.from_frame(tidy[[row, column]])
    suppressed = mask.stack().reindex(keys).to_numpy(dtype=bool)
    result = tidy.copy()
    result[n] = result[n].astype("Int64").mask(suppressed)
    for share in shares:
        result[share] = result[share].mask(suppressed)
    result["suppressed"] = suppressed
    return result
