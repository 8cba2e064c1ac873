"""The bootstrap of both stages (firms resampled whole, both stages refitted on each resample) and
its table of bias-corrected intervals and p-values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.misalignment.two_stage import SECOND_STAGE, MisalignmentSpec, TwoStageData, first_stage_fit


class _TwoStageRefit:
    """Resampled firms → both stages refitted, the first from the full fit's estimates ``start``
    (picklable for the bootstrap workers)."""

    def __init__(self, data: TwoStageData, layout, start: np.ndarray):
        self.data, self.layout, self.start = data, layout, start

    def __call__(self, rows: np.ndarray) -> np.ndarray | None:
        estimates = self.data.estimates(rows, self.start)
        flat = np.concatenate([estimates[model].reindex(terms).to_numpy() for model, terms in self.layout])
        return flat if np.isfinite(flat).all() else None


def _full_sample(data: TwoStageData) -> tuple[dict[str, pd.Series], np.ndarray]:
    """Both stages on every firm, once each second stage is known to be identified, and the first
    stage's estimates (k, J-1)."""
    from alliancegov.model_checks import check_parameters, check_rank

    start = first_stage_fit(data.first_stage, data.chosen, data.first_stage_names).params
    for name, (design, _) in data._second_stages(start=start).items():
        check_parameters(len(design), design.columns, f"{SECOND_STAGE} ({name})")
        check_rank(design, f"{SECOND_STAGE} ({name})")
    return data.estimates(start=start), start   # Newton from its own optimum stops at once


def misalignment_bootstrap(data: TwoStageData, spec: MisalignmentSpec, clusters: np.ndarray | None = None,
                           replicates: range | None = None, n_jobs: int = 1):
    """The two-stage bootstrap's resamples ``replicates``: firms resampled by cluster, both stages
    refitted.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices.
    spec : MisalignmentSpec
        The number of resamples and the seed.
    clusters : ndarray of shape (n,), optional
        The firms' cluster codes; clusters are resampled whole. None resamples firms.
    replicates : range, optional
        The resamples computed: default all ``spec.bootstrap_replicates``; a scatter job's share,
        see ``stats.bootstrap.part_replicates``.
    n_jobs : int
        Worker processes.

    Returns
    -------
    stats.bootstrap.BootstrapResult
        Estimates of shape (len(replicates), p) whose columns follow
        :func:`misalignment_intervals`' rows; each refit's first stage starts from the full
        sample's estimates.
    """
    from alliancegov.stats.bootstrap import bootstrap_estimates

    point, start = _full_sample(data)
    layout = [(model, list(series.index)) for model, series in point.items()]
    return bootstrap_estimates(_TwoStageRefit(data, layout, start), len(data.chosen), spec.bootstrap_replicates,
                               spec.seed, n_jobs=n_jobs, cluster_ids=clusters, replicates=replicates)


def misalignment_intervals(data: TwoStageData, spec: MisalignmentSpec, result) -> pd.DataFrame:
    """Second-stage estimates of every model with bootstrap SEs, bias-corrected intervals and
    p-values from the two-stage bootstrap ``result``, corrected and uncorrected side by side.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices (the point estimates are refitted on all firms).
    spec : MisalignmentSpec
        The outcome, the number of resamples and the confidence level.
    result : stats.bootstrap.BootstrapResult
        All ``spec.bootstrap_replicates`` resamples of :func:`misalignment_bootstrap`.

    Returns
    -------
    DataFrame
        One row per model and term. Columns: ``model, outcome, term, estimate, std_error,
        statistic, p_value, conf_low, conf_high, n_ok, share_failed, note``: the bias-corrected
        (BC) bootstrap interval and the p-value of the same method (at least 2/(B + 1), never 0);
        ``statistic`` is the normal quantile of that p-value, so the two agree; ``std_error`` the
        resamples' standard deviation. The note says so.

    Raises
    ------
    ValueError
        If ``result`` does not hold ``spec.bootstrap_replicates`` resamples.

    Notes
    -----
    Bias-corrected without acceleration: the acceleration needs the influence of each firm on
    both stages together (a jackknife of the two-stage fit), which costs a refit per firm. The
    bias correction recentres the percentile interval on the estimate, which matters for the
    selection-corrected coefficients in small samples (Efron 1987).
    """
    from alliancegov.choice.bootstrap import BOOTSTRAP_NOTE
    from alliancegov.stats.bootstrap import bca_intervals, bca_p_values, normal_equivalent

    if result.n_boot != spec.bootstrap_replicates:
        raise ValueError(f"the bootstrap holds {result.n_boot} resamples, not {spec.bootstrap_replicates}")
    point, _ = _full_sample(data)
    layout = [(model, list(series.index)) for model, series in point.items()]
    table = pd.DataFrame([(model, term) for model, terms in layout for term in terms], columns=["model", "term"])
    estimates = np.concatenate([point[model].to_numpy() for model, _ in layout])
    draws = result.estimates[result.ok]
    table["estimate"] = estimates
    table["std_error"] = result.std_error
    if len(draws):
        p_values = bca_p_values(draws, estimates)
        low, high = bca_intervals(draws, estimates, spec.level)
    else:
        p_values = low = high = np.full(len(table), np.nan)
    table["statistic"] = normal_equivalent(p_values, estimates)
    table["p_value"] = p_values
    table["conf_low"], table["conf_high"] = low, high
    table["n_ok"], table["share_failed"] = result.n_ok, result.share_failed
    table["note"] = BOOTSTRAP_NOTE.format(interval="Bias-corrected (BC)", ok=result.n_ok, replicates=result.n_boot,
                                          clusters=" (both stages refitted on each)")
    table.insert(1, "outcome", spec.outcome)
    return table


def misalignment_table(data: TwoStageData, spec: MisalignmentSpec, clusters: np.ndarray | None = None,
                       n_jobs: int = 1) -> pd.DataFrame:
    """:func:`misalignment_intervals` from the whole bootstrap run here (``n_jobs`` workers).

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices.
    spec : MisalignmentSpec
        The outcome, the bootstrap and the confidence level.
    clusters : ndarray of shape (n,), optional
        The firms' cluster codes, resampled whole; None resamples firms.
    n_jobs : int
        Worker processes.

    Returns
    -------
    DataFrame
        :func:`misalignment_intervals`' table.
    """
    return misalignment_intervals(data, spec, misalignment_bootstrap(data, spec, clusters, n_jobs=n_jobs))
