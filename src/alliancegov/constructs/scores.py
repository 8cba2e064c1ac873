"""The analysis frame's derived columns: reverse-coded items recoded as (min + max) − x, scale
scores (the mean of the answered items when at least the scale's ``min_items`` are answered),
one 0/1 column per choice of a select_multiple question and the code of each select_one answer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook


def reverse_code(frame: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """A copy of ``frame`` with every reverse-coded item recoded as (min + max) − x.

    Parameters
    ----------
    frame : DataFrame
        One row per response, items as given, missing codes already set to missing.
    codebook : Codebook
        Which items are reverse-coded, and their ``min`` and ``max``.

    Returns
    -------
    DataFrame
        Same shape; each reverse-coded item that ``frame`` has recoded (still in the item's
        units), every other column unchanged.
    """
    out = frame.copy()
    for row in codebook.variables[codebook.variables["reverse"]].itertuples():
        if row.name in out:
            out[row.name] = float(row.min) + float(row.max) - out[row.name]
    return out


def score_scales(recoded: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Scale scores, one column per scale in ``scales.csv``; shape (n, n_scales), item units.

    Parameters
    ----------
    recoded : DataFrame
        One row per response with every scale item, reverse-coded items already recoded
        (:func:`reverse_code`).
    codebook : Codebook
        The scales, their items and ``min_items``.

    Returns
    -------
    DataFrame of shape (n, n_scales)
        Index of ``recoded``, columns named after the scales in ``scales.csv`` order: the mean
        of the answered items (item units) where at least the scale's ``min_items`` are
        answered, else NaN.
    """
    scores = {}
    for scale in codebook.scales.itertuples():
        items = recoded[codebook.items(scale.scale)["name"].tolist()]
        answered = items.notna().sum(axis=1)
        scores[scale.scale] = items.mean(axis=1).where(answered >= scale.min_items)
    return pd.DataFrame(scores, index=recoded.index)


def _per_distinct(values: pd.Series, function) -> np.ndarray:
    """``function`` (to a float) of each distinct non-missing value, spread back to the rows; NaN
    where missing. One Python call per distinct answer, not per response."""
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    mapped = np.array([function(value) for value in distinct] + [np.nan], dtype=float)
    return mapped[codes]   # code -1 (missing) takes the last entry


def choice_indicators(frame: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """For each select_multiple question: one 0/1 column per choice (``question__choice``) and
    the number chosen (``question__n``); missing where the question was not answered.

    Parameters
    ----------
    frame : DataFrame
        One row per response; a select_multiple answer is its choice names joined by spaces.
    codebook : Codebook
        The select_multiple questions and their choices.

    Returns
    -------
    DataFrame
        Index of ``frame``; for each select_multiple question that ``frame`` has, one float
        column per choice in code order, then ``question__n`` (the number of distinct choices in
        the answer); NaN where the answer is missing.
    """
    columns = {}
    for variable in codebook.of_type("select_multiple"):
        if variable not in frame:
            continue
        values = frame[variable]
        for choice in codebook.answer_names(variable):
            columns[f"{variable}__{choice}"] = _per_distinct(
                values, lambda v, x=choice: float(x in v.split()) if isinstance(v, str) else np.nan)
        columns[f"{variable}__n"] = _per_distinct(
            values, lambda v: float(len(set(v.split()))) if isinstance(v, str) else np.nan)
    return pd.DataFrame(columns, index=frame.index)


def answer_codes(frame: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """For each select_one question, its codebook code as a number (``question__code``), so that
    ordered answers (revenue trend, meeting frequency) and yes/no answers enter models as scores.

    Parameters
    ----------
    frame : DataFrame
        One row per response, select_one answers as canonical names.
    codebook : Codebook
        The select_one questions and their value sets.

    Returns
    -------
    DataFrame
        Index of ``frame``; one float column per select_one question that ``frame`` has: the
        answer's code, NaN where the answer is missing or not in the value set.
    """
    columns = {}
    for variable in codebook.of_type("select_one"):
        if variable in frame:
            choices = codebook.choices(codebook.variables.at[variable, "list_name"])
            codes = dict(zip(choices["name"], choices["code"].astype(float)))
            columns[f"{variable}__code"] = _per_distinct(frame[variable], lambda v, codes=codes: codes.get(v, np.nan))
    return pd.DataFrame(columns, index=frame.index).astype(float)


def score_responses(responses: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The analysis frame: the responses with their items recoded, and scale scores, choice
    indicators and answer codes added.

    Parameters
    ----------
    responses : DataFrame
        One row per response, answers as the cleaning stage leaves them (items as given).
    codebook : Codebook
        The items, scales and value sets.

    Returns
    -------
    DataFrame
        Same rows; reverse-coded items recoded, then one column per scale score, per
        select_multiple choice (``question__choice``, ``question__n``) and per select_one code
        (``question__code``).
    """
    recoded = reverse_code(responses, codebook)
    derived = [score_scales(recoded, codebook), choice_indicators(recoded, codebook), answer_codes(recoded, codebook)]
    return pd.concat([recoded, *derived], axis=1)
