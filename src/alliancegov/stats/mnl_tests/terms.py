"""Tests of terms across all equations (LR and Wald, the adjusted F of a survey design) and of equal
coefficients across samples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.mnl_tests.common import (
    TEST_COLUMNS,
    ChiSquareTest,
    _chi2_sf,
    _codes,
    _cov,
    _design,
    _fit_mnl,
    _quadratic_form,
    _term_columns,
    _theta,
)


def lr_test_terms(y, X, names: Sequence[str] | None, terms: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Likelihood-ratio test that a term's coefficients are 0 in all ``J-1`` equations.

    For each term the MNL is refitted without those columns;
    ``statistic = 2 (LL_full - LL_restricted)`` with ``df = len(columns) * (J-1)``. As SPost
    ``mlogtest, lr`` (which refits ``mlogit`` without the variable and calls ``lrtest``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (0 = base); every code must occur.
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    names : sequence of str or None
        The ``k`` column names of ``X`` (``None``: the DataFrame's columns, else ``x0, x1, ...``).
    terms : mapping of str to sequence of str
        Term name -> list of design columns (e.g. all dummies of a factor).

    Returns
    -------
    DataFrame
        One row per term: ``term, df, statistic, p_value``.

    Raises
    ------
    KeyError
        If a term names a column not in the design.
    ValueError
        If a term has no columns, or ``names`` does not fit ``X``.
    """
    X, names = _design(X, names)
    codes, J = _codes(y)
    full = _fit_mnl(codes, X)
    rows = []
    for term, columns in terms.items():
        drop = _term_columns(names, list(columns), term)
        keep = [i for i in range(X.shape[1]) if i not in set(drop)]
        if keep:
            restricted = _fit_mnl(codes, X[:, keep], start=full.params[keep]).llf
        else:  # no regressor left: every linear predictor is 0, all probabilities 1/J
            restricted = -codes.size * math.log(J)
        statistic = 2.0 * (full.llf - restricted)
        df = len(drop) * (J - 1)
        rows.append((term, df, statistic, _chi2_sf(statistic, df)))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def design_adjusted_f(statistic: float, df: int, design_df: float) -> tuple[float, float, float]:
    """The adjusted Wald F of a survey design (Stata's ``svy`` ``test``, Korn & Graubard 1990).

    Parameters
    ----------
    statistic : float
        The Wald χ² statistic ``W``.
    df : int
        Its degrees of freedom ``q`` (restrictions).
    design_df : float
        The design's degrees of freedom ``d`` (PSUs minus strata).

    Returns
    -------
    F : float
        ``(d - q + 1) / (d q) W``.
    denominator_df : float
        ``d - q + 1``; the numerator's is ``q``.
    p_value : float
        From ``F(q, d - q + 1)``; NaN when ``d - q + 1 < 1`` (more restrictions than the design
        can test).
    """
    from scipy import stats

    denominator = design_df - df + 1
    if denominator < 1:
        return math.nan, denominator, math.nan
    f = (denominator / (design_df * df)) * statistic
    return f, denominator, float(stats.f.sf(f, df, denominator))


def wald_test_terms(result, names: Sequence[str] | None, terms: Mapping[str, Sequence[str]], *,
                    cov=None) -> pd.DataFrame:
    """Wald test that a term's coefficients are 0 in all ``J-1`` equations.

    ``statistic = b' V^{-1} b`` over the selected coefficients, ``df = len(columns) * (J-1)``;
    identical to ``result.wald_test(R, scalar=True)`` with the 0/1 selection matrix ``R``. As
    SPost ``mlogtest, wald`` (Stata ``test varname`` after ``mlogit``).

    Parameters
    ----------
    result : MNLogitResults
        Fitted statsmodels ``MNLogit`` results (``params`` ``(k, J-1)``).
    names : sequence of str or None
        Its ``k`` design column names (``None``: ``result.model.exog_names``).
    terms : mapping of str to sequence of str
        Term name -> list of columns.
    cov : array-like of shape ((J-1) k, (J-1) k), optional
        Covariance in equation-major order (e.g. a Stata-scaled cluster covariance); default
        ``result.cov_params()``, so robust/cluster covariances the result was fitted with are used.

    Returns
    -------
    DataFrame
        One row per term: ``term, df, statistic, p_value``.

    Raises
    ------
    KeyError
        If a term names a column not in the design.
    ValueError
        If ``names`` does not have ``k`` entries, a term has no columns, or ``cov`` has the wrong
        shape.
    """
    theta = _theta(result)
    k = np.asarray(result.params).shape[0]
    J = theta.size // k + 1
    names = list(result.model.exog_names) if names is None else [str(n) for n in names]
    if len(names) != k:
        raise ValueError(f"{len(names)} names for {k} coefficients per equation")
    V = _cov(result, cov)
    rows = []
    for term, columns in terms.items():
        cols = _term_columns(names, list(columns), term)
        idx = np.array([e * k + c for e in range(J - 1) for c in cols])
        statistic = _quadratic_form(theta[idx], V[np.ix_(idx, idx)])
        rows.append((term, idx.size, statistic, _chi2_sf(statistic, idx.size)))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def equal_coefficients_test(samples, names: Sequence[Sequence[str]], columns: Sequence[str], *,
                            kind: str = "model") -> ChiSquareTest:
    """Wald test that the coefficients of ``columns`` are equal in every sample, in all ``J-1`` equations.

    From MNLs fitted separately on each sample: Stata's ``suest`` then ``test``. The restrictions
    are ``b_s - b_1 = 0`` for every later sample s: the same statistic as the Wald test of the
    sample × regressor interactions in the pooled interacted model, whose estimates are the
    separate fits.

    Parameters
    ----------
    samples : sequence of tuple
        As :func:`alliancegov.stats.mnl.stacked_covariance`: per sample ``(X, y, params, groups)``.
    names : sequence of sequence of str
        The design column names of each sample.
    columns : sequence of str
        The columns whose coefficients are compared (usually all but the intercept).
    kind : {"model", "robust", "cluster"}, default "model"
        The covariance (``cluster``: clusters may span samples).

    Returns
    -------
    ChiSquareTest
        ``df`` is the rank of the restrictions' covariance.

    Raises
    ------
    ValueError
        If a column is missing from a sample's design.
    """
    from alliancegov.stats.mnl import stacked_covariance

    thetas = [np.asarray(params, dtype=float).T.ravel() for _, _, params, _ in samples]
    ks = [len(sample_names) for sample_names in names]
    m = thetas[0].size // ks[0]
    offsets = np.r_[0, np.cumsum([theta.size for theta in thetas])]
    positions = []
    for sample_names in names:
        missing = [c for c in columns if c not in sample_names]
        if missing:
            raise ValueError(f"columns {missing} are not in every sample's design")
        positions.append([list(sample_names).index(c) for c in columns])
    R = np.zeros(((len(samples) - 1) * m * len(columns), offsets[-1]))
    row = 0
    for s in range(1, len(samples)):
        for e in range(m):
            for c in range(len(columns)):
                R[row, offsets[s] + e * ks[s] + positions[s][c]] = 1.0
                R[row, offsets[0] + e * ks[0] + positions[0][c]] = -1.0
                row += 1
    difference = R @ np.concatenate(thetas)
    V = R @ stacked_covariance(samples, kind=kind) @ R.T
    df = int(np.linalg.matrix_rank(V, hermitian=True))
    statistic = _quadratic_form(difference, V)
    return ChiSquareTest(statistic, df, _chi2_sf(statistic, df))
