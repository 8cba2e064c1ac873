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

    ``estimates`` (n_boot, p) with NaN rows for failed resamples; ``ok`` (n_boot,) bool;
    ``failures`` maps resample number → reason; ``seed`` the seed used.
    """

    estimates: np.ndarray
    ok: np.ndarray
    failures: dict[int, str] = field(default_factory=dict)
    seed: int | None = None

    @property
    def n_boot(self) -> int:
        return int(self.ok.size)

    @property
    def n_ok(self) -> int:
        return int(self.ok.sum())

    @property
    def share_failed(self) -> float:
        return float(1 - self.ok.mean()) if self.ok.size else float("nan")

    @property
    def std_error(self) -> np.ndarray:
        """Bootstrap standard error of each estimate over the successful resamples (ddof=1); (p,)."""
        if self.n_ok < 2:
            return np.full(self.estimates.shape[1], np.nan)
        return self.estimates[self.ok].std(axis=0, ddof=1)


def resample_indices(data_size: int, n_boot: int, seed, cluster_ids=None) -> list[np.ndarray]:
    """Row indices of ``n_boot`` resamples of ``data_size`` rows.

    Without ``cluster_ids``: ``data_size`` rows drawn with replacement per resample. With
    ``cluster_ids`` (data_size,): as many clusters as there are drawn with replacement, each
    contributing all its rows (so resample sizes vary). Returns a list of ``n_boot`` int arrays.
    """
    rng = np.random.default_rng(seed)
    if cluster_ids is None:
        return list(rng.integers(0, data_size, size=(n_boot, data_size)))
    members = _cluster_members(cluster_ids, data_size)
    draws = rng.integers(0, len(members), size=(n_boot, len(members)))
    return [np.concatenate([members[c] for c in draw]) for draw in draws]


def _cluster_members(cluster_ids, data_size: int) -> list[np.ndarray]:
    """Row indices of each cluster, clusters in order of first appearance."""
    cluster_ids = np.asarray(cluster_ids)
    if cluster_ids.shape != (data_size,):
        raise ValueError(f"cluster_ids must have shape ({data_size},), not {cluster_ids.shape}")
    codes, _ = pd.factorize(cluster_ids)
    if np.any(codes < 0):
        raise ValueError("cluster_ids must not contain missing values")
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


@dataclass(frozen=True)
class _Failure:
    """An exception raised by the fit function, as text (travels back from the workers)."""

    reason: str


def _run_chunk(fit_function, chunk: list[np.ndarray]) -> list:
    """Apply ``fit_function`` to each index array; an exception becomes a :class:`_Failure`."""
    out = []
    for indices in chunk:
        try:
            out.append(fit_function(indices))
        except Exception as error:  # every failure is counted, with its reason
            out.append(_Failure(f"{type(error).__name__}: {error}"))
    return out


def _chunks(items: list, n_chunks: int) -> list[list]:
    size = -(-len(items) // max(n_chunks, 1))
    return [items[start:start + size] for start in range(0, len(items), size)]


def _run_all(fit_function, samples: list[np.ndarray], n_jobs: int) -> list:
    """Raw outputs of ``fit_function`` on every resample, in resample order."""
    from joblib import Parallel, delayed, effective_n_jobs

    workers = effective_n_jobs(n_jobs)
    if workers == 1 or len(samples) <= 1:
        return _run_chunk(fit_function, samples)
    chunks = _chunks(samples, workers * CHUNKS_PER_WORKER)
    parts = Parallel(n_jobs=workers, backend="loky")(delayed(_run_chunk)(fit_function, c) for c in chunks)
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
                        cluster_ids=None) -> BootstrapResult:
    """Bootstrap distribution of ``fit_function``'s estimates.

    ``fit_function(indices) -> 1-d array`` (p,) re-fits the estimator on the rows ``indices``
    (int array, with repeats) of the caller's data; it must be picklable for ``n_jobs > 1``
    (closures and lambdas are, via cloudpickle; large captured data is sent once per chunk).
    ``data_size`` rows; ``n_boot`` resamples drawn from ``default_rng(seed)`` (see
    :func:`resample_indices`; clusters resampled whole when ``cluster_ids`` (data_size,) is given).
    The result is identical for any ``n_jobs``.
    """
    samples = resample_indices(data_size, n_boot, seed, cluster_ids)
    estimates, ok, failures = _collect(_run_all(fit_function, samples, n_jobs))
    return BootstrapResult(estimates=estimates, ok=ok, failures=failures, seed=seed)


def percentile_intervals(result: BootstrapResult, level: float = 0.95, names=None) -> pd.DataFrame:
    """Percentile intervals and bootstrap SEs from the successful resamples.

    One row per estimate: ``estimate_index`` (0..p-1; ``term`` too when ``names`` is given),
    ``conf_low``, ``conf_high`` (the (1-level)/2 and (1+level)/2 quantiles), ``std_error``,
    ``n_ok`` and ``share_failed`` (failed / n_boot). No rows when no resample succeeded (p is
    then unknown).
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
