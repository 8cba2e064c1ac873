"""Bootstraps of an M-estimator without refits: k Newton steps from the full-sample estimate on each
resample (Davidson & MacKinnon 1999; Andrews 2002), and the score (multiplier, wild) bootstrap
(Kline & Santos 2012), which is its one-step case with random multipliers.

Each replicate ``b`` reweights the rows (row multipliers ``m_b``): ``resample`` multipliers are the
number of times each row is drawn by :class:`~alliancegov.stats.bootstrap.resampling.Resampler`
(the same rows as the refitting bootstrap with the same seed, so replicate ``b`` approximates refit
``b``); ``rademacher`` and ``mammen`` multipliers are ``1 + v_g`` with one draw ``v_g`` (mean 0,
variance 1) per cluster, or per row without clusters. From the full-sample estimate θ̂ each
replicate takes ``steps`` steps ``θ ← θ + A g(θ; m_b)``, with ``g(θ; m)`` the gradient of the
objective on the reweighted rows and ``A`` the inverse of the full sample's negative Hessian, fixed;
a fixed number of steps, or as many as bring the estimated distance from the resample's own
optimum under a tolerance.

Why fixed: the resample's own Hessian costs a pass of k²-sized products per replicate, while a
gradient costs a pass of k-sized ones. With a fixed matrix Newton converges linearly: the k-step
estimate differs from the resample's own optimum by O_p(n^{-(k+1)/2}) (Davidson & MacKinnon 1999,
§3), against the bootstrap spread's O_p(n^{-1/2}); two steps put the difference below the O(n^{-1})
of the BCa corrections themselves, and the draws are those of the resamples, so BCa may read
them. (With 3,000 rows, the resample's own Hessian left the worst of 199 draws 0.10 SE from its
refit after two steps, the fixed one 0.14: not worth a Hessian per step.)

The score bootstrap's draws (one step with wild multipliers, ``θ̂ + A Σ_g v_g S_g`` as
``Σ_g S_g = 0`` at the optimum) are symmetric with Rademacher multipliers and carry the scores'
skewness but not the estimator's curvature with Mammen ones: read them with percentile intervals,
not BCa.
"""

from __future__ import annotations

import numpy as np

from alliancegov.stats.bootstrap.resampling import Resampler
from alliancegov.stats.bootstrap.results import BootstrapResult

MULTIPLIERS = ("resample", "rademacher", "mammen")
_SQRT5 = np.sqrt(5.0)


class RowMultipliers:
    """The row multipliers ``m_b`` of replicate ``b``: ``multipliers(b)`` is an (n,) float array.

    Parameters
    ----------
    data_size : int
        Rows of the data.
    seed : int
        The bootstrap's seed; replicate ``b`` draws from ``default_rng([seed, b])``.
    kind : {"resample", "rademacher", "mammen"}
        ``resample``: how often each row is drawn by ``Resampler(data_size, seed, cluster_ids,
        frequency_weights)(b)`` (clusters whole; with frequency weights, units). ``rademacher``:
        ``1 + v`` with ``v = ±1`` equally likely; ``mammen``: ``v = (1 − √5)/2`` with probability
        ``(√5 + 1)/(2√5)``, else ``(1 + √5)/2`` (mean 0, variance 1, third moment 1, Mammen 1993).
    cluster_ids : array-like of shape (data_size,), optional
        Cluster labels: one ``v`` per cluster (every row of a cluster shares it), clusters drawn
        whole by ``resample``.
    frequency_weights : array-like of shape (data_size,), optional
        Whole numbers of units per row. ``resample`` draws units; the wild kinds multiply the
        weights by ``1 + v`` and need clusters (units of one row would need draws of their own).

    Raises
    ------
    ValueError
        If ``kind`` is unknown, or wild multipliers come with frequency weights but no clusters.
    """

    def __init__(self, data_size: int, seed, kind: str = "resample", cluster_ids=None, frequency_weights=None):
        if kind not in MULTIPLIERS:
            raise ValueError(f"multipliers must be one of {MULTIPLIERS}, not {kind!r}")
        if kind != "resample" and frequency_weights is not None and cluster_ids is None:
            raise ValueError(f"{kind} multipliers with frequency weights need clusters: the units a row stands "
                             "for would each need a multiplier of their own")
        self.data_size, self.seed, self.kind = data_size, seed, kind
        if kind == "resample":
            self.resampler = Resampler(data_size, seed, cluster_ids, frequency_weights)
        else:
            from alliancegov.stats.clusters import cluster_codes

            self.codes = None if cluster_ids is None else cluster_codes(cluster_ids, data_size, "cluster_ids")
            self.base = None if frequency_weights is None else np.asarray(frequency_weights, dtype=float)

    def __call__(self, b: int) -> np.ndarray:
        if self.kind == "resample":
            return np.bincount(self.resampler(b), minlength=self.data_size).astype(float)
        rng = np.random.default_rng([int(self.seed), int(b)])
        draws = self.data_size if self.codes is None else int(self.codes.max(initial=-1)) + 1
        if self.kind == "rademacher":
            v = rng.integers(0, 2, size=draws) * 2.0 - 1.0
        else:
            low = rng.random(draws) < (_SQRT5 + 1) / (2 * _SQRT5)
            v = np.where(low, (1 - _SQRT5) / 2, (1 + _SQRT5) / 2)
        multipliers = 1.0 + (v if self.codes is None else v[self.codes])
        return multipliers if self.base is None else multipliers * self.base


class LinearScores:
    """The gradient of an M-estimator at its estimate from per-row scores: ``g(θ̂; m) = Σ_i m_i s_i``.

    With it, one step of :func:`newton_step_bootstrap` (``steps=1``) is the score bootstrap of
    Kline & Santos (2012) for any estimator whose per-row scores are known. The gradient is known
    only at θ̂, so a second step raises rather than repeat the first.

    Parameters
    ----------
    scores : array-like of shape (n, p)
        Each row's score (gradient contribution of the objective) at the full-sample estimate,
        already multiplied by the row's weight if the objective is weighted.
    estimates : array-like of shape (p,)
        The full-sample estimate θ̂.
    """

    def __init__(self, scores, estimates):
        self.scores = np.asarray(scores, dtype=float)
        self.estimates = np.asarray(estimates, dtype=float).ravel()

    def __call__(self, theta: np.ndarray, row_weights: np.ndarray) -> np.ndarray:
        if not np.array_equal(theta, self.estimates):
            raise ValueError("scores are known at the estimate only: the score bootstrap takes one step (steps=1)")
        return row_weights @ self.scores


def newton_step_bootstrap(gradient, bread, estimates, data_size: int, n_boot: int, seed, *, steps: int = 2,
                          tolerance: float | None = None, multipliers: str = "resample", cluster_ids=None,
                          frequency_weights=None, replicates: range | None = None) -> BootstrapResult:
    """Bootstrap draws of an M-estimator from ``steps`` Newton steps on each reweighted sample.

    Parameters
    ----------
    gradient : callable
        ``gradient(theta, row_weights) -> (p,) array or None``: the gradient of the objective
        (maximised; for a minimised one pass minus its gradient) at ``theta`` (p,) on the data with
        row ``i`` counted ``row_weights[i]`` times (multipliers times any weights the objective
        already has: the caller's design). None (or an exception, or a non-finite value) fails the
        replicate, with the reason kept, as in
        :func:`~alliancegov.stats.bootstrap.runs.bootstrap_estimates`.
    bread : array-like of shape (p, p)
        The inverse of the full sample's negative Hessian at ``estimates`` (for a likelihood, the
        model-based covariance).
    estimates : array-like of shape (p,)
        The full-sample estimate θ̂, where the gradient on the full data vanishes.
    data_size : int
        Rows of the data.
    n_boot : int
        Number of replicates, numbered ``0..n_boot-1``.
    seed : int
        The bootstrap's seed.
    steps : int, default 2
        Newton steps per replicate (see the module's notes for the orders of the error); with
        ``tolerance``, the most steps taken.
    tolerance : float, optional
        Stop a replicate's steps once its estimated distance from the resample's own optimum is
        at most ``tolerance`` model-based standard errors ``sqrt(bread_jj)`` in every element; a
        replicate that needs more than ``steps`` steps fails (as a refit that does not converge).
        With ``d_k`` the largest element of step k in standard errors, the iteration converges
        linearly with ratio ``ρ ≈ d_k / d_{k−1}``, so the distance left is about
        ``d_k ρ / (1 − ρ) = d_k² / (d_{k−1} − d_k)`` (Aitken's estimate): at least two steps are
        taken unless the first is 0. The ratio is of order ``sqrt(p/n)`` (two steps suffice at
        10^6 rows), but nearer 1 in a resample far from the quadratic region (a rare outcome drawn
        a few times): with 3,000 rows and 48 coefficients the worst of 199 resamples was still
        0.14 SE from its refit after two steps and 0.04 after three, so a fixed count suits large
        n only.
    multipliers : {"resample", "rademacher", "mammen"}, default "resample"
        See :class:`RowMultipliers`. ``resample`` gives draws of the nonparametric (cluster)
        bootstrap that BCa intervals may read; the wild kinds with ``steps=1`` are the score
        bootstrap, for percentile intervals.
    cluster_ids : array-like of shape (data_size,), optional
        Cluster labels: clusters resampled whole, or one multiplier per cluster.
    frequency_weights : array-like of shape (data_size,), optional
        Whole numbers of units per row (see :class:`RowMultipliers`); the multipliers then stand
        for the units, so ``gradient`` must not weight the rows by them again.
    replicates : range, optional
        Compute only these replicates (a scatter job's share); default all.

    Returns
    -------
    BootstrapResult
        ``estimates`` of shape (len(replicates), p), a NaN row for a failed replicate; replicate
        ``b`` is the same whatever the split into parts.

    Raises
    ------
    ValueError
        If ``steps`` < 1, ``tolerance`` is not positive, the shapes disagree, or ``replicates``
        reaches outside ``0..n_boot-1``.
    """
    theta_hat = np.asarray(estimates, dtype=float).ravel()
    A = np.asarray(bread, dtype=float)
    if A.shape != (theta_hat.size, theta_hat.size):
        raise ValueError(f"bread must be ({theta_hat.size}, {theta_hat.size}), not {A.shape}")
    if steps < 1:
        raise ValueError("steps must be at least 1")
    if tolerance is not None and not tolerance > 0:
        raise ValueError("tolerance must be positive")
    replicates = range(n_boot) if replicates is None else replicates
    if replicates.start < 0 or replicates.stop > n_boot:
        raise ValueError(f"replicates {replicates} outside 0..{n_boot - 1}")
    draw = RowMultipliers(data_size, seed, multipliers, cluster_ids, frequency_weights)
    out = np.full((len(replicates), theta_hat.size), np.nan)
    ok = np.zeros(len(replicates), bool)
    failures: dict[int, str] = {}
    for row, b in enumerate(replicates):
        try:
            theta = newton_steps(gradient, A, theta_hat, draw(b), steps=steps, tolerance=tolerance)
        except NewtonStepsFailed as failed:
            failures[b] = str(failed)
            continue
        except Exception as error:  # every failure is counted, with its reason
            failures[b] = f"{type(error).__name__}: {error}"
            continue
        out[row], ok[row] = theta, True
    return BootstrapResult(estimates=out, ok=ok, failures=failures, seed=seed)


class NewtonStepsFailed(ValueError):
    """A reweighted sample whose gradient is undefined (None), whose steps do not settle within the
    tolerance, or whose estimates are not finite."""


def newton_steps(gradient, bread, start, row_weights, *, steps: int = 2, tolerance: float | None = None
                 ) -> np.ndarray:
    """Newton steps with a fixed matrix from ``start`` on one reweighted sample (one replicate of
    :func:`newton_step_bootstrap`, for an estimator that needs more than its draws).

    Parameters
    ----------
    gradient : callable
        ``gradient(theta, row_weights) -> (p,) array or None``, as in :func:`newton_step_bootstrap`.
    bread : ndarray of shape (p, p)
        The inverse of the full sample's negative Hessian.
    start : ndarray of shape (p,)
        The full-sample estimate.
    row_weights : ndarray of shape (n,)
        How often each row counts (e.g. ``numpy.bincount`` of a resample's rows).
    steps : int, default 2
        Steps taken; with ``tolerance``, the most.
    tolerance : float, optional
        Stop when Aitken's estimate of the distance left is at most this many SEs
        ``sqrt(bread_jj)`` (see :func:`newton_step_bootstrap`).

    Returns
    -------
    ndarray of shape (p,)
        The estimate after the steps.

    Raises
    ------
    NewtonStepsFailed
        If ``gradient`` returns None, the steps do not settle within ``tolerance`` in ``steps``,
        or the estimate is not finite.
    """
    scale = np.sqrt(np.diag(bread))
    theta, previous = np.asarray(start, dtype=float).ravel(), None
    for _ in range(steps):
        g = gradient(theta, row_weights)
        if g is None:
            raise NewtonStepsFailed("returned None")
        step = bread @ np.asarray(g, dtype=float).ravel()
        theta = theta + step
        size = float(np.max(np.abs(step) / scale))
        if tolerance is not None and _settled(size, previous, tolerance):
            break
        previous = size
    else:
        if tolerance is not None:
            raise NewtonStepsFailed(f"steps above the tolerance after {steps} Newton steps")
    if not np.all(np.isfinite(theta)):
        raise NewtonStepsFailed("non-finite estimates")
    return theta


def _settled(size: float, previous: float | None, tolerance: float) -> bool:
    """Whether the distance left after a step of ``size`` SEs (the one before: ``previous``) is
    below ``tolerance`` by Aitken's estimate ``size² / (previous − size)``."""
    if size == 0:
        return True
    return previous is not None and size < previous and size ** 2 <= tolerance * (previous - size)
