"""The bootstrap of both stages (firms resampled whole, both stages refitted on each resample), one
run for every estimate of the misalignment tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.misalignment.spec import SECOND_STAGE, MisalignmentSpec
from alliancegov.misalignment.switching import MEASURES, all_estimates, check_form_equations
from alliancegov.misalignment.two_stage import TwoStageData, first_stage_fit


class _TwoStageRefit:
    """Resampled firms → both stages refitted, the first from the full fit's estimates ``start``
    (or estimated by ``first_stage``, rows → probabilities), the estimates in the order of
    ``layout`` (picklable for the bootstrap workers)."""

    def __init__(self, data: TwoStageData, layout: pd.MultiIndex, start: np.ndarray, switching: bool,
                 first_stage=None):
        self.data, self.layout, self.start, self.switching = data, layout, start, switching
        self.first_stage = first_stage

    def __call__(self, rows: np.ndarray) -> np.ndarray | None:
        P = None if self.first_stage is None else self.first_stage(rows)
        flat = all_estimates(self.data, rows, self.start, switching=self.switching,
                             probabilities=P).reindex(self.layout).to_numpy()
        return flat if np.isfinite(flat).all() else None


class _FirstStageSteps:
    """Resampled firms → the first stage's probabilities on them, its coefficients Newton steps
    from the full-sample estimates ``start`` (k, J-1) with the full-sample information fixed
    (``stats.bootstrap.newton_steps``), instead of a refit: the k-step bootstrap's first stage.
    The second stages are then refitted exactly on what it gives, so the first stage's estimation
    effect on them is in the draws as with refits."""

    def __init__(self, data: TwoStageData, start: np.ndarray, spec: MisalignmentSpec):
        from alliancegov.stats.mnl import ReweightedGradient, information, model_covariance

        self.X, estimates = data.first_stage, start.T.ravel()
        self.gradient = ReweightedGradient(self.X, data.chosen, estimates)
        self.bread = model_covariance(information(self.X, start))
        self.estimates, self.k = estimates, start.shape[0]
        self.steps, self.tolerance = spec.bootstrap_max_steps, spec.bootstrap_step_tolerance

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        from alliancegov.stats.bootstrap import newton_steps
        from alliancegov.stats.mnl import probabilities

        counts = np.bincount(rows, minlength=self.X.shape[0]).astype(float)
        theta = newton_steps(self.gradient, self.bread, self.estimates, counts, steps=self.steps,
                             tolerance=self.tolerance)
        return probabilities(self.X[rows], theta.reshape(-1, self.k).T)


def full_sample(data: TwoStageData, switching: bool = True) -> tuple[pd.Series, np.ndarray]:
    """Both stages on every firm, once each second stage is known to be identified, and the first
    stage's estimates (k, J-1).

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices.
    switching : bool
        Whether the switching regressions and the counterfactual are estimated too.

    Returns
    -------
    point : Series
        :func:`alliancegov.misalignment.switching.all_estimates` on every firm.
    start : ndarray of shape (k, J-1)
        The first stage's coefficients (the bootstrap refits start from them).

    Raises
    ------
    ModelSpecificationError
        Naming the model (and form) whose design has no more firms than coefficients or
        collinear columns.
    """
    from alliancegov.model_checks import check_parameters, check_rank
    from alliancegov.stats.mnl import probabilities

    start = first_stage_fit(data.first_stage, data.chosen, data.first_stage_names).params
    P = probabilities(data.first_stage, start)
    everyone = np.arange(len(data.chosen))
    for name, (design, _) in data.second_stages(everyone, probabilities=P).items():
        check_parameters(len(design), design.columns, f"{SECOND_STAGE} ({name})")
        check_rank(design, f"{SECOND_STAGE} ({name})")
    if switching and data.equation is not None:
        check_form_equations(data, P)
    return all_estimates(data, start=start, switching=switching), start   # Newton from its optimum stops at once


def misalignment_bootstrap(data: TwoStageData, spec: MisalignmentSpec, clusters: np.ndarray | None = None,
                           replicates: range | None = None, n_jobs: int = 1, switching: bool = True):
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
    switching : bool
        Whether the switching regressions and the counterfactual are refitted too (False: the
        pooled models only).

    Returns
    -------
    stats.bootstrap.BootstrapResult
        Estimates of shape (len(replicates), p) in the order of :func:`full_sample`'s ``point``;
        each refit's first stage starts from the full sample's estimates (above
        ``spec.bootstrap_refit_max_rows`` firms, or with ``bootstrap_method`` ``k_step``, it is
        Newton steps from them instead, :class:`_FirstStageSteps`). A resample in which a form's
        equation cannot be fitted (too few firms of a form, a level missing), or whose steps do
        not settle, fails.
    """
    from alliancegov.stats.bootstrap import bootstrap_estimates

    point, start = full_sample(data, switching)
    first_stage = None if spec.bootstrap_uses_refits(len(data.chosen)) else _FirstStageSteps(data, start, spec)
    return bootstrap_estimates(_TwoStageRefit(data, point.index, start, switching, first_stage), len(data.chosen),
                               spec.bootstrap_replicates, spec.seed, n_jobs=n_jobs, cluster_ids=clusters,
                               replicates=replicates)


def misalignment_intervals(data: TwoStageData, spec: MisalignmentSpec, result, strength: pd.DataFrame | None = None,
                           switching: bool = True) -> dict[str, pd.DataFrame]:
    """The misalignment tables from the two-stage bootstrap ``result``.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices (the point estimates are refitted on all firms).
    spec : MisalignmentSpec
        The outcome, the number of resamples and the confidence level.
    result : stats.bootstrap.BootstrapResult
        All ``spec.bootstrap_replicates`` resamples of :func:`misalignment_bootstrap` (with the
        same ``switching``).
    strength : DataFrame, optional
        The first stage's checks, for the notes.
    switching : bool
        As in :func:`misalignment_bootstrap`.

    Returns
    -------
    dict of str to DataFrame
        :func:`alliancegov.misalignment.tables.misalignment_tables`.

    Notes
    -----
    Bias-corrected without acceleration: the acceleration needs the influence of each firm on
    both stages together (a jackknife of the two-stage fit), which costs a refit per firm. The
    bias correction recentres the percentile interval on the estimate, which matters for the
    selection-corrected coefficients in small samples (Efron 1987).
    """
    from alliancegov.misalignment.tables import misalignment_tables

    point, _ = full_sample(data, switching)
    return misalignment_tables(data, spec, point, result, strength)


def misalignment_table(data: TwoStageData, spec: MisalignmentSpec, clusters: np.ndarray | None = None,
                       n_jobs: int = 1) -> pd.DataFrame:
    """The pooled measures' table (``misalignment``) from a bootstrap of the pooled models run here.

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
        The ``misalignment`` table of :func:`misalignment_intervals` (without the switching
        regressions, which this bootstrap does not refit).
    """
    result = misalignment_bootstrap(data, spec, clusters, n_jobs=n_jobs, switching=False)
    return misalignment_intervals(data, spec, result, switching=False)[MEASURES]
