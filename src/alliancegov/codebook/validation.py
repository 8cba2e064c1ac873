"""Data checked against the codebook: answers as its categories, and the pandera schema of a
cleaned wave."""

from __future__ import annotations

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.vocabulary import NUMERIC_TYPES


def codebook_categorical(values: pd.Series, codebook: Codebook, variable: str) -> pd.Series:
    """``values`` as a categorical whose categories are the answers of ``variable`` in code order.

    Parameters
    ----------
    values : Series
        Canonical answer names (missing values allowed).
    codebook : Codebook
        The codebook holding ``variable``'s value set.
    variable : str
        A select_one or select_multiple variable (its value set gives the categories).

    Returns
    -------
    Series
        Categorical, with the same index and name as ``values``; categories the answer names in
        code order, every one of them even if unused.

    Raises
    ------
    ValueError
        If a non-missing value is not an answer of ``variable``, rather than silently turning it
        into a missing value.
    """
    answers = codebook.answer_names(variable)
    text = values.astype("string")
    unknown = text.notna() & ~text.isin(answers)
    if unknown.any():
        raise ValueError(
            f"{variable}: values not in the codebook: {sorted(set(text[unknown]))}; expected one of {answers}"
        )
    return pd.Series(pd.Categorical(text, categories=answers), index=values.index, name=values.name)


def _only_choices(answers: pd.Series, allowed: set[str]) -> pd.Series:
    """Per answer of a select_multiple question: missing, or only choices in ``allowed``.

    Judged once per distinct answer (a handful of combinations), not once per response.
    """
    valid = [answer for answer in answers.dropna().unique() if set(str(answer).split()) <= allowed]
    return answers.isna() | answers.isin(valid)


def validation_schema(codebook: Codebook, survey_year: int):
    """A pandera schema of a cleaned wave (missing codes already set to missing), from the codebook.

    Numeric variables (integer, decimal, likert): float columns within their ``min``/``max``
    (``survey_year`` resolved); integers and likert answers whole; select_one variables: among
    their answer names; select_multiple variables: only choices among their answer names. Every
    column is nullable: nonresponse is measured separately, not a validation failure.

    Parameters
    ----------
    codebook : Codebook
        The variables, their types, bounds and value sets.
    survey_year : int
        The year of the wave (the value of a bound written ``survey_year``).

    Returns
    -------
    pandera.pandas.DataFrameSchema
        One optional column per numeric, select_one and select_multiple variable (text and
        datetime variables are not checked); other columns are allowed and nothing is coerced.
    """
    import pandera.pandas as pa

    columns = {}
    for name, vtype in zip(codebook.variables["name"], codebook.variables["type"]):
        if vtype in NUMERIC_TYPES:
            low, high = codebook.bounds(name, survey_year)
            checks = []
            if low is not None:
                checks.append(pa.Check.ge(low, error=f"at least {low:g}"))
            if high is not None:
                checks.append(pa.Check.le(high, error=f"at most {high:g}"))
            if vtype != "decimal":
                checks.append(pa.Check(lambda s: s.isna() | (s == s.round()), error="a whole number"))
            columns[name] = pa.Column(float, checks=checks, nullable=True, required=False)
        elif vtype == "select_one":
            columns[name] = pa.Column(checks=pa.Check.isin(codebook.answer_names(name)), nullable=True, required=False)
        elif vtype == "select_multiple":
            allowed = set(codebook.answer_names(name))
            columns[name] = pa.Column(
                checks=pa.Check(lambda s, allowed=allowed: _only_choices(s, allowed), error="choices of the codebook"),
                nullable=True, required=False)
    return pa.DataFrameSchema(columns, strict=False, coerce=False)
