"""The time-to-event checks: the Kaplan–Meier probability of the event by a horizon, and a Cox model.

The times come from the register's ``time_to_event`` block (:func:`time_to_event`). Firms repeat
across waves (each wave's interview gives the time so far), so the Kaplan–Meier SE is the
cluster-robust infinitesimal jackknife (:mod:`alliancegov.stats.survival_robust`) and the Cox SEs
are the robust sandwich clustered by firm (statsmodels ``PHReg`` with groups, Breslow ties, equal to
R's ``coxph(..., ties = "breslow", cluster = firm)``). Frequency weights: the Kaplan–Meier
estimate weighs rows; the Cox model repeats each row as often as its (whole) weight says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.hypotheses.checks import Inference, table_row

LEFT_TRUNCATION = ("limitation: times are recalled by firms whose alliance still existed at the interview; "
                   "alliances that ended earlier are not in the sample (left truncation), which no delayed entry "
                   "can correct without their dates")


def time_to_event(frame: pd.DataFrame, check: dict) -> tuple[np.ndarray, np.ndarray]:
    """Time and event indicator: ``time`` where the ``event`` expression holds, else the
    ``censor_time`` expression (time at risk without the event).

    Parameters
    ----------
    frame : DataFrame
        The analysis frame.
    check : dict
        ``time`` (a column), ``event`` and ``censor_time`` (expressions of the project's grammar), as
        in the register's ``time_to_event`` block.

    Returns
    -------
    time : ndarray of shape (n,)
        Float, in the units of the ``time`` column (months in the study's register); NaN where
        unknown.
    event : ndarray of shape (n,)
        1 where the event occurred, else 0 (censored).
    """
    from alliancegov.expressions import evaluate

    event = evaluate(check["event"], frame, source="hypotheses register: event").astype(bool).to_numpy()
    observed = frame[check["time"]].to_numpy(float)
    censored = evaluate(check["censor_time"], frame, source="hypotheses register: censor_time").to_numpy(float)
    return np.where(event, observed, censored), event.astype(int)


def _timed_rows(frame: pd.DataFrame, check: dict, inference: Inference, needed: list[str]) -> pd.DataFrame:
    from alliancegov.hypotheses.frame_checks import check_rows

    time, event = time_to_event(frame, check)
    timed = frame.assign(_time=time, _event=event)
    return check_rows(timed[np.isfinite(time)], check, [*needed, *inference.columns()])


def _event_by(frame: pd.DataFrame, check: dict, inference: Inference) -> dict:
    from scipy import stats

    from alliancegov.stats.survival_robust import kaplan_meier_robust

    rows = _timed_rows(frame, check, inference, [check["group"]])
    rows = rows[rows[check["group"]].astype(str) == str(check["level"])]
    if rows.empty:
        raise ValueError(f"no row with {check['group']} = {check['level']}")
    groups, weights = inference.arrays(rows)
    horizon = float(check["horizon"])
    if horizon > rows["_time"].max():
        raise ValueError(f"the horizon {horizon:g} lies past the last follow-up time")
    at = table_row(kaplan_meier_robust(rows["_time"], rows["_event"], groups=groups, weights=weights,
                                       times=[horizon], level=inference.level), {"time": horizon})
    probability, se, value = 1 - at["survival"], float(at["std_error"]), float(check["value"])
    if not (0 < at["survival"] < 1 and se > 0):
        raise ValueError(f"the Kaplan–Meier probability by {horizon:g} is {probability:g}: nothing to test")
    # test on the complementary log-log scale of the interval, so that they agree
    scale_se = se / (at["survival"] * abs(np.log(at["survival"])))
    statistic = (np.log(-np.log(at["survival"])) - np.log(-np.log(1 - value))) / scale_se
    clusters = at["n_clusters"] if inference.cluster else np.nan
    n = float(len(rows) if weights is None else weights.sum())
    return {"estimate": probability, "std_error": se, "statistic": -statistic,
            "p_value": float(2 * stats.norm.sf(abs(statistic))), "conf_low": 1 - at["conf_high"],
            "conf_high": 1 - at["conf_low"], "reference": value, "n": n, "n_clusters": clusters,
            "effect_measure": f"probability of the event by {horizon:g}", "effect": probability,
            "effect_low": 1 - at["conf_high"], "effect_high": 1 - at["conf_low"],
            "inference": ("Kaplan–Meier; " + (f"cluster-robust (infinitesimal jackknife) SE by {inference.cluster} "
                                              f"(G = {int(clusters)})" if inference.cluster else "IJ SE")
                          + "; z test and interval on the log-log scale"),
            "note": LEFT_TRUNCATION}


def _cox(frame: pd.DataFrame, check: dict, inference: Inference) -> dict:
    from alliancegov.expressions import check_formula
    from alliancegov.hypotheses.frame_checks import check_design
    from alliancegov.stats.cox import cox_model

    variables = check_formula(check["formula"], frame.columns, "hypotheses register: cox check, formula")
    rows = _timed_rows(frame, check, inference, variables)
    groups, weights = inference.arrays(rows)
    if weights is not None:   # PHReg has no weights: frequency weights are rows repeated
        if not np.all(weights == np.round(weights)):
            raise ValueError(f"the Cox check needs whole frequency weights; {inference.weights} has fractions")
        repeat = weights.astype(int)
        rows, groups = rows.loc[rows.index.repeat(repeat)], None if groups is None else np.repeat(groups, repeat)
    X = check_design(rows, check["formula"], "cox").drop(columns="Intercept")   # the baseline hazard plays it
    coefficients, fit = cox_model(rows["_time"].to_numpy(), rows["_event"].to_numpy(), X, ties="breslow",
                                  level=inference.level, cluster=groups)
    row = table_row(coefficients, {"term": check["term"]})
    clusters = float(fit["n_clusters"].iloc[0])
    return {**row[["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]].to_dict(),
            "n": float(fit["n"].iloc[0]), "n_clusters": clusters, "effect_measure": "hazard ratio",
            "effect": row["hazard_ratio"], "effect_low": row["hr_conf_low"], "effect_high": row["hr_conf_high"],
            "inference": ("Cox (Breslow ties); " + (f"robust SE clustered by {inference.cluster} (G = {int(clusters)}, "
                                                    "no small-sample factor, as R coxph)" if inference.cluster
                                                    else "model SE") + "; z test and interval"),
            "note": LEFT_TRUNCATION}


SURVIVAL_CHECKS = {"event_by": _event_by, "cox": _cox}
