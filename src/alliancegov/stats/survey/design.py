"""The sample design and the Taylor-linearised covariance of any M-estimator under it.

:class:`SurveyDesign` describes the sample (Stata ``svyset``, R ``svydesign``);
:func:`linearised_covariance` is the with-replacement (ultimate-cluster) variance of an
estimator from its weighted scores and bread; :func:`design_degrees_of_freedom` and
:func:`design_effects` complete it. The formula and the conventions (nesting, fpc, lonely PSUs)
are in the package docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = [
    "LonelyPSU",
    "SurveyDesign",
    "design_degrees_of_freedom",
    "design_effects",
    "linearised_covariance",
]

LonelyPSU = Literal["error", "certainty", "adjust", "remove"]
_LONELY_POLICIES = ("error", "certainty", "adjust", "remove")


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """A complex sample design (Stata ``svyset`` / R ``svydesign``, first stage).

    Every array is per observation, shape (n,), in the row order of the data; ``None`` means absent.
    The arrays are stored as 1-d numpy arrays (weights and fpc as floats).

    Attributes
    ----------
    weights : ndarray of shape (n,), optional
        Sampling (probability) weights ``1/pi_i``, finite and non-negative; ``None`` = all 1.
        Used by :func:`fit_mnl_survey`; :func:`linearised_covariance` takes scores that are already
        weighted and ignores them. NOT frequency weights (see the package docstring).
    strata : ndarray of shape (n,), optional
        Stratum labels (any hashable values, no missing values); ``None`` = one stratum.
    psu : ndarray of shape (n,), optional
        Primary sampling unit labels, nested in strata (the pair (stratum, label) is the PSU);
        ``None`` = every observation is its own PSU.
    fpc : ndarray of shape (n,), optional
        First-stage finite population correction, constant within strata: population sizes
        ``N_h`` (if any value exceeds 1; ``np.inf`` allowed) or sampling fractions ``f_h`` in [0, 1].
        ``None`` = sampling with replacement (``f_h = 0``).
    lonely_psu : {"error", "certainty", "adjust", "remove"}, default "error"
        Policy for strata with one sampled PSU (see the package docstring).

    Raises
    ------
    ValueError
        On construction, if ``lonely_psu`` is unknown, an array is not 1-d, the arrays differ in
        length, or a weight is negative or not finite.
    """

    weights: np.ndarray | None = None
    strata: np.ndarray | None = None
    psu: np.ndarray | None = None
    fpc: np.ndarray | None = None
    lonely_psu: LonelyPSU = "error"

    def __post_init__(self):
        if self.lonely_psu not in _LONELY_POLICIES:
            raise ValueError(f"lonely_psu must be one of {_LONELY_POLICIES}, got {self.lonely_psu!r}")
        lengths = {}
        for name in ("weights", "strata", "psu", "fpc"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = np.asarray(value, dtype=float if name in ("weights", "fpc") else None)
            if arr.ndim != 1:
                raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
            object.__setattr__(self, name, arr)
            lengths[name] = arr.shape[0]
        if len(set(lengths.values())) > 1:
            raise ValueError(f"design arrays differ in length: {lengths}")
        if self.weights is not None and (not np.all(np.isfinite(self.weights)) or np.any(self.weights < 0)):
            raise ValueError("weights must be finite and non-negative")

    @property
    def n(self) -> int | None:
        """Number of observations the design describes (``None`` if it holds no array)."""
        for arr in (self.weights, self.strata, self.psu, self.fpc):
            if arr is not None:
                return int(arr.shape[0])
        return None


@dataclass(frozen=True)
class _Structure:
    """PSU/stratum bookkeeping for n observations.

    ``psu_index`` (n,) PSU code 0..G-1 of each observation; ``psu_stratum`` (G,) stratum code of each
    PSU; ``n_h`` (H,) sampled PSUs per stratum; ``keep`` (H,) the factor ``1 - f_h``;
    ``labels`` (H,) the stratum labels.
    """

    psu_index: np.ndarray
    psu_stratum: np.ndarray
    n_h: np.ndarray
    keep: np.ndarray
    labels: np.ndarray

    @property
    def n_psu(self) -> int:
        return int(self.psu_stratum.shape[0])

    @property
    def n_strata(self) -> int:
        return int(self.n_h.shape[0])


def _codes(values, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    if values.shape != (n,):
        raise ValueError(f"design.{name} has {values.shape[0]} elements, the data {n}")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if np.any(codes < 0):
        raise ValueError(f"design.{name} contains missing values")
    return codes, np.asarray(uniques)


def _finite_population_keep(fpc: np.ndarray | None, stratum: np.ndarray, n_h: np.ndarray,
                            labels: np.ndarray) -> np.ndarray:
    """(H,) factors ``1 - f_h`` from an fpc given as population sizes or sampling fractions."""
    if fpc is None:
        return np.ones(n_h.shape[0])
    if np.any(np.isnan(fpc)) or np.any(fpc < 0):
        raise ValueError("design.fpc must be non-negative (population sizes or sampling fractions)")
    _, first_row = np.unique(stratum, return_index=True)
    first = fpc[first_row]  # (H,) the value on each stratum's first observation
    varies = ~np.isclose(fpc, first[stratum], rtol=1e-12, atol=0.0)
    if np.any(varies):
        raise ValueError(f"design.fpc varies within strata {labels[np.unique(stratum[varies])].tolist()}")
    if np.any(fpc > 1):
        if np.any(fpc < 1):
            raise ValueError("design.fpc mixes population sizes (> 1) and sampling fractions (< 1)")
        too_small = first < n_h
        if np.any(too_small):
            raise ValueError(f"design.fpc (population size) is below the number of sampled PSUs in "
                             f"strata {labels[too_small].tolist()}")
        with np.errstate(divide="ignore"):
            fraction = np.where(np.isinf(first), 0.0, n_h / first)
    else:
        fraction = first
    return 1.0 - fraction


def _structure(design: SurveyDesign, n: int) -> _Structure:
    if design.n is not None and design.n != n:
        raise ValueError(f"the design describes {design.n} observations, the data has {n}")
    if design.strata is None:
        stratum, labels = np.zeros(n, dtype=np.int64), np.array(["<single stratum>"], dtype=object)
    else:
        stratum, labels = _codes(design.strata, "strata", n)
    if design.psu is None:
        psu_index = np.arange(n)
        psu_stratum = stratum.copy()
    else:
        psu_code, _ = _codes(design.psu, "psu", n)
        # nest PSUs in strata: one PSU per (stratum, label) pair
        pairs = stratum.astype(np.int64) * (int(psu_code.max(initial=0)) + 1) + psu_code
        psu_index, uniq = pd.factorize(pairs, sort=True)
        psu_stratum = (np.asarray(uniq) // (int(psu_code.max(initial=0)) + 1)).astype(np.int64)
    n_h = np.bincount(psu_stratum, minlength=labels.shape[0])
    keep = _finite_population_keep(design.fpc, stratum, n_h, labels)
    return _Structure(psu_index=np.asarray(psu_index, dtype=np.int64), psu_stratum=psu_stratum, n_h=n_h,
                      keep=keep, labels=labels)


def _psu_totals(U: np.ndarray, psu_index: np.ndarray, n_psu: int) -> np.ndarray:
    """(G, p) sums of the rows of ``U`` (n, p) within each PSU."""
    n = U.shape[0]
    indicator = sparse.csr_matrix((np.ones(n), (psu_index, np.arange(n))), shape=(n_psu, n))
    return np.asarray(indicator @ U)


def _design_meat(U: np.ndarray, st: _Structure, lonely_psu: str) -> np.ndarray:
    """(p, p) ``sum_h (1-f_h) n_h/(n_h-1) sum_i (z_hi - zbar_h)(z_hi - zbar_h)'`` with the lonely policy."""
    Z = _psu_totals(U, st.psu_index, st.n_psu)
    H = st.n_strata
    sums = np.zeros((H, Z.shape[1]))
    np.add.at(sums, st.psu_stratum, Z)
    means = sums / st.n_h[:, None]
    lonely = (st.n_h == 1) & (st.keep > 0)
    if np.any(lonely) and lonely_psu == "error":
        raise ValueError(f"strata {st.labels[lonely].tolist()} have a single PSU (lonely PSU); choose "
                         "SurveyDesign(lonely_psu='certainty' | 'adjust' | 'remove') or collapse strata")
    if lonely_psu == "adjust":
        means[lonely] = Z.sum(axis=0) / st.n_psu  # grand mean of all PSU totals
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(st.n_h > 1, st.keep * st.n_h / (st.n_h - 1), 0.0)
    if lonely_psu == "adjust":
        factor[lonely] = st.keep[lonely]
    centred = Z - means[st.psu_stratum]
    scale = factor[st.psu_stratum]
    return centred.T @ (centred * scale[:, None])


def linearised_covariance(scores_weighted, bread, design: SurveyDesign) -> np.ndarray:
    """Taylor-linearised (Binder 1983) covariance of an M-estimator under a complex design.

    Generic: any estimator (GLM, MNL, ordered logit, ...) given its scores and bread.

    Parameters
    ----------
    scores_weighted : array-like of shape (n, p)
        Per-observation score (estimating-function) contributions ALREADY multiplied by the
        sampling weights, ``u_i = w_i s_i``; the parameter order is their column order.
    bread : array-like of shape (p, p)
        ``A``, the inverse of the weighted information ``(-sum_i w_i ds_i/dtheta)^{-1}``.
    design : SurveyDesign
        Strata, PSUs, fpc and lonely PSU policy (its ``weights`` are not used here).

    Returns
    -------
    ndarray of shape (p, p)
        The symmetrised covariance::

            V = A [sum_h (1-f_h) n_h/(n_h-1) sum_i (z_hi - zbar_h)(z_hi - zbar_h)'] A

        with ``z_hi`` the PSU totals of ``u`` (see the package docstring for conventions).

    Raises
    ------
    ValueError
        If the shapes do not fit, a score is not finite, the design does not describe n rows or
        has missing strata or PSU labels, the fpc is invalid, or a stratum has a lonely PSU under
        ``lonely_psu="error"``.
    """
    U = np.asarray(scores_weighted, dtype=float)
    if U.ndim != 2:
        raise ValueError(f"scores_weighted must be (n, p), got shape {U.shape}")
    n, p = U.shape
    A = np.asarray(bread, dtype=float)
    if A.shape != (p, p):
        raise ValueError(f"bread must be ({p}, {p}), got {A.shape}")
    if not np.all(np.isfinite(U)):
        raise ValueError("scores_weighted contains non-finite values")
    st = _structure(design, n)
    meat = _design_meat(U, st, design.lonely_psu)
    V = A @ meat @ A.T
    return (V + V.T) / 2


def design_degrees_of_freedom(design: SurveyDesign, n: int) -> tuple[int, int, int]:
    """PSUs, strata and design degrees of freedom of ``design`` on ``n`` observations.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    n : int
        Number of observations.

    Returns
    -------
    tuple of (int, int, int)
        ``(n_psu, n_strata, design_df = n_psu - n_strata)``.

    Raises
    ------
    ValueError
        If the design does not describe ``n`` observations or is invalid (as
        :func:`linearised_covariance`).
    """
    st = _structure(design, n)
    return st.n_psu, st.n_strata, st.n_psu - st.n_strata


def design_effects(cov_design, cov_srs) -> np.ndarray:
    """Kish-style design effects ``diag(cov_design) / diag(cov_srs)``.

    Parameters
    ----------
    cov_design : array-like of shape (p, p)
        The design-based (linearised) covariance.
    cov_srs : array-like of shape (p, p)
        The covariance the same estimator would have under simple random sampling of the same
        size (e.g. ``SurveyFit.cov_srs``).

    Returns
    -------
    ndarray of shape (p,)
        The design effect of each parameter (a variance ratio).

    Raises
    ------
    ValueError
        If the covariances are not square and of one shape.

    Notes
    -----
    Roughly Stata's ``estat effects`` ``DEFF`` (Stata's srs variance is its own srswor estimate: with
    an fpc it also carries ``1 - n/N``); ``sqrt`` of the result is the ``DEFT``-like ratio of standard
    errors. Parameters with a zero srs variance give NaN.
    """
    Vd = np.asarray(cov_design, dtype=float)
    Vs = np.asarray(cov_srs, dtype=float)
    if Vd.ndim != 2 or Vd.shape[0] != Vd.shape[1] or Vd.shape != Vs.shape:
        raise ValueError(f"covariances must be square and of one shape, got {Vd.shape} and {Vs.shape}")
    d = np.diag(Vs)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, np.diag(Vd) / np.where(d > 0, d, 1.0), np.nan)
