"""The selection-correction terms of an outcome equation after a multinomial logit (MNL) of the
choice: Lee (1983), Dubin & McFadden (1984) and the variants of Bourguignon, Fournier & Gurgand
(2007), with the conventions of Stata's ``selmlog`` (see the package docstring for the model).

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

import functools
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "METHODS",
    "bfg_dmf2_terms",
    "dahl_terms",
    "dmf2_mean",
    "dubin_mcfadden_terms",
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
# m(P) by that rule costs 103 normal quantiles per probability: at 10^6 rows and 4 forms, 18 s per call,
# nine tenths of a two-stage bootstrap resample. m is smooth in y = log(1 - log P), so it is evaluated by a
# piecewise Chebyshev interpolant of the rule (128 pieces of degree 12 on P >= e^-60, within 3e-15 of the
# rule), built once; smaller probabilities, if any, still go through the rule.
_INTERPOLANT_PIECES = 128
_INTERPOLANT_DEGREE = 12
_INTERPOLANT_MIN_LOG_P = -60.0


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
    """Lee's (1983) correction for the chosen alternative ``s``, with ``selmlog``'s sign:
    ``-phi(Phi^-1(P_is)) / P_is``.

    Parameters
    ----------
    probabilities : array-like of shape (n, J)
        MNL probabilities, strictly inside (0, 1), rows summing to 1.
    chosen : array-like of shape (n,)
        Integer codes ``0 .. J-1`` of the chosen alternatives.

    Returns
    -------
    ndarray of shape (n,)
        Negative: ``E[eps*_s | y = s]`` for Lee's normalised selection error (see the package
        docstring). Its OLS coefficient estimates ``sigma rho``, as ``selmlog, lee`` reports it.

    Raises
    ------
    ValueError
        If ``probabilities`` or ``chosen`` break the module's conventions.
    """
    from scipy import special, stats

    P, s = _prepare(probabilities, chosen)
    own = _own(P, s)
    return -stats.norm.pdf(special.ndtri(own)) / own


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


@functools.cache
def _dmf2_interpolant() -> tuple[np.ndarray, np.ndarray]:
    """The pieces' edges in y = log(1 - log P) (pieces + 1,) and their Chebyshev coefficients (pieces, degree + 1)."""
    from numpy.polynomial import chebyshev

    edges = np.linspace(0.0, np.log1p(-_INTERPOLANT_MIN_LOG_P), _INTERPOLANT_PIECES + 1)

    def on_piece(low: float, high: float):
        return lambda t: _dmf2_mean_tanh_sinh(np.exp(-np.expm1(low + (t + 1.0) * (high - low) / 2.0)))

    coefficients = np.array([chebyshev.chebinterpolate(on_piece(low, high), _INTERPOLANT_DEGREE)
                             for low, high in zip(edges[:-1], edges[1:])])
    return edges, coefficients


def _dmf2_mean_interpolated(p: np.ndarray) -> np.ndarray:
    edges, coefficients = _dmf2_interpolant()
    out = np.empty(p.shape, dtype=float)
    flat_p, flat_out = p.ravel(), out.reshape(-1)
    chunk_values = 8 * _CHUNK_VALUES
    for start in range(0, flat_p.size, chunk_values):
        y = np.log1p(-np.log(flat_p[start:start + chunk_values]))
        # the edges are evenly spaced: a division finds each value's piece, 3x faster than a search
        piece = np.minimum((y / edges[1]).astype(np.intp), _INTERPOLANT_PIECES - 1)
        low, high = edges[piece], edges[piece + 1]
        t = 2.0 * (y - low) / (high - low) - 1.0
        b1, b2 = np.zeros_like(t), np.zeros_like(t)
        for k in range(_INTERPOLANT_DEGREE, 0, -1):   # Clenshaw's recurrence, each value on its piece
            b1, b2 = coefficients[piece, k] + 2.0 * t * b1 - b2, b1
        flat_out[start:start + chunk_values] = coefficients[piece, 0] + t * b1 - b2
    beyond = flat_p < np.exp(_INTERPOLANT_MIN_LOG_P)
    if beyond.any():
        flat_out[beyond] = _dmf2_mean_tanh_sinh(flat_p[beyond])
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
        "tanh-sinh" is ~1e-15 accurate (the rule, interpolated within 3e-15 of it); "selmlog" is Stata
        ``selmlog``'s 15-node Gauss-Laguerre
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
        return _dmf2_mean_interpolated(arr)
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
        "lee" (column ``lee``), "dmf" (``dmf[<label>]`` for each alternative, BFG's relaxed DMF),
        "dmf0" (``dmf0[<label>]``, original DMF; the chosen alternative's column is 0), "dmf2"
        (``dmf2[<label>]``) or "dahl" (``dahl[1] .. dahl[<degree>]``).
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
        values, names = dubin_mcfadden_terms(P, s), [f"dmf[{label}]" for label in labels]
    elif method == "dmf0":
        values, names = dubin_mcfadden_terms(P, s, restricted=True), [f"dmf0[{label}]" for label in labels]
    elif method == "dmf2":
        values, names = bfg_dmf2_terms(P, s, quadrature=quadrature), [f"dmf2[{label}]" for label in labels]
    elif method == "dahl":
        values = dahl_terms(P, s, degree=degree)
        names = [f"dahl[{k}]" for k in range(1, values.shape[1] + 1)]
    else:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"labels give duplicate column names: {names}")
    return pd.DataFrame(values, columns=names, index=index)
