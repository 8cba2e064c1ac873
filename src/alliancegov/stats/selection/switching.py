"""Switching regressions after a multinomial logit (Lee 1983; Bourguignon, Fournier & Gurgand 2007):
one outcome equation per alternative, fitted on the units that chose it, each with its own
coefficients and its own selection-correction terms; the counterfactual outcome of every unit under
every alternative; and the outcome forgone against the best predicted alternative.

Generic: nothing here knows about the survey. statsmodels has no multinomial selection model (its
``Heckman`` sandbox class is binary), and Stata's ``selmlog`` fits one alternative per call: here
every alternative is fitted in one pass by least squares on the rows that chose it, with the terms
of :mod:`alliancegov.stats.selection.terms` (``selmlog``'s conventions, see the package docstring).
Standard errors are not computed here: the second-stage OLS ones ignore the estimation of the
probabilities, so the caller bootstraps both stages.

Conventions
-----------
``X``
    (n, k) outcome design (with its intercept column), the same columns for every alternative.
``specific``
    Optional alternative-specific regressors: name → (n, J) array whose column ``j`` is the
    regressor's value for a unit under alternative ``j`` (e.g. the misfit 1 − P_ij of the unit
    with alternative ``j``). Alternative ``j``'s equation uses column ``j`` on the units that chose
    ``j``; the counterfactual under ``j`` uses column ``j`` for every unit.
``chosen``
    (n,) integer codes ``0 .. J-1`` of the chosen alternatives.
``probabilities``
    (n, J) first-stage probabilities (see :mod:`alliancegov.stats.selection.terms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.stats.products import tall_times_thin

__all__ = ["SwitchingFit", "counterfactual_gap", "counterfactual_predictions", "joint_bootstrap_test",
           "switching_regression", "switching_regressions"]

# A regime's design (equilibrated columns) is rank deficient when its condition number passes this:
# about 10 of the 16 digits would be lost.
_CONDITION_LIMIT = 1e10


@dataclass(frozen=True)
class SwitchingFit:
    """The per-alternative equations of :func:`switching_regression`.

    Attributes
    ----------
    coefficients : list of Series
        One per alternative ``j = 0 .. J-1``: the coefficients of the outcome design's columns
        (``design_names``, outcome units per unit of each column), of the alternative-specific
        regressors (``specific_names``), then of the selection terms (``term_names[j]``).
    design_names : list of str
        The k outcome design columns.
    specific_names : list of str
        The alternative-specific regressors.
    term_names : list of list of str
        The selection terms of each alternative's equation (empty without a correction).
    n : ndarray of shape (J,)
        Units that chose each alternative (the rows of its equation).
    method : str or None
        The correction (a :data:`~alliancegov.stats.selection.terms.METHODS` entry) or None.
    """

    coefficients: list[pd.Series]
    design_names: list[str]
    specific_names: list[str]
    term_names: list[list[str]]
    n: np.ndarray
    method: str | None

    @property
    def slopes(self) -> np.ndarray:
        """The regressors' coefficients (design, then alternative-specific), shape (k + s, J): column
        ``j`` is alternative ``j``'s ``beta_j``."""
        k = len(self.design_names) + len(self.specific_names)
        return np.column_stack([c.iloc[:k].to_numpy(float) for c in self.coefficients])


def _solve(X: np.ndarray, y: np.ndarray, what: str) -> np.ndarray:
    """Least squares of ``y`` on ``X``, refusing a rank-deficient design (a resample may lack a level)."""
    from alliancegov.stats.least_squares import least_squares

    if X.shape[0] <= X.shape[1]:
        raise ValueError(f"{what}: {X.shape[0]} rows for {X.shape[1]} coefficients")
    try:
        return least_squares(X, y, condition_limit=_CONDITION_LIMIT)
    except ValueError as error:
        raise ValueError(f"{what}: {error}") from None


def _specific(specific: dict | None, n: int, J: int) -> dict[str, np.ndarray]:
    out = {name: np.asarray(values, dtype=float) for name, values in (specific or {}).items()}
    for name, values in out.items():
        if values.shape != (n, J):
            raise ValueError(f"the alternative-specific regressor {name!r} must be ({n}, {J}); got {values.shape}")
    return out


def switching_regression(y, X, chosen, probabilities=None, method: str | None = None, *,
                         names: Sequence[str] | None = None, labels: Sequence | None = None,
                         specific: dict | None = None, degree: int = 2, quadrature: str = "tanh-sinh") -> SwitchingFit:
    """One OLS per alternative on the units that chose it, with that alternative's selection terms.

    Parameters
    ----------
    y : array-like of shape (n,)
        The outcome.
    X : array-like of shape (n, k)
        The outcome design, its intercept included.
    chosen : array-like of shape (n,)
        Integer codes ``0 .. J-1`` of the chosen alternatives.
    probabilities : array-like of shape (n, J), optional
        The first stage's probabilities; required with a ``method``.
    method : {None, "lee", "dmf", "dmf0", "dmf2", "dahl"}
        None fits each alternative by plain OLS (regression adjustment, no correction); otherwise
        the terms of :func:`~alliancegov.stats.selection.terms.selection_terms` enter each
        equation (for ``dmf0`` without the chosen alternative's column, identically 0).
    names : sequence of str, optional
        The k design column names (default ``x0 .. x{k-1}``).
    labels : sequence, optional
        The J alternatives' names, used in the terms' names (default ``0 .. J-1``).
    specific : dict of str to array-like of shape (n, J), optional
        Alternative-specific regressors (see the module's conventions).
    degree : int
        Polynomial degree of ``dahl``.
    quadrature : {"tanh-sinh", "selmlog"}
        The ``dmf2`` integral's rule.

    Returns
    -------
    SwitchingFit
        The coefficients of every alternative's equation.

    Raises
    ------
    ValueError
        If the shapes disagree, a method is given without probabilities, or an alternative has no
        more units than coefficients or a rank-deficient design (naming it).
    """
    return switching_regressions(y, X, chosen, probabilities, [method], names=names, labels=labels,
                                 specific=specific, degree=degree, quadrature=quadrature)[method]


def switching_regressions(y, X, chosen, probabilities=None, methods: Sequence[str | None] = (None,), *,
                          names: Sequence[str] | None = None, labels: Sequence | None = None,
                          specific: dict | None = None, degree: int = 2,
                          quadrature: str = "tanh-sinh") -> dict[str | None, SwitchingFit]:
    """:func:`switching_regression` under several corrections of the same data in one pass.

    Each alternative's rows of ``X`` and ``specific`` are gathered once for all the corrections:
    on a million units, gathering them again for every correction took most of a bootstrap
    resample's time.

    Parameters
    ----------
    y, X, chosen, probabilities, names, labels, specific, degree, quadrature
        As in :func:`switching_regression`.
    methods : sequence of {None, "lee", "dmf", "dmf0", "dmf2", "dahl"}
        The corrections, None for plain OLS.

    Returns
    -------
    dict of (str or None) to SwitchingFit
        Each method's per-alternative equations, in the order of ``methods``.

    Raises
    ------
    ValueError
        As :func:`switching_regression`, for the first method that fails.
    """
    from alliancegov.stats.selection.terms import selection_terms

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    codes = np.asarray(chosen).astype(int)
    if X.ndim != 2 or y.shape != (X.shape[0],) or codes.shape != y.shape:
        raise ValueError(f"y {y.shape}, X {X.shape} and chosen {codes.shape} must have n rows")
    names = list(names) if names is not None else [f"x{c}" for c in range(X.shape[1])]
    if probabilities is None:
        corrected = [method for method in methods if method is not None]
        if corrected:
            raise ValueError(f"the {corrected[0]!r} correction needs the first-stage probabilities")
        J = int(codes.max()) + 1 if labels is None else len(labels)
    else:
        probabilities = np.asarray(probabilities, float)
        J = probabilities.shape[1]
    labels = list(labels) if labels is not None else list(range(J))
    specific = _specific(specific, len(y), J)
    rows_of = [np.flatnonzero(codes == j) for j in range(J)]
    regressors = [np.column_stack([X[rows], *(values[rows, j] for values in specific.values())])
                  for j, rows in enumerate(rows_of)]
    counts = np.array([len(rows) for rows in rows_of])
    fits = {}
    for method in methods:
        terms = (selection_terms(probabilities, codes, method, degree=degree, labels=labels, quadrature=quadrature)
                 if method else pd.DataFrame(index=range(len(y))))
        values, columns = terms.to_numpy(float), list(terms.columns)
        coefficients, term_names = [], []
        for j, rows in enumerate(rows_of):
            own = [c for c, name in enumerate(columns) if not (method == "dmf0" and name == f"dmf0[{labels[j]}]")]
            design = np.column_stack([regressors[j], values[rows][:, own]]) if own else regressors[j]
            beta = _solve(design, y[rows], f"the equation of {labels[j]}")
            coefficients.append(pd.Series(beta, index=[*names, *specific, *(columns[c] for c in own)]))
            term_names.append([columns[c] for c in own])
        fits[method] = SwitchingFit(coefficients, names, list(specific), term_names, counts, method)
    return fits


def counterfactual_predictions(X, fit: SwitchingFit, specific: dict | None = None) -> np.ndarray:
    """Every unit's expected outcome under every alternative: ``x_ij beta_j``.

    The selection terms are left at their population mean, 0 (see the package docstring), so
    this is the outcome a unit with regressors ``x_i`` would be expected to reach under ``j``
    whatever it chose (Masten, Meehan & Snyder 1991; Hamilton & Nickerson 2003).

    Parameters
    ----------
    X : array-like of shape (n, k)
        The outcome design (the columns of ``fit.design_names``).
    fit : SwitchingFit
        The per-alternative equations.
    specific : dict of str to array-like of shape (n, J), optional
        The alternative-specific regressors of ``fit.specific_names``, column ``j`` used under ``j``.

    Returns
    -------
    ndarray of shape (n, J)
        Predicted outcomes, in outcome units.
    """
    X = np.asarray(X, dtype=float)
    slopes = fit.slopes
    J = slopes.shape[1]
    specific = _specific(specific, X.shape[0], J)
    if list(specific) != fit.specific_names:
        raise ValueError(f"the fit has the alternative-specific regressors {fit.specific_names}, not {list(specific)}")
    k = X.shape[1]
    predictions = tall_times_thin(X, slopes[:k])
    for m, values in enumerate(specific.values()):
        predictions += values * slopes[k + m]
    return predictions


def counterfactual_gap(predictions, chosen) -> tuple[np.ndarray, np.ndarray]:
    """The outcome each unit forgoes against its best predicted alternative.

    Parameters
    ----------
    predictions : array-like of shape (n, J)
        Predicted outcomes under each alternative (:func:`counterfactual_predictions`).
    chosen : array-like of shape (n,)
        Integer codes ``0 .. J-1`` of the chosen alternatives.

    Returns
    -------
    gap : ndarray of shape (n,)
        ``max_j prediction_ij - prediction_is``, at least 0 (outcome units).
    best : ndarray of shape (n,)
        The code of the best predicted alternative (the lowest on a tie).

    Notes
    -----
    A maximum over estimated predictions is biased upward: with equal true equations the
    estimated gap is still positive, so a gap is read with its interval and against the truth,
    never tested against 0.
    """
    predictions = np.asarray(predictions, dtype=float)
    codes = np.asarray(chosen).astype(int)
    best = predictions.argmax(axis=1)
    rows = np.arange(len(codes))
    return predictions[rows, best] - predictions[rows, codes], best


def joint_bootstrap_test(draws, estimate, positions) -> tuple[float, int, float]:
    """Bootstrap test that several estimates are jointly 0, with the resamples' covariance.

    The statistic is the Wald form ``b' V^-1 b`` of the tested estimates ``b`` with ``V`` the
    covariance of their resamples; its null distribution is that of the resamples' centred
    statistics ``(b*_r - b)' V^-1 (b*_r - b)`` (a percentile-t test, Davison & Hinkley 1997,
    §4.4.1), so no chi-square approximation is needed.

    Parameters
    ----------
    draws : array-like of shape (B, p)
        The successful resamples' estimates.
    estimate : array-like of shape (p,)
        The full-sample estimates.
    positions : sequence of int
        The tested estimates' positions.

    Returns
    -------
    statistic : float
        ``b' V^-1 b`` (a pseudo-inverse when V is singular).
    df : int
        The rank of ``V``.
    p_value : float
        ``(1 + #{centred statistic >= statistic}) / (B + 1)``, never 0 (NaN without resamples).
    """
    draws = np.asarray(draws, dtype=float)[:, list(positions)]
    b = np.asarray(estimate, dtype=float)[list(positions)]
    if len(draws) < 2:
        return np.nan, len(b), np.nan
    cov = np.atleast_2d(np.cov(draws, rowvar=False))
    inverse = np.linalg.pinv(cov, hermitian=True)
    statistic = float(b @ inverse @ b)
    centred = draws - b
    null = np.einsum("ri,ij,rj->r", centred, inverse, centred)
    return statistic, int(np.linalg.matrix_rank(cov)), float((1 + np.sum(null >= statistic)) / (len(draws) + 1))
