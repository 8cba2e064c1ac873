"""Selection-correction terms for an outcome equation after a multinomial logit (MNL) of the choice.

Generic: nothing here knows about the survey. The first stage is an MNL of the chosen alternative
(here: the governance form) giving predicted probabilities ``P`` of shape (n, J); the second stage is
an OLS of the outcome on its regressors plus the correction terms computed here, as in Stata's
``selmlog`` (Bourguignon, Fournier & Gurgand; version 13 of the ado file, Fournier & Gurgand 2006).

Model and notation (Bourguignon, Fournier & Gurgand 2007, *J. Economic Surveys* 21:174-205, "BFG")
--------------------------------------------------------------------------------------------------
Latent utilities ``y*_j = z gamma_j + eta_j`` with ``eta_j`` iid standard Gumbel (MNL); alternative
``s`` is chosen when ``y*_s`` is the largest; the outcome equation of alternative ``s`` is
``y_s = x beta_s + u_s``, observed only when ``s`` is chosen. The terms below are functions of the
MNL probabilities whose coefficients absorb the covariances between ``u_s`` and the choice errors.

``lee`` (Lee 1983), one term
    ``m = phi(Phi^-1(P_s)) / P_s``, the inverse Mills ratio of the normalised selection index. Under
    Lee's assumption ``E[u_s | y=s] = -sigma rho * m``, so the OLS coefficient of ``m`` estimates
    ``-sigma rho``. NOTE: ``selmlog`` generates ``_m = -phi(Phi^-1(P_s)) / P_s`` (the opposite sign),
    so its coefficient is ``+sigma rho``; only the sign of the coefficient differs.

``dmf`` (Dubin & McFadden 1984 with the correlation restriction relaxed, BFG's "DMF";
``selmlog, dmf(1)``), J terms
    column ``s`` (the chosen alternative): ``-ln P_s``; column ``j != s``:
    ``P_j ln P_j / (1 - P_j)``. These are exactly ``E[eta_j - Euler | y = s]`` under the MNL, so
    with ``E[u_s | eta] = sum_j c_j (eta_j - Euler)`` the coefficients are the ``c_j``
    (BFG write ``c_j = sigma r_j sqrt(6) / pi``).

``dmf0`` (the original Dubin & McFadden restriction ``sum_j r_j = 0``; ``selmlog, dmf(0)``), J-1
terms
    column ``j != s``: ``P_j ln P_j / (1 - P_j) + ln P_s``; column ``s`` is identically 0 (it does
    not exist in the original method: drop it within each selected alternative).

``dmf2`` (BFG's variant with the normality transformation, ``selmlog, dmf(2)``), J terms
    with ``eta*_j = Phi^-1(G(eta_j))`` (``G`` the Gumbel cdf) standard normal and
    ``E[u_s | eta] = sigma sum_j r*_j eta*_j``:
    column ``s``: ``m(P_s)``; column ``j != s``: ``m(P_j) P_j / (P_j - 1)``, where
    ``m(P) = integral Phi^-1(G(v - ln P)) g(v) dv`` (``g`` the Gumbel density), i.e.
    ``E[eta*_j | y = j]``. Substituting ``x = exp(-v)`` gives ``selmlog``'s form
    ``m(P) = int_0^inf Phi^-1(exp(-P x)) exp(-x) dx``, and ``w = exp(-P x)^(1/P)`` gives
    ``m(P) = int_0^1 Phi^-1(w^P) dw`` (the mean of ``Phi^-1`` of a Beta(1/P, 1) draw; for
    ``P = 1/k``, the mean of the largest of ``k`` iid standard normals, e.g. ``m(1/2) = 1/sqrt(pi)``).
    The coefficients estimate ``sigma r*_j``. ``selmlog`` evaluates ``m`` with a 15-node
    Gauss-Laguerre rule, which under-states ``m`` by about 0.007-0.015 (the integrand is singular
    at ``x = 0``); here the default is a tanh-sinh rule accurate to ~1e-15, and
    ``quadrature="selmlog"`` reproduces Stata's numbers.

``dahl`` (Dahl 2002, single-index version: ``selmlog, dhl(d one)``), ``degree`` terms
    ``P_s, P_s^2, ..., P_s^degree`` (a polynomial in the probability of the chosen alternative;
    the constant is absorbed by the outcome equation's intercept).

Why these formulas hold for ``j != s``: under the MNL the distribution of ``eta_j`` given that some
``k != j`` is chosen does not depend on ``k`` (given ``eta_j``, which of the others wins is
independent of ``eta_j``), so ``E[f(eta_j) | y = s] = E[f(eta_j) | y != j]
= -P_j E[f(eta_j) | y = j] / (1 - P_j)`` whenever ``E f(eta_j) = 0``. With ``f(e) = e - Euler``,
``E[f | y = j] = -ln P_j`` gives the DMF term; with ``f = Phi^-1(G(.))`` it gives the DMF2 term.

Per-form versus pooled use
--------------------------
BFG (and ``selmlog``) estimate the outcome equation separately on the observations that chose each
alternative ``s``; the regressors are then the J (or J-1, or 1) columns returned here for those
rows. For a pooled regression, interact every column with the indicators of the chosen
alternative (``term_j * 1[chosen == s]`` for every ``s``) so each form has its own coefficients.

Conventions
-----------
``probabilities``
    (n, J) array or DataFrame of predicted MNL probabilities; every entry strictly inside (0, 1)
    and every row summing to 1 (within 1e-6). A DataFrame's column labels name the terms and its
    index is kept.
``chosen``
    (n,) integer codes ``0 .. J-1``: the position of the chosen alternative in the columns of
    ``probabilities`` (use ``pandas.Categorical(...).codes`` for labelled data).

numpy and pandas are imported at module level, scipy inside the functions that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "METHODS",
    "FirstStageTest",
    "bfg_dmf2_terms",
    "dahl_terms",
    "dmf2_mean",
    "dubin_mcfadden_terms",
    "excluded_indices",
    "first_stage_strength",
    "lee_term",
    "selection_terms",
]

METHODS = ("lee", "dmf", "dmf0", "dmf2", "dahl")
ROW_SUM_TOLERANCE = 1e-6

# tanh-sinh rule on (0, 1): w(t) = expit(pi sinh t), dw = w (1 - w) pi cosh t dt. With h = 1/16 on
# |t| <= 3.2 the rule reproduces an adaptive quadrature of m(P) to ~1e-15 for P in [1e-6, 1 - 1e-6].
_TANH_SINH_STEP = 1.0 / 16.0
_TANH_SINH_HALF_WIDTH = 3.2
_CHUNK_VALUES = 8192


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


def _check_probabilities(probabilities) -> np.ndarray:
    P = np.asarray(probabilities, dtype=float)
    if P.ndim != 2:
        raise ValueError(f"probabilities must be a 2-D (n, J) array; got shape {P.shape}")
    n, J = P.shape
    if n == 0:
        raise ValueError("probabilities has no rows")
    if J < 2:
        raise ValueError(f"probabilities needs at least 2 alternatives (columns); got {J}")
    if not np.all(np.isfinite(P)):
        row = int(np.argwhere(~np.isfinite(P))[0, 0])
        raise ValueError(f"probabilities must be finite; row {row} is not")
    outside = (P <= 0.0) | (P >= 1.0)
    if outside.any():
        row, col = (int(v) for v in np.argwhere(outside)[0])
        raise ValueError(
            "probabilities must lie strictly inside (0, 1) (the correction terms are infinite at 0 "
            f"or 1); found {P[row, col]!r} at row {row}, column {col} ({int(outside.sum())} such entries)"
        )
    sums = P.sum(axis=1)
    bad = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"each row of probabilities must sum to 1 (tolerance {ROW_SUM_TOLERANCE:g}); row {row} sums to "
            f"{sums[row]!r} ({int(bad.sum())} such rows)"
        )
    return P


def _check_chosen(chosen, n: int, J: int) -> np.ndarray:
    raw = np.asarray(chosen)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise ValueError(f"chosen must be a 1-D array of length {n} (one code per row); got shape {raw.shape}")
    try:
        values = raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError("chosen must hold integer codes 0 .. J-1 (positions of the probability columns)") from exc
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise ValueError("chosen must hold integer codes 0 .. J-1 without missing values")
    codes = values.astype(np.int64)
    if codes.min() < 0 or codes.max() >= J:
        raise ValueError(f"chosen codes must lie in 0 .. {J - 1}; got range {codes.min()} .. {codes.max()}")
    return codes


def _prepare(probabilities, chosen) -> tuple[np.ndarray, np.ndarray]:
    P = _check_probabilities(probabilities)
    s = _check_chosen(chosen, P.shape[0], P.shape[1])
    return P, s


def _own(P: np.ndarray, s: np.ndarray) -> np.ndarray:
    return P[np.arange(P.shape[0]), s]


# --------------------------------------------------------------------------------------------
# the terms
# --------------------------------------------------------------------------------------------


def lee_term(probabilities, chosen) -> np.ndarray:
    """Lee's (1983) correction ``phi(Phi^-1(P_is)) / P_is`` for the chosen alternative ``s``.

    Parameters
    ----------
    probabilities : array-like of shape (n, J)
        MNL probabilities, strictly inside (0, 1), rows summing to 1.
    chosen : array-like of shape (n,)
        Integer codes ``0 .. J-1`` of the chosen alternatives.

    Returns
    -------
    ndarray of shape (n,)
        Positive. Its OLS coefficient estimates ``-sigma rho`` (``selmlog`` uses the negative of
        this term, hence the opposite sign).

    Raises
    ------
    ValueError
        If ``probabilities`` or ``chosen`` break the module's conventions.
    """
    from scipy import special, stats

    P, s = _prepare(probabilities, chosen)
    own = _own(P, s)
    return stats.norm.pdf(special.ndtri(own)) / own


def dubin_mcfadden_terms(probabilities, chosen, restricted: bool = False) -> np.ndarray:
    """Dubin-McFadden (1984) correction terms, one column per alternative.

    Parameters
    ----------
    probabilities : array-like of shape (n, J)
        MNL probabilities, strictly inside (0, 1), rows summing to 1.
    chosen : array-like of shape (n,)
        Integer codes ``0 .. J-1`` of the chosen alternatives.
    restricted : bool, default False
        False gives BFG's "DMF" (``selmlog, dmf(1)``): column ``s`` (chosen) is ``-ln P_s`` and
        column ``j != s`` is ``P_j ln P_j / (1 - P_j)``. True gives the original DMF with
        ``sum_j r_j = 0`` imposed (``selmlog, dmf(0)``): column ``j != s`` is
        ``P_j ln P_j / (1 - P_j) + ln P_s`` and column ``s`` is 0 (drop it within each form).

    Returns
    -------
    ndarray of shape (n, J)
        Column ``j`` equals ``E[eta_j - Euler | chosen = s]`` under the MNL (restricted: that
        minus ``E[eta_s - Euler | chosen = s]``).

    Raises
    ------
    ValueError
        If ``probabilities`` or ``chosen`` break the module's conventions.
    """
    P, s = _prepare(probabilities, chosen)
    rows = np.arange(P.shape[0])
    logP = np.log(P)
    terms = P * logP / (1.0 - P)
    if restricted:
        terms = terms + logP[rows, s][:, None]
        terms[rows, s] = 0.0
    else:
        terms[rows, s] = -logP[rows, s]
    return terms


def _dmf2_mean_tanh_sinh(p: np.ndarray) -> np.ndarray:
    from scipy import special

    t = np.arange(-_TANH_SINH_HALF_WIDTH, _TANH_SINH_HALF_WIDTH + _TANH_SINH_STEP / 2, _TANH_SINH_STEP)
    a = np.pi * np.sinh(t)
    log_w = -np.logaddexp(0.0, -a)  # log expit(a), exact in both tails
    weights = _TANH_SINH_STEP * special.expit(a) * special.expit(-a) * np.pi * np.cosh(t)
    out = np.empty(p.shape, dtype=float)
    flat_p, flat_out = p.ravel(), out.reshape(-1)
    for start in range(0, flat_p.size, _CHUNK_VALUES):
        chunk = flat_p[start:start + _CHUNK_VALUES]
        # Phi^-1(w^P) = ndtri_exp(P log w), accurate when w^P is close to 0 or to 1
        flat_out[start:start + _CHUNK_VALUES] = special.ndtri_exp(np.multiply.outer(chunk, log_w)) @ weights
    return out


def _dmf2_mean_selmlog(p: np.ndarray) -> np.ndarray:
    from scipy import special

    nodes, weights = np.polynomial.laguerre.laggauss(15)  # selmlog's glquad table (15 nodes)
    out = np.empty(p.shape, dtype=float)
    flat_p, flat_out = p.ravel(), out.reshape(-1)
    for start in range(0, flat_p.size, _CHUNK_VALUES):
        chunk = flat_p[start:start + _CHUNK_VALUES]
        flat_out[start:start + _CHUNK_VALUES] = special.ndtri_exp(-np.multiply.outer(chunk, nodes)) @ weights
    return out


def dmf2_mean(p, quadrature: Literal["tanh-sinh", "selmlog"] = "tanh-sinh") -> np.ndarray:
    """BFG's ``m(P) = E[Phi^-1(G(eta_j)) | alternative j chosen]`` when ``P_j = P``.

    ``m(P) = int Phi^-1(G(v - ln P)) g(v) dv = int_0^1 Phi^-1(w^P) dw`` with ``G``/``g`` the standard
    Gumbel cdf/density. Decreasing from +inf (P -> 0) to 0 (P = 1); ``m(1/k)`` is the mean of the
    largest of ``k`` iid standard normal draws.

    Parameters
    ----------
    p : array-like
        Probabilities in (0, 1], any shape.
    quadrature : {"tanh-sinh", "selmlog"}, default "tanh-sinh"
        "tanh-sinh" is ~1e-15 accurate; "selmlog" is Stata ``selmlog``'s 15-node Gauss-Laguerre
        rule, low by ~0.01; use it only to reproduce Stata output.

    Returns
    -------
    ndarray
        ``m(p)``, of the shape of ``p``.

    Raises
    ------
    ValueError
        If a probability is not in (0, 1], or ``quadrature`` is unknown.
    """
    arr = np.asarray(p, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0.0) or np.any(arr > 1.0):
        raise ValueError("dmf2_mean needs probabilities in (0, 1]")
    if quadrature == "tanh-sinh":
        return _dmf2_mean_tanh_sinh(arr)
    if quadrature == "selmlog":
        return _dmf2_mean_selmlog(arr)
    raise ValueError(f"quadrature must be 'tanh-sinh' or 'selmlog'; got {quadrature!r}")


def bfg_dmf2_terms(probabilities, chosen, quadrature: Literal["tanh-sinh", "selmlog"] = "tanh-sinh") -> np.ndarray:
    """BFG's "DMF2" terms (Dubin-McFadden with normally transformed Gumbel errors), one per alternative.

    Parameters
    ----------
    probabilities : array-like of shape (n, J)
        MNL probabilities, strictly inside (0, 1), rows summing to 1.
    chosen : array-like of shape (n,)
        Integer codes ``0 .. J-1`` of the chosen alternatives.
    quadrature : {"tanh-sinh", "selmlog"}, default "tanh-sinh"
        See :func:`dmf2_mean`.

    Returns
    -------
    ndarray of shape (n, J)
        Column ``s`` (chosen) is ``m(P_s)`` and column ``j != s`` is ``m(P_j) P_j / (P_j - 1)``,
        i.e. ``E[Phi^-1(G(eta_j)) | chosen = s]``. Coefficients estimate ``sigma r*_j`` (``r*_j``
        the correlation of the outcome error with the normalised ``eta*_j``).

    Raises
    ------
    ValueError
        If ``probabilities`` or ``chosen`` break the module's conventions.
    """
    P, s = _prepare(probabilities, chosen)
    rows = np.arange(P.shape[0])
    m = dmf2_mean(P, quadrature=quadrature)
    terms = m * P / (P - 1.0)
    terms[rows, s] = m[rows, s]
    return terms


def dahl_terms(probabilities, chosen, degree: int = 2) -> np.ndarray:
    """Dahl's (2002) single-index correction: powers ``1 .. degree`` of the chosen alternative's probability.

    Parameters
    ----------
    probabilities : array-like of shape (n, J)
        MNL probabilities, strictly inside (0, 1), rows summing to 1.
    chosen : array-like of shape (n,)
        Integer codes ``0 .. J-1`` of the chosen alternatives.
    degree : int, default 2
        Number of polynomial terms (>= 1); BFG's "Dahl 1"/"Dahl 2" are degree 1 and 2.

    Returns
    -------
    ndarray of shape (n, degree)
        Column ``k-1`` equal to ``P_s ** k``.

    Raises
    ------
    ValueError
        If ``degree`` is not a positive integer, or the inputs break the module's conventions.
    """
    if isinstance(degree, bool) or not isinstance(degree, int | np.integer) or degree < 1:
        raise ValueError(f"degree must be a positive integer; got {degree!r}")
    P, s = _prepare(probabilities, chosen)
    own = _own(P, s)
    return own[:, None] ** np.arange(1, int(degree) + 1)[None, :]


def selection_terms(probabilities, chosen, method: str, *, degree: int = 2, labels: Sequence | None = None,
                    quadrature: Literal["tanh-sinh", "selmlog"] = "tanh-sinh") -> pd.DataFrame:
    """Correction terms as a labelled DataFrame.

    Parameters
    ----------
    probabilities : array-like or DataFrame of shape (n, J)
        MNL probabilities (see module conventions).
    chosen : array-like of shape (n,)
        Integer codes ``0 .. J-1`` (positions of the probability columns).
    method : {"lee", "dmf", "dmf0", "dmf2", "dahl"}
        "lee" (column ``lee``), "dmf" (``dmf_<label>`` for each alternative, BFG's relaxed DMF),
        "dmf0" (``dmf0_<label>``, original DMF; the chosen alternative's column is 0), "dmf2"
        (``dmf2_<label>``) or "dahl" (``dahl_1 .. dahl_<degree>``).
    degree : int, default 2
        Polynomial degree for "dahl".
    labels : sequence, optional
        J names of the alternatives used in column names; default the DataFrame's columns, else
        ``0 .. J-1``.
    quadrature : {"tanh-sinh", "selmlog"}, default "tanh-sinh"
        For "dmf2", see :func:`dmf2_mean`.

    Returns
    -------
    DataFrame
        n rows (index taken from ``probabilities`` when it is a DataFrame, else 0..n-1), the
        columns named above.

    Raises
    ------
    ValueError
        If ``method`` is unknown, ``labels`` does not name J alternatives or gives duplicate
        column names, or the inputs break the module's conventions.
    """
    index = probabilities.index if isinstance(probabilities, pd.DataFrame) else None
    P, s = _prepare(probabilities, chosen)
    J = P.shape[1]
    if labels is None:
        labels = list(probabilities.columns) if isinstance(probabilities, pd.DataFrame) else list(range(J))
    labels = list(labels)
    if len(labels) != J:
        raise ValueError(f"labels must name the {J} alternatives; got {len(labels)}")
    if method == "lee":
        values, names = lee_term(P, s)[:, None], ["lee"]
    elif method == "dmf":
        values, names = dubin_mcfadden_terms(P, s), [f"dmf_{label}" for label in labels]
    elif method == "dmf0":
        values, names = dubin_mcfadden_terms(P, s, restricted=True), [f"dmf0_{label}" for label in labels]
    elif method == "dmf2":
        values, names = bfg_dmf2_terms(P, s, quadrature=quadrature), [f"dmf2_{label}" for label in labels]
    elif method == "dahl":
        values = dahl_terms(P, s, degree=degree)
        names = [f"dahl_{k}" for k in range(1, values.shape[1] + 1)]
    else:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"labels give duplicate column names: {names}")
    return pd.DataFrame(values, columns=names, index=index)


# --------------------------------------------------------------------------------------------
# first-stage strength of the exclusion restrictions
# --------------------------------------------------------------------------------------------


class FirstStageTest(NamedTuple):
    """Chi-square test that the excluded instruments are jointly zero in the MNL.

    Unpacks as ``(statistic, df, p_value, test)``.

    Attributes
    ----------
    statistic : float
        The chi-square statistic.
    df : int
        Its degrees of freedom.
    p_value : float
        The upper tail of chi-square(df).
    test : str
        "LR" or "Wald".
    """

    statistic: float
    df: int
    p_value: float
    test: str


def excluded_indices(column_names: Sequence[str], excluded: Sequence[str], n_outcomes: int) -> np.ndarray:
    """Positions of the excluded variables' coefficients in the MNL parameter vector.

    The vector is stacked equation-major (``theta = params.T.ravel()`` for statsmodels' (k, J-1)
    ``params``; the order of ``MNLogitResults.cov_params()`` and of :mod:`alliancegov.stats.mnl`),
    so column ``c`` of equation ``j = 1 .. J-1`` is element ``(j-1) * k + c``.

    Parameters
    ----------
    column_names : sequence of str
        The k names of the MNL design columns.
    excluded : sequence of str
        Names of the variables present in the MNL but excluded from the outcome equation.
    n_outcomes : int
        J, the number of alternatives (J-1 equations are estimated).

    Returns
    -------
    ndarray of shape (len(excluded) * (J-1),), int64
        The positions, sorted.

    Raises
    ------
    ValueError
        If ``column_names`` repeats a name, ``excluded`` is empty, repeats a name or names one not
        among the columns, or ``n_outcomes`` is below 2.
    """
    names = list(column_names)
    if len(set(names)) != len(names):
        raise ValueError("column_names must be unique")
    missing = [name for name in excluded if name not in names]
    if missing:
        raise ValueError(f"excluded variables not among the MNL columns: {missing}")
    if len(set(excluded)) != len(list(excluded)) or len(list(excluded)) == 0:
        raise ValueError("excluded must list at least one variable, without repeats")
    if n_outcomes < 2:
        raise ValueError("n_outcomes must be at least 2")
    k = len(names)
    cols = [names.index(name) for name in excluded]
    return np.sort(np.array([(j - 1) * k + c for j in range(1, n_outcomes) for c in cols], dtype=np.int64))


def first_stage_strength(*, llf_full: float | None = None, llf_restricted: float | None = None,
                         df: int | None = None, params=None, cov=None, indices=None) -> FirstStageTest:
    """Joint test that the excluded instruments have zero coefficients in every MNL equation.

    Identification of the selection-corrected outcome equation beyond functional form rests on
    variables that shift the choice but not the outcome; this tests their joint relevance.
    Give EITHER the likelihood-ratio inputs (``llf_full``, ``llf_restricted``, ``df``) OR the Wald
    inputs (``params``, ``cov``, ``indices``), keywords only.

    Parameters
    ----------
    llf_full : float, optional
        LR: log-likelihood of the MNL with the instruments.
    llf_restricted : float, optional
        LR: log-likelihood of the MNL on the same sample, without them.
    df : int, optional
        LR: number of restrictions = number of instruments x (J - 1).
    params : array-like of shape (k, J-1) or ((J-1) k,), optional
        Wald: the statsmodels-shaped coefficient matrix, or the equation-major vector ``theta``.
    cov : array-like of shape ((J-1) k, (J-1) k), optional
        Wald: its covariance, equation-major (e.g. robust).
    indices : array-like of int, optional
        Wald: positions in ``theta`` (see :func:`excluded_indices`).

    Returns
    -------
    FirstStageTest
        ``(statistic, df, p_value, test)`` with a chi-square(df) upper-tail p-value.

    Raises
    ------
    ValueError
        If both or neither sets of inputs are given or one is incomplete, ``df`` is not a positive
        integer, the log-likelihoods are not finite or ``llf_full`` is below ``llf_restricted``
        (the models are not nested), or the Wald inputs do not fit together, are not finite at the
        tested positions or have a zero covariance there.

    Notes
    -----
    LR: statistic ``2 (llf_full - llf_restricted)`` (a slightly negative value from rounding is
    set to 0). Wald: statistic ``b' V^-1 b`` on the sub-vector; if ``V`` is singular a
    pseudo-inverse is used and ``df`` is its rank (as Stata's ``test`` drops dependent
    constraints).

    These are asymptotic chi-square tests; there are no Stock-Yogo style weak-instrument critical
    values for a MNL first stage.
    """
    from scipy import stats

    lr_given = any(v is not None for v in (llf_full, llf_restricted, df))
    wald_given = any(v is not None for v in (params, cov, indices))
    if lr_given == wald_given:
        raise ValueError("give either (llf_full, llf_restricted, df) for the LR test or (params, cov, indices) "
                         "for the Wald test")
    if lr_given:
        if llf_full is None or llf_restricted is None or df is None:
            raise ValueError("the LR test needs llf_full, llf_restricted and df")
        if isinstance(df, bool) or int(df) != df or df < 1:
            raise ValueError(f"df must be a positive integer; got {df!r}")
        if not (np.isfinite(llf_full) and np.isfinite(llf_restricted)):
            raise ValueError("log-likelihoods must be finite")
        statistic = 2.0 * (float(llf_full) - float(llf_restricted))
        if statistic < -1e-6 * max(1.0, abs(float(llf_full))):
            raise ValueError(
                f"llf_full ({llf_full}) is below llf_restricted ({llf_restricted}): the restricted model must be "
                "nested in the full one and fitted on the same observations"
            )
        statistic = max(statistic, 0.0)
        return FirstStageTest(statistic, int(df), float(stats.chi2.sf(statistic, int(df))), "LR")

    if params is None or cov is None or indices is None:
        raise ValueError("the Wald test needs params, cov and indices")
    b = np.asarray(params, dtype=float)
    theta = b.T.ravel() if b.ndim == 2 else b.ravel()
    V = np.asarray(cov, dtype=float)
    if V.shape != (theta.size, theta.size):
        raise ValueError(f"cov must be ({theta.size}, {theta.size}) to match params; got {V.shape}")
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError("indices must be a non-empty 1-D array of integer positions")
    if idx.min() < 0 or idx.max() >= theta.size or np.unique(idx).size != idx.size:
        raise ValueError(f"indices must be distinct positions in 0 .. {theta.size - 1}")
    sub_b, sub_V = theta[idx], V[np.ix_(idx, idx)]
    if not (np.all(np.isfinite(sub_b)) and np.all(np.isfinite(sub_V))):
        raise ValueError("params and cov must be finite at the tested positions")
    sub_V = (sub_V + sub_V.T) / 2.0
    rank = int(np.linalg.matrix_rank(sub_V))
    if rank == 0:
        raise ValueError("the covariance of the tested coefficients is zero")
    statistic = float(sub_b @ np.linalg.pinv(sub_V, hermitian=True) @ sub_b)
    return FirstStageTest(statistic, rank, float(stats.chi2.sf(statistic, rank)), "Wald")
