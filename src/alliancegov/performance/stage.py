"""The performance stage (rule ``performance``): every performance table, and the analysis frame
with the derived outcomes and misalignment measures it hands the misalignment stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from alliancegov.misalignment.bootstrap import misalignment_bootstrap, misalignment_intervals
from alliancegov.misalignment.effects import form_effects
from alliancegov.misalignment.first_stage import first_stage_strength
from alliancegov.misalignment.spec import FIRST_STAGE
from alliancegov.misalignment.stage import misalignment_inputs
from alliancegov.misalignment.two_stage import misalignment_measures
from alliancegov.performance.contrasts import form_contrasts
from alliancegov.performance.importance import importance_table
from alliancegov.performance.ols import (
    PerformanceSpec,
    alternative_cov_type,
    fit_ols,
    fit_ols_imputed,
    ols_table,
)
from alliancegov.performance.ordered import ordered_outcome_tables
from alliancegov.performance.outcomes import means_by_form, outcome_frame, scale_of


def survey_weighting(first_stage, settings: dict) -> dict:
    """The choice model's weights and survey design, as the performance models take them.

    A survey's weights belong to its data, not to one model: the performance OLS (its tables,
    fit and contrasts) are weighted as the choice model is, and the parts of the stage that do not
    take weights refuse them rather than run unweighted in silence (the misalignment models refuse
    them in :func:`~alliancegov.misalignment.stage.misalignment_inputs`).

    Parameters
    ----------
    first_stage : ChoiceSpec
        The choice model's spec (``weights``; under ``cov_type`` "design" its ``sampling_weights``,
        ``strata``, ``psu``, ``fpc``).
    settings : dict
        The config's ``performance`` (``cov_type``, ``ordinal``) and ``importance`` sections.

    Returns
    -------
    dict
        :class:`PerformanceSpec` fields: ``weights`` and ``weight_type`` ("frequency" or
        "sampling") and the design's columns; empty without weights or a design.

    Raises
    ------
    ModelSpecificationError
        If the choice model has weights or a design and the performance section asks for ordered
        outcomes or the importance section for groups (unweighted estimators), or the choice model
        has a survey design and ``performance.cov_type`` is not "design".
    """
    from alliancegov.model_checks import ModelSpecificationError

    section = settings["performance"]
    if first_stage.weights:
        survey = {"weights": first_stage.weights, "weight_type": "frequency"}
    elif first_stage.cov_type == "design":
        if section.get("cov_type") != "design":
            raise ModelSpecificationError("choice.cov_type is 'design': the survey design applies to the performance "
                                          "models too; set performance.cov_type: design")
        survey = {"weights": first_stage.sampling_weights, "weight_type": "sampling", "strata": first_stage.strata,
                  "psu": first_stage.psu, "fpc": first_stage.fpc}
    else:
        return {}
    unweighted = ["performance.ordinal"] * bool(section.get("ordinal")) + \
        ["importance.groups"] * bool(settings.get("importance", {}).get("groups"))
    if unweighted:
        raise ModelSpecificationError(f"{' and '.join(unweighted)} cannot take the choice model's weights or design "
                                      "(their estimators are unweighted): leave them out of a weighted analysis")
    return survey


def analyse_performance(data: pd.DataFrame, settings: dict, choice_design_builder, scale: list[str], *,
                        missing_data: dict | None = None, n_jobs: int = 1,
                        bootstrap: bool = True) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every performance table, and the analysis frame with the derived outcomes and misalignment.

    Parameters
    ----------
    data : DataFrame
        The analysis frame, one row per firm.
    settings : dict
        The config's ``performance``, ``misalignment``, ``importance`` and ``form_effects``
        sections.
    choice_design_builder : callable
        ``choice_design_builder(frame)`` builds the first stage's design (the choice model).
    scale : list of str
        The forms from market to hierarchy.
    missing_data : dict, optional
        The config's ``missing_data`` section (see :meth:`PerformanceSpec.from_config`).
    n_jobs : int
        Worker processes of the misalignment bootstrap.
    bootstrap : bool
        False leaves out the bootstrapped tables (``misalignment``, ``misalignment_switching``,
        ``misalignment_counterfactual``), for a workflow that scatters their bootstrap over jobs
        (:func:`misalignment_inputs` on the returned frame, :func:`misalignment_bootstrap`,
        :func:`misalignment_intervals`).

    Returns
    -------
    tables : dict of str to DataFrame
        ``performance_ols`` (:func:`ols_table` of the outcome and its ``parts``, model
        ``by_form``, again with clustered SEs when a ``cluster`` is set, and the ``interaction``
        model if configured), ``performance_ordered`` and ``performance_ordered_ame``
        (:func:`ordered_outcome_tables` of each ``ordinal`` outcome), ``performance_fit``
        (:func:`fit_ols` of the outcome), ``performance_contrasts`` (:func:`form_contrasts`),
        ``performance_by_form`` (:func:`means_by_form`), the tables of
        :func:`misalignment_intervals` (when ``bootstrap``), ``misalignment_first_stage``
        (:func:`first_stage_strength`), ``form_effects`` and ``form_overlap`` (:func:`form_effects`,
        trimmed at ``form_effects.trim``, default 0.01) and, when the ``importance`` section has
        ``groups``, ``importance`` (:func:`importance_table`).
    enriched : DataFrame
        Without a ``misalignment`` section, the frame with the derived outcomes (and no
        misalignment tables). Otherwise the rows of the two-stage model (firms complete for the
        first stage, the misalignment outcome and controls) with the derived outcomes, the misalignment measures
        (:func:`misalignment_measures`) and ``aligned_form``.
    """
    section = settings["performance"]
    frame = outcome_frame(data, section)
    base = {k: section[k] for k in ("formula", "cov_type", "cluster", "level", "centre") if k in section}
    main = PerformanceSpec.from_config({**base, "outcome": section["outcome"]}, missing_data)
    main = replace(main, **survey_weighting(choice_design_builder.spec, settings))
    alternative = alternative_cov_type(section, main.cov_type)
    tables = {"performance_ols": [], "performance_ordered": [], "performance_ordered_ame": []}
    fits = []
    for outcome in [section["outcome"], *section.get("parts", [])]:
        spec = replace(main, outcome=outcome)
        tables["performance_ols"].append(ols_table(frame, spec, "by_form"))
        if alternative:
            tables["performance_ols"].append(ols_table(frame, replace(spec, cov_type=alternative), "by_form"))
        fit = fit_ols_imputed(frame, spec) if spec.imputations > 0 else fit_ols(frame, spec)
        fits.append(fit.fit.assign(outcome=outcome, se_type=spec.cov_type)[["outcome", "se_type", "statistic",
                                                                             "value"]])
    if section.get("interaction"):
        tables["performance_ols"].append(ols_table(frame, replace(main, formula=section["interaction"]), "interaction"))
    for outcome in section.get("ordinal", []):
        answers = scale_of(frame, outcome, section)
        coefficients, ame = ordered_outcome_tables(frame, outcome, section["formula"], answers,
                                                   cluster=section.get("cluster"))
        tables["performance_ordered"].append(coefficients)
        tables["performance_ordered_ame"].append(ame)
    empty = pd.DataFrame(columns=["outcome", "term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                  "conf_high"])   # no ordinal outcome configured
    tables = {name: pd.concat(parts, ignore_index=True) if parts else empty for name, parts in tables.items()}
    tables["performance_fit"] = pd.concat(fits, ignore_index=True)
    tables["performance_contrasts"] = form_contrasts(frame, main, section["form"], scale)
    if not settings.get("misalignment"):   # the misalignment stage is off (alliancegov.stages)
        tables["performance_by_form"] = means_by_form(frame, section["outcome"], section["form"], scale)
        return tables, frame

    two_stage, mis, clusters, rows = misalignment_inputs(frame, settings, choice_design_builder, scale)
    everyone = np.arange(len(two_stage.chosen))
    measures = misalignment_measures(two_stage.first_stage_probabilities(everyone), two_stage.chosen,
                                     two_stage.scale_rank)
    enriched = pd.concat([rows, measures], axis=1)
    enriched["aligned_form"] = np.asarray(scale, dtype=object)[measures["aligned"].to_numpy()]
    tables["performance_by_form"] = means_by_form(enriched, section["outcome"], section["form"], scale)
    tables["misalignment_first_stage"] = first_stage_strength(two_stage, clusters, mis.seed)
    if bootstrap:
        result = misalignment_bootstrap(two_stage, mis, clusters, n_jobs=n_jobs)
        tables.update(misalignment_intervals(two_stage, mis, result, tables["misalignment_first_stage"]))
    tables["form_effects"], tables["form_overlap"] = form_effects(
        two_stage, trim=settings.get("form_effects", {}).get("trim", 0.01), clusters=clusters, level=mis.level,
        outcome=mis.outcome)
    importance = settings.get("importance", {})
    if importance.get("groups"):
        tables["importance"] = importance_table(enriched, mis.outcome, importance["groups"],
                                                n_boot=importance.get("bootstrap_replicates", 999),
                                                seed=importance.get("seed", 20261127),
                                                cluster=section.get("cluster"), n_jobs=n_jobs)
    return tables, enriched


def run(*, data: str, codebook: Sequence[str], outputs: dict[str, str], settings: dict, choice: dict,
        missing_data: dict, threads: int = 1) -> None:
    """The performance rule: every performance table but the bootstrapped misalignment models
    (rules ``misalignment_bootstrap_part`` and ``misalignment``), and the frame they start from.

    Parameters
    ----------
    data : str
        Parquet file of the analysis frame.
    codebook : sequence of str
        The codebook's three files (the forms in order, market → hierarchy).
    outputs : dict of str to str
        A CSV path per table and ``data``, the Parquet file of the rows the stage kept: the columns
        its settings name, the derived outcomes, the misalignment measures and
        :data:`alliancegov.frame_columns.ROW_KEY`.
    settings : dict
        The config's ``performance``, ``misalignment``, ``importance`` and ``form_effects``
        sections.
    choice, missing_data : dict
        The config's ``choice`` (the first stage) and ``missing_data`` sections.
    threads : int
        Worker processes.
    """
    import logging

    from alliancegov.choice.design import DesignBuilder
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.codebook.tables import Codebook
    from alliancegov.frame_columns import ROW_KEY, named_in, read_frame
    from alliancegov.safe_output import write_csv

    first_stage = ChoiceSpec.from_config(choice)
    scale = Codebook.from_files(codebook).answer_names(first_stage.outcome)   # codebook order: market → hierarchy
    builder = DesignBuilder(first_stage, tuple(scale), model=FIRST_STAGE)
    # The columns the models name, and each row's position: the frame written holds those columns, the derived
    # outcomes and the misalignment measures, which the hypotheses job joins to the register's variables
    # (alliancegov.frame_columns.read_joined).
    frame = read_frame(data, named_in(settings, choice, missing_data))
    frame[ROW_KEY] = np.arange(len(frame))
    tables, enriched = analyse_performance(frame, settings, builder, scale, missing_data=missing_data,
                                           n_jobs=threads, bootstrap=False)
    for name, table in tables.items():
        write_csv(table, outputs[name])
    enriched.to_parquet(outputs["data"], index=False)
    logging.getLogger("alliancegov").info("\n%s", tables["performance_ols"].to_string(index=False))
