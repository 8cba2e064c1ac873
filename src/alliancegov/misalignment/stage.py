"""The misalignment stage (rules ``misalignment_bootstrap_part`` and ``misalignment``): the inputs
of both stages from the performance frame, the bootstrap scattered over jobs, the first stage's
strength.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.misalignment.bootstrap import misalignment_bootstrap, misalignment_intervals
from alliancegov.misalignment.two_stage import FIRST_STAGE, MisalignmentSpec, TwoStageData, first_stage_fit


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
    full = first_stage_fit(data.first_stage, data.chosen, names)
    restricted = first_stage_fit(data.first_stage[:, kept], data.chosen, [names[i] for i in kept])
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
    from alliancegov.codebook.tables import Codebook

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
