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
    """Bootstrap CIs of the coefficients (clusters resampled whole when clustered; with frequency
    weights the firms the rows stand for are resampled, not the rows).

    Each resample refits the MNL by Newton–Raphson from the full sample's estimates, or, above
    ``spec.bootstrap_refit_max_rows`` rows (``bootstrap_method`` ``auto``) or with ``k_step``,
    takes Newton steps from them with the full-sample information (:func:`bootstrap_method_note`);
    a resample missing an outcome, or whose fit or steps do not converge, counts as a failure.

    Parameters
    ----------
    design : ChoiceDesign
        The design, outcome codes, frequency weights and cluster codes.
    spec : ChoiceSpec
        ``bootstrap_replicates``, ``seed`` and ``level``.
    n_jobs : int, default=1
        Worker processes of the refits (Newton steps run in this process); the result does not
        depend on it.

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
        Worker processes of the refits (Newton steps run in this process).

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
    if not spec.bootstrap_uses_refits(len(design.y)):
        return _newton_step_bootstrap(X, design, spec, replicates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # no convergence: refits start from scratch
        full = fit_mnl_newton(X, design.y, weights=design.weights)
    fit_function = _BootstrapFit(X, design.y, design.weights, len(design.levels),
                                 start=full.params if full.converged else None)
    return bootstrap_estimates(fit_function, len(design.y), spec.bootstrap_replicates, spec.seed,
                               n_jobs=n_jobs, cluster_ids=design.groups, replicates=replicates,
                               frequency_weights=design.weights)


def _newton_step_bootstrap(X: np.ndarray, design: ChoiceDesign, spec: ChoiceSpec, replicates: range):
    """The k-step bootstrap: the refits' resamples (same seed, same rows), each replicate Newton
    steps from the full-sample estimates until within ``spec.bootstrap_step_tolerance``
    model-based SEs of the resample's optimum, in this process (a replicate costs a few gradient
    passes, less than sending it to a worker)."""
    from alliancegov.stats.bootstrap import newton_step_bootstrap
    from alliancegov.stats.mnl import ReweightedGradient, fit_mnl_newton, model_covariance

    full = fit_mnl_newton(X, design.y, weights=design.weights)
    if not full.converged:
        raise ValueError("the k-step bootstrap starts from the full-sample optimum, and the MNL did not converge "
                         "(separation?): set choice.bootstrap_method: refit")
    estimates = full.params.T.ravel()
    return newton_step_bootstrap(ReweightedGradient(X, design.y, estimates),
                                 model_covariance(full.information), estimates, len(design.y),
                                 spec.bootstrap_replicates, spec.seed, steps=spec.bootstrap_max_steps,
                                 tolerance=spec.bootstrap_step_tolerance,
                                 cluster_ids=design.groups, frequency_weights=design.weights, replicates=replicates)


def bootstrap_method_note(design: ChoiceDesign, spec: ChoiceSpec) -> str:
    """How the bootstrap computed each resample's estimates, for the table note ("" for refits).

    Parameters
    ----------
    design : ChoiceDesign
        The design (its rows decide ``auto``).
    spec : ChoiceSpec
        ``bootstrap_method``, ``bootstrap_refit_max_rows``, ``bootstrap_step_tolerance`` and
        ``bootstrap_max_steps``.

    Returns
    -------
    str
        Empty when every resample is refitted (the note then reads as it always has); else a
        clause naming the k-step bootstrap and its stopping rule.
    """
    if spec.bootstrap_uses_refits(len(design.y)):
        return ""
    why = ("choice.bootstrap_method k_step" if spec.bootstrap_method == "k_step" else
           f"{len(design.y)} rows, above choice.bootstrap_refit_max_rows {spec.bootstrap_refit_max_rows}")
    return (f"; each resample's estimates are Newton steps from the full-sample estimates with the full-sample "
            f"information until within {spec.bootstrap_step_tolerance:g} model-based SEs of the resample's own "
            f"optimum (at most {spec.bootstrap_max_steps} steps), not a refit (k-step bootstrap, Davidson & "
            f"MacKinnon 1999, Andrews 2002; {why})")


BOOTSTRAP_NOTE = ("{interval} interval and p-value from {ok} of {replicates} resamples{clusters} (p-values "
                  "(1 + #)/(B + 1), never 0); std_error is the resamples' standard deviation; statistic is the "
                  "normal quantile of the p-value (not estimate / std_error, which disagrees with a skewed "
                  "bootstrap distribution)")


def bootstrap_intervals(design: ChoiceDesign, spec: ChoiceSpec, result) -> pd.DataFrame:
    """The coefficients' bootstrap table: BCa intervals and p-values from a ``BootstrapResult``.

    Parameters
    ----------
    design : ChoiceDesign
        The design (names the coefficients and outcomes; the full-sample fit is refitted on it).
    spec : ChoiceSpec
        ``level`` and ``base``.
    result : BootstrapResult
        The resamples' estimates, (replicates, k(J−1)), equation-major.

    Returns
    -------
    DataFrame
        One row per coefficient (term and non-base outcome): ``outcome, base, term, estimate``
        (the full-sample maximum-likelihood estimate, log-odds), ``std_error`` (bootstrap SE),
        ``statistic`` (the normal quantile of the p-value), ``p_value`` (BCa, two-sided, at least
        2/(B + 1)), ``conf_low, conf_high`` (the BCa interval at ``spec.level``), ``n_ok``
        (successful resamples), ``share_failed`` (failed / replicates) and ``note`` (what the
        columns are); no coefficient rows when no resample succeeded.

    Notes
    -----
    BCa (Efron 1987) recentres the percentile interval on the estimate and corrects for a
    standard error that changes with the parameter; the acceleration comes from the fit's
    influence values ``s_i I⁻¹`` (scores times the inverse information), summed over each cluster
    when clusters are resampled whole, so no jackknife refit is needed. The p-value is the level
    at which the BCa interval reaches 0, so the two never disagree.
    """
    from alliancegov.stats.bootstrap import acceleration, bca_intervals, bca_p_values, normal_equivalent
    from alliancegov.stats.mnl import fit_mnl_newton, information, model_covariance, score_contributions

    terms = list(design.X.columns) * (len(design.levels) - 1)
    columns = ["outcome", "base", "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
               "n_ok", "share_failed", "note"]
    draws = result.estimates[result.ok]
    if not len(draws):
        return pd.DataFrame(columns=columns)
    X = design.X.to_numpy()
    full = fit_mnl_newton(X, design.y, weights=design.weights)
    estimates = full.params.T.ravel()
    influence = score_contributions(X, design.y, full.params) @ model_covariance(
        information(X, full.params, design.weights))
    unit_weights = design.weights
    if design.groups is not None:
        weighted = influence if design.weights is None else influence * design.weights[:, None]
        influence = pd.DataFrame(weighted).groupby(design.groups).sum().to_numpy()
        unit_weights = None
    accelerations = acceleration(influence, unit_weights)
    p_values = bca_p_values(draws, estimates, 0.0, accelerations)
    low, high = bca_intervals(draws, estimates, spec.level, accelerations)
    clusters = " (firms resampled whole)" if design.groups is not None else ""
    if design.weights is not None:
        clusters += " of the units the frequency weights stand for (units drawn, not rows)"
    table = pd.DataFrame({
        "term": terms, "estimate": estimates, "std_error": result.std_error,
        "statistic": normal_equivalent(p_values, estimates), "p_value": p_values, "conf_low": low, "conf_high": high,
        "n_ok": result.n_ok, "share_failed": result.share_failed,
        "note": BOOTSTRAP_NOTE.format(interval="BCa", ok=result.n_ok, replicates=result.n_boot,
                                      clusters=clusters + bootstrap_method_note(design, spec)),
    })
    return _per_outcome(table, design.levels, spec.base)[columns]


class _BootstrapFit:
    """Refit on resampled rows, from the full sample's estimates ``start`` (k, J-1) if given;
    a resample missing an outcome counts as a failure. With frequency weights the resample's
    indices are firms (a row once per firm drawn from it), so each row is weighted by how often it
    was drawn."""

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None, n_levels: int,
                 start: np.ndarray | None = None):
        self.X, self.y, self.weights, self.n_levels, self.start = X, y, weights, n_levels, start

    def __call__(self, rows: np.ndarray) -> np.ndarray | None:
        from alliancegov.stats.mnl import fit_mnl_newton

        weights = None
        if self.weights is not None:
            rows, drawn = np.unique(rows, return_counts=True)
            weights = drawn.astype(float)
        y = self.y[rows]
        if len(np.unique(y)) < self.n_levels:
            return None
        fit = fit_mnl_newton(self.X[rows], y, weights=weights, start=self.start)
        return fit.params.T.ravel() if fit.converged else None


def _design(data: str, codebook: Sequence[str], spec: dict) -> tuple[ChoiceDesign, ChoiceSpec]:
    from alliancegov.choice.design import build_design
    from alliancegov.codebook.tables import Codebook
    from alliancegov.frame_columns import named_in, read_frame

    choice = ChoiceSpec.from_config(spec)
    return build_design(read_frame(data, named_in(spec)), choice,
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
