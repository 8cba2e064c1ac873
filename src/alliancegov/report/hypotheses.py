"""The hypotheses tables: one row per hypothesis with its verdict, and one row per check.

Claims and the names of the checks come from the register in the report's language (a check's
``label_fr``/``label_en``, else a name made from its fields by the catalogue's
``hypotheses.check_labels``); verdicts, rules and effect measures from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from alliancegov.formatting import number_format
from alliancegov.messages import message, section
from alliancegov.messages.labels import Labeller
from alliancegov.report.cells import numeric_columns
from alliancegov.report.context import Presented, ReportContext
from alliancegov.report.registry import TableEntry

FLAG_MARK = "†"             # a check that uses a scale the measurement stage flags
MEASUREMENT_NOTE = "measurement: "   # how the hypotheses stage starts such a check's note


def check_label(check: Mapping, hypothesis: str, number: int, labeller: Labeller) -> str:
    """A check of the register as a reader names it, in the labeller's language.

    Parameters
    ----------
    check : mapping
        One check of the register.
    hypothesis : str
        Its hypothesis' id.
    number : int
        Its rank among the hypothesis' checks (from 1).
    labeller : Labeller

    Returns
    -------
    str
        The check's ``label_<language>`` if it has one; else a sentence from its table and
        ``where`` fields, or from its test and fields; else "Check 2 of H5".
    """
    language = labeller.language
    if check.get(f"label_{language}"):
        return str(check[f"label_{language}"])
    templates = section("hypotheses.check_labels", language)
    numbers = number_format(language)
    where = check.get("where", {})
    fields = {key: labeller.term(str(value)) if key in ("term", "variable") else labeller.value(str(value))
              for key, value in {**where, **check}.items() if isinstance(value, str | int | float) and key != "where"}
    if "value" in check:
        fields["value"] = numbers.general(float(check["value"]))
    if "horizon" in check:
        fields["horizon"] = numbers.general(float(check["horizon"]))
    if "level" in check:
        fields["level"] = labeller.answer(str(check["level"]))
    if "outcome" in fields and isinstance(fields["outcome"], str):
        fields["outcome"] = labeller.value(str({**where, **check}["outcome"]))
    kind = check.get("table") or check.get("test", "coefficient")
    try:
        return str(templates[kind]).format(**fields)
    except (KeyError, IndexError):
        return message("hypotheses.check_labels.numbered", language, number=number, hypothesis=hypothesis)


def check_labels(register: Mapping, checks: pd.DataFrame, labeller: Labeller) -> list[str]:
    """The name of each row of ``hypotheses.csv``, matched to the register by rank within its hypothesis.

    Parameters
    ----------
    register : mapping
        The hypotheses register.
    checks : DataFrame
        ``hypotheses.csv`` (rows in the register's order).
    labeller : Labeller

    Returns
    -------
    list of str
        One name per row, marked :data:`FLAG_MARK` when the row's note says the check uses a
        flagged scale.
    """
    specs = {item["id"]: item["checks"] for item in register["hypotheses"]}
    names, rank = [], {}
    for hypothesis, note in zip(checks["hypothesis"].astype(str), checks["note"].fillna("").astype(str)):
        rank[hypothesis] = rank.get(hypothesis, 0) + 1
        spec = specs.get(hypothesis, [])
        check = spec[rank[hypothesis] - 1] if rank[hypothesis] <= len(spec) else {}
        name = check_label(check, hypothesis, rank[hypothesis], labeller)
        names.append(name + (f" {FLAG_MARK}" if MEASUREMENT_NOTE in note else ""))
    return names


def verdict_on(register: Mapping, n_checks: int, language: str) -> str:
    """Which p-values the verdicts read, in words.

    Parameters
    ----------
    register : mapping
        The register (``alpha``, ``multiplicity``, ``verdict_p``).
    n_checks : int
        The checks computed.
    language : str

    Returns
    -------
    str
    """
    numbers = number_format(language)
    alpha = numbers.general(float(register.get("alpha", 0.05)))
    method = section("hypotheses.multiplicity", language).get(register.get("multiplicity", "fdr_bh"), "")
    if register.get("verdict_p", "adjusted") == "raw" or register.get("multiplicity") == "none":
        return message("hypotheses.verdict_on.raw", language, alpha=alpha)
    return message("hypotheses.verdict_on.adjusted", language, n=n_checks, method=method, alpha=alpha)


def present_hypotheses_summary(entry: TableEntry, context: ReportContext) -> Presented:
    """One row per hypothesis: its claim in the report's language, rule, verdict and checks supported.

    Parameters
    ----------
    entry : TableEntry
    context : ReportContext
        ``extra["register"]``: the hypotheses register.

    Returns
    -------
    Presented
        Its note says how checks make verdicts (the rules used) and which p the verdicts read.
    """
    checks, register, language = context.sources[entry.source], context.extra["register"], context.language
    claims = {item["id"]: item[f"claim_{language}"] for item in register["hypotheses"]}
    verdicts, rules = section("hypotheses.verdicts", language), section("hypotheses.rule_names", language)
    grouped = checks.groupby("hypothesis", sort=False)
    rows = []
    for hypothesis, part in grouped:
        supported = int((part["check_verdict"] == "supported").sum())
        rows.append([hypothesis, claims.get(hypothesis, ""), rules.get(part["rule"].iloc[0], part["rule"].iloc[0]),
                     verdicts.get(part["verdict"].iloc[0], part["verdict"].iloc[0]), f"{supported}/{len(part)}"])
    labeller = context.labeller
    table = pd.DataFrame(rows, columns=[labeller.column(c) for c in ("hypothesis_id", "claim", "rule", "verdict",
                                                                     "checks_supported")])
    used = "; ".join(str(section("hypotheses.rules", language)[rule]) for rule in dict.fromkeys(checks["rule"]))
    note = message("hypotheses.summary_note", language, rules=used[0].upper() + used[1:],
                   verdict_on=verdict_on(register, len(checks), language))
    return Presented(table, [note])


def present_hypotheses(entry: TableEntry, context: ReportContext) -> Presented:
    """One row per check: its name, estimate with CI, raw and adjusted p, effect size with CI, verdict.

    Parameters
    ----------
    entry : TableEntry
    context : ReportContext
        ``extra["register"]``: the hypotheses register.

    Returns
    -------
    Presented
    """
    checks = numeric_columns(context.sources[entry.source])
    labeller, numbers, language = context.labeller, context.numbers, context.language
    separator = "; " if numbers.decimal_mark == "," else ", "
    verdicts, measures = section("hypotheses.verdicts", language), section("hypotheses.effect_measures", language)

    def interval(low: object, high: object) -> str:
        return f"[{numbers.estimate(low)}{separator}{numbers.estimate(high)}]" if pd.notna(low) else ""

    def measure(name: object) -> str:
        text = str(name) if pd.notna(name) else ""
        return str(measures.get(text, measures.get(text.split(" by ")[0], text)))

    rows = [[h, name, numbers.estimate(row.estimate), interval(row.conf_low, row.conf_high),
             numbers.p_value(row.p_value), numbers.p_value(row.p_adjusted), measure(row.effect_measure),
             (numbers.estimate(row.effect) + " " + interval(row.effect_low, row.effect_high)).strip(),
             verdicts.get(row.check_verdict, row.check_verdict)]
            for h, name, row in zip(checks["hypothesis"], check_labels(context.extra["register"], checks, labeller),
                                    checks.itertuples())]
    headers = [labeller.column(c) for c in ("hypothesis_id", "check", "estimate", "ci", "p_value", "p_adjusted",
                                            "effect_measure", "effect", "check_verdict")]
    return Presented(pd.DataFrame(rows, columns=headers), [message("hypotheses.checks_note", language)])
