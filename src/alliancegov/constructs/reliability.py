"""Reliability of the scales on the listwise-complete responses of their items: Cronbach's alpha
with its Feldt confidence interval, McDonald's omega (total) from a one-factor maximum-likelihood
model, and per-item statistics (corrected item–total correlation, alpha if the item is deleted),
per wave and pooled."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook

POOLED_WAVE = "all"
# Lower bound on uniquenesses in the one-factor fit, as in R's factanal (lower = 0.005).
MIN_UNIQUENESS = 0.005


def _alpha_of(complete: np.ndarray) -> float:
    """Cronbach's alpha of a complete (n, k) array; NaN if n < 2, k < 2 or the total is constant."""
    n, k = complete.shape
    if n < 2 or k < 2:
        return float("nan")
    item_variances = complete.var(axis=0, ddof=1).sum()
    total_variance = complete.sum(axis=1).var(ddof=1)
    if total_variance == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - item_variances / total_variance))


def cronbach_alpha(items: pd.DataFrame) -> tuple[float, int]:
    """Cronbach's alpha of the listwise-complete rows, and that number of rows.

    alpha = k / (k − 1) · (1 − Σ var(item) / var(total)), sample variances (ddof = 1).

    Parameters
    ----------
    items : DataFrame
        One column per item (k), one row per response; rows with a missing item are left out.

    Returns
    -------
    alpha : float
        NaN with fewer than 2 complete rows or 2 items, or a constant total.
    n : int
        The number of complete rows.
    """
    complete = items.dropna().to_numpy(float)
    return _alpha_of(complete), complete.shape[0]


def alpha_confidence_interval(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval of Cronbach's alpha from ``n`` complete responses to ``k`` items.

    Parameters
    ----------
    alpha : float
        The estimated alpha (:func:`cronbach_alpha`).
    n : int
        The listwise-complete count used for alpha.
    k : int
        The number of items.
    level : float
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    tuple of (float, float)
        The lower and upper bounds; (NaN, NaN) when alpha is NaN, n < 2 or k < 2.

    Raises
    ------
    ValueError
        If ``level`` is not strictly between 0 and 1.

    Notes
    -----
    (1 − alpha_hat) / (1 − alpha) follows F(n − 1, (n − 1)(k − 1)) under the usual model
    (Feldt 1965; Feldt, Woodruff & Salih 1987), so with q = (1 − level) / 2:

        low  = 1 − (1 − alpha) · F⁻¹(1 − q; n − 1, (n − 1)(k − 1))
        high = 1 − (1 − alpha) · F⁻¹(q;     n − 1, (n − 1)(k − 1))

    the interval reported by pingouin and R ``psych::alpha`` (unrounded here).

    References
    ----------
    .. [1] Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
       reliability coefficient twenty. Psychometrika, 30(3), 357–370.
    .. [2] Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
       coefficient alpha. Applied Psychological Measurement, 11(1), 93–103.
    """
    from scipy import stats

    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    if n < 2 or k < 2 or not np.isfinite(alpha):
        return float("nan"), float("nan")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    low = 1 - (1 - alpha) * stats.f.isf(tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def one_factor_ml(correlation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loadings λ and uniquenesses ψ of a one-factor model fitted by maximum likelihood.

    Parameters
    ----------
    correlation : ndarray of shape (k, k)
        A positive-definite correlation matrix R, k ≥ 3.

    Returns
    -------
    loadings : ndarray of shape (k,)
        λ, standardized loadings, signed so that Σλ ≥ 0.
    uniquenesses : ndarray of shape (k,)
        ψ, within [0.005, 1] (:data:`MIN_UNIQUENESS`; a Heywood case stops at the bound).

    Notes
    -----
    The fit minimises the ML discrepancy log|Σ| + tr(R Σ⁻¹) − log|R| − k with
    Σ = λλᵀ + diag(ψ), concentrating λ out for given ψ (Jöreskog 1967, as R's ``factanal``):
    with R* = ψ^(−1/2) R ψ^(−1/2) and its largest eigenvalue θ and unit eigenvector v,
    λ = ψ^(1/2) v √max(θ − 1, 0). ψ is bounded to [0.005, 1] (L-BFGS-B).

    References
    ----------
    .. [1] Jöreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
       Psychometrika, 32(4), 443–482.
    """
    from scipy import optimize

    correlation = np.asarray(correlation, float)
    k = correlation.shape[0]

    def loadings(psi: np.ndarray) -> np.ndarray:
        scale = 1 / np.sqrt(psi)
        values, vectors = np.linalg.eigh(correlation * np.outer(scale, scale))
        return np.sqrt(psi) * vectors[:, -1] * np.sqrt(max(values[-1] - 1, 0.0))

    def discrepancy(psi: np.ndarray) -> float:
        scale = 1 / np.sqrt(psi)
        values = np.linalg.eigvalsh(correlation * np.outer(scale, scale))[:-1]
        return float(-np.sum(np.log(values) - values) + 1 - k)

    def gradient(psi: np.ndarray) -> np.ndarray:
        load = loadings(psi)
        return np.diag(np.outer(load, load) + np.diag(psi) - correlation) / psi**2

    start = np.clip((1 - 0.5 / k) / np.diag(np.linalg.inv(correlation)), MIN_UNIQUENESS, 1)
    fit = optimize.minimize(
        discrepancy, start, jac=gradient, method="L-BFGS-B", bounds=[(MIN_UNIQUENESS, 1.0)] * k,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
    )
    psi = fit.x
    load = loadings(psi)
    if load.sum() < 0:
        load = -load
    return load, psi


def omega_total(items: pd.DataFrame) -> float:
    """McDonald's omega (total) of the listwise-complete rows, from a one-factor ML model.

    Parameters
    ----------
    items : DataFrame
        One column per item (k), one row per response, reverse-coded items already recoded;
        rows with a missing item are left out.

    Returns
    -------
    float
        Omega, between 0 and 1; NaN with fewer than 3 items (a one-factor model is not
        identified), fewer than k + 1 complete rows, a constant item or a singular correlation
        matrix.

    Notes
    -----
    The one-factor model is fitted by maximum likelihood (:func:`one_factor_ml`) on the
    correlation matrix of the complete rows, i.e. the standardized solution (ML is scale
    invariant, so fitting the covariance matrix and standardizing gives the same loadings):

        omega = (Σλ)² / ((Σλ)² + Σψ)

    with the model-implied total variance in the denominator (at an interior ML solution
    λᵢ² + ψᵢ = 1, so the denominator is (Σλ)² + k − Σλ²).
    """
    complete = items.dropna().to_numpy(float)
    n, k = complete.shape
    if k < 3 or n <= k or np.any(complete.std(axis=0) == 0):
        return float("nan")
    correlation = np.corrcoef(complete, rowvar=False)
    if np.linalg.eigvalsh(correlation)[0] <= 1e-12:
        return float("nan")
    load, psi = one_factor_ml(correlation)
    common = load.sum() ** 2
    return float(common / (common + psi.sum()))


ITEM_COLUMNS = ["item", "n", "mean", "sd", "corrected_item_total_r", "alpha_if_deleted"]


def item_statistics(items: pd.DataFrame) -> pd.DataFrame:
    """Per-item statistics of the listwise-complete rows, one row per column of ``items``.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per response; rows with a missing item are left out.

    Returns
    -------
    DataFrame
        Columns ``item, n, mean, sd, corrected_item_total_r, alpha_if_deleted``: ``n`` (int64)
        is the number of complete rows (the same for every item), ``mean`` and ``sd`` are in
        item units, ``sd`` uses ddof = 1, the corrected item–total correlation is the Pearson
        correlation of the item with the sum of the *other* items (NaN when either is constant
        or n < 2), and ``alpha_if_deleted`` is Cronbach's alpha of the other items (NaN when
        fewer than two remain).
    """
    complete = items.dropna().to_numpy(float)
    n, k = complete.shape
    total = complete.sum(axis=1)
    rows = []
    for j, name in enumerate(items.columns):
        item = complete[:, j]
        rest = np.delete(complete, j, axis=1)
        if n >= 2 and k >= 2 and item.std() > 0 and (total - item).std() > 0:
            r = float(np.corrcoef(item, total - item)[0, 1])
        else:
            r = float("nan")
        rows.append((
            name, n,
            float(item.mean()) if n else float("nan"),
            float(item.std(ddof=1)) if n >= 2 else float("nan"),
            r, _alpha_of(rest),
        ))
    return pd.DataFrame(rows, columns=ITEM_COLUMNS).astype({"n": "int64"})


def _wave_groups(recoded: pd.DataFrame) -> list[tuple[object, pd.DataFrame]]:
    """Each wave's rows (waves sorted), then all rows as wave ``all``."""
    return [*recoded.groupby("wave", sort=True), (POOLED_WAVE, recoded)]


RELIABILITY_COLUMNS = [
    "scale", "wave", "n_items", "n_complete", "alpha", "alpha_conf_low", "alpha_conf_high", "omega",
]


def reliability_table(recoded: pd.DataFrame, codebook: Codebook, level: float = 0.95) -> pd.DataFrame:
    """Reliability per scale, per wave and pooled (wave ``all``), listwise.

    Parameters
    ----------
    recoded : DataFrame
        One row per response with ``wave`` and every scale item, reverse-coded items already
        recoded.
    codebook : Codebook
        The scales and their items.
    level : float
        Confidence level of alpha's interval.

    Returns
    -------
    DataFrame
        One row per scale (``scales.csv`` order) × wave (sorted, then ``all``), columns
        ``scale, wave, n_items, n_complete, alpha, alpha_conf_low, alpha_conf_high, omega``:
        Cronbach's alpha of the ``n_complete`` complete responses, its Feldt confidence interval
        at ``level`` (:func:`alpha_confidence_interval`) and McDonald's omega total
        (:func:`omega_total`).
    """
    rows = []
    groups = _wave_groups(recoded)
    for scale in codebook.scales["scale"]:
        names = codebook.items(scale)["name"].tolist()
        for wave, part in groups:
            alpha, n = cronbach_alpha(part[names])
            low, high = alpha_confidence_interval(alpha, n, len(names), level)
            rows.append((scale, wave, len(names), n, alpha, low, high, omega_total(part[names])))
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)


def item_table(recoded: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Item statistics per scale, per wave and pooled (wave ``all``), listwise within each scale.

    Parameters
    ----------
    recoded : DataFrame
        Answers with items already reverse-coded (e.g. the analysis frame) and ``wave``.
    codebook : Codebook
        The scales and their items.

    Returns
    -------
    DataFrame
        Columns ``scale, wave, item, n, mean, sd, corrected_item_total_r, alpha_if_deleted``
        (see :func:`item_statistics`); scales and items in codebook order, waves sorted then
        ``all``; no rows when the codebook has no scale.
    """
    parts = []
    groups = _wave_groups(recoded)
    for scale in codebook.scales["scale"]:
        names = codebook.items(scale)["name"].tolist()
        for wave, part in groups:
            parts.append(item_statistics(part[names]).assign(scale=scale, wave=wave))
    columns = ["scale", "wave", *ITEM_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
