"""The study's claims (H1–H9) as computed verdicts.

``config/hypotheses.yaml`` lists each hypothesis with one or more checks; each check reads an
estimate with its confidence interval and p-value, from a table the models wrote or from a test
computed here on the analysis frame, and compares its sign with the expected direction:

* ``supported``: significant at ``alpha`` in the expected direction;
* ``contradicted``: significant in the opposite direction;
* ``inconclusive``: not significant.

A hypothesis is supported when all its checks are, contradicted when any is, else inconclusive.
Check types:

* ``coefficient``: a row of a model table (``table``, filters in ``where``), against 0 or ``value``;
* ``proportion``: the share of responses meeting a pandas ``expression`` against ``value``
  (Wilson interval, exact binomial test);
* ``mean``: the mean of ``variable`` against ``value`` (t interval and test);
* ``logit``: a binary logit of a pandas ``expression`` on ``formula``, coefficient ``term``;
* ``ordered_logit``: an ordered logit of the ordinal ``outcome`` on ``formula``, coefficient ``term``;
* ``largest_share``: whether ``group``'s share of R² in the ``importance`` table exceeds every
  other share: the margin over the largest other share, its bootstrap interval and the one-sided
  intersection-union p-value (the ``largest`` row of the table);
* ``event_by``: the Kaplan–Meier probability of the event by ``horizon`` in one ``level`` of ``group``
  against ``value``;
* ``cox``: a Cox model's log hazard ratio for ``term`` (``formula`` over the analysis frame).

The two survival checks take ``time``, ``event``, ``censor_time`` and ``group`` from the register's
``time_to_event`` block (see :func:`time_to_event`), unless the check sets them.

``expected`` is ``positive`` or ``negative`` (for a value comparison: the estimate above or below it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def check_verdict(estimate: float, p_value: float, expected: str, alpha: float, reference: float = 0.0) -> str:
    """Verdict of one check from its estimate, p-value and expected sign against ``reference``.

    Parameters
    ----------
    estimate : float
        The check's estimate.
    p_value : float
        Its p-value (NaN when it could not be computed).
    expected : {"positive", "negative"}
        The expected direction: the estimate above or below ``reference``.
    alpha : float
        Significance level.
    reference : float
        The value the estimate's direction is judged against.

    Returns
    -------
    str
        "supported" (significant at ``alpha`` in the expected direction), "contradicted"
        (significant in the opposite direction) or "inconclusive" (not significant, or a
        p-value that is not finite).
    """
    if not np.isfinite(p_value) or p_value >= alpha:
        return "inconclusive"
    above = estimate > reference
    return "supported" if above == (expected == "positive") else "contradicted"


def hypothesis_verdict(verdicts: list[str]) -> str:
    """Verdict of a hypothesis from its checks' verdicts.

    Parameters
    ----------
    verdicts : list of str
        The verdicts of its checks (:func:`check_verdict`).

    Returns
    -------
    str
        "contradicted" when any check is, "supported" when there is at least one check and all
        are, else "inconclusive".
    """
    if "contradicted" in verdicts:
        return "contradicted"
    return "supported" if verdicts and all(v == "supported" for v in verdicts) else "inconclusive"


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
    from alliancegov.performance import ordered_outcome_tables, scale_of

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
