"""One replicate of the power study: a sample simulated at the current estimates, put through the
pipeline's own scoring and estimators (rule ``power_replicates``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.power.settings import ALL_CHECKS, PowerSettings

REPLICATE_COLUMNS = ["n", "replicate", "hypothesis", "check", "table", "model", "outcome", "term", "expected",
                     "estimate", "std_error", "p_value", "detected", "estimator", "share_bootstrap_failed", "note"]


SIMULATED_YEAR = 2024   # the simulated wave's survey year (the pool stage adds survey_year to a real wave)


def simulate_population(truth: dict, codebook: Codebook, firms: int, seed: int) -> pd.DataFrame:
    """One clean simulated wave of ``firms`` firms (canonical answers, truth columns ``true_``).

    Parameters
    ----------
    truth : dict
        The simulator's true parameters.
    codebook : Codebook
        The scales and answers.
    firms : int
        Firms simulated.
    seed : int
        Seed of the simulation.

    Returns
    -------
    DataFrame
        ``firms`` rows: a :data:`SIMULATED_YEAR` wave of :func:`~alliancegov.simulate.population.simulate_waves`.
    """
    from alliancegov.simulate.population import simulate_waves

    return simulate_waves(firms, [SIMULATED_YEAR], seed=seed, truth=truth, codebook=codebook)[0]


def analysis_frame(wave: pd.DataFrame, codebook: Codebook, performance: dict) -> pd.DataFrame:
    """A simulated wave as the pipeline's models see it: scored as the constructs stage scores
    (the simulator's own scale scores dropped first, so no column is doubled), with the derived
    performance variables and the composite index of the performance stage, and a firm key (the
    registry number).

    The columns are those of :func:`alliancegov.constructs.stage.build_analysis` (a test holds them
    equal), without its reliability table, whose omega fits took 1.2 of the 3.1 s of a replicate
    of 200 firms when measured.

    Parameters
    ----------
    wave : DataFrame
        A clean simulated wave (:func:`simulate_population`).
    codebook : Codebook
        The scales, items and answers.
    performance : dict
        The config's ``performance`` section.

    Returns
    -------
    DataFrame
        One row per firm: the analysis frame with the derived performance variables, the composite
        index, ``firm_key`` and ``survey_year``.
    """
    from alliancegov.constructs.scores import score_responses
    from alliancegov.performance.outcomes import outcome_frame

    # The simulator writes every scale's score; the pipeline's are recomputed from the items.
    analysis = score_responses(wave.drop(columns=[s for s in codebook.scales["scale"] if s in wave]), codebook)
    return outcome_frame(analysis.assign(firm_key=analysis["registry_number"], survey_year=SIMULATED_YEAR), performance)


def choice_ame(frame: pd.DataFrame, settings: PowerSettings) -> tuple[pd.DataFrame, str]:
    """The pipeline's AME table for ``frame`` and the estimator used (``ml`` or ``firth``), as
    :func:`alliancegov.choice.analyse_choice` computes them (Firth when separated).

    Parameters
    ----------
    frame : DataFrame
        The analysis frame (:func:`analysis_frame`).
    settings : PowerSettings
        The choice model and the outcome's categories.

    Returns
    -------
    table : DataFrame
        :func:`alliancegov.choice.model.ame_table`: ``outcome, term, estimate, std_error, ...``,
        AMEs in probability points (0–1 scale).
    estimator : str
        ``ml`` or ``firth``.

    Raises
    ------
    ValueError
        If the sample is separated and ``choice.firth`` is ``never``, or the base form does not occur.
    """
    from alliancegov.choice.design import build_design
    from alliancegov.choice.model import ame_table, fit_firth, fit_mnl, model_separated

    design = build_design(frame, settings.choice, list(settings.categories))
    if model_separated(design):
        if settings.choice.firth == "never":
            raise ValueError("separated sample and choice.firth is 'never'")
        return ame_table(fit_firth(design), design, settings.choice), "firth"
    return ame_table(fit_mnl(design, settings.choice), design, settings.choice), "ml"


def two_stage_table(frame: pd.DataFrame, settings: PowerSettings, seed: int) -> pd.DataFrame:
    """The pipeline's misalignment table (both stages bootstrapped, B from the settings).

    Parameters
    ----------
    frame : DataFrame
        The analysis frame (:func:`analysis_frame`).
    settings : PowerSettings
        The choice, performance (its ``cluster``: resampled whole) and misalignment settings.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        :func:`alliancegov.misalignment.misalignment_table`: ``model, outcome, term, estimate,
        std_error, statistic, p_value, conf_low, conf_high, n_ok, share_failed``, the p-value the
        percentile bootstrap's.
    """
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.misalignment.bootstrap import misalignment_table
    from alliancegov.misalignment.two_stage import TwoStageData

    spec = replace(settings.misalignment, seed=seed)
    data, rows = TwoStageData.build(frame, DesignBuilder(settings.choice, settings.categories), spec,
                                    np.arange(len(settings.categories)))
    cluster = settings.performance.get("cluster")
    clusters = pd.factorize(rows[cluster])[0] if cluster else None
    return misalignment_table(data, spec, clusters=clusters, n_jobs=1)


def _lookup(table: pd.DataFrame, where: tuple[tuple[str, str], ...]) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where:
        mask &= table[column].astype(str).to_numpy() == value
    if mask.sum() != 1:
        raise ValueError(f"{int(mask.sum())} rows match {dict(where)}")
    return table[mask].iloc[0]


def _seed(*parts: int) -> int:
    """A 32-bit seed from integers (numpy's SeedSequence: independent streams per tuple)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def replicate(n: int, seed: int, truth: dict, settings: PowerSettings, codebook: Codebook, *,
              replicate_id: int = 0) -> pd.DataFrame:
    """Every effect's estimate, SE, p-value and detection in one simulated sample of ``n`` firms.

    The sample is the first ``n`` of ``settings.population`` firms (``n`` if None) simulated
    from ``seed``; the H7 bootstrap is seeded from (``seed``, ``n``). A fit that fails (e.g. a
    form absent from a small sample) gives a row with NaN estimates, ``detected`` False and the
    reason in ``note``: the pipeline would not have supported the hypothesis either.

    Parameters
    ----------
    n : int
        The sample size.
    seed : int
        Seed of the simulated population.
    truth : dict
        The simulator's true parameters, set at the estimates.
    settings : PowerSettings
        The model settings, the effects, ``alpha`` and ``population``.
    codebook : Codebook
        The scales and answers.
    replicate_id : int, default=0
        Keyword-only: the replicate's number, written in the ``replicate`` column.

    Returns
    -------
    DataFrame
        One row per effect (columns ``REPLICATE_COLUMNS``; estimates in probability points for AMEs
        and in composite-index units per unit of misfit for H7), plus one ``all`` row per
        hypothesis with several effects: detected when all of them are.
    """
    from alliancegov.hypotheses.verdicts import check_verdict

    population = max(n, settings.population or n)
    wave = simulate_population(truth, codebook, population, seed).iloc[:n].reset_index(drop=True)
    tables: dict[str, pd.DataFrame] = {}
    failures: dict[str, str] = {}
    estimator = ""
    with warnings.catch_warnings():
        # Small resamples are often separated: the Newton fits then warn at every step.
        warnings.simplefilter("ignore")
        frame = analysis_frame(wave, codebook, settings.performance)
        try:
            tables["choice_ame"], estimator = choice_ame(frame, settings)
        except (ValueError, np.linalg.LinAlgError) as error:
            failures["choice_ame"] = f"{type(error).__name__}: {error}"
        if settings.needs_two_stage:
            try:
                tables["misalignment"] = two_stage_table(frame, settings, _seed(seed, n))
            except (ValueError, np.linalg.LinAlgError, KeyError) as error:
                failures["misalignment"] = f"{type(error).__name__}: {error}"
    rows = []
    for effect in settings.effects:
        row = {"n": n, "replicate": replicate_id, "hypothesis": effect.hypothesis, "check": effect.check,
               "table": effect.table, "model": effect.get("model"), "outcome": effect.get("outcome"),
               "term": effect.get("term"), "expected": effect.expected, "estimate": np.nan, "std_error": np.nan,
               "p_value": np.nan, "detected": False,
               "estimator": estimator if effect.table == "choice_ame" else "bootstrap",
               "share_bootstrap_failed": np.nan, "note": failures.get(effect.table, "")}
        if effect.table in tables:
            try:
                found = _lookup(tables[effect.table], effect.where)
            except ValueError as error:
                row["note"] = str(error)
            else:
                row |= {"estimate": float(found["estimate"]), "std_error": float(found["std_error"]),
                        "p_value": float(found["p_value"])}
                if "share_failed" in found:
                    row["share_bootstrap_failed"] = float(found["share_failed"])
                row["detected"] = check_verdict(row["estimate"], row["p_value"], effect.expected,
                                                settings.alpha) == "supported"
        rows.append(row)
    table = pd.DataFrame(rows, columns=REPLICATE_COLUMNS)
    joint = table.groupby("hypothesis", sort=False).filter(lambda g: len(g) > 1)
    if len(joint):
        summary = joint.groupby("hypothesis", sort=False).agg(detected=("detected", "all")).reset_index()
        summary = summary.assign(n=n, replicate=replicate_id, check=f"{ALL_CHECKS}: simulated checks",
                                 table=ALL_CHECKS, model="", outcome="", term="", expected="", note="")
        table = pd.concat([table, summary.reindex(columns=REPLICATE_COLUMNS)], ignore_index=True)
    return table


def chunk_replicates(replicates: int, chunks: int, chunk: int) -> np.ndarray:
    """Replicate numbers of chunk ``chunk`` (0-based) when ``replicates`` are split in ``chunks``.

    Parameters
    ----------
    replicates : int
        Replicates in all.
    chunks : int
        Number of chunks.
    chunk : int
        This chunk, 0-based.

    Returns
    -------
    ndarray of int
        Consecutive replicate numbers; chunk sizes differ by at most one.

    Raises
    ------
    ValueError
        If ``chunk`` is not in ``0..chunks - 1``.
    """
    if not 0 <= chunk < chunks:
        raise ValueError(f"chunk {chunk} is not in 0..{chunks - 1}")
    return np.array_split(np.arange(replicates), chunks)[chunk]


def run_replicates(n: int, replicate_ids, truth: dict, settings: PowerSettings, codebook: Codebook) -> pd.DataFrame:
    """:func:`replicate` for each id in ``replicate_ids``; replicate ``r`` is seeded from
    (``settings.seed``, ``r``) whatever the chunking, so results do not depend on it.

    Parameters
    ----------
    n : int
        The sample size.
    replicate_ids : iterable of int
        The replicates to run (:func:`chunk_replicates`).
    truth : dict
        The simulator's true parameters, set at the estimates.
    settings : PowerSettings
        The study's settings.
    codebook : Codebook
        The scales and answers.

    Returns
    -------
    DataFrame
        Every replicate's rows (``REPLICATE_COLUMNS``), in order; no rows without ids.
    """
    parts = [replicate(n, _seed(settings.seed, r), truth, settings, codebook, replicate_id=int(r))
             for r in replicate_ids]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REPLICATE_COLUMNS)


def run(*, truth: str, register: str, codebook: Sequence[str], outputs: dict[str, str], settings: dict, n: int,
        chunk: int) -> pd.DataFrame:
    """The power_replicates rule: chunk ``chunk`` of the replicates at ``n`` firms.

    Parameters
    ----------
    truth : str
        The truth at the current estimates (YAML, rule ``power_truth``).
    register : str
        The hypotheses register (YAML).
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``replicates``: the Parquet file of :func:`run_replicates`' rows.
    settings : dict
        The config's ``power``, ``choice``, ``performance`` and ``misalignment`` sections.
    n, chunk : int
        The sample size and the chunk (0-based) of the replicates.

    Returns
    -------
    DataFrame
        The replicates written.
    """
    import logging
    from pathlib import Path

    import yaml

    from alliancegov.power.settings import load_settings

    power = load_settings(settings, register, codebook)
    ids = chunk_replicates(settings["power"]["replicates"], settings["power"]["chunks"], chunk)
    replicates = run_replicates(n, ids, yaml.safe_load(Path(truth).read_text(encoding="utf-8")), power,
                                Codebook.from_files(codebook))
    replicates.to_parquet(outputs["replicates"], index=False)
    logging.getLogger("alliancegov").info(
        "%d firms, replicates %s: detected per check\n%s", n, f"{ids[0]}–{ids[-1]}" if len(ids) else "none",
        replicates.groupby("check", sort=False)["detected"].mean().to_string())
    return replicates
