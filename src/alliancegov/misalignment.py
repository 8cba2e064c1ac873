"""Misalignment of the governance form with the transaction (Masten 1993; Sampson 2004) and its
effect on performance, with multinomial selection corrections and a bootstrap of both stages.

The first stage is the choice model: a firm is misaligned when its chosen form is not the one of
highest predicted probability; the continuous misfit is 1 − the predicted probability of its
form. The second stage regresses performance on the misalignment measures and controls, without
and with Lee's and Dubin–McFadden's selection terms. Standard errors come from a bootstrap that
refits both stages on resampled firms, scattered over jobs (rules ``misalignment_bootstrap_part``
and ``misalignment``).

References
----------
.. [1] Masten, S. E. (1993). Transaction costs, mistakes, and performance: assessing the
   importance of governance. Managerial and Decision Economics, 14(2), 119–129.
.. [2] Sampson, R. C. (2004). The cost of misaligned governance in R&D alliances. Journal of
   Law, Economics, and Organization, 20(2), 484–526.
.. [3] Lee, L.-F. (1983). Generalized econometric models with selectivity. Econometrica, 51(2),
   507–512.
.. [4] Dubin, J. A., & McFadden, D. L. (1984). An econometric analysis of residential electric
   appliance holdings and consumption. Econometrica, 52(2), 345–362.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import readable_term

FIRST_STAGE = "the misalignment first stage (the choice model)"   # the stages' names in messages
SECOND_STAGE = "the misalignment second stage"

def misalignment_measures(probabilities: np.ndarray, chosen: np.ndarray, scale_rank: np.ndarray) -> pd.DataFrame:
    """Misalignment of each firm's chosen form from the first stage's predicted probabilities.

    The aligned form is the one of highest predicted probability (the lowest code on a tie).

    Parameters
    ----------
    probabilities : ndarray of shape (n, J)
        Predicted probabilities of each form from the choice model.
    chosen : ndarray of shape (n,)
        Codes 0 .. J − 1 of the chosen forms.
    scale_rank : ndarray of shape (J,)
        Each form's position on the market → hierarchy scale.

    Returns
    -------
    DataFrame
        n rows (index 0 .. n − 1). Columns: ``aligned`` (code), ``misaligned`` (0/1, modal
        mismatch), ``excess_hierarchy`` and ``insufficient_hierarchy`` (0/1, the chosen form
        above or below the aligned one on the scale), ``misfit`` (1 − predicted probability of
        the chosen form, probability units); the 0/1 columns are float.
    """
    aligned = probabilities.argmax(axis=1)
    gap = scale_rank[chosen] - scale_rank[aligned]
    return pd.DataFrame({
        "aligned": aligned,
        "misaligned": (chosen != aligned).astype(float),
        "excess_hierarchy": (gap > 0).astype(float),
        "insufficient_hierarchy": (gap < 0).astype(float),
        "misfit": 1 - probabilities[np.arange(len(chosen)), chosen],
    })


@dataclass(frozen=True)
class MisalignmentSpec:
    """``misalignment`` in the config: the performance outcome, the second stage's controls (patsy),
    selection-correction methods (``lee``, ``dmf``, ``dahl``) and the two-stage bootstrap.

    Attributes
    ----------
    outcome : str
        The performance outcome of the second stage.
    controls : str
        The second stage's controls, a patsy right-hand side (intercept included unless removed).
    selection : tuple of str
        Selection-correction methods, each a ``corrected_<method>`` model (the methods of
        :func:`alliancegov.stats.selection.selection_terms`).
    bootstrap_replicates : int
        Resamples of the two-stage bootstrap.
    seed : int
        Seed of the bootstrap's resamples.
    level : float
        Confidence level of the percentile intervals.
    """

    outcome: str
    controls: str
    selection: tuple[str, ...] = ("lee", "dmf")
    bootstrap_replicates: int = 200
    seed: int = 20261127
    level: float = 0.95

    @classmethod
    def from_config(cls, section: dict) -> MisalignmentSpec:
        """From the config's ``misalignment`` section (``bootstrap_jobs`` is the workflow's, not the model's).

        Parameters
        ----------
        section : dict
            The ``misalignment`` section: the spec's fields (``outcome`` and ``controls``
            required) and ``bootstrap_jobs``, which is ignored; any other key raises TypeError.

        Returns
        -------
        MisalignmentSpec
            The spec, ``selection`` ("lee", "dmf") unless the section sets it.
        """
        return cls(selection=tuple(section.get("selection", ("lee", "dmf"))),
                   **{k: v for k, v in section.items() if k not in ("selection", "bootstrap_jobs")})


@dataclass
class TwoStageData:
    """Both stages' matrices, built once so that bootstrap resamples only index rows.

    Rows are the firms complete for the first stage, the outcome and the controls.
    """

    first_stage: np.ndarray     # (n, k) choice-model design
    first_stage_names: tuple[str, ...]
    chosen: np.ndarray          # (n,) form codes
    controls: pd.DataFrame      # (n, c) second-stage controls, intercept included
    outcome: np.ndarray         # (n,)
    scale_rank: np.ndarray      # (J,) position of each form on the market → hierarchy scale
    selection: tuple[str, ...]

    @classmethod
    def build(cls, frame: pd.DataFrame, choice_design_builder, spec: MisalignmentSpec,
              scale_rank: np.ndarray) -> tuple[TwoStageData, pd.DataFrame]:
        """The matrices and the rows they hold (the first stage's rows, filtered).

        Parameters
        ----------
        frame : DataFrame
            The analysis frame with the derived outcomes, one row per firm.
        choice_design_builder : callable
            ``choice_design_builder(frame)`` builds the first stage's design (``data``, ``X``,
            ``y``), e.g. :class:`alliancegov.choice.design.DesignBuilder`.
        spec : MisalignmentSpec
            The outcome, controls and selection methods.
        scale_rank : ndarray of shape (J,)
            Each form's position on the market → hierarchy scale.

        Returns
        -------
        data : TwoStageData
            The matrices of the first stage's rows that also have the outcome and the controls.
        rows : DataFrame
            Those rows of the frame (all its columns), index reset to 0 .. n − 1.

        Raises
        ------
        ModelSpecificationError
            If the first stage cannot be fitted (see the builder), the outcome or a control is
            missing for every firm (of a wave), a control takes a single value or the controls
            are collinear.
        """
        from alliancegov.expressions import design_matrix, formula_variables
        from alliancegov.model_checks import check_rank, check_varying, complete_rows

        design = choice_design_builder(frame)
        rows = design.data
        variables = formula_variables(spec.controls, rows.columns, source="misalignment.controls")
        check_varying(complete_rows(rows, [spec.outcome, *variables], SECOND_STAGE), variables, SECOND_STAGE)
        # Built on the rows with the outcome: a text level seen only without it would be a column of zeros.
        controls = design_matrix(spec.controls, rows[rows[spec.outcome].notna()], source="misalignment.controls",
                                 NA_action="drop")
        keep = np.zeros(len(rows), dtype=bool)
        keep[controls.index] = True
        controls.columns = [readable_term(c) for c in controls.columns]
        check_rank(controls, SECOND_STAGE)
        data = cls(design.X.to_numpy()[keep], tuple(design.X.columns), design.y[keep], controls.reset_index(drop=True),
                   rows.loc[keep, spec.outcome].to_numpy(float), scale_rank, spec.selection)
        return data, rows.loc[keep].reset_index(drop=True)

    def first_stage_probabilities(self, rows: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        """The choice model fitted on ``rows`` (Newton from ``start`` (k, J-1) if given): predicted
        probabilities of each form, (len(rows), J).

        Parameters
        ----------
        rows : ndarray of int
            Positions of the firms (repeats allowed, as in a bootstrap resample).
        start : ndarray of shape (k, J-1), optional
            Starting coefficients of the multinomial logit's Newton iterations.

        Returns
        -------
        ndarray of shape (len(rows), J)
            Predicted probability of each form for each of ``rows``, by the model fitted on them.
        """
        from alliancegov.stats.mnl import probabilities

        X = self.first_stage[rows]
        return probabilities(X, _first_stage_fit(X, self.chosen[rows], self.first_stage_names, start).params)

    def estimates(self, rows: np.ndarray | None = None, start: np.ndarray | None = None) -> dict[str, pd.Series]:
        """Both stages on ``rows`` (all when None): model → second-stage coefficients; the first
        stage's Newton starts from ``start`` (k, J-1) if given (a bootstrap refit from the full fit).

        Models: ``uncorrected`` (misaligned), ``direction`` (excess and insufficient hierarchy),
        ``misfit`` (continuous), and ``corrected_<method>`` (misaligned + selection terms).

        Parameters
        ----------
        rows : ndarray of int, optional
            Positions of the firms (repeats allowed); None for all.
        start : ndarray of shape (k, J-1), optional
            Starting coefficients of the first stage's Newton iterations.

        Returns
        -------
        dict of str to Series
            Model name → its OLS coefficients (outcome units) on the controls, the misalignment
            regressors and any selection terms, indexed by those columns' names.
        """
        return {name: pd.Series(least_squares(design.to_numpy(float), y), index=design.columns)
                for name, (design, y) in self._second_stages(rows, start).items()}

    def _second_stages(self, rows: np.ndarray | None = None, start: np.ndarray | None = None
                       ) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
        """Model name → its second-stage design and outcome on ``rows`` (see :meth:`estimates`)."""
        from alliancegov.stats.selection import selection_terms

        rows = np.arange(len(self.chosen)) if rows is None else rows
        chosen, y = self.chosen[rows], self.outcome[rows]
        P = self.first_stage_probabilities(rows, start)
        measures = misalignment_measures(P, chosen, self.scale_rank)
        controls = self.controls.iloc[rows].reset_index(drop=True)
        models = {"uncorrected": (["misaligned"], None),
                  "direction": (["excess_hierarchy", "insufficient_hierarchy"], None),
                  "misfit": (["misfit"], None)}
        for method in self.selection:
            models[f"corrected_{method}"] = (["misaligned"], selection_terms(P, chosen, method))
        stages = {}
        for name, (regressors, terms) in models.items():
            parts = [controls, measures[regressors]] + ([terms.reset_index(drop=True)] if terms is not None else [])
            stages[name] = (pd.concat(parts, axis=1), y)
        return stages


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS coefficients (k,) of ``y`` (n,) on ``X`` (n, k).

    Parameters
    ----------
    X : ndarray of shape (n, k)
        The design.
    y : ndarray of shape (n,)
        The outcome.

    Returns
    -------
    ndarray of shape (k,)
        The coefficients, in units of ``y`` per unit of each column.

    Notes
    -----
    The normal equations with equilibrated columns, solved by Cholesky, 15× faster than
    ``lstsq``'s SVD at 10^5 rows (the two-stage bootstrap solves five of them per resample); the
    SVD's minimum-norm solution when the scaled cross-product's condition number passes 1e8
    (about 8 digits would be lost) or a column is 0.
    """
    from scipy import linalg

    gram = X.T @ X
    scale = np.sqrt(np.diag(gram))
    if np.all(scale > 0):
        scaled = gram / np.outer(scale, scale)
        if np.linalg.cond(scaled) < 1e8:
            return linalg.solve(scaled, (X.T @ y) / scale, assume_a="pos") / scale
    return np.linalg.lstsq(X, y, rcond=None)[0]


class _TwoStageRefit:
    """Resampled firms → both stages refitted, the first from the full fit's estimates ``start``
    (picklable for the bootstrap workers)."""

    def __init__(self, data: TwoStageData, layout, start: np.ndarray):
        self.data, self.layout, self.start = data, layout, start

    def __call__(self, rows: np.ndarray) -> np.ndarray | None:
        estimates = self.data.estimates(rows, self.start)
        flat = np.concatenate([estimates[model].reindex(terms).to_numpy() for model, terms in self.layout])
        return flat if np.isfinite(flat).all() else None


def _first_stage_fit(X: np.ndarray, chosen: np.ndarray, names: Sequence[str], start: np.ndarray | None = None):
    """``stats.mnl.fit_mnl_newton``, a singular information said in a sentence naming the columns."""
    from alliancegov.model_checks import singular_information
    from alliancegov.stats.mnl import fit_mnl_newton

    try:
        return fit_mnl_newton(X, chosen, start=start)
    except np.linalg.LinAlgError as error:
        raise singular_information(pd.DataFrame(X, columns=list(names)), FIRST_STAGE) from error


def _full_sample(data: TwoStageData) -> tuple[dict[str, pd.Series], np.ndarray]:
    """Both stages on every firm, once each second stage is known to be identified, and the first
    stage's estimates (k, J-1)."""
    from alliancegov.model_checks import check_parameters, check_rank

    start = _first_stage_fit(data.first_stage, data.chosen, data.first_stage_names).params
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


def first_stage_strength(data: TwoStageData) -> pd.DataFrame:
    """LR test that the choice regressors left out of the performance equation (the exclusion
    restrictions: first-stage columns not among the second stage's controls) jointly matter in
    the first stage: the MNL with and without them.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices.

    Returns
    -------
    DataFrame
        One row: ``test`` ("lr_excluded_variables"), ``variables`` (the excluded columns,
        space-separated), ``df`` (their number × (J − 1)), ``statistic`` (the LR chi-square)
        and ``p_value``.

    Raises
    ------
    ValueError
        If every first-stage column is among the controls (no restriction to test).
    """
    from alliancegov.stats.selection import first_stage_strength as lr_test

    names = list(data.first_stage_names)
    excluded = [i for i, name in enumerate(names) if name not in set(data.controls.columns)]
    kept = [i for i in range(len(names)) if i not in excluded]
    full = _first_stage_fit(data.first_stage, data.chosen, names)
    restricted = _first_stage_fit(data.first_stage[:, kept], data.chosen, [names[i] for i in kept])
    test = lr_test(llf_full=full.loglik, llf_restricted=restricted.loglik,
                   df=len(excluded) * (full.params.shape[1]))
    return pd.DataFrame({"test": ["lr_excluded_variables"], "variables": [" ".join(names[i] for i in excluded)],
                         "df": [test.df], "statistic": [test.statistic], "p_value": [test.p_value]})


def misalignment_inputs(frame: pd.DataFrame, settings: dict, choice_design_builder, scale: list[str]
                        ) -> tuple[TwoStageData, MisalignmentSpec, np.ndarray | None, pd.DataFrame]:
    """The two-stage data of an analysis frame with the derived outcomes (the frame
    :func:`analyse_performance` returns, or the one it builds).

    Parameters
    ----------
    frame : DataFrame
        The analysis frame with the derived outcomes.
    settings : dict
        The config's ``performance`` (its ``cluster``) and ``misalignment`` sections.
    choice_design_builder : callable
        ``choice_design_builder(frame)`` builds the first stage's design, its outcome coded in
        the order of ``scale``.
    scale : list of str
        The forms from market to hierarchy (their positions are the scale ranks).

    Returns
    -------
    data : TwoStageData
        Both stages' matrices.
    spec : MisalignmentSpec
        The ``misalignment`` settings as a spec.
    clusters : ndarray of shape (n,) or None
        The firms' cluster codes (None when the performance section names no cluster).
    rows : DataFrame
        The rows used.
    """
    spec = MisalignmentSpec.from_config(settings["misalignment"])
    data, rows = TwoStageData.build(frame, choice_design_builder, spec, np.arange(len(scale)))
    cluster = settings["performance"].get("cluster")
    clusters = pd.factorize(rows[cluster])[0] if cluster else None
    return data, spec, clusters, rows


def _inputs(data: str, codebook: Sequence[str], settings: dict, choice: dict):
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.codebook import Codebook

    first_stage = ChoiceSpec.from_config(choice)
    scale = Codebook.from_files(codebook).answer_names(first_stage.outcome)   # codebook order: market → hierarchy
    return misalignment_inputs(pd.read_parquet(data), settings, DesignBuilder(first_stage, tuple(scale), FIRST_STAGE),
                               scale)


def run_part(*, data: str, codebook: Sequence[str], outputs: dict[str, str], settings: dict, choice: dict,
             parts: int, part: int, threads: int = 1) -> pd.DataFrame:
    """The misalignment_bootstrap_part rule: the two-stage resamples of scatter job ``part``
    (0-based) of ``parts``.

    Parameters
    ----------
    data : str
        Parquet file of the performance stage's frame (derived outcomes included).
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``part``: the Parquet file of this job's resamples.
    settings : dict
        The config's ``performance`` and ``misalignment`` sections.
    choice : dict
        The config's ``choice`` section (the first stage).
    parts, part : int
        The number of scatter jobs and this job's (0-based).
    threads : int
        Worker processes of the refits.

    Returns
    -------
    DataFrame
        The resamples written (``stats.bootstrap.result_frame``).
    """
    import logging

    from alliancegov.stats.bootstrap import part_replicates, result_frame

    two_stage, spec, clusters, _ = _inputs(data, codebook, settings, choice)
    replicates = part_replicates(spec.bootstrap_replicates, part, parts)
    table = result_frame(misalignment_bootstrap(two_stage, spec, clusters, replicates, n_jobs=threads), replicates)
    table.to_parquet(outputs["part"], index=False)
    logging.getLogger("alliancegov").info(
        "two-stage bootstrap part %d of %d: resamples %s, %d failed", part + 1, parts,
        f"{replicates.start}–{replicates.stop - 1}" if len(replicates) else "none", (~table["ok"]).sum())
    return table


def run(*, data: str, codebook: Sequence[str], parts: Sequence[str], outputs: dict[str, str], settings: dict,
        choice: dict) -> pd.DataFrame:
    """The misalignment rule: the scatter jobs' resamples gathered into the misalignment table.

    Parameters
    ----------
    data : str
        Parquet file of the performance stage's frame.
    codebook : sequence of str
        The codebook's three files.
    parts : sequence of str
        The Parquet files of :func:`run_part`.
    outputs : dict of str to str
        ``table``: the CSV of :func:`misalignment_intervals`.
    settings : dict
        The config's ``performance`` and ``misalignment`` sections.
    choice : dict
        The config's ``choice`` section.

    Returns
    -------
    DataFrame
        The table written.
    """
    import logging

    from alliancegov.safe_output import write_csv
    from alliancegov.stats.bootstrap import result_from_frames

    two_stage, spec, _, _ = _inputs(data, codebook, settings, choice)
    result = result_from_frames([pd.read_parquet(path) for path in parts], seed=spec.seed)
    table = misalignment_intervals(two_stage, spec, result)
    write_csv(table, outputs["table"])
    logging.getLogger("alliancegov").info("\n%s", table.to_string(index=False))
    return table
