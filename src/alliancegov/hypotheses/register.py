"""The register evaluated: every check, every hypothesis' verdict, the Kaplan–Meier curves of its
time to event, and the hypotheses rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.hypotheses.checks import SURVIVAL_CHECKS, describe, evaluate_check, time_to_event
from alliancegov.hypotheses.verdicts import check_verdict, hypothesis_verdict


def evaluate_register(register: dict, tables: dict[str, pd.DataFrame], frame: pd.DataFrame,
                      language: str = "en", flags: pd.DataFrame | None = None,
                      table_formulas: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Every check of every hypothesis with its estimate, CI, p-value, check verdict and the
    hypothesis verdict.

    A check that cannot be computed (a ``KeyError``, ``ValueError`` or ``LinAlgError``) is
    inconclusive, with the error in its note.

    Parameters
    ----------
    register : dict
        The hypotheses register: ``alpha`` (default 0.05; the intervals are at 1 − alpha),
        ``hypotheses`` (each with ``id``, ``claim_fr``, ``claim_en`` and ``checks``) and
        optionally ``time_to_event``, whose keys every check gets unless it sets them.
    tables : dict of str to DataFrame
        The model tables the checks read, by name.
    frame : DataFrame
        The analysis frame, one row per firm.
    language : {"en", "fr"}
        Language of the claims.
    flags : DataFrame, optional
        The measurement stage's flags (``measurement_flags.csv``): a check that uses a flagged
        scale gets its note (:func:`alliancegov.measurement.flags.measurement_notes`).
    table_formulas : dict of str to list of str, optional
        Model table -> the formulas (or variables) of the model behind it, whose variables a
        ``coefficient`` check on that table uses.

    Returns
    -------
    DataFrame
        One row per check, hypotheses and checks in register order. Columns: ``hypothesis,
        claim, check, expected, estimate, conf_low, conf_high, p_value, reference,
        check_verdict, verdict, note``.
    """
    from alliancegov.model_checks import not_computed

    alpha = register.get("alpha", 0.05)
    level = 1 - alpha
    rows = []
    for hypothesis in register["hypotheses"]:
        checks = []
        for check in hypothesis["checks"]:
            try:
                result = evaluate_check({**register.get("time_to_event", {}), **check}, tables, frame, level)
            except (KeyError, ValueError, np.linalg.LinAlgError) as error:
                result = {"estimate": np.nan, "conf_low": np.nan, "conf_high": np.nan, "p_value": np.nan,
                          "note": not_computed(error)}
            reference = result.get("reference", 0.0)
            verdict = check_verdict(result["estimate"], result["p_value"], check["expected"], alpha, reference)
            if flags is not None:
                from alliancegov.measurement.flags import measurement_notes

                merged = {**register.get("time_to_event", {}), **check}
                note = measurement_notes(merged if merged.get("test") in SURVIVAL_CHECKS else check, flags,
                                         frame.columns, table_formulas or {})
                result["note"] = "; ".join(filter(None, [result.get("note", ""), note]))
            checks.append({"hypothesis": hypothesis["id"], "claim": hypothesis[f"claim_{language}"],
                           "check": describe(check), "expected": check["expected"],
                           "estimate": result["estimate"], "conf_low": result["conf_low"],
                           "conf_high": result["conf_high"], "p_value": result["p_value"], "reference": reference,
                           "check_verdict": verdict, "note": result.get("note", "")})
        overall = hypothesis_verdict([c["check_verdict"] for c in checks])
        rows += [{**c, "verdict": overall} for c in checks]
    columns = ["hypothesis", "claim", "check", "expected", "estimate", "conf_low", "conf_high", "p_value",
               "reference", "check_verdict", "verdict", "note"]
    return pd.DataFrame(rows, columns=columns)


def kaplan_meier_curves(frame: pd.DataFrame, time_to_event_block: dict) -> pd.DataFrame:
    """Kaplan–Meier curves of the register's time to event, one per level of its ``group``.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame, one row per firm.
    time_to_event_block : dict
        The register's ``time_to_event`` block (``time``, ``event``, ``censor_time``, ``group``).

    Returns
    -------
    DataFrame
        ``stats.survival.kaplan_meier``'s step table (``group, time, n_risk, n_events, survival,
        std_error, conf_low, conf_high``, one row per group and event time) over the firms with
        a known time and group.
    """
    from alliancegov.stats.survival import kaplan_meier

    time, event = time_to_event(frame, time_to_event_block)
    known = np.isfinite(time) & frame[time_to_event_block["group"]].notna().to_numpy()
    return kaplan_meier(time[known], event[known], frame.loc[known, time_to_event_block["group"]].to_numpy())


def run(*, data: str, register: str, choice_ame: str, misalignment: str, importance: str, panel_deepening: str,
        outputs: dict[str, str], language: str, measurement_flags: str | None = None,
        table_formulas: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The hypotheses rule: every check of the register and its verdict, and the Kaplan–Meier
    curves of the register's time to event when it has one.

    Parameters
    ----------
    data : str
        Parquet file of the performance stage's frame (derived outcomes included).
    register : str
        The hypotheses register (YAML).
    choice_ame, misalignment, importance, panel_deepening : str
        The model tables the checks read (CSV).
    outputs : dict of str to str
        ``table``: ``hypotheses.csv``; ``time_to_partnership``: the Kaplan–Meier table, when the
        register has a ``time_to_event`` block.
    language : {"fr", "en"}
        Language of the claims.
    measurement_flags : str, optional
        The measurement stage's flags (CSV); without it no check gets a measurement note.
    table_formulas : dict of str to list of str, optional
        Model table -> the formulas of its model (see :func:`evaluate_register`).

    Returns
    -------
    DataFrame
        The verdicts written.
    """
    import logging

    import yaml

    from alliancegov.safe_output import write_csv

    with open(register, encoding="utf-8") as handle:
        checks = yaml.safe_load(handle)
    frame = pd.read_parquet(data)
    tables = {"choice_ame": pd.read_csv(choice_ame), "misalignment": pd.read_csv(misalignment),
              "importance": pd.read_csv(importance), "panel_deepening": pd.read_csv(panel_deepening)}
    flags = pd.read_csv(measurement_flags, keep_default_na=False) if measurement_flags else None
    verdicts = evaluate_register(checks, tables, frame, language, flags=flags, table_formulas=table_formulas)
    write_csv(verdicts, outputs["table"])
    if "time_to_event" in checks:
        write_csv(kaplan_meier_curves(frame, checks["time_to_event"]), outputs["time_to_partnership"])
    logging.getLogger("alliancegov").info("\n%s", verdicts[["hypothesis", "check_verdict", "verdict"]]
                                          .to_string(index=False))
    return verdicts
