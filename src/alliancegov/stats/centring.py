"""Covariates centred at their mean, so that a regression's intercept is the expected outcome of a
unit at the average covariates (and at the reference level of every factor) instead of at a value 0
that no unit has.

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def centre_columns(data: pd.DataFrame, columns: Sequence[str], weights: str | None = None
                   ) -> tuple[pd.DataFrame, dict[str, float]]:
    """``data`` with each of ``columns`` minus its (weighted) mean over the rows of ``data``.

    Parameters
    ----------
    data : DataFrame
        The rows a model uses (centre after choosing them, so that the mean is theirs).
    columns : sequence of str
        Numeric columns to centre; missing values stay missing and do not enter the mean.
    weights : str, optional
        A column of non-negative weights (frequency or sampling): the mean is weighted by them.

    Returns
    -------
    centred : DataFrame
        A copy of ``data`` (``data`` itself when ``columns`` is empty).
    means : dict of str to float
        Each centred column's mean, in its units.

    Raises
    ------
    ValueError
        If a column is absent or not numeric (a factor has no mean to centre at).
    """
    if not columns:
        return data, {}
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"cannot centre {missing}: not among the model's columns")
    text = [c for c in columns if not pd.api.types.is_numeric_dtype(data[c])]
    if text:
        raise ValueError(f"cannot centre {text}: not numeric (a factor has no mean to centre at)")
    if weights is None:
        means = {c: float(data[c].mean()) for c in columns}
    else:
        w = data[weights].astype(float)
        means = {c: float((w * data[c]).sum() / w[data[c].notna()].sum()) for c in columns}
    return data.assign(**{c: data[c] - mean for c, mean in means.items()}), means
