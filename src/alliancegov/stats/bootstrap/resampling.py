"""Which rows each bootstrap resample holds, drawn reproducibly resample by resample.
"""

from __future__ import annotations

import numpy as np


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
    frequency_weights : array-like of shape (data_size,), optional
        Whole numbers: row i stands for ``w_i`` identical units (firms). A resample is then drawn
        from the units, not the rows: without clusters, ``N = sum w`` units with replacement (the
        number drawn from row i multinomial, ``N`` trials with probabilities ``w / N``); with
        clusters, clusters drawn whole, with all their units. Either way the returned indices are
        units: row i appears once per unit drawn from it (so a fit function weights each row by
        how often it appears, ``numpy.unique(rows, return_counts=True)``, not by ``w_i``). This
        is the bootstrap of the expanded data, without expanding it.

    Notes
    -----
    Each resample is drawn when needed, from a generator of its own, so a job computing
    resamples 100–199 draws exactly what a job computing all 200 would, and memory stays that of
    one resample (at 1,000,000 rows, 200 resamples drawn up front would take 1.6 GB).
    Picklable, so workers draw their own resamples.
    """

    def __init__(self, data_size: int, seed, cluster_ids=None, frequency_weights=None):
        self.data_size, self.seed = data_size, seed
        self.clusters = None if cluster_ids is None else _ClusterIndex(cluster_ids, data_size)
        self.units = None if frequency_weights is None else _whole_numbers(frequency_weights, data_size)

    def __call__(self, b: int) -> np.ndarray:
        rng = np.random.default_rng([int(self.seed), int(b)])
        if self.clusters is None:
            if self.units is None:
                return rng.integers(0, self.data_size, size=self.data_size)
            total = int(self.units.sum())
            drawn = rng.multinomial(total, self.units / total)
            return np.repeat(np.arange(self.data_size), drawn)
        rows = self.clusters.rows_of(rng.integers(0, self.clusters.count, size=self.clusters.count))
        return rows if self.units is None else np.repeat(rows, self.units[rows])


def _whole_numbers(weights, data_size: int) -> np.ndarray:
    """Frequency weights as (data_size,) int64, checked to be whole non-negative numbers."""
    w = np.asarray(weights, dtype=float)
    if w.shape != (data_size,) or not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w != np.round(w)):
        raise ValueError(f"frequency_weights must be {data_size} whole non-negative numbers (units per row)")
    if w.sum() <= 0:
        raise ValueError("frequency_weights sum to zero")
    return w.astype(np.int64)


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
