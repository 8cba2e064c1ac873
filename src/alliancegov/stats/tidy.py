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


def readable_term(term: str) -> str:
    """A patsy term name made readable: ``C(sector, Treatment('services'))[T.textile]`` → ``sector[textile]``.

    Parameters
    ----------
    term : str
        A term name as patsy writes it.

    Returns
    -------
    str
        ``variable[level]`` for a categorical term ``C(variable, ...)[T.level]``; any other term unchanged.
    """
    return _CATEGORICAL_TERM.sub(r"\1[\2]", term)


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
