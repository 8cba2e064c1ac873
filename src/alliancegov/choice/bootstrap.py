"""The choice model's bootstrap, scattered over jobs (rules ``choice_bootstrap_part``) and
gathered (rule ``choice_bootstrap``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.choice.design import ChoiceDesign
from alliancegov.choice.model import _per_outcome
from alliancegov.choice.spec import ChoiceSpec


def bootstrap_table(design: ChoiceDesign, spec: ChoiceSpec, n_jobs: int = 1) -> pd.DataFrame:
    """Percentile bootstrap CIs of the coefficients (clusters resampled whole when clustered).

    Each resample refits the MNL by Newton–Raphson from the full sample's estimates; a resample
    missing an outcome, or whose fit does not converge, counts as a failure.

    Parameters
    ----------
    design : ChoiceDesign
        The design, outcome codes, frequency weights and cluster codes.
    spec : ChoiceSpec
        ``bootstrap_replicates``, ``seed`` and ``level``.
    n_jobs : int, default=1
        Worker processes of the refits; the result does not depend on it.

    Returns
    -------
    DataFrame
        One row per coefficient (term and non-base outcome): ``outcome, base, term, conf_low,
        conf_high`` (the percentile interval at ``spec.level``, log-odds), ``std_error`` (bootstrap
        SE), ``n_ok`` (successful resamples) and ``share_failed`` (failed / replicates); no
        coefficient rows when no resample succeeded.
    """
    return bootstrap_intervals(design, spec, _bootstrap(design, spec, range(spec.bootstrap_replicates), n_jobs))


def bootstrap_part(design: ChoiceDesign, spec: ChoiceSpec, part: int, n_parts: int, n_jobs: int = 1) -> pd.DataFrame:
    """Scatter job ``part`` (0-based) of ``n_parts``: its share of the bootstrap resamples, as a
    table for :func:`bootstrap_table_from_parts` (``stats.bootstrap.result_frame``). The parts
    together give exactly :func:`bootstrap_table`'s result.

    Parameters
    ----------
    design : ChoiceDesign
        The design, outcome codes, frequency weights and cluster codes.
    spec : ChoiceSpec
        ``bootstrap_replicates`` and ``seed``.
    part : int
        This job's number, 0-based.
    n_parts : int
        Number of scatter jobs.
    n_jobs : int, default=1
        Worker processes of the refits.

    Returns
    -------
    DataFrame
        One row per resample of this part: ``replicate, ok, failure, estimate_0..estimate_{p-1}``
        (the p = k(J−1) coefficients, equation-major; NaN for a failed resample, with the reason in
        ``failure``).
    """
    from alliancegov.stats.bootstrap import part_replicates, result_frame

    replicates = part_replicates(spec.bootstrap_replicates, part, n_parts)
    return result_frame(_bootstrap(design, spec, replicates, n_jobs), replicates)


def bootstrap_table_from_parts(design: ChoiceDesign, spec: ChoiceSpec, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Gather the scatter jobs' :func:`bootstrap_part` tables into :func:`bootstrap_table`'s result.

    Parameters
    ----------
    design : ChoiceDesign
        The design the parts were computed on (names the coefficients).
    spec : ChoiceSpec
        ``bootstrap_replicates``, ``seed`` and ``level``.
    parts : list of DataFrame
        Every part's :func:`bootstrap_part` table, in any order.

    Returns
    -------
    DataFrame
        One row per coefficient (term and non-base outcome): ``outcome, base, term, conf_low,
        conf_high`` (the percentile interval at ``spec.level``, log-odds), ``std_error`` (bootstrap
        SE), ``n_ok`` (successful resamples) and ``share_failed`` (failed / replicates); no
        coefficient rows when no resample succeeded.

    Raises
    ------
    ValueError
        If the parts do not hold ``spec.bootstrap_replicates`` resamples in all.
    """
    from alliancegov.stats.bootstrap import result_from_frames

    result = result_from_frames(parts, seed=spec.seed)
    if result.ok.size != spec.bootstrap_replicates:
        raise ValueError(f"the bootstrap parts hold {result.ok.size} resamples, not {spec.bootstrap_replicates}")
    return bootstrap_intervals(design, spec, result)


def _bootstrap(design: ChoiceDesign, spec: ChoiceSpec, replicates: range, n_jobs: int):
    from alliancegov.stats.bootstrap import bootstrap_estimates
    from alliancegov.stats.mnl import fit_mnl_newton

    X = design.X.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # no convergence: refits start from scratch
        full = fit_mnl_newton(X, design.y, weights=design.weights)
    fit_function = _BootstrapFit(X, design.y, design.weights, len(design.levels),
                                 start=full.params if full.converged else None)
    return bootstrap_estimates(fit_function, len(design.y), spec.bootstrap_replicates, spec.seed,
                               n_jobs=n_jobs, cluster_ids=design.groups, replicates=replicates)


def bootstrap_intervals(design: ChoiceDesign, spec: ChoiceSpec, result) -> pd.DataFrame:
    """The coefficient table's percentile intervals from a ``stats.bootstrap.BootstrapResult``.

    Parameters
    ----------
    design : ChoiceDesign
        The design (names the coefficients and outcomes).
    spec : ChoiceSpec
        ``level`` and ``base``.
    result : BootstrapResult
        The resamples' estimates, (replicates, k(J−1)), equation-major.

    Returns
    -------
    DataFrame
        One row per coefficient (term and non-base outcome): ``outcome, base, term, conf_low,
        conf_high`` (the percentile interval at ``spec.level``, log-odds), ``std_error`` (bootstrap
        SE), ``n_ok`` (successful resamples) and ``share_failed`` (failed / replicates); no
        coefficient rows when no resample succeeded.
    """
    from alliancegov.stats.bootstrap import percentile_intervals

    terms = list(design.X.columns) * (len(design.levels) - 1)
    table = percentile_intervals(result, level=spec.level, names=terms).drop(columns=["estimate_index"])
    return _per_outcome(table, design.levels, spec.base)


class _BootstrapFit:
    """Refit on resampled rows, from the full sample's estimates ``start`` (k, J-1) if given;
    a resample missing an outcome counts as a failure."""

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None, n_levels: int,
                 start: np.ndarray | None = None):
        self.X, self.y, self.weights, self.n_levels, self.start = X, y, weights, n_levels, start

    def __call__(self, rows: np.ndarray) -> np.ndarray | None:
        from alliancegov.stats.mnl import fit_mnl_newton

        y = self.y[rows]
        if len(np.unique(y)) < self.n_levels:
            return None
        weights = None if self.weights is None else self.weights[rows]
        fit = fit_mnl_newton(self.X[rows], y, weights=weights, start=self.start)
        return fit.params.T.ravel() if fit.converged else None


def _design(data: str, codebook: Sequence[str], spec: dict) -> tuple[ChoiceDesign, ChoiceSpec]:
    from alliancegov.choice.design import build_design
    from alliancegov.codebook import Codebook

    choice = ChoiceSpec.from_config(spec)
    return build_design(pd.read_parquet(data), choice,
                        Codebook.from_files(codebook).answer_names(choice.outcome)), choice


def run_part(*, data: str, codebook: Sequence[str], outputs: dict[str, str], spec: dict, parts: int, part: int,
             threads: int = 1) -> pd.DataFrame:
    """The choice_bootstrap_part rule: resamples of scatter job ``part`` (0-based) of ``parts``.

    Parameters
    ----------
    data : str
        Parquet file of the analysis frame.
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``part``: the Parquet file of this job's resamples (:func:`bootstrap_part`'s table).
    spec : dict
        The config's ``choice`` section.
    parts, part : int
        Number of scatter jobs, and this job's number (0-based).
    threads : int, default=1
        Worker processes of the refits.

    Returns
    -------
    DataFrame
        The resamples written.
    """
    import logging

    design, choice = _design(data, codebook, spec)
    table = bootstrap_part(design, choice, part, parts, n_jobs=threads)
    table.to_parquet(outputs["part"], index=False)
    logging.getLogger("alliancegov").info(
        "bootstrap part %d of %d: resamples %s, %d failed", part + 1, parts,
        f"{table['replicate'].min()}–{table['replicate'].max()}" if len(table) else "none", (~table["ok"]).sum())
    return table


def run(*, data: str, codebook: Sequence[str], parts: Sequence[str], outputs: dict[str, str], spec: dict
        ) -> pd.DataFrame:
    """The choice_bootstrap rule: the scatter jobs' resamples gathered into the interval table.

    Parameters
    ----------
    data : str
        Parquet file of the analysis frame.
    codebook : sequence of str
        The codebook's three files.
    parts : sequence of str
        The Parquet files of :func:`run_part`.
    outputs : dict of str to str
        ``table``: the CSV of :func:`bootstrap_intervals`.
    spec : dict
        The config's ``choice`` section.

    Returns
    -------
    DataFrame
        The table written.
    """
    import logging

    from alliancegov.safe_output import write_csv

    design, choice = _design(data, codebook, spec)
    table = bootstrap_table_from_parts(design, choice, [pd.read_parquet(path) for path in parts])
    write_csv(table, outputs["table"])
    logging.getLogger("alliancegov").info("\n%s", table.to_string(index=False))
    return table
