"""Descriptive tables of the analysed responses: governance forms by group, means by form, and
the answers to the scale items.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.validation import codebook_categorical


def form_by_sector_table(analysis: pd.DataFrame, codebook: Codebook, outcome: str = "governance_form",
                         group: str = "sector", group_levels: list[str] | None = None,
                         weights: str | None = None) -> pd.DataFrame:
    """Counts and within-group shares of each outcome answer (governance form by sector).

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame (one row per analysed response) with canonical answer names in
        ``group`` and ``outcome``; rows missing either are left out.
    codebook : Codebook
        The answers of ``outcome`` (and of ``group``, unless ``group_levels`` is given), in code
        order.
    outcome, group : str
        The tabulated variables (by default the governance form and the sector).
    group_levels : list of str, optional
        Orders a group that is not a codebook variable (e.g. the survey waves); by default the
        codebook's order. A value not among them is left out like a missing one.
    weights : str, optional
        A column of frequency weights (a row stands for that many observations): ``n`` sums them.
        None counts rows.

    Returns
    -------
    DataFrame
        One row per group × outcome combination, zeros included, in the order of groups then
        outcomes, with columns ``group`` and ``outcome`` named after the variables (str), ``n``
        (int64) and ``share`` (float64, ``n`` over the group total; NaN for a group with no
        response, where a share is undefined).

    Raises
    ------
    ValueError
        If a value of ``outcome``, or of ``group`` when ``group_levels`` is None, is not an
        answer of the codebook (:func:`~alliancegov.codebook.validation.codebook_categorical`).
    """
    groups = (codebook_categorical(analysis[group], codebook, group) if group_levels is None
              else pd.Series(pd.Categorical(analysis[group], categories=group_levels), index=analysis.index))
    cells = pd.DataFrame({group: groups, outcome: codebook_categorical(analysis[outcome], codebook, outcome)})
    cells["n"] = pd.to_numeric(analysis[weights]) if weights else 1
    counts = cells.groupby([group, outcome], observed=False)["n"].sum().reset_index()
    totals = counts.groupby(group, observed=False)["n"].transform("sum")
    return pd.DataFrame(
        {
            group: counts[group].astype(str),
            outcome: counts[outcome].astype(str),
            "n": counts["n"].astype("int64"),
            "share": (counts["n"] / totals.where(totals > 0)).astype("float64"),
        }
    )


def mean_confidence_intervals(values: pd.Series, groups: pd.Series, level: float = 0.95) -> pd.DataFrame:
    """Mean of ``values`` in each group with a t-based confidence interval.

    Parameters
    ----------
    values : Series
        The numeric values; missing values are left out.
    groups : Series
        Aligned with ``values``; may be categorical, in which case every category gets a row
        (empty ones with ``n`` = 0). Rows with a missing group are left out.
    level : float
        Confidence level of the interval, e.g. 0.95.

    Returns
    -------
    DataFrame
        One row per group (categories in order, other groups sorted), with ``group, n, mean, conf_low, conf_high``
        (``n`` the non-missing values, the rest in the units of ``values``); the interval is
        mean ± t(level, n − 1) · sd / √n and is NaN when ``n`` < 2.
    """
    from scipy import stats

    summary = values.groupby(groups, observed=False).agg(["count", "mean", "std"])
    summary.index.name = "group"
    n = summary["count"].astype("int64")
    half_width = stats.t.ppf((1 + level) / 2, (n - 1).where(n > 1)) * summary["std"] / np.sqrt(n)
    return pd.DataFrame(
        {
            "n": n,
            "mean": summary["mean"],
            "conf_low": summary["mean"] - half_width,
            "conf_high": summary["mean"] + half_width,
        }
    ).reset_index()


LIKERT_COLUMNS = ["scale", "item", "code", "n", "share", "n_valid"]


def likert_item_table(answers: pd.DataFrame, codebook: Codebook, scales: Sequence[str]) -> pd.DataFrame:
    """The answers to every item of ``scales`` as given (before reverse coding).

    Parameters
    ----------
    answers : DataFrame
        One row per response, one numeric column per item (answer codes; missing as NaN).
    codebook : Codebook
        The scales' items and their value set, which every item of ``scales`` must share.
    scales : sequence of str
        The scales whose items are tabulated, in the order of the table.

    Returns
    -------
    DataFrame
        One row per item × answer code, items in codebook order within each scale: ``scale,
        item, code`` (int), ``n`` (answers with that code), ``share`` (of the item's valid
        answers; NaN for an item nobody answered) and ``n_valid``.

    Raises
    ------
    ValueError
        If an item has no column, the items do not share one value set, or an answer is not
        among the value set's codes.
    """
    items = {scale: codebook.items(scale)["name"].tolist() for scale in scales}
    names = [name for scale_items in items.values() for name in scale_items]
    missing = [name for name in names if name not in answers.columns]
    if missing:
        raise ValueError(f"no column for items {missing}")
    list_names = set(codebook.variables.loc[names, "list_name"])
    if len(list_names) > 1:
        raise ValueError(f"items of {list(scales)} do not share one value set: {sorted(list_names)}")
    codes = codebook.choices(list_names.pop())["code"].tolist() if names else []
    values = answers[names].astype(float)
    unknown = sorted(set(values.stack().dropna()) - set(codes))
    if unknown:
        raise ValueError(f"answers outside the value set {codes}: {unknown[:5]}")
    counts = pd.DataFrame({code: (values == code).sum() for code in codes}, index=names, dtype="int64")
    valid = counts.sum(axis=1)
    shares = counts.div(valid.where(valid > 0), axis=0)
    rows = [(scale, item, code, int(counts.at[item, code]), shares.at[item, code], int(valid[item]))
            for scale, scale_items in items.items() for item in scale_items for code in codes]
    return pd.DataFrame(rows, columns=LIKERT_COLUMNS)


def run(*, pooled: str, codebook: Sequence[str], outputs: dict[str, str], outcome: str, group: str,
        likert_scales: Sequence[str], minimum_cell: int, weights: str | None = None) -> None:
    """The descriptives rule: governance forms by group (small cells suppressed) and the answers
    to the Likert items, as the tables the figures draw.

    Parameters
    ----------
    pooled : str
        Parquet file of the analysed responses with their answers as given.
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``form_by_sector`` and, when ``likert_scales`` is not empty, ``likert_items`` (CSV paths).
    outcome, group : str
        The cross-tabulated variables (the governance form, the sector).
    likert_scales : sequence of str
        The scales whose items are tabulated.
    minimum_cell : int
        Counts below it are suppressed, with secondary suppression.
    weights : str, optional
        The choice model's frequency weights (``choice.weights``): the counts are their sums.
    """
    import logging

    from alliancegov.disclosure import suppress_tidy_crosstab
    from alliancegov.frame_columns import named_in, read_frame, with_scale_items
    from alliancegov.safe_output import write_csv

    book = Codebook.from_files(codebook)
    responses = read_frame(pooled, with_scale_items(named_in(outcome, group, weights, list(likert_scales)), book))
    counts = form_by_sector_table(responses, book, outcome, group, weights=weights)
    write_csv(suppress_tidy_crosstab(counts, group, outcome, minimum=minimum_cell), outputs["form_by_sector"])
    if likert_scales:
        write_csv(likert_item_table(responses, book, likert_scales), outputs["likert_items"])
    logging.getLogger("alliancegov").info("%d responses tabulated", len(responses))
