"""The hypotheses register's evaluation as the report shows it: one row per hypothesis, and the notes
under its tables.
"""

from __future__ import annotations

import pandas as pd


def hypotheses_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """One row per hypothesis of the register's evaluation (:mod:`alliancegov.hypotheses`).

    Parameters
    ----------
    checks : DataFrame
        ``hypotheses.csv``: one row per check, with ``hypothesis``, ``claim``, ``rule``, ``verdict``
        (of the hypothesis) and ``check_verdict``.

    Returns
    -------
    DataFrame
        Columns ``hypothesis, claim, rule, verdict, checks_supported`` (how many of its checks are
        supported, ``"2/3"``), hypotheses in order of first appearance.
    """
    grouped = checks.groupby("hypothesis", sort=False)
    supported = grouped["check_verdict"].agg(lambda v: f"{int((v == 'supported').sum())}/{len(v)}")
    return pd.DataFrame({"hypothesis": list(grouped.groups), "claim": grouped["claim"].first().to_numpy(),
                         "rule": grouped["rule"].first().to_numpy(), "verdict": grouped["verdict"].first().to_numpy(),
                         "checks_supported": supported.to_numpy()})


def hypotheses_notes(checks: pd.DataFrame, language: str) -> dict[str, str]:
    """The notes under the two hypotheses tables: the aggregation rules used and what the p-values are.

    Parameters
    ----------
    checks : DataFrame
        ``hypotheses.csv`` (``rule`` and ``verdict_on`` columns).
    language : {"fr", "en"}

    Returns
    -------
    dict of str to str
        ``hypotheses_summary`` and ``hypotheses`` notes.
    """
    from alliancegov.report.text import HYPOTHESES_TEXT

    text = HYPOTHESES_TEXT[language]
    verdict_on = str(checks["verdict_on"].iloc[0]) if len(checks) else ""
    rules = "; ".join(text[rule] for rule in dict.fromkeys(checks["rule"]))
    return {"hypotheses_summary": text["summary"].format(rules=rules, verdict_on=verdict_on),
            "hypotheses": text["checks"].format(verdict_on=verdict_on)}
