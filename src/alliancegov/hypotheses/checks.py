"""Each type of check of the register: its estimate, interval, p-value and reference value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _row(table: pd.DataFrame, where: dict) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= table[column].astype(str).to_numpy() == str(value)
    if mask.sum() != 1:
        raise ValueError(f"{mask.sum()} rows match {where}; a check needs exactly one")
    return table[mask].iloc[0]


def _proportion(frame: pd.DataFrame, check: dict, level: float) -> dict:
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    from alliancegov.expressions import check_expression, evaluate

    source = "hypotheses register: proportion check, expression"
    known = frame.dropna(subset=check_expression(check["expression"], frame.columns, source))
    hits = int(evaluate(check["expression"], known, source=source).astype(bool).sum())
    n = len(known)
    low, high = proportion_confint(hits, n, alpha=1 - level, method="wilson")
    p_value = stats.binomtest(hits, n, check["value"]).pvalue
    return {"estimate": hits / n, "conf_low": low, "conf_high": high, "p_value": p_value, "n": n,
            "reference": check["value"]}


def _mean(frame: pd.DataFrame, check: dict, level: float) -> dict:
    from scipy import stats

    values = frame[check["variable"]].dropna().to_numpy(float)
    test = stats.ttest_1samp(values, check["value"])
    low, high = test.confidence_interval(level)
    return {"estimate": values.mean(), "conf_low": low, "conf_high": high, "p_value": test.pvalue,
            "n": len(values), "reference": check["value"]}


def _logit(frame: pd.DataFrame, check: dict, level: float) -> dict:
    from alliancegov.choice.design import build_design
    from alliancegov.choice.model import coefficient_table, fit_mnl
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.choice.variants import binary_outcome

    spec = ChoiceSpec("check_outcome", "no", check["formula"], cov_type=check.get("cov_type", "robust"), level=level)
    data = frame.assign(check_outcome=binary_outcome(frame, check["expression"],
                                                     "hypotheses register: logit check, expression"))
    design = build_design(data, spec, ["no", "yes"], model=f"the logit of {check['expression']}")
    row = _row(coefficient_table(fit_mnl(design, spec), design, spec), {"term": check["term"]})
    return {**row[["estimate", "conf_low", "conf_high", "p_value"]].to_dict(), "n": len(design.y)}


def _ordered_logit(frame: pd.DataFrame, check: dict, level: float) -> dict:
    from alliancegov.performance.ordered import ordered_outcome_tables
    from alliancegov.performance.outcomes import scale_of

    coefficients, _ = ordered_outcome_tables(frame, check["outcome"], check["formula"],
                                             scale_of(frame, check["outcome"], {}), level)
    row = _row(coefficients, {"term": check["term"]})
    return row[["estimate", "conf_low", "conf_high", "p_value"]].to_dict()


def _largest_share(tables: dict[str, pd.DataFrame], check: dict) -> dict:
    importance = tables["importance"]
    shares = importance[importance["kind"] == "share"].set_index("group")["estimate"]
    largest = _row(importance, {"kind": "largest", "group": check["group"]})
    return {**largest[["estimate", "conf_low", "conf_high", "p_value"]].to_dict(), "reference": 0.0,
            "note": (f"share of {check['group']} minus the largest other share (largest: {shares.idxmax()}); "
                     "one-sided bootstrap intersection-union test that it exceeds every other share")}


def _event_by(frame: pd.DataFrame, check: dict, level: float) -> dict:
    from scipy import stats

    from alliancegov.stats.survival import share_event_by

    time, event = time_to_event(frame, check)
    table = share_event_by(time, event, frame[check["group"]].to_numpy(), check["horizon"])
    row = _row(table, {"group": check["level"]})
    se = (row["conf_high"] - row["conf_low"]) / (2 * stats.norm.ppf(0.5 + level / 2))
    z = (row["probability"] - check["value"]) / se if se > 0 else np.nan
    return {"estimate": row["probability"], "conf_low": row["conf_low"], "conf_high": row["conf_high"],
            "p_value": 2 * stats.norm.sf(abs(z)), "reference": check["value"],
            "note": "z test of the Kaplan–Meier probability against the value, SE from the CI width"}


def _cox(frame: pd.DataFrame, check: dict, level: float) -> dict:
    from alliancegov.expressions import design_matrix
    from alliancegov.stats.survival import cox_model
    from alliancegov.stats.tidy import readable_term

    time, event = time_to_event(frame, check)
    keep = np.isfinite(time)
    X = design_matrix(check["formula"], frame[keep], source="hypotheses register: cox check, formula",
                      NA_action="raise")
    X = X.drop(columns="Intercept")   # the baseline hazard plays the intercept
    X.columns = [readable_term(c) for c in X.columns]
    coefficients, _ = cox_model(time[keep], event[keep], X)
    row = _row(coefficients, {"term": check["term"]})
    return row[["estimate", "conf_low", "conf_high", "p_value"]].to_dict()


def time_to_event(frame: pd.DataFrame, check: dict) -> tuple[np.ndarray, np.ndarray]:
    """Time and event indicator: ``time`` where the ``event`` expression holds, else the
    ``censor_time`` expression (time at risk without the event).

    Parameters
    ----------
    frame : DataFrame
        The analysis frame, one row per firm.
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


SURVIVAL_CHECKS = {"event_by": _event_by, "cox": _cox}


def evaluate_check(check: dict, tables: dict[str, pd.DataFrame], frame: pd.DataFrame, level: float) -> dict:
    """One check's estimate, interval, p-value and reference value.

    Parameters
    ----------
    check : dict
        One check of the register (``test``, default ``coefficient``, and the keys of its type;
        see the module docstring).
    tables : dict of str to DataFrame
        The model tables a ``coefficient`` or ``largest_share`` check reads, by name.
    frame : DataFrame
        The analysis frame, one row per firm, for the checks computed here.
    level : float
        Confidence level of the intervals (1 − alpha).

    Returns
    -------
    dict
        ``estimate, conf_low, conf_high, p_value``, and as the type gives them ``reference``
        (the value of the direction, 0 when absent), ``n`` (observations used) and ``note``.

    Raises
    ------
    ValueError
        If the check type is unknown, or the rows a check selects in a table (by ``where``,
        ``term`` or ``level``) are not exactly one.
    KeyError
        If the check names a table, column or key that does not exist.

    Notes
    -----
    A ``coefficient`` check takes the row's p-value and interval as the table gives them (the
    table's own test); ``value`` (default 0) is the reference its direction is judged against,
    which should be the null value of that test (e.g. 0.5 for a share). A ``largest_share``
    check has no interval and a p-value of 0 when ``group`` has the largest share, else 1 (a
    point comparison of Shapley shares).
    """
    kind = check.get("test", "coefficient")
    if kind == "coefficient":
        row = _row(tables[check["table"]], check.get("where", {}))
        # a table row tests against 0 unless the check names the null value (e.g. a share of 0.5)
        return {**row[["estimate", "conf_low", "conf_high", "p_value"]].to_dict(), "reference": check.get("value", 0.0)}
    if kind == "proportion":
        return _proportion(frame, check, level)
    if kind == "mean":
        return _mean(frame, check, level)
    if kind == "logit":
        return _logit(frame, check, level)
    if kind == "ordered_logit":
        return _ordered_logit(frame, check, level)
    if kind == "largest_share":
        return _largest_share(tables, check)
    if kind in SURVIVAL_CHECKS:
        return SURVIVAL_CHECKS[kind](frame, check, level)
    raise ValueError(f"unknown check type {kind!r}")


def describe(check: dict) -> str:
    """A short readable statement of what a check reads.

    Parameters
    ----------
    check : dict
        One check of the register.

    Returns
    -------
    str
        ``table: key=value, ...`` (the ``where`` filters) for a coefficient check, else
        ``type: key=value, ...`` over the check's keys other than ``test`` and ``expected``.
    """
    kind = check.get("test", "coefficient")
    if kind == "coefficient":
        return f"{check['table']}: " + ", ".join(f"{k}={v}" for k, v in check.get("where", {}).items())
    details = {k: v for k, v in check.items() if k not in ("test", "expected")}
    return f"{kind}: " + ", ".join(f"{k}={v}" for k, v in details.items())
