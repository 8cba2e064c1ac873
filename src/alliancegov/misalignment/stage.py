"""The misalignment stage (rules ``misalignment_bootstrap_part`` and ``misalignment``): the inputs
of both stages from the performance frame, the bootstrap scattered over jobs, and the three tables
it gathers into.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.misalignment.bootstrap import misalignment_bootstrap, misalignment_intervals
from alliancegov.misalignment.spec import FIRST_STAGE, MisalignmentSpec
from alliancegov.misalignment.two_stage import TwoStageData


def misalignment_inputs(frame: pd.DataFrame, settings: dict, choice_design_builder, scale: list[str]
                        ) -> tuple[TwoStageData, MisalignmentSpec, np.ndarray | None, pd.DataFrame]:
    """The two-stage data of an analysis frame with the derived outcomes (the frame
    :func:`alliancegov.performance.stage.analyse_performance` returns, or the one it builds).

    Parameters
    ----------
    frame : DataFrame
        The analysis frame with the derived outcomes.
    settings : dict
        The config's ``performance`` (its ``cluster`` and ``centre``) and ``misalignment``
        sections.
    choice_design_builder : callable
        ``choice_design_builder(frame)`` builds the first stage's design, its outcome coded in
        the order of ``scale``; its ``spec`` is the choice model's.
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

    Raises
    ------
    ModelSpecificationError
        If the choice model has frequency or sampling weights: the two stages and their bootstrap
        are unweighted, so they refuse to run rather than ignore them; or a row used has no
        cluster identifier.
    """
    from alliancegov.model_checks import cannot_fit

    first_stage = getattr(choice_design_builder, "spec", None)
    weighted = [name for name in ("weights", "sampling_weights") if getattr(first_stage, name, None)]
    if weighted:
        raise cannot_fit(FIRST_STAGE, f"the misalignment stage does not honour choice.{weighted[0]} (its models and "
                                      "bootstrap are unweighted); remove the weights or leave the stage out")
    performance = settings["performance"]
    spec = MisalignmentSpec.from_config(settings["misalignment"], centre=performance.get("centre", ()))
    data, rows = TwoStageData.build(frame, choice_design_builder, spec, np.arange(len(scale)))
    cluster = performance.get("cluster")
    if cluster and rows[cluster].isna().any():
        # factorize would code every missing identifier -1: one cluster of unrelated firms
        raise cannot_fit(FIRST_STAGE, f"{int(rows[cluster].isna().sum())} of the rows used have no {cluster} "
                                      f"(performance.cluster): their firms cannot be clustered")
    clusters = pd.factorize(rows[cluster])[0] if cluster else None
    return data, spec, clusters, rows


def _inputs(data: str, codebook: Sequence[str], settings: dict, choice: dict):
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.codebook.tables import Codebook
    from alliancegov.frame_columns import named_in, read_frame

    first_stage = ChoiceSpec.from_config(choice)
    scale = Codebook.from_files(codebook).answer_names(first_stage.outcome)   # codebook order: market → hierarchy
    frame = read_frame(data, named_in(settings, choice))   # the columns the two stages name
    return misalignment_inputs(frame, settings, DesignBuilder(first_stage, tuple(scale), FIRST_STAGE), scale)


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
        choice: dict) -> dict[str, pd.DataFrame]:
    """The misalignment rule: the scatter jobs' resamples gathered into the misalignment tables.

    Parameters
    ----------
    data : str
        Parquet file of the performance stage's frame.
    codebook : sequence of str
        The codebook's three files.
    parts : sequence of str
        The Parquet files of :func:`run_part`.
    outputs : dict of str to str
        A CSV path per table of :func:`misalignment_intervals` (``table``: the pooled measures',
        ``switching`` and ``counterfactual``).
    settings : dict
        The config's ``performance`` and ``misalignment`` sections.
    choice : dict
        The config's ``choice`` section.

    Returns
    -------
    dict of str to DataFrame
        The tables written.
    """
    import logging

    from alliancegov.misalignment.first_stage import first_stage_strength
    from alliancegov.misalignment.switching import COUNTERFACTUAL, MEASURES, SWITCHING
    from alliancegov.safe_output import write_csv
    from alliancegov.stats.bootstrap import result_from_frames

    two_stage, spec, clusters, _ = _inputs(data, codebook, settings, choice)
    result = result_from_frames([pd.read_parquet(path) for path in parts], seed=spec.seed)
    tables = misalignment_intervals(two_stage, spec, result, first_stage_strength(two_stage, clusters, spec.seed))
    for key, name in (("table", MEASURES), ("switching", SWITCHING), ("counterfactual", COUNTERFACTUAL)):
        if key in outputs:
            write_csv(tables[name], outputs[key])
    logging.getLogger("alliancegov").info("\n%s", tables[MEASURES].drop(columns="note").to_string(index=False))
    return tables
