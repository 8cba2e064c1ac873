"""Descriptive tables of the analysed responses: governance forms by group, means by form, and
the answers to the scale items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook import Codebook, codebook_categorical


def form_by_sector_table(analysis: pd.DataFrame, codebook: Codebook, outcome: str = "governance_form",
                         group: str = "sector", group_levels: list[str] | None = None) -> pd.DataFrame:
    """Counts and within-group shares of each outcome answer (governance form by sector).

    Input: the analysis frame (one row per analysed response) with canonical answer names in
    ``group`` and ``outcome``; rows missing either are left out. ``group_levels`` orders a group
    that is not a codebook variable (e.g. the survey waves); by default the codebook's order.
    Output: one row per group × outcome combination, zeros included, in the order of groups
    then outcomes, with columns ``group`` and ``outcome`` named after the variables (str), ``n``
    (int64) and ``share`` (float64, ``n`` over the group total; NaN for a group with no
    response, where a share is undefined).
    """
    groups = (codebook_categorical(analysis[group], codebook, group) if group_levels is None
              else pd.Series(pd.Categorical(analysis[group], categories=group_levels), index=analysis.index))
    counts = (
        pd.DataFrame({group: groups, outcome: codebook_categorical(analysis[outcome], codebook, outcome)})
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


def form_shares_by_wave(analysis: pd.DataFrame, codebook: Codebook, waves: list[str],
                        outcome: str = "governance_form", level: float = 0.95) -> pd.DataFrame:
    """:func:`form_by_sector_table` by survey wave (in the order of ``waves``), with Wilson score
    intervals of each share (``conf_low``, ``conf_high``): firms are independent within a wave."""
    from statsmodels.stats.proportion import proportion_confint

    table = form_by_sector_table(analysis, codebook, outcome, "wave", group_levels=waves)
    totals = table.groupby("wave", sort=False)["n"].transform("sum")
    low, high = proportion_confint(table["n"], totals.where(totals > 0), alpha=1 - level, method="wilson")
    return table.assign(wave_n=totals.astype("int64"), conf_low=np.asarray(low, float),
                        conf_high=np.asarray(high, float))


def mean_confidence_intervals(values: pd.Series, groups: pd.Series, level: float = 0.95) -> pd.DataFrame:
    """Mean of ``values`` in each group with a t-based confidence interval.

    Input: two aligned Series; ``groups`` may be categorical, in which case every category
    gets a row (empty ones with ``n`` = 0). Missing values are left out. Output: one row
    per group with ``group, n, mean, conf_low, conf_high``; the interval is
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


def likert_shares(answers: pd.DataFrame, codes: list[int]) -> pd.DataFrame:
    """Share of each answer code among the valid answers of each item; rows = items, columns = codes.

    Input: one numeric column per item (missing answers as NaN). Raises if an answer is not
    among ``codes``. Output also has ``n``, the number of valid answers.
    """
    values = answers.stack().dropna()
    unknown = sorted(set(values) - set(codes))
    if unknown:
        raise ValueError(f"answers outside the value set {codes}: {unknown[:5]}")
    counts = pd.DataFrame({code: (answers == code).sum() for code in codes}).reindex(answers.columns)
    n = counts.sum(axis=1)
    shares = counts.div(n.where(n > 0), axis=0)
    return shares.assign(n=n.astype("int64"))
