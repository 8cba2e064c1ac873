"""Tidy coefficient tables in the project's column convention.

Columns: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``; a model with
several equations (multinomial logit) adds ``outcome`` first.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
_CATEGORICAL_TERM = re.compile(r"^C\((\w+)(?:,.*)?\)\[T\.(.*)\]$")


def interaction_factors(term: str) -> list[str]:
    """The factors of an interaction term, split at the colons outside parentheses and brackets.

    Parameters
    ----------
    term : str
        A term name (``a:b``, ``C(x, Treatment('a'))[T.b]:C(y)[T.c]``, or a single factor).

    Returns
    -------
    list of str
        One name per factor, in order (a single factor gives a list of one); a colon inside
        ``C(...)`` or a level's brackets does not split.

    Examples
    --------
    >>> interaction_factors("C(f, Treatment('a'))[T.b]:C(s)[T.textile]")
    ["C(f, Treatment('a'))[T.b]", 'C(s)[T.textile]']
    """
    factors, depth, start = [], 0, 0
    for position, character in enumerate(term):
        depth += (character in "([") - (character in ")]")
        if character == ":" and depth == 0:
            factors.append(term[start:position])
            start = position + 1
    return [*factors, term[start:]]


def readable_term(term: str) -> str:
    """A patsy term name made readable: ``C(sector, Treatment('services'))[T.textile]`` → ``sector[textile]``.

    Parameters
    ----------
    term : str
        A term name as patsy writes it.

    Returns
    -------
    str
        ``variable[level]`` for a categorical term ``C(variable, ...)[T.level]``; each factor of an
        interaction the same way, joined by ``:`` (``governance_form[joint_venture]:sector[textile]``,
        so that the interactions of one factor with the levels of another keep distinct names); any
        other term unchanged.

    Examples
    --------
    >>> readable_term("C(governance_form, Treatment('repeated_contract'))[T.licensing]:C(sector)[T.textile]")
    'governance_form[licensing]:sector[textile]'
    """
    return ":".join(_CATEGORICAL_TERM.sub(r"\1[\2]", factor) for factor in interaction_factors(term))


def tidy_coefficients(terms, estimate, std_error, *, df_resid: float | None = None,
                      level: float = 0.95) -> pd.DataFrame:
    """Tidy table from estimates and standard errors.

    Parameters
    ----------
    terms : sequence of str, length k
        The term names (patsy names are made readable by :func:`readable_term`).
    estimate, std_error : array-like of shape (k,)
        The estimates and their standard errors.
    df_resid : float, optional
        Residual degrees of freedom: Wald statistics with a Student t reference on ``df_resid``
        degrees of freedom; None (default) for a normal reference.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per term, columns ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``: ``statistic`` is estimate / std_error, ``p_value`` two-sided, ``conf_low`` and
        ``conf_high`` the Wald interval at ``level``.
    """
    from scipy import stats

    estimate = np.asarray(estimate, float)
    std_error = np.asarray(std_error, float)
    statistic = estimate / std_error
    reference = stats.norm() if df_resid is None else stats.t(df_resid)
    half_width = reference.ppf(0.5 + level / 2) * std_error
    return pd.DataFrame({
        "term": [readable_term(str(t)) for t in terms],
        "estimate": estimate,
        "std_error": std_error,
        "statistic": statistic,
        "p_value": 2 * reference.sf(np.abs(statistic)),
        "conf_low": estimate - half_width,
        "conf_high": estimate + half_width,
    })
