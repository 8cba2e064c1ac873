"""Nonparametric (optionally cluster) bootstrap of any estimator, in parallel and reproducibly.

All resamples are drawn up front from ``numpy.random.default_rng(seed)``, so the estimates do
not depend on the number of workers or on how the work is split. The re-fits run with joblib's
``loky`` backend in a few chunks per worker (one task per chunk, not per resample), because a
task costs far more than the ~1e-4 s a small logit needs. Resamples whose fit raises, returns
``None``, returns non-finite values or a vector of another length are counted as failed and
kept as rows of NaN with their reason, never dropped silently: a high failure share (e.g. from
separation in small resamples) is itself a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CHUNKS_PER_WORKER = 4


@dataclass
class BootstrapResult:
    """Estimates of ``n_boot`` resamples.

    Attributes
    ----------
    estimates : ndarray of shape (n_boot, p)
        The estimates of each resample, a row of NaN for a failed one.
    ok : ndarray of shape (n_boot,), bool
        Whether each resample succeeded.
    failures : dict of int to str
        Resample number → reason it failed.
    seed : int, optional
        The seed used.
    """

    estimates: np.ndarray
    ok: np.ndarray
    failures: dict[int, str] = field(default_factory=dict)
    seed: int | None = None

    @property
    def n_boot(self) -> int:
        """Number of resamples, successful or not."""
        return int(self.ok.size)

    @property
    def n_ok(self) -> int:
        """Number of successful resamples."""
        return int(self.ok.sum())

    @property
    def share_failed(self) -> float:
        """Share of the resamples that failed (0 to 1); NaN when there are none."""
        return float(1 - self.ok.mean()) if self.ok.size else float("nan")

    @property
    def std_error(self) -> np.ndarray:
        """Bootstrap standard error of each estimate over the successful resamples (ddof=1), shape (p,).

        NaN when fewer than two resamples succeeded.
        """
        if self.n_ok < 2:
            return np.full(self.estimates.shape[1], np.nan)
        return self.estimates[self.ok].std(axis=0, ddof=1)


class Resampler:
    """Rows of bootstrap resample ``b``, drawn from its own generator ``default_rng([seed, b])``.

    Calling ``resampler(b)`` returns the row indices (int ndarray, with repeats) of resample ``b``.

    Parameters
    ----------
    data_size : int
        Rows of the data.
    seed : int
        The bootstrap's seed.
    cluster_ids : array-like of shape (data_size,), optional
        Cluster labels of the rows. Without them, a resample is ``data_size`` rows drawn with
        replacement; with them, as many clusters as there are, drawn with replacement, each
        contributing all its rows (so resample sizes vary).

    Notes
    -----
    Each resample is drawn when needed, from a generator of its own, so a job computing
    resamples 100–199 draws exactly what a job computing all 200 would, and memory stays that of
    one resample (at 1,000,000 rows, 200 resamples drawn up front would take 1.6 GB).
    Picklable, so workers draw their own resamples.
    """

    def __init__(self, data_size: int, seed, cluster_ids=None):
        self.data_size, self.seed = data_size, seed
        self.clusters = None if cluster_ids is None else _ClusterIndex(cluster_ids, data_size)

    def __call__(self, b: int) -> np.ndarray:
        rng = np.random.default_rng([int(self.seed), int(b)])
        if self.clusters is None:
            return rng.integers(0, self.data_size, size=self.data_size)
        return self.clusters.rows_of(rng.integers(0, self.clusters.count, size=self.clusters.count))


def resample_indices(data_size: int, n_boot: int, seed, cluster_ids=None) -> list[np.ndarray]:
    """Row indices of resamples ``0..n_boot-1`` (see :class:`Resampler`).

    Parameters
    ----------
    data_size : int
        Rows of the data.
    n_boot : int
        Number of resamples.
    seed : int
        The bootstrap's seed.
    cluster_ids : array-like of shape (data_size,), optional
        Cluster labels of the rows; clusters are then resampled whole.

    Returns
    -------
    list of ndarray
        ``n_boot`` int arrays of row indices (with repeats): ``data_size`` long without
        ``cluster_ids``, of varying length with them.
    """
    resampler = Resampler(data_size, seed, cluster_ids)
    return [resampler(b) for b in range(n_boot)]


class _ClusterIndex:
    """Row indices of each cluster, clusters in order of first appearance, held as one sorted
    array with offsets so that the rows of drawn clusters are gathered without a Python loop
    over clusters (at 10^5 firms that loop was a tenth of the choice stage's time)."""

    def __init__(self, cluster_ids, data_size: int):
        from alliancegov.stats.clusters import cluster_codes

        codes = cluster_codes(cluster_ids, data_size, "cluster_ids")
        self.order = np.argsort(codes, kind="stable")
        self.sizes = np.bincount(codes)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self.count = self.sizes.size

    def rows_of(self, drawn: np.ndarray) -> np.ndarray:
        """All rows of the clusters ``drawn`` (cluster numbers, repeats allowed), cluster after
        cluster in the order drawn."""
        sizes = self.sizes[drawn]
        ends = np.cumsum(sizes)
        positions = np.repeat(self.starts[drawn] - (ends - sizes), sizes) + np.arange(ends[-1] if ends.size else 0)
        return self.order[positions]


@dataclass(frozen=True)
class _Failure:
    """An exception raised by the fit function, as text (travels back from the workers)."""

    reason: str


def _run_chunk(fit_function, resampler: Resampler, replicates: list[int]) -> list:
    """Apply ``fit_function`` to each replicate's resample; an exception becomes a :class:`_Failure`."""
    out = []
    for b in replicates:
        try:
            out.append(fit_function(resampler(b)))
        except Exception as error:  # every failure is counted, with its reason
            out.append(_Failure(f"{type(error).__name__}: {error}"))
    return out


def _chunks(items: list, n_chunks: int) -> list[list]:
    size = -(-len(items) // max(n_chunks, 1))
    return [items[start:start + size] for start in range(0, len(items), size)]


def _run_all(fit_function, resampler: Resampler, replicates: list[int], n_jobs: int) -> list:
    """Raw outputs of ``fit_function`` on every replicate's resample, in replicate order."""
    from joblib import Parallel, delayed, effective_n_jobs

    workers = effective_n_jobs(n_jobs)
    if workers == 1 or len(replicates) <= 1:
        return _run_chunk(fit_function, resampler, replicates)
    chunks = _chunks(replicates, workers * CHUNKS_PER_WORKER)
    parts = Parallel(n_jobs=workers, backend="loky")(delayed(_run_chunk)(fit_function, resampler, c) for c in chunks)
    return [out for part in parts for out in part]


def _collect(outputs: list) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Stack valid outputs into (n_boot, p) with NaN rows and reasons for the failed ones.

    ``p`` is the most common length of the all-finite outputs (ties: the first in resample order,
    so it does not depend on the workers); other lengths are failures.
    """
    failures: dict[int, str] = {}
    vectors: dict[int, np.ndarray] = {}
    for b, out in enumerate(outputs):
        if out is None:
            failures[b] = "returned None"
        elif isinstance(out, _Failure):
            failures[b] = out.reason
        else:
            vectors[b] = np.asarray(out, float).ravel()
    finite = [v.size for v in vectors.values() if np.all(np.isfinite(v))]
    size = max(finite, key=finite.count) if finite else 0
    estimates = np.full((len(outputs), size), np.nan)
    ok = np.zeros(len(outputs), bool)
    for b, vector in vectors.items():
        if vector.size != size:
            failures[b] = f"returned {vector.size} values, expected {size}"
        elif not np.all(np.isfinite(vector)):
            failures[b] = "non-finite estimates"
        else:
            estimates[b], ok[b] = vector, True
    return estimates, ok, dict(sorted(failures.items()))


def bootstrap_estimates(fit_function, data_size: int, n_boot: int, seed, n_jobs: int = 2,
                        cluster_ids=None, replicates: range | None = None) -> BootstrapResult:
    """Bootstrap distribution of ``fit_function``'s estimates.

    The result is identical for any ``n_jobs`` and any split into parts.

    Parameters
    ----------
    fit_function : callable
        ``fit_function(indices) -> 1-d array`` of shape (p,): re-fits the estimator on the rows
        ``indices`` (int array, with repeats) of the caller's data. It must be picklable for
        ``n_jobs > 1`` (closures and lambdas are, via cloudpickle; large captured data is sent once
        per chunk). A resample whose fit raises, returns None, non-finite values or a vector of
        another length is counted as failed.
    data_size : int
        Rows of the caller's data.
    n_boot : int
        Number of resamples, numbered ``0..n_boot-1`` (see :class:`Resampler`).
    seed : int
        The bootstrap's seed.
    n_jobs : int, default 2
        Parallel workers (joblib's ``loky`` backend).
    cluster_ids : array-like of shape (data_size,), optional
        Cluster labels of the rows; clusters are then resampled whole.
    replicates : range, optional
        Compute only these of the ``n_boot`` resamples (a scatter job's share; rows of the result
        in that order; gather the parts with :func:`combine_results`). Default all of them.

    Returns
    -------
    BootstrapResult
        ``estimates`` of shape (len(replicates), p), NaN rows for failed resamples; ``failures``
        keyed by replicate number.

    Raises
    ------
    ValueError
        If ``replicates`` reaches outside ``0..n_boot-1``.
    """
    replicates = range(n_boot) if replicates is None else replicates
    if replicates.start < 0 or replicates.stop > n_boot:
        raise ValueError(f"replicates {replicates} outside 0..{n_boot - 1}")
    resampler = Resampler(data_size, seed, cluster_ids)
    estimates, ok, failures = _collect(_run_all(fit_function, resampler, list(replicates), n_jobs))
    failures = {replicates[b]: reason for b, reason in failures.items()}
    return BootstrapResult(estimates=estimates, ok=ok, failures=failures, seed=seed)


def part_replicates(n_boot: int, part: int, n_parts: int) -> range:
    """The resamples of scatter job ``part`` of ``n_parts``.

    Parameters
    ----------
    n_boot : int
        Number of resamples in all.
    part : int
        The job, 0-based.
    n_parts : int
        Number of jobs.

    Returns
    -------
    range
        A contiguous share of ``0..n_boot-1``; the shares are as equal as can be and together hold
        every resample once.

    Raises
    ------
    ValueError
        If ``part`` is outside ``0..n_parts-1``.
    """
    if not 0 <= part < n_parts:
        raise ValueError(f"part {part} outside 0..{n_parts - 1}")
    bounds = np.linspace(0, n_boot, n_parts + 1).round().astype(int)
    return range(int(bounds[part]), int(bounds[part + 1]))


def combine_results(parts: list[BootstrapResult]) -> BootstrapResult:
    """One result from the parts of a scattered bootstrap, in the order given.

    Parameters
    ----------
    parts : list of BootstrapResult
        The parts, each from :func:`bootstrap_estimates` with its ``replicates``. Their failure
        keys are already replicate numbers.

    Returns
    -------
    BootstrapResult
        The parts' rows stacked in the order given, with the seed of the first part. A part whose
        resamples all failed has no estimate columns: its rows are NaN at the width of the others.
    """
    width = max((part.estimates.shape[1] for part in parts), default=0)
    estimates = np.vstack([part.estimates if part.estimates.shape[1] == width
                           else np.full((part.ok.size, width), np.nan) for part in parts])
    failures = {b: reason for part in parts for b, reason in part.failures.items()}
    return BootstrapResult(estimates=estimates, ok=np.concatenate([part.ok for part in parts]),
                           failures=dict(sorted(failures.items())), seed=parts[0].seed if parts else None)


def result_frame(result: BootstrapResult, replicates: range) -> pd.DataFrame:
    """A (part of a) result as a table to pass between jobs.

    Parameters
    ----------
    result : BootstrapResult
        The result, or a part of one.
    replicates : range
        The replicate numbers of its rows.

    Returns
    -------
    DataFrame
        One row per replicate, columns ``replicate, ok, failure`` (the reason, "" if it
        succeeded), then ``estimate_0..estimate_{p-1}``.
    """
    frame = pd.DataFrame(result.estimates, columns=[f"estimate_{j}" for j in range(result.estimates.shape[1])])
    frame.insert(0, "replicate", np.asarray(list(replicates), dtype="int64"))
    frame.insert(1, "ok", result.ok)
    frame.insert(2, "failure", [result.failures.get(b, "") for b in replicates])
    return frame


def result_from_frames(frames: list[pd.DataFrame], seed=None) -> BootstrapResult:
    """:func:`result_frame` tables of every part back into one result, replicates in order.

    Parameters
    ----------
    frames : list of DataFrame
        The :func:`result_frame` tables of the parts.
    seed : int, optional
        The seed to record in the result (the tables do not hold it).

    Returns
    -------
    BootstrapResult
        Rows sorted by replicate number.
    """
    frame = pd.concat(frames, ignore_index=True).sort_values("replicate", kind="stable")
    estimates = frame.filter(like="estimate_").to_numpy(float)
    failures = {int(b): str(reason) for b, reason in zip(frame["replicate"], frame["failure"]) if reason}
    return BootstrapResult(estimates=estimates, ok=frame["ok"].to_numpy(bool), failures=failures, seed=seed)


def percentile_intervals(result: BootstrapResult, level: float = 0.95, names=None) -> pd.DataFrame:
    """Percentile intervals and bootstrap SEs from the successful resamples.

    Parameters
    ----------
    result : BootstrapResult
        The bootstrap.
    level : float, default 0.95
        Confidence level of the intervals.
    names : sequence of str, length p, optional
        Names of the estimates, added as column ``term``.

    Returns
    -------
    DataFrame
        One row per estimate: ``estimate_index`` (0..p-1; ``term`` too when ``names`` is given),
        ``conf_low``, ``conf_high`` (the (1-level)/2 and (1+level)/2 quantiles), ``std_error``
        (ddof=1), ``n_ok`` and ``share_failed`` (failed / n_boot). No rows when no resample
        succeeded (p is then unknown).
    """
    p = result.estimates.shape[1]
    good = result.estimates[result.ok]
    if good.shape[0]:
        low, high = np.quantile(good, [(1 - level) / 2, (1 + level) / 2], axis=0)
    else:
        low = high = np.full(p, np.nan)
    table = pd.DataFrame({
        "estimate_index": np.arange(p),
        "conf_low": low,
        "conf_high": high,
        "std_error": result.std_error,
        "n_ok": result.n_ok,
        "share_failed": result.share_failed,
    })
    if names is not None:
        table.insert(1, "term", list(names))
    return table


# ---- inference from the resamples: p-values, bias-corrected and accelerated intervals -----------------------

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
    below = ((replicates < null).sum(axis=0) + 0.5 * (replicates == null).sum(axis=0) + 0.5) / (B + 1)
    w = stats.norm.ppf(below) - z0
    # the level whose adjusted quantile is the null: invert Φ(z0 + z/(1 − a z)) = G(null)
    z = w / (1 + a * w)
    tail = stats.norm.cdf(z - z0)
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
