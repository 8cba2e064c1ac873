"""The resamples' estimates (:class:`BootstrapResult`), gathered from scatter jobs, and percentile intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


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
