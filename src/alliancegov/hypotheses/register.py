"""The register evaluated as a pre-registration: every check with its effect size, raw and adjusted
p-values, equivalence test and verdict, every hypothesis' verdict under its stated rule, the
Kaplan–Meier curves of its time to event, and the hypotheses rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.hypotheses.checks import Inference, describe, evaluate_check
from alliancegov.hypotheses.survival_checks import SURVIVAL_CHECKS, time_to_event
from alliancegov.hypotheses.verdicts import (
    ADJUSTMENTS,
    adjust_p_values,
    check_verdict,
    equivalence_p,
    hypothesis_verdict,
)

COLUMNS = ["hypothesis", "claim", "rule", "check", "expected", "estimate", "std_error", "statistic", "df", "p_value",
           "p_adjusted", "conf_low", "conf_high", "reference", "margin", "p_equivalence", "effect_measure", "effect",
           "effect_low", "effect_high", "n", "n_clusters", "inference", "verdict_on", "check_verdict", "verdict",
           "note"]
DEFAULTS = {"alpha": 0.05, "multiplicity": "fdr_bh", "verdict_p": "adjusted", "rule": "all", "cluster": "firm_key"}


def settings(register: dict, weights: str | None = None) -> tuple[dict, Inference]:
    """The register's settings with their defaults, and the inference of the checks on the frame.

    Parameters
    ----------
    register : dict
        The hypotheses register.
    weights : str, optional
        A column of frequency weights (the config's ``choice.weights``).

    Returns
    -------
    settings : dict
        ``alpha, multiplicity, verdict_p, rule, cluster`` (:data:`DEFAULTS` where absent).
    inference : Inference

    Raises
    ------
    ValueError
        If ``verdict_p`` is not ``adjusted`` or ``raw``, or ``multiplicity`` is unknown.
    """
    chosen = {key: register.get(key, default) for key, default in DEFAULTS.items()}
    if chosen["verdict_p"] not in ("adjusted", "raw"):
        raise ValueError(f"verdict_p must be 'adjusted' or 'raw', not {chosen['verdict_p']!r}")
    if chosen["multiplicity"] not in ADJUSTMENTS:
        raise ValueError(f"multiplicity must be one of {tuple(ADJUSTMENTS)}, not {chosen['multiplicity']!r}")
    return chosen, Inference(level=1 - chosen["alpha"], cluster=chosen["cluster"], weights=weights)


def _evaluated(check: dict, register: dict, tables, frame, inference: Inference, flags, table_formulas) -> dict:
    """One check's result, a failure turned into an inconclusive row with its error in the note."""
    from alliancegov.model_checks import not_computed

    merged = {**register.get("time_to_event", {}), **check} if check.get("test") in SURVIVAL_CHECKS else check
    try:
        result = evaluate_check(merged, tables, frame, inference)
    except (KeyError, ValueError, np.linalg.LinAlgError) as error:
        result = {"note": not_computed(error)}
    result = {key: result.get(key, np.nan) for key in COLUMNS} | {"note": result.get("note", ""),
                                                                   "inference": result.get("inference", "")}
    result["reference"] = result["reference"] if np.isfinite(result["reference"]) else check.get("value", 0.0)
    result["margin"] = check.get("margin", np.nan)
    result["p_equivalence"] = equivalence_p(result, check)
    if check.get("margin") is not None and not np.isfinite(result["p_equivalence"]):
        result["note"] = "; ".join(filter(None, [result["note"], "no SE: the equivalence margin is not tested"]))
    notes = [result["note"], check.get("note", "")]
    if flags is not None:
        from alliancegov.measurement.flags import measurement_notes

        notes.append(measurement_notes(merged, flags, frame.columns, table_formulas or {}))
    result["note"] = "; ".join(filter(None, notes))
    return result


def evaluate_register(register: dict, tables: dict[str, pd.DataFrame], frame: pd.DataFrame,
                      language: str = "en", flags: pd.DataFrame | None = None,
                      table_formulas: dict[str, list[str]] | None = None, weights: str | None = None) -> pd.DataFrame:
    """Every check of every hypothesis with its estimate, SE, CI, raw and adjusted p, equivalence
    test, effect size, check verdict and the hypothesis verdict.

    A check that cannot be computed (a ``KeyError``, ``ValueError`` or ``LinAlgError``) is
    inconclusive, with the error in its note, and left out of the multiplicity family.

    Parameters
    ----------
    register : dict
        The hypotheses register: ``alpha`` (default 0.05; intervals at 1 − alpha), ``multiplicity``
        (``fdr_bh``, ``holm`` or ``none``), ``verdict_p`` (``adjusted`` or ``raw``: which p the
        verdicts read), ``rule`` (the default aggregation rule), ``cluster`` (the firm column, null
        for independent rows), ``hypotheses`` (each with ``id``, ``claim_fr``, ``claim_en``,
        optional ``rule``, and ``checks``, each with an optional ``margin`` and ``note``) and
        optionally ``time_to_event``, whose keys every survival check gets unless it sets them.
    tables : dict of str to DataFrame
        The model tables the checks read, by name.
    frame : DataFrame
        The analysis frame (one row per response).
    language : {"en", "fr"}
        Language of the claims.
    flags : DataFrame, optional
        The measurement stage's flags (``measurement_flags.csv``): a check that uses a flagged
        scale gets its note (:func:`alliancegov.measurement.flags.measurement_notes`).
    table_formulas : dict of str to list of str, optional
        Model table -> the formulas (or variables) of the model behind it, whose variables a
        ``coefficient`` check on that table uses.
    weights : str, optional
        A column of frequency weights, honoured by every check computed on the frame.

    Returns
    -------
    DataFrame
        One row per check (:data:`COLUMNS`), hypotheses and checks in register order. ``p_value``
        is the check's own test, ``p_adjusted`` the family-wide adjustment of the raw p-values of
        every computed check (``p_equivalence``: of the TOST p-values of the checks with a margin,
        as a family of their own), ``verdict_on`` which of them the verdicts read; ``effect`` and
        its interval are the standardised effect ``effect_measure`` names; ``inference`` says
        what the SE, interval and p are.
    """
    chosen, inference = settings(register, weights)
    results, expected = [], []
    for hypothesis in register["hypotheses"]:
        for check in hypothesis["checks"]:
            result = _evaluated(check, register, tables, frame, inference, flags, table_formulas)
            results.append(result | {"hypothesis": hypothesis["id"], "claim": hypothesis[f"claim_{language}"],
                                     "rule": hypothesis.get("rule", chosen["rule"]), "check": describe(check),
                                     "expected": check["expected"]})
            expected.append(check["expected"])
    table = pd.DataFrame(results, columns=COLUMNS)
    method = chosen["multiplicity"]
    table["p_adjusted"] = adjust_p_values(table["p_value"], method)
    table["p_equivalence"] = adjust_p_values(table["p_equivalence"], method)
    driving = "p_adjusted" if chosen["verdict_p"] == "adjusted" else "p_value"
    family = int(np.isfinite(table["p_value"]).sum())
    table["verdict_on"] = (f"p_adjusted ({ADJUSTMENTS[method]} over {family} checks; equivalence p adjusted "
                           "likewise)" if driving == "p_adjusted" else "p_value (raw)") + f", alpha {chosen['alpha']}"
    table["check_verdict"] = [
        check_verdict(row.estimate, getattr(row, driving), direction, chosen["alpha"], row.reference,
                      row.p_equivalence)
        for row, direction in zip(table.itertuples(index=False), expected)]
    table["verdict"] = table.groupby("hypothesis", sort=False)["check_verdict"].transform(
        lambda verdicts: hypothesis_verdict(list(verdicts), table.loc[verdicts.index[0], "rule"]))
    return table


def kaplan_meier_curves(frame: pd.DataFrame, time_to_event_block: dict, inference: Inference) -> pd.DataFrame:
    """Kaplan–Meier curves of the register's time to event, one per level of its ``group``, with
    cluster-robust intervals.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame (one row per response).
    time_to_event_block : dict
        The register's ``time_to_event`` block (``time``, ``event``, ``censor_time``, ``group``).
    inference : Inference
        Level, cluster column and frequency weights.

    Returns
    -------
    DataFrame
        ``group, time, n_risk, n_events, survival, std_error, conf_low, conf_high, n_clusters,
        note``: one row per group and event time (:func:`alliancegov.stats.survival_robust.
        kaplan_meier_robust`; log-log intervals from the cluster-robust SE) over the responses
        with a known time and group.
    """
    from alliancegov.stats.survival_robust import kaplan_meier_robust

    time, event = time_to_event(frame, time_to_event_block)
    group = time_to_event_block["group"]
    known = np.isfinite(time) & frame[group].notna().to_numpy()
    rows = frame[known].assign(_time=time[known], _event=event[known])
    curves = []
    for level, part in rows.groupby(group, sort=True):
        groups, weights = inference.arrays(part)
        curve = kaplan_meier_robust(part["_time"], part["_event"], groups=groups, weights=weights,
                                    level=inference.level)
        curves.append(curve.assign(group=level))
    note = (f"Kaplan–Meier; cluster-robust (infinitesimal jackknife) SE by {inference.cluster}, log-log interval"
            if inference.cluster else "Kaplan–Meier; IJ SE, log-log interval")
    table = pd.concat(curves, ignore_index=True).assign(note=note)
    return table[["group", "time", "n_risk", "n_events", "survival", "std_error", "conf_low", "conf_high",
                  "n_clusters", "note"]]


def run(*, data: str, register: str, outputs: dict[str, str], performance_frame: str | None = None,
        language: str = "en", choice_ame: str | None = None,
        misalignment: str | None = None, importance: str | None = None, panel_deepening: str | None = None,
        measurement_flags: str | None = None,
        table_formulas: dict[str, list[str]] | None = None, choice: dict | None = None) -> pd.DataFrame:
    """The hypotheses rule: every check of the register and its verdict, and the Kaplan–Meier
    curves of the register's time to event when it has one.

    Parameters
    ----------
    data : str
        Parquet file of the analysis frame.
    register : str
        The hypotheses register (YAML).
    choice_ame, misalignment, importance, panel_deepening : str, optional
        The model tables the checks read (CSV); a stage the config leaves out gives none.
    outputs : dict of str to str
        ``table``: ``hypotheses.csv``; ``time_to_partnership``: the Kaplan–Meier table, when the
        register has a ``time_to_event`` block.
    performance_frame : str, optional
        Parquet file of the performance stage's frame, when the stage runs: the checks are computed
        on its rows, with its derived outcomes and misalignment measures
        (:func:`alliancegov.frame_columns.read_joined`).
    language : {"fr", "en"}
        Language of the ``claim`` column (English by default: the reports read each language's
        claims from the register, so that no model job depends on a language).
    measurement_flags : str, optional
        The measurement stage's flags (CSV); without it no check gets a measurement note.
    table_formulas : dict of str to list of str, optional
        Model table -> the formulas of its model (see :func:`evaluate_register`).
    choice : dict, optional
        The config's ``choice`` section: its frequency ``weights`` are honoured by the checks.

    Returns
    -------
    DataFrame
        The verdicts written.

    Raises
    ------
    ValueError
        If the choice section configures a survey design (``cov_type: design``), which the
        register's checks do not implement: the run stops rather than ignore it; or if a check
        reads a table of a stage the config leaves out, naming the check and the table.
    """
    import logging

    import yaml

    from alliancegov.frame_columns import named_in, read_frame, read_joined
    from alliancegov.safe_output import write_csv
    from alliancegov.stages import check_register_tables

    choice = choice or {}
    if choice.get("cov_type") == "design":
        raise ValueError("the hypotheses register's checks do not implement a survey design (choice.cov_type: "
                         "design); they would ignore its weights, strata and PSUs. Remove the design or the checks "
                         "computed on the frame")
    with open(register, encoding="utf-8") as handle:
        checks = yaml.safe_load(handle)
    names = named_in(checks, choice, table_formulas)   # the columns the checks name
    frame = read_joined(performance_frame, data, names) if performance_frame else read_frame(data, names)
    given = {"choice_ame": choice_ame, "misalignment": misalignment, "importance": importance,
             "panel_deepening": panel_deepening}
    check_register_tables(checks, {table for table, path in given.items() if path})
    tables = {name: pd.read_csv(path) for name, path in given.items() if path}
    flags = pd.read_csv(measurement_flags, keep_default_na=False) if measurement_flags else None
    verdicts = evaluate_register(checks, tables, frame, language, flags=flags, table_formulas=table_formulas,
                                 weights=choice.get("weights"))
    write_csv(verdicts, outputs["table"])
    if "time_to_event" in checks:
        _, inference = settings(checks, choice.get("weights"))
        write_csv(kaplan_meier_curves(frame, checks["time_to_event"], inference), outputs["time_to_partnership"])
    logging.getLogger("alliancegov").info("\n%s", verdicts[["hypothesis", "check_verdict", "verdict"]]
                                          .to_string(index=False))
    return verdicts
