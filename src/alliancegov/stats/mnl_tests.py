"""Specification tests and fit statistics for a multinomial logit (MNL) that statsmodels lacks.

Modelled on Stata's ``mlogit`` with SPost's ``mlogtest`` / ``fitstat`` (Long & Freese,
*Regression Models for Categorical Dependent Variables Using Stata*, chapter on nominal
outcomes; SPost ``mlogtest.ado`` version 1.7.6) and on Long (1997), *Regression Models for
Categorical and Limited Dependent Variables*, ch. 4 and 6.

Conventions used throughout
---------------------------
* ``y`` holds integer codes ``0 .. J-1``; code 0 is the base outcome whose coefficients are 0.
  Every code must occur (statsmodels drops absent levels).
* ``X`` is the ``(n, k)`` design matrix (ndarray or DataFrame) including the intercept column,
  ``names`` its ``k`` column names.
* A statsmodels ``MNLogit`` result has ``params`` of shape ``(k, J-1)``. The coefficient
  vector is stacked **equation-major**: ``theta = params.T.ravel()``, so coefficient of column
  ``c`` in the equation of outcome ``j`` (``j >= 1``) is ``theta[(j - 1) * k + c]``. This is the
  order of ``result.cov_params()`` and the order expected of any ``cov=`` argument
  (shape ``((J-1) k, (J-1) k)``).
* Tests return chi-square statistics, their degrees of freedom and upper-tail p-values.

Nothing here knows about the survey; numpy and pandas are imported at module level, scipy and
statsmodels inside the functions that need them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

TEST_COLUMNS = ["term", "df", "statistic", "p_value"]
COMBINE_COLUMNS = ["outcome_a", "outcome_b", "test", "df", "statistic", "p_value"]
IIA_COLUMNS = ["omitted", "test", "statistic", "df", "p_value", "note"]
NEGATIVE_HAUSMAN_NOTE = "chi2 < 0: the fitted model does not meet the asymptotic assumptions of the test"


class ChiSquareTest(NamedTuple):
    """A chi-square test result; unpacks as ``(statistic, df, p_value)``.

    Attributes
    ----------
    statistic : float
        The chi-square statistic.
    df : int
        Its degrees of freedom.
    p_value : float
        Upper-tail p-value (NaN when undefined, e.g. ``df`` 0 or a negative statistic where the
        test says so).
    """

    statistic: float
    df: int
    p_value: float


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _design(X, names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """``(n, k)`` float array and its ``k`` column names."""
    if isinstance(X, pd.DataFrame):
        columns = [str(c) for c in X.columns] if names is None else [str(c) for c in names]
        array = X.to_numpy(dtype=float)
    else:
        array = np.asarray(X, dtype=float)
        if array.ndim != 2:
            raise ValueError(f"X must be 2-d, got shape {array.shape}")
        columns = [f"x{i}" for i in range(array.shape[1])] if names is None else [str(c) for c in names]
    if len(columns) != array.shape[1]:
        raise ValueError(f"{len(columns)} names for {array.shape[1]} design columns")
    if len(set(columns)) != len(columns):
        raise ValueError("design column names must be unique")
    return array, columns


def _codes(y, n_outcomes: int | None = None, *, require_all: bool = True) -> tuple[np.ndarray, int]:
    """``y`` as int codes ``0..J-1`` and ``J``; checks that codes are integers (and all present)."""
    values = np.asarray(y, dtype=float).ravel()
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)) or np.any(values < 0):
        raise ValueError("y must hold non-negative integer codes 0..J-1")
    codes = values.astype(int)
    J = int(codes.max()) + 1 if n_outcomes is None else int(n_outcomes)
    if codes.max() >= J:
        raise ValueError(f"y has code {codes.max()} but only {J} outcomes")
    if require_all:
        missing = sorted(set(range(J)) - set(np.unique(codes).tolist()))
        if missing:
            raise ValueError(f"outcome codes {missing} do not occur in y")
    return codes, J


def _recode(codes: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """Map outcome ``order[i]`` to ``i`` (so ``order[0]`` becomes the base); others to -1."""
    lookup = np.full(int(codes.max()) + 1, -1, dtype=int)
    for new, old in enumerate(order):
        if old <= codes.max():
            lookup[old] = new
    return lookup[codes]


class _Refit(NamedTuple):
    """What the tests read of a refitted MNL, as the attributes of a statsmodels result."""

    params: np.ndarray        # (k, J-1)
    llf: float
    information: np.ndarray   # ((J-1) k, (J-1) k), equation-major

    def cov_params(self) -> np.ndarray:
        from alliancegov.stats.mnl import model_covariance

        return model_covariance(self.information)


def _fit_mnl(y: np.ndarray, X: np.ndarray, start=None) -> _Refit:
    """ML refit, code 0 as base, by the package's Newton (``stats.mnl.fit_mnl_newton``, which
    warns if it does not converge). The tests refit the model up to ~30 times; statsmodels'
    ``MNLogit`` takes about twice as long per fit and cannot start from a nearby estimate."""
    from alliancegov.stats.mnl import fit_mnl_newton

    fit = fit_mnl_newton(np.asarray(X, dtype=float), np.asarray(y), start=start)
    return _Refit(fit.params, fit.loglik, fit.information)


def _theta(result) -> np.ndarray:
    """Equation-major coefficient vector ``params.T.ravel()`` of length ``(J-1) k``."""
    return np.asarray(result.params, dtype=float).T.ravel()


def _cov(result, cov) -> np.ndarray:
    V = np.asarray(result.cov_params() if cov is None else cov, dtype=float)
    p = _theta(result).size
    if V.shape != (p, p):
        raise ValueError(f"covariance must be {p}x{p} (equation-major), got {V.shape}")
    return V


def _quadratic_form(d: np.ndarray, V: np.ndarray) -> float:
    """``d' V^{-1} d`` (Moore-Penrose inverse if ``V`` is singular)."""
    try:
        return float(d @ np.linalg.solve(V, d))
    except np.linalg.LinAlgError:
        return float(d @ np.linalg.pinv(V, hermitian=True) @ d)


def _chi2_sf(statistic: float, df: int) -> float:
    from scipy import stats

    if not np.isfinite(statistic) or df <= 0:
        return math.nan
    return float(stats.chi2.sf(statistic, df))


def _term_columns(names: Sequence[str], columns: Sequence[str], term: str) -> list[int]:
    index = {name: i for i, name in enumerate(names)}
    unknown = [c for c in columns if c not in index]
    if unknown:
        raise KeyError(f"term {term!r}: columns {unknown} are not in the design")
    if not columns:
        raise ValueError(f"term {term!r} has no columns")
    return [index[c] for c in columns]


def mnl_loglik(theta, y, X, *, derivatives: bool = False):
    """MNL log-likelihood at equation-major ``theta``, base code 0.

    Computed with a log-sum-exp so it is stable far from the optimum.

    Parameters
    ----------
    theta : array-like of shape (p,)
        Equation-major coefficients, ``p = (J-1) k``.
    y : array-like of shape (n,)
        Codes ``0..J-1`` with ``J = theta.size / k + 1``.
    X : array-like of shape (n, k)
        Design matrix.
    derivatives : bool, default False
        Also return the gradient and the Hessian.

    Returns
    -------
    float or tuple of (float, ndarray of shape (p,), ndarray of shape (p, p))
        The log-likelihood; with ``derivatives=True`` ``(loglik, gradient, Hessian)``, the
        derivatives in the same equation-major order (the Hessian negative definite).
    """
    X = np.asarray(X, dtype=float)
    theta = np.asarray(theta, dtype=float)
    n, k = X.shape
    J = theta.size // k + 1
    y = np.asarray(y, dtype=int)
    eta = np.zeros((n, J))
    eta[:, 1:] = X @ np.ascontiguousarray(theta.reshape(J - 1, k).T)   # a transposed operand skips BLAS
    top = eta.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(eta - top).sum(axis=1))
    rows = np.arange(n)
    loglik = float((eta[rows, y] - lse).sum())
    if not derivatives:
        return loglik
    P = np.exp(eta - lse[:, None])
    D = np.zeros((n, J))
    D[rows, y] = 1.0
    gradient = ((D - P)[:, 1:].T @ X).ravel()
    hessian = np.empty((theta.size, theta.size))
    for e in range(1, J):
        for f in range(e, J):
            w = P[:, e] * ((e == f) - P[:, f])
            block = -(X * w[:, None]).T @ X
            hessian[(e - 1) * k:e * k, (f - 1) * k:f * k] = block
            hessian[(f - 1) * k:f * k, (e - 1) * k:e * k] = block.T
    return loglik, gradient, hessian


def fit_mnl_linear_constrained(y, X, T, start=None, *, tol: float = 1e-12, maxiter: int = 200):
    """Maximise the MNL log-likelihood over ``theta = T @ phi`` (linear equality constraints).

    Newton-Raphson in ``phi`` with step halving; stops when the Newton decrement
    ``g' (-H)^{-1} g / 2`` (``g``, ``H`` the gradient and Hessian in ``phi``) falls below ``tol``.

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1``, base code 0.
    X : array-like of shape (n, k)
        Design matrix.
    T : array-like of shape (p, q)
        ``p = (J-1) k`` (equation-major) rows, one column per free parameter.
    start : array-like of shape (p,), optional
        Starting ``theta``, projected onto the column space of ``T``; default ``phi = 0``.
    tol : float, default 1e-12
        Convergence tolerance on the Newton decrement.
    maxiter : int, default 200
        Newton steps at the most.

    Returns
    -------
    loglik : float
        The maximised log-likelihood.
    theta : ndarray of shape (p,)
        The constrained estimate, equation-major.

    Warns
    -----
    RuntimeWarning
        If it did not converge in ``maxiter`` steps (the last point is returned).
    """
    T = np.asarray(T, dtype=float)
    phi = np.zeros(T.shape[1]) if start is None else np.linalg.lstsq(T, np.asarray(start, float), rcond=None)[0]
    loglik = mnl_loglik(T @ phi, y, X)
    for _ in range(maxiter):
        _, g, H = mnl_loglik(T @ phi, y, X, derivatives=True)
        g_phi = T.T @ g
        H_phi = T.T @ H @ T
        step = np.linalg.solve(-H_phi, g_phi)
        decrement = float(g_phi @ step) / 2
        if decrement < tol:
            return loglik, T @ phi
        t = 1.0
        while True:
            candidate = phi + t * step
            new = mnl_loglik(T @ candidate, y, X)
            if new >= loglik or t < 1e-10:
                break
            t /= 2
        phi, loglik = candidate, new
    warnings.warn("constrained MNL fit did not converge", RuntimeWarning, stacklevel=2)
    return loglik, T @ phi


# --------------------------------------------------------------------------------------------
# 1-2. tests of terms across all equations
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# 3. tests for combining outcomes
# --------------------------------------------------------------------------------------------


def _intercept_columns(X: np.ndarray, names: list[str], intercept) -> list[int]:
    if intercept is None:
        return [i for i in range(X.shape[1]) if np.ptp(X[:, i]) == 0 and X[0, i] != 0]
    items = [intercept] if isinstance(intercept, (str, int)) else list(intercept)
    return [names.index(c) if isinstance(c, str) else int(c) for c in items]


def combine_restriction(J: int, k: int, slopes: Sequence[int], a: int, b: int) -> np.ndarray:
    """Restriction matrix ``R`` of H0 "outcomes a and b can be combined".

    Parameters
    ----------
    J : int
        Number of outcomes.
    k : int
        Design columns per equation.
    slopes : sequence of int
        The slope columns (all but the intercepts).
    a, b : int
        The two distinct outcome codes.

    Returns
    -------
    ndarray of shape (len(slopes), (J-1) k)
        Row ``s``: ``beta_b[s] - beta_a[s]`` for slope column ``s`` (equation-major ``theta``);
        when ``a`` is the base (0) the row is just ``beta_b[s]``. ``R theta = 0`` is Stata's
        ``test [b = a]`` (or ``test [b]``), which leaves intercepts out.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` are not two distinct outcomes in ``0..J-1``.
    """
    if not (0 <= a < J and 0 <= b < J and a != b):
        raise ValueError(f"need two distinct outcomes in 0..{J - 1}, got {a}, {b}")
    R = np.zeros((len(slopes), (J - 1) * k))
    for row, s in enumerate(slopes):
        if b > 0:
            R[row, (b - 1) * k + s] += 1.0
        if a > 0:
            R[row, (a - 1) * k + s] -= 1.0
    return R


def combine_parametrisation(J: int, k: int, slopes: Sequence[int], a: int, b: int) -> np.ndarray:
    """Parametrisation ``theta = T phi`` of the coefficients satisfying :func:`combine_restriction`.

    The slopes of the higher of the two outcomes are substituted by those of the lower one
    (by 0 when the lower one is the base); intercepts and all other equations stay free.

    Parameters
    ----------
    J : int
        Number of outcomes.
    k : int
        Design columns per equation.
    slopes : sequence of int
        The slope columns.
    a, b : int
        The two distinct outcome codes, in either order.

    Returns
    -------
    ndarray of shape ((J-1) k, (J-1) k - len(slopes))
        0/1 matrix ``T``, equation-major rows.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` are not two distinct outcomes in ``0..J-1``.
    """
    lo, hi = sorted((a, b))
    if lo == hi or not 0 <= lo < hi < J:
        raise ValueError(f"need two distinct outcomes in 0..{J - 1}, got {a}, {b}")
    p = (J - 1) * k
    removed = {(hi - 1) * k + s for s in slopes}
    free = [i for i in range(p) if i not in removed]
    position = {i: j for j, i in enumerate(free)}
    T = np.zeros((p, len(free)))
    for i in free:
        T[i, position[i]] = 1.0
    if lo > 0:
        for s in slopes:
            T[(hi - 1) * k + s, position[(lo - 1) * k + s]] = 1.0
    return T


def combine_outcomes_tests(y, X, result=None, cov=None, *, intercept=None, labels: Sequence | None = None,
                           pairs: Iterable[tuple[int, int]] | None = None,
                           tests: Sequence[str] = ("wald", "lr")) -> pd.DataFrame:
    """Wald and LR tests that two outcomes can be combined (SPost ``mlogtest, combine lrcomb``).

    H0 for outcomes ``a < b``: every coefficient except the intercept is equal in the two
    equations (relative to any base), i.e. the odds of ``a`` vs ``b`` do not depend on the
    regressors. ``df`` = number of non-intercept columns.

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (0 = base), ``J >= 3``.
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    result : MNLogitResults, optional
        The statsmodels ``MNLogit`` fit of ``y`` on ``X`` (fitted here if ``None``).
    cov : array-like of shape ((J-1) k, (J-1) k), optional
        Equation-major covariance for the Wald test (default ``result.cov_params()``).
    intercept : str, int or sequence of them, optional
        The intercept column(s) by name or position (default: every constant non-zero column of
        ``X``).
    labels : sequence, optional
        Names of the outcomes for the output (default the codes).
    pairs : iterable of tuple of (int, int), optional
        Subset of ``(a, b)`` code pairs (default all ``J (J-1) / 2``).
    tests : sequence of {"wald", "lr"}, default ("wald", "lr")
        The tests to run (see Notes).

    Returns
    -------
    DataFrame
        One row per pair and test: ``outcome_a, outcome_b, test, df, statistic, p_value``.

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 outcomes, ``tests`` names an unknown test, ``result`` does not
        match ``(y, X)``, or the design has no regressor besides the intercept.

    Notes
    -----
    * ``wald``: ``(R theta)' (R V R')^{-1} (R theta)`` with ``R`` from :func:`combine_restriction`
      (differences of the two equations; a pair with the base tests the other equation's slopes
      against 0), as ``test [b = a]`` in SPost.
    * ``lr``: ``2 (LL_full - LL_constrained)``. SPost's ``lrcomb`` fits ``mlogit`` with base ``b``
      under ``constraint [a]`` (all slopes of ``a`` vs ``b`` zero, intercept free); the
      identical model is fitted here by Newton-Raphson with ``b``'s slopes substituted by ``a``'s
      (:func:`combine_parametrisation`, :func:`fit_mnl_linear_constrained`). ``LL_full`` is the
      log-likelihood of ``result`` on ``(y, X)``.

    Both statistics are invariant to the choice of base.
    """
    X, names = _design(X)
    codes, J = _codes(y)
    if J < 3:
        raise ValueError("combining outcomes needs at least 3 outcomes")
    unknown = set(tests) - {"wald", "lr"}
    if unknown:
        raise ValueError(f"unknown tests {sorted(unknown)}")
    if result is None:
        result = _fit_mnl(codes, X)
    k = X.shape[1]
    theta = _theta(result)
    if theta.size != (J - 1) * k:
        raise ValueError("result does not match (y, X): wrong number of coefficients")
    consts = set(_intercept_columns(X, names, intercept))
    slopes = [i for i in range(k) if i not in consts]
    if not slopes:
        raise ValueError("the design has no regressor besides the intercept")
    V = _cov(result, cov) if "wald" in tests else None
    full_ll = mnl_loglik(theta, codes, X) if "lr" in tests else math.nan
    label = (lambda j: j) if labels is None else (lambda j: labels[j])
    todo = [(a, b) for a in range(J) for b in range(a + 1, J)] if pairs is None else [tuple(sorted(p)) for p in pairs]
    rows = []
    for a, b in todo:
        if "wald" in tests:
            R = combine_restriction(J, k, slopes, a, b)
            statistic = _quadratic_form(R @ theta, R @ V @ R.T)
            rows.append((label(a), label(b), "wald", len(slopes), statistic, _chi2_sf(statistic, len(slopes))))
        if "lr" in tests:
            T = combine_parametrisation(J, k, slopes, a, b)
            constrained_ll, _ = fit_mnl_linear_constrained(codes, X, T, start=theta)
            statistic = 2.0 * (full_ll - constrained_ll)
            rows.append((label(a), label(b), "lr", len(slopes), statistic, _chi2_sf(statistic, len(slopes))))
    return pd.DataFrame(rows, columns=COMBINE_COLUMNS)


# --------------------------------------------------------------------------------------------
# 4. IIA tests
# --------------------------------------------------------------------------------------------


def _base_for(codes: np.ndarray, J: int, omitted: int, rebase_to: int | None) -> int:
    if not 0 <= omitted < J:
        raise ValueError(f"omitted must be in 0..{J - 1}")
    if rebase_to is not None:
        if rebase_to == omitted or not 0 <= rebase_to < J:
            raise ValueError("rebase_to must be an outcome other than the omitted one")
        return int(rebase_to)
    if omitted != 0:
        return 0
    counts = np.bincount(codes, minlength=J).astype(float)
    counts[omitted] = -1
    return int(np.argmax(counts))  # the most frequent other outcome, lowest code on ties (as SPost)


def hausman_mcfadden(y, X, omitted: int, *, rebase_to: int | None = None) -> ChiSquareTest:
    """Hausman-McFadden (1984) IIA test of omitting outcome ``omitted`` (SPost ``mlogtest, hausman``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (``J >= 3``, 0 = base).
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    omitted : int
        The outcome code left out of the restricted choice set.
    rebase_to : int, optional
        The outcome both models are based on (see Notes). Default: code 0, or, when ``omitted`` is
        0, the most frequent other outcome (lowest code on ties, as SPost).

    Returns
    -------
    ChiSquareTest
        ``(statistic, df, p_value)``; the p-value is NaN when the statistic is negative.

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 outcomes, or ``omitted`` or ``rebase_to`` is not a valid outcome.

    Notes
    -----
    Fits the MNL on all observations (efficient under IIA, ``b_f, V_f``) and on the
    observations not choosing ``omitted`` (consistent either way, ``b_r, V_r``), both with the same
    base, and compares the coefficients common to both: all ``k`` coefficients, intercept
    included, of the ``J-2`` equations of the outcomes other than the base and ``omitted`` (as
    Stata's ``hausman ., alleqs constant`` in SPost)::

        H = (b_r - b_f)' (V_r - V_f)^{-1} (b_r - b_f),   df = rank(V_r - V_f)

    ``df`` is ``(J-2) k`` unless ``V_r - V_f`` is singular (then a Moore-Penrose inverse is used,
    like Stata's generalised inverse). Covariances are the inverse Hessians (Stata's default).

    The base (code 0) cannot be omitted as such: the models are then re-based (both of them) on
    ``rebase_to``, by default the most frequent other outcome as SPost's ``base`` option does;
    the statistic does not depend on which re-base outcome is used. ``rebase_to`` also applies
    when a non-base outcome is omitted.

    ``V_r - V_f`` need not be positive definite in finite samples, so ``H`` can be negative. It is
    returned as computed, never clipped; its p-value is then ``nan`` (SPost prints ``---`` and
    notes that the model does not meet the asymptotic assumptions of the test; Hausman &
    McFadden take it as evidence for IIA).
    """
    X, _ = _design(X)
    codes, J = _codes(y)
    if J < 3:
        raise ValueError("IIA tests need at least 3 outcomes")
    base = _base_for(codes, J, omitted, rebase_to)
    full_order = [base] + [j for j in range(J) if j != base]
    sub_order = [j for j in full_order if j != omitted]
    full = _fit_mnl(_recode(codes, full_order), X)
    keep = codes != omitted
    restricted = _fit_mnl(_recode(codes[keep], sub_order), X[keep])
    k = X.shape[1]
    # equations (0-based) of the common outcomes in each model
    full_eq = [full_order.index(j) - 1 for j in sub_order[1:]]
    sub_eq = list(range(len(sub_order) - 1))
    f_idx = np.array([e * k + c for e in full_eq for c in range(k)])
    r_idx = np.array([e * k + c for e in sub_eq for c in range(k)])
    difference = _theta(restricted)[r_idx] - _theta(full)[f_idx]
    V_diff = np.asarray(restricted.cov_params())[np.ix_(r_idx, r_idx)] - np.asarray(full.cov_params())[
        np.ix_(f_idx, f_idx)]
    V_diff = (V_diff + V_diff.T) / 2
    df = int(np.linalg.matrix_rank(V_diff, hermitian=True))
    if df == V_diff.shape[0]:
        statistic = float(difference @ np.linalg.solve(V_diff, difference))
    else:
        statistic = float(difference @ np.linalg.pinv(V_diff, hermitian=True) @ difference)
    p_value = _chi2_sf(statistic, df) if statistic >= 0 else math.nan
    return ChiSquareTest(statistic, df, p_value)


def _split(n: int, seed, split: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if split == "half":
        in_a = np.zeros(n, dtype=bool)
        in_a[rng.permutation(n)[: n // 2]] = True
        return in_a
    if split == "coin":
        return rng.random(n) < 0.5
    raise ValueError("split must be 'half' or 'coin'")


def small_hsiao(y, X, omitted: int, seed, *, split: str = "half") -> ChiSquareTest:
    """Small & Hsiao (1985) IIA test of omitting outcome ``omitted`` (SPost ``mlogtest, smhsiao``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (``J >= 3``, 0 = base).
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    omitted : int
        The outcome code left out of the restricted choice set; may be the base (0), see Notes.
    seed : int or numpy Generator seed
        Seed of ``numpy.random.default_rng`` for the random split. Reproducible for a given
        ``seed``; use the same seed for every omitted outcome to share one split, as SPost does.
    split : {"half", "coin"}, default "half"
        How rows are split into halves A and B (step 1 below).

    Returns
    -------
    ChiSquareTest
        ``(statistic, df, p_value)``.

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 outcomes, ``omitted`` is not an outcome, ``split`` is unknown, or
        an outcome does not occur in both halves.

    Notes
    -----
    1. Split the sample at random into halves A and B (``seed`` for ``numpy.random.default_rng``;
       ``split="half"``: a random permutation, the first ``n // 2`` rows form A; ``split="coin"``:
       each row goes to A with probability 1/2, as SPost's ``round(uniform())``; Stata's random
       numbers are not reproduced). Every outcome must occur in both halves (else ``ValueError``).
    2. Fit the full MNL on A and on B; ``b_AB = b_A / sqrt(2) + (1 - 1/sqrt(2)) b_B``.
    3. On the rows of B not choosing ``omitted``, fit the MNL of the remaining ``J-1`` outcomes:
       ``LL_r``; evaluate the same restricted-choice-set likelihood at ``b_AB``: ``LL_AB``.
    4. ``SH = -2 (LL_AB - LL_r)``, ``df`` = number of coefficients of the restricted model,
       ``(J-2) k`` (SPost's corrected df, 2005), chi-square p-value. ``SH >= 0`` by construction.

    The restricted-choice-set probabilities do not depend on the base, so ``omitted`` may be the
    base (0) without re-basing.
    """
    X, _ = _design(X)
    codes, J = _codes(y)
    if J < 3:
        raise ValueError("IIA tests need at least 3 outcomes")
    if not 0 <= omitted < J:
        raise ValueError(f"omitted must be in 0..{J - 1}")
    in_a = _split(codes.size, seed, split)
    halves = []
    for rows in (in_a, ~in_a):
        if np.unique(codes[rows]).size != J:
            raise ValueError("the random split left an outcome empty in one half-sample; try another seed")
        halves.append(np.asarray(_fit_mnl(codes[rows], X[rows]).params, dtype=float))
    w = 1 / math.sqrt(2)
    b_ab = np.zeros((X.shape[1], J))
    b_ab[:, 1:] = w * halves[0] + (1 - w) * halves[1]
    remaining = [j for j in range(J) if j != omitted]
    rows = ~in_a & (codes != omitted)
    sub_codes = _recode(codes[rows], remaining)
    restricted = _fit_mnl(sub_codes, X[rows])
    # restricted-choice-set likelihood at b_AB, coefficients relative to the first remaining outcome
    ll_ab = mnl_loglik(_relative_theta(b_ab[:, remaining]), sub_codes, X[rows])
    statistic = -2.0 * (ll_ab - restricted.llf)
    df = (J - 2) * X.shape[1]
    return ChiSquareTest(float(statistic), df, _chi2_sf(statistic, df))


def suest_hausman(y, X, omitted: int, *, groups=None, rebase_to: int | None = None) -> ChiSquareTest:
    """Generalised Hausman test of IIA with the two fits' joint covariance (Stata ``suest``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (``J >= 3``, 0 = base).
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    omitted : int
        The outcome code left out of the restricted choice set.
    groups : array-like of shape (n,), optional
        Cluster labels (firms interviewed in several waves): the joint covariance sums each
        cluster's scores. Default: every row its own cluster (the robust suest).
    rebase_to : int, optional
        As in :func:`hausman_mcfadden`.

    Returns
    -------
    ChiSquareTest
        ``(statistic, df, p_value)``; the statistic is never negative.

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 outcomes, or ``omitted`` or ``rebase_to`` is not a valid outcome.

    Notes
    -----
    The same comparison as :func:`hausman_mcfadden`, ``d = b_r - b_f`` over the coefficients common
    to the full and the restricted fits, but ``Var(d) = V_rr + V_ff - V_rf - V_fr`` comes from the
    sandwich of both fits' stacked scores (Weesie 1999; Stata's ``suest``; Long & Freese 2014,
    §8.4), which is a covariance matrix and so positive semi-definite: the statistic cannot be
    negative, and it stays valid when the model-based covariances are not (clustered firms,
    misspecification). ``df`` is the rank of ``Var(d)``.
    """
    from alliancegov.stats.mnl import stacked_covariance

    X, _ = _design(X)
    codes, J = _codes(y)
    if J < 3:
        raise ValueError("IIA tests need at least 3 outcomes")
    base = _base_for(codes, J, omitted, rebase_to)
    full_order = [base] + [j for j in range(J) if j != base]
    sub_order = [j for j in full_order if j != omitted]
    keep = codes != omitted
    full_codes, sub_codes = _recode(codes, full_order), _recode(codes[keep], sub_order)
    full, restricted = _fit_mnl(full_codes, X), _fit_mnl(sub_codes, X[keep])
    labels = np.arange(codes.size) if groups is None else np.asarray(groups)
    V = stacked_covariance([(X, full_codes, full.params, labels),
                            (X[keep], sub_codes, restricted.params, labels[keep])], kind="cluster")
    k = X.shape[1]
    offset = (J - 1) * k
    f_idx = np.array([(full_order.index(j) - 1) * k + c for j in sub_order[1:] for c in range(k)])
    r_idx = offset + np.arange((len(sub_order) - 1) * k)
    difference = _theta(restricted) - _theta(full)[f_idx]
    V_diff = V[np.ix_(r_idx, r_idx)] + V[np.ix_(f_idx, f_idx)] - V[np.ix_(r_idx, f_idx)] - V[np.ix_(f_idx, r_idx)]
    V_diff = (V_diff + V_diff.T) / 2
    df = int(np.linalg.matrix_rank(V_diff, hermitian=True))
    statistic = max(0.0, float(difference @ np.linalg.pinv(V_diff, hermitian=True) @ difference))
    return ChiSquareTest(statistic, df, _chi2_sf(statistic, df))


def small_hsiao_splits(y, X, omitted: int, seed, n_splits: int, *, split: str = "half") -> pd.DataFrame:
    """The Small–Hsiao test over many random splits of the sample.

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (``J >= 3``, 0 = base).
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    omitted : int
        The outcome code left out of the restricted choice set.
    seed : int
        Split ``s`` uses the seed sequence ``(seed, s)``: the same splits on every run.
    n_splits : int
        How many splits.
    split : {"half", "coin"}, default "half"
        As in :func:`small_hsiao`.

    Returns
    -------
    DataFrame
        One row per split: ``split, statistic, df, p_value``; a split that leaves an outcome empty
        in one half has NaN values (it is counted, not dropped).

    Notes
    -----
    One split gives one draw of a test whose outcome depends on the split (Cheng & Long 2007):
    the distribution of the p-values over many splits, not one of them, is what a reader can
    rely on.
    """
    rows = []
    for number in range(n_splits):
        try:
            test = small_hsiao(y, X, omitted, np.random.SeedSequence([int(seed), number]), split=split)
        except ValueError:
            test = ChiSquareTest(math.nan, math.nan, math.nan)
        rows.append((number, test.statistic, test.df, test.p_value))
    return pd.DataFrame(rows, columns=["split", "statistic", "df", "p_value"])


def _relative_theta(B: np.ndarray) -> np.ndarray:
    """Equation-major ``theta`` of coefficients ``B`` (``k, m``) relative to its first column."""
    return (B[:, 1:] - B[:, [0]]).T.ravel()


def iia_tests(y, X, seed, *, include_base: bool = False, labels: Sequence | None = None,
              split: str = "half") -> pd.DataFrame:
    """Hausman-McFadden and Small-Hsiao IIA tests omitting each outcome in turn.

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1`` (0 = base), ``J >= 3``.
    X : array-like or DataFrame of shape (n, k)
        Design matrix.
    seed : int or numpy Generator seed
        One random half split shared by all Small-Hsiao tests (as SPost).
    include_base : bool, default False
        Omits every non-base outcome; with ``include_base`` also the base (re-based Hausman, see
        :func:`hausman_mcfadden`; SPost's ``base`` option).
    labels : sequence, optional
        Names of the ``J`` outcomes for column ``omitted`` (default the codes).
    split : {"half", "coin"}, default "half"
        The split of :func:`small_hsiao`.

    Returns
    -------
    DataFrame
        Two rows per omitted outcome: ``omitted, test (hausman_mcfadden | small_hsiao), statistic,
        df, p_value, note``; ``note`` flags a negative Hausman statistic (p-value ``nan``).
    """
    codes, J = _codes(y)
    label = (lambda j: j) if labels is None else (lambda j: labels[j])
    rows = []
    for omitted in range(0 if include_base else 1, J):
        hm = hausman_mcfadden(codes, X, omitted)
        note = NEGATIVE_HAUSMAN_NOTE if hm.statistic < 0 else ""
        rows.append((label(omitted), "hausman_mcfadden", hm.statistic, hm.df, hm.p_value, note))
        sh = small_hsiao(codes, X, omitted, seed, split=split)
        rows.append((label(omitted), "small_hsiao", sh.statistic, sh.df, sh.p_value, ""))
    return pd.DataFrame(rows, columns=IIA_COLUMNS)


# --------------------------------------------------------------------------------------------
# 5-6. fit statistics and classification
# --------------------------------------------------------------------------------------------


def null_loglik(y, n_outcomes: int | None = None, weights=None) -> float:
    """Closed-form log-likelihood of the intercept-only MNL: ``sum_j n_j log(n_j / N)``.

    Exact for any MNL with an intercept (its ML fitted probabilities are the sample shares).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1``; a code need not occur.
    n_outcomes : int, optional
        ``J`` (default the largest code + 1).
    weights : array-like of shape (n,), optional
        Frequency weights (``n_j`` weighted).

    Returns
    -------
    float
        The log-likelihood, in nats.
    """
    codes, J = _codes(y, n_outcomes, require_all=False)
    w = np.ones(codes.size) if weights is None else np.asarray(weights, dtype=float)
    counts = np.bincount(codes, weights=w, minlength=J)
    total = counts.sum()
    present = counts > 0
    return float((counts[present] * np.log(counts[present] / total)).sum())


def fit_statistics(y, probabilities, loglik: float, n_params: int, weights=None) -> pd.DataFrame:
    """Fit statistics of a fitted MNL (Long 1997, ch. 4.3 and 6; SPost ``fitstat``; Stata ``mlogit``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1``.
    probabilities : array-like of shape (n, J)
        Fitted probabilities (column ``j`` = outcome ``j``).
    loglik : float
        The model's log-likelihood ``LL``.
    n_params : int
        ``K``, the number of estimated coefficients including intercepts (``(J-1) k`` for an MNL).
    weights : array-like of shape (n,), optional
        Frequency weights: then ``N = sum(weights)``, counts are weighted and ``loglik`` must be
        the weighted log-likelihood.

    Returns
    -------
    DataFrame
        Columns ``statistic, value``, one row per statistic listed below (all values float).

    Raises
    ------
    ValueError
        If ``probabilities`` is not 2-d or has another number of rows than ``y``.

    Notes
    -----
    Rows (``statistic, value``):

    * ``log_likelihood`` ``LL``; ``log_likelihood_null`` ``LL0 = sum_j n_j log(n_j/N)`` (closed
      form, exact for a model with an intercept);
    * ``lr_chi2 = 2 (LL - LL0)``, ``lr_df = K - (J-1)``, ``lr_p_value``;
    * ``mcfadden_r2 = 1 - LL/LL0``; ``mcfadden_adj_r2 = 1 - (LL - K)/LL0``;
    * ``cox_snell_r2`` (maximum-likelihood R2) ``= 1 - exp(2 (LL0 - LL) / N)``;
    * ``nagelkerke_r2`` (Cragg-Uhler) ``= cox_snell_r2 / (1 - exp(2 LL0 / N))``;
    * ``count_r2`` = share correctly classified (prediction = argmax of the probabilities,
      lowest code on ties); ``adj_count_r2 = (correct - max_j n_j) / (N - max_j n_j)``;
    * ``aic = -2 LL + 2 K`` (Stata ``estat ic``, statsmodels); ``aic_per_obs = aic / N`` (Long's AIC);
    * ``bic = -2 LL + K ln N`` (Stata ``estat ic`` / ``e(bic)``, statsmodels ``bic``);
      ``bic_prime = -lr_chi2 + lr_df ln N`` (Raftery's BIC', Long 1997 / SPost ``fitstat``);
    * ``n_obs`` ``N``; ``n_params`` ``K``.

    Checked (tests/stats/test_mnl_tests.py) against Stata 11 ``mlogit`` on ANES 1996 as shipped with
    statsmodels (``statsmodels.discrete.tests.results.results_discrete.Anes.mnlogit_basezero``):
    ``e(ll)``, ``e(ll_0)``, ``e(chi2)``, ``e(df_m)``, ``e(p)``, ``e(r2_p)``, AIC, BIC and ``e(N)``
    agree to 1e-4 or better; the other statistics against Long's formulas.
    """
    from scipy import stats

    P = np.asarray(probabilities, dtype=float)
    if P.ndim != 2:
        raise ValueError("probabilities must be (n, J)")
    codes, J = _codes(y, P.shape[1], require_all=False)
    if P.shape[0] != codes.size:
        raise ValueError("probabilities and y have different numbers of rows")
    w = np.ones(codes.size) if weights is None else np.asarray(weights, dtype=float)
    N = float(w.sum())
    K = int(n_params)
    LL = float(loglik)
    LL0 = null_loglik(codes, J, w)
    counts = np.bincount(codes, weights=w, minlength=J)
    correct = float(w[P.argmax(axis=1) == codes].sum())
    lr = 2.0 * (LL - LL0)
    lr_df = K - (J - 1)
    cox_snell = 1.0 - math.exp(2.0 * (LL0 - LL) / N)
    values = {
        "log_likelihood": LL,
        "log_likelihood_null": LL0,
        "lr_chi2": lr,
        "lr_df": float(lr_df),
        "lr_p_value": float(stats.chi2.sf(lr, lr_df)) if lr_df > 0 else math.nan,
        "mcfadden_r2": 1.0 - LL / LL0,
        "mcfadden_adj_r2": 1.0 - (LL - K) / LL0,
        "cox_snell_r2": cox_snell,
        "nagelkerke_r2": cox_snell / (1.0 - math.exp(2.0 * LL0 / N)),
        "count_r2": correct / N,
        "adj_count_r2": (correct - counts.max()) / (N - counts.max()),
        "aic": -2.0 * LL + 2.0 * K,
        "aic_per_obs": (-2.0 * LL + 2.0 * K) / N,
        "bic": -2.0 * LL + K * math.log(N),
        "bic_prime": -lr + lr_df * math.log(N),
        "n_obs": N,
        "n_params": float(K),
    }
    return pd.DataFrame({"statistic": list(values), "value": list(values.values())})


def classification_table(y, probabilities, labels: Sequence | None = None) -> pd.DataFrame:
    """Observed x predicted counts (prediction = argmax of the probabilities).

    Parameters
    ----------
    y : array-like of shape (n,)
        Codes ``0..J-1``.
    probabilities : array-like of shape (n, J)
        Fitted probabilities.
    labels : sequence, optional
        ``J`` outcome names (default the codes).

    Returns
    -------
    DataFrame of shape (J + 1, J + 1)
        Integer counts. Rows are observed outcomes (index name ``observed``), columns predicted
        ones (``predicted``), each with a ``Total`` margin; the diagonal sum over ``N`` is the
        count R2.

    Raises
    ------
    ValueError
        If ``labels`` does not have ``J`` entries.
    """
    P = np.asarray(probabilities, dtype=float)
    codes, J = _codes(y, P.shape[1], require_all=False)
    labels = list(range(J)) if labels is None else list(labels)
    if len(labels) != J:
        raise ValueError(f"{len(labels)} labels for {J} outcomes")
    table = np.zeros((J + 1, J + 1), dtype=int)
    np.add.at(table, (codes, P.argmax(axis=1)), 1)
    table[J, :J] = table[:J, :J].sum(axis=0)
    table[:, J] = table[:, :J].sum(axis=1)
    index = pd.Index(labels + ["Total"], name="observed", dtype=object)
    columns = pd.Index(labels + ["Total"], name="predicted", dtype=object)
    return pd.DataFrame(table, index=index, columns=columns)
