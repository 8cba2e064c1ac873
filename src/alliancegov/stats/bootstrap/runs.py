"""The estimator refitted on every resample, in parallel, failures counted with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alliancegov.stats.bootstrap.resampling import Resampler
from alliancegov.stats.bootstrap.results import BootstrapResult

CHUNKS_PER_WORKER = 4


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
                        cluster_ids=None, replicates: range | None = None,
                        frequency_weights=None) -> BootstrapResult:
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
    frequency_weights : array-like of shape (data_size,), optional
        Whole numbers of units (firms) per row: the resamples draw units, not rows, and
        ``fit_function`` receives unit indices (see :class:`Resampler`).

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
    resampler = Resampler(data_size, seed, cluster_ids, frequency_weights)
    estimates, ok, failures = _collect(_run_all(fit_function, resampler, list(replicates), n_jobs))
    failures = {replicates[b]: reason for b, reason in failures.items()}
    return BootstrapResult(estimates=estimates, ok=ok, failures=failures, seed=seed)
