"""What ``make run`` prints at its end: where the reports are and what they found (rule ``summary``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from alliancegov.formatting import number_format
from alliancegov.messages import message
from alliancegov.report.narrative import sample_counts, verdict_counts
from alliancegov.report.provenance import simulation_record


def summary_text(reports: Sequence[str], checks: pd.DataFrame | None, sample_flow: pd.DataFrame,
                 choice_fit: pd.DataFrame | None, language: str, *, simulated: Mapping | None = None,
                 simulated_data: bool = False, firm_clusters: bool = True) -> str:
    """The run's last words: the reports' paths and one line of what they found.

    Parameters
    ----------
    reports : sequence of str
        The HTML reports, one per language.
    checks : DataFrame or None
        ``hypotheses.csv``; None without a hypotheses register.
    sample_flow : DataFrame
        ``wave, step, reason, n``.
    choice_fit : DataFrame or None
        ``statistic, value`` of the multinomial logit (its firms: ``n_clusters``); None without it.
    language : str
        The main language.
    simulated : mapping, optional
        The simulator's record (its seed).
    simulated_data : bool
        The configuration's flag.
    firm_clusters : bool
        Whether the responses are firms' (``ingest.firm_id_column``): only then are the clusters
        counted as firms.

    Returns
    -------
    str
        Lines: the heading, one path per report, the summary line (responses analysed, firms,
        waves, hypotheses supported, as far as the run has them), and a line saying the data are
        simulated when they are.
    """
    counts, numbers = sample_counts(sample_flow), number_format(language)
    fit = {} if choice_fit is None else dict(zip(choice_fit["statistic"].astype(str),
                                                 pd.to_numeric(choice_fit["value"], errors="coerce")))
    clusters = fit.get("n_clusters")
    firms = int(clusters) if firm_clusters and clusters is not None and pd.notna(clusters) else 0
    line = (message("summary.responses", language, analysed=numbers.count(counts["analysed"]),
                    firms=numbers.count(firms), waves=counts["waves"]) if firms
            else message("summary.responses_only", language, analysed=numbers.count(counts["analysed"]),
                         waves=counts["waves"]))
    if checks is not None:
        verdicts = verdict_counts(checks)
        line += message("summary.hypotheses", language, supported=verdicts["supported"], hypotheses=verdicts["n"])
    lines = [message("summary.reports", language), *(f"  {Path(path)}" for path in reports), line + "."]
    if simulated is not None and simulated.get("seed") is not None:
        lines.append(message("summary.simulated", language, seed=simulated["seed"]))
    elif simulated is not None or simulated_data:
        lines.append(message("summary.simulated_unknown", language))
    return "\n".join(lines) + "\n"


def run(*, reports: Sequence[str], sample_flow: str, outputs: Mapping[str, str], language: str,
        hypotheses: str | None = None, choice_fit: str | None = None, simulated_data: bool = False,
        simulated: Sequence[str] = (), firm_clusters: bool = True) -> str:
    """The summary rule: write the end-of-run summary (``make run`` prints it).

    Parameters
    ----------
    reports : sequence of str
        The HTML reports.
    sample_flow : str
        The pooled sample flow.
    outputs : mapping of str to str
        ``text``: the summary's path.
    language : str
        The main language.
    hypotheses, choice_fit : str, optional
        ``hypotheses.csv`` and ``choice_fit.csv``, when the run has them.
    simulated_data : bool
        The configuration's ``report.simulated_data``.
    simulated : sequence of str
        The simulator's ``simulated.json`` beside the raw waves, if any.
    firm_clusters : bool
        Whether the responses are firms' (see :func:`summary_text`).

    Returns
    -------
    str
        The text written.
    """
    text = summary_text(list(reports), pd.read_csv(hypotheses, keep_default_na=False) if hypotheses else None,
                        pd.read_csv(sample_flow, keep_default_na=False),
                        pd.read_csv(choice_fit) if choice_fit else None, language,
                        simulated=simulation_record(simulated), simulated_data=simulated_data,
                        firm_clusters=firm_clusters)
    Path(outputs["text"]).parent.mkdir(parents=True, exist_ok=True)
    Path(outputs["text"]).write_text(text, encoding="utf-8", newline="\n")
    return text
