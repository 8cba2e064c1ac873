"""The performance outcomes: variables derived by the checked expression grammar, the composite
index, the answers of an ordinal outcome and the means by form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def derive_variables(data: pd.DataFrame, definitions: dict[str, str]) -> pd.DataFrame:
    """Add variables defined as expressions (``log(employees_now / employees_start)``).

    Parameters
    ----------
    data : DataFrame
        The analysis frame.
    definitions : dict of str to str
        New column name → an expression of the project's grammar (:mod:`alliancegov.expressions`)
        over the columns, evaluated in order, so a definition may use an earlier one.

    Returns
    -------
    DataFrame
        A copy of ``data`` with one float column per definition; infinite values (a division by
        zero, the log of 0) are missing.
    """
    from alliancegov.expressions import evaluate

    out = data.copy()
    for name, expression in definitions.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            value = evaluate(expression, out, source=f"performance.derived.{name}")
        out[name] = pd.Series(value, index=out.index, dtype=float).replace([np.inf, -np.inf], np.nan)
    return out


def composite_index(data: pd.DataFrame, components: list[str], min_components: int) -> pd.Series:
    """Mean of the components' z-scores (pooled sample), where at least ``min_components`` are known.

    Each component is standardised to mean 0 and SD 1 over the responses that have it, so the index
    is in SD units and every part weighs the same; a response with fewer known parts is missing.

    Parameters
    ----------
    data : DataFrame
        One row per response with the numeric components.
    components : list of str
        The columns averaged.
    min_components : int
        The fewest known components for an index value.

    Returns
    -------
    Series
        Index of ``data``: the mean of the known components' z-scores (SD units, ddof = 1), NaN
        where fewer than ``min_components`` are known.
    """
    parts = data[components].astype(float)
    z = (parts - parts.mean()) / parts.std(ddof=1)
    return z.mean(axis=1).where(z.notna().sum(axis=1) >= min_components)


def outcome_frame(data: pd.DataFrame, section: dict) -> pd.DataFrame:
    """``data`` with the performance outcomes the config derives: its ``derived`` variables, then
    its composite ``index``.

    Parameters
    ----------
    data : DataFrame
        The analysis frame, one row per firm.
    section : dict
        The config's ``performance`` section.

    Returns
    -------
    DataFrame
        A copy of ``data`` with one more column per derived variable and for the index.
    """
    frame = derive_variables(data, section.get("derived", {}))
    index = section.get("index")
    if index:
        frame[index["name"]] = composite_index(frame, index["components"], index["min_components"])
    return frame


def scale_of(frame: pd.DataFrame, variable: str, section: dict) -> list[str]:
    """An ordinal answer's categories in order: from the config (``scales``) or by their codes.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame, with ``<variable>__code`` when ``section`` gives no scale.
    variable : str
        The ordinal answer.
    section : dict
        The config's ``performance`` section (its ``scales``: variable → answers in order).

    Returns
    -------
    list of str
        The configured answers, or the answers present in ``frame`` sorted by their codebook
        code.
    """
    if variable in section.get("scales", {}):
        return list(section["scales"][variable])
    codes = frame[[variable, f"{variable}__code"]].dropna().drop_duplicates().sort_values(f"{variable}__code")
    return codes[variable].tolist()


def means_by_form(frame: pd.DataFrame, outcome: str, form: str, forms: list[str], level: float = 0.95) -> pd.DataFrame:
    """Mean of ``outcome`` by governance form with a t-based confidence interval.

    Parameters
    ----------
    frame : DataFrame
        One row per firm, with the numeric ``outcome`` and the form column ``form``.
    outcome, form : str
        The outcome's and the form's columns.
    forms : list of str
        The forms in codebook order; each gets a row (an empty one with ``n`` = 0).
    level : float
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        ``outcome, <form>, n, estimate`` (the mean), ``conf_low, conf_high``: mean ± t(level, n − 1)
        · sd / √n, NaN when ``n`` < 2.
    """
    from alliancegov.descriptives import mean_confidence_intervals

    means = mean_confidence_intervals(frame[outcome], pd.Series(pd.Categorical(frame[form], categories=forms),
                                                                index=frame.index), level)
    means = means.rename(columns={"group": form, "mean": "estimate"}).astype({form: str})
    means.insert(0, "outcome", outcome)
    return means
