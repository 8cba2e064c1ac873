"""Inference from the resamples: p-values never 0, bias-corrected and accelerated (BCa) intervals.
"""

from __future__ import annotations

import numpy as np


def bootstrap_p_values(replicates: np.ndarray, null: float | np.ndarray = 0.0) -> np.ndarray:
    """Two-sided bootstrap p-values of H0: θ = ``null``, never 0.

    Parameters
    ----------
    replicates : ndarray of shape (B, p)
        The estimates of the B successful resamples.
    null : float or ndarray of shape (p,)
        The value under the null hypothesis.

    Returns
    -------
    ndarray of shape (p,)
        ``min(1, 2 (1 + #{θ*_b on the far side of null}) / (B + 1))``, with the far side the smaller
        tail, ties counted in both tails. The smallest attainable value is 2/(B + 1): with
        B = 999, 0.002, so a p-value is never printed as 0.

    Notes
    -----
    The percentile interval at level 1 − α excludes ``null`` exactly when this p-value is below
    α (up to the +1 of the finite-sample correction), so a table's p-values and percentile
    intervals never disagree (Davison & Hinkley 1997, §4.4; the +1 makes the test exact for
    exchangeable resamples, North, Curtis & Sham 2002).
    """
    replicates = np.asarray(replicates, dtype=float)
    B = replicates.shape[0]
    if B == 0:
        return np.full(replicates.shape[1], np.nan)
    below = (replicates <= null).sum(axis=0)
    above = (replicates >= null).sum(axis=0)
    return np.minimum(1.0, 2 * (1 + np.minimum(below, above)) / (B + 1))


def acceleration(influence: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The BCa acceleration of each estimate from its empirical influence values.

    Parameters
    ----------
    influence : ndarray of shape (n, p)
        Each unit's influence on each estimate (jackknife values, or the linear approximation
        ``U_i I^{-1}`` of a maximum-likelihood fit; for a cluster bootstrap, summed over each
        cluster's rows, one row per cluster).
    weights : ndarray of shape (n,), optional
        Frequency weights: row ``i`` stands for ``w_i`` identical units.

    Returns
    -------
    ndarray of shape (p,)
        ``a = Σ w_i U_i³ / (6 (Σ w_i U_i²)^{3/2})`` (Efron 1987, eq. 6.7), with U centred at its
        (weighted) mean; 0 where every influence is 0.
    """
    influence = np.asarray(influence, dtype=float)
    w = np.ones(influence.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    centred = influence - (w[:, None] * influence).sum(axis=0) / w.sum()
    squares = (w[:, None] * centred ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(squares > 0, (w[:, None] * centred ** 3).sum(axis=0) / (6 * squares ** 1.5), 0.0)


def bca_quantities(replicates: np.ndarray, estimates: np.ndarray,
                   accelerations: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The bias correction z0 and the acceleration a of the BCa method.

    Parameters
    ----------
    replicates : ndarray of shape (B, p)
        The estimates of the B successful resamples.
    estimates : ndarray of shape (p,)
        The full-sample estimates.
    accelerations : ndarray of shape (p,), optional
        From :func:`acceleration`; without them a = 0, the bias-corrected (BC) method.

    Returns
    -------
    z0 : ndarray of shape (p,)
        ``Φ⁻¹((#{θ*_b < θ̂} + #{θ*_b = θ̂}/2) / B)``, clipped so that it stays finite.
    a : ndarray of shape (p,)
    """
    from scipy import stats

    replicates = np.asarray(replicates, dtype=float)
    B = replicates.shape[0]
    share = ((replicates < estimates).sum(axis=0) + 0.5 * (replicates == estimates).sum(axis=0)) / B
    z0 = stats.norm.ppf(np.clip(share, 0.5 / B, 1 - 0.5 / B))
    a = np.zeros_like(z0) if accelerations is None else np.asarray(accelerations, dtype=float)
    return z0, a


def bca_intervals(replicates: np.ndarray, estimates: np.ndarray, level: float = 0.95,
                  accelerations: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated (BCa) bootstrap intervals (Efron 1987).

    Parameters
    ----------
    replicates : ndarray of shape (B, p)
        The estimates of the B successful resamples.
    estimates : ndarray of shape (p,)
        The full-sample estimates.
    level : float
        Confidence level.
    accelerations : ndarray of shape (p,), optional
        See :func:`bca_quantities`; without them the BC interval (a = 0).

    Returns
    -------
    conf_low, conf_high : ndarray of shape (p,)
        The quantiles of the resamples at the adjusted levels
        ``Φ(z0 + (z0 + z_α) / (1 − a (z0 + z_α)))``: the percentile interval when z0 = a = 0.

    Notes
    -----
    The percentile interval is centred on the resamples' median, which a skewed or biased
    estimator (a ratio, a selection-corrected coefficient in small samples) moves away from the
    estimate; z0 recentres it and a corrects for a standard error that changes with the
    parameter. Held in the tests to :func:`scipy.stats.bootstrap` (``method="BCa"``).
    """
    from scipy import stats

    replicates = np.asarray(replicates, dtype=float)
    z0, a = bca_quantities(replicates, estimates, accelerations)
    bounds = []
    for tail in ((1 - level) / 2, (1 + level) / 2):
        z = z0 + stats.norm.ppf(tail)
        adjusted = stats.norm.cdf(z0 + z / (1 - a * z))
        bounds.append(np.array([np.quantile(replicates[:, j], adjusted[j]) for j in range(replicates.shape[1])]))
    return bounds[0], bounds[1]


def bca_p_values(replicates: np.ndarray, estimates: np.ndarray, null: float | np.ndarray = 0.0,
                 accelerations: np.ndarray | None = None) -> np.ndarray:
    """Two-sided p-values of H0: θ = ``null`` that agree with :func:`bca_intervals`, never 0.

    Parameters
    ----------
    replicates : ndarray of shape (B, p)
    estimates : ndarray of shape (p,)
    null : float or ndarray of shape (p,)
    accelerations : ndarray of shape (p,), optional

    Returns
    -------
    ndarray of shape (p,)
        Twice the smaller BCa tail probability of ``null``: ``null`` is mapped to the level at
        which a BCa bound reaches it. The resamples resolve tail probabilities down to 1/(B + 1),
        so the p-value is at least 2/(B + 1) (never 0). The BCa interval at level 1 − α excludes
        ``null`` when this p-value is below α.
    """
    from scipy import stats

    replicates = np.asarray(replicates, dtype=float)
    B = replicates.shape[0]
    z0, a = bca_quantities(replicates, estimates, accelerations)
    # G(null) read off the resamples as np.quantile's (linear) quantiles are, so that the interval
    # excludes the null exactly when p < alpha (a count-based G disagreed near alpha at small B).
    nulls = np.broadcast_to(np.asarray(null, dtype=float), replicates.shape[1:])
    levels = np.arange(B) / (B - 1)
    below = np.array([np.interp(nulls[j], np.sort(replicates[:, j]), levels) for j in range(replicates.shape[1])])
    inside = (below > 0) & (below < 1)
    w = stats.norm.ppf(np.where(inside, below, 0.5)) - z0
    # the level whose adjusted quantile is the null: invert Φ(z0 + z/(1 − a z)) = G(null); a null
    # beyond every resample (or beyond the pole of the map) is beyond every interval's bound
    reachable = inside & (1 + a * w > 0)
    beyond = np.where(inside, w > 0, below >= 1).astype(float)          # the upper (1) or lower (0) end
    tail = np.where(reachable, stats.norm.cdf(np.where(reachable, w / (1 + a * w), 0.0) - z0), beyond)
    # The resamples resolve tail probabilities down to 1/(B + 1): a smaller one is not shown by them.
    return np.clip(2 * np.minimum(tail, 1 - tail), 2 / (B + 1), 1.0)


def normal_equivalent(p_values: np.ndarray, estimates: np.ndarray) -> np.ndarray:
    """The z statistic that a normal test would need for each p-value, signed as the estimate.

    Parameters
    ----------
    p_values : ndarray of shape (p,)
        Two-sided p-values.
    estimates : ndarray of shape (p,)

    Returns
    -------
    ndarray of shape (p,)
        ``sign(estimate) Φ⁻¹(1 − p/2)``: the statistic column of a bootstrap table, consistent
        with its p-value by construction (an estimate over a bootstrap standard error is not,
        when the resamples are skewed).
    """
    from scipy import stats

    return np.sign(estimates) * stats.norm.isf(np.asarray(p_values, dtype=float) / 2)
