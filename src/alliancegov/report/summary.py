"""What ``make run`` prints at its end: where the reports are and what they found (rule ``summary``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from alliancegov.formatting import number_format
from alliancegov.messages import message
from alliancegov.report.narrative import sample_counts, verdict_counts
from alliancegov.report.provenance import simulation_record


def summary_text(reports: Sequence[str], checks: pd.DataFrame, sample_flow: pd.DataFrame, choice_fit: pd.DataFrame,
                 language: str, *, simulated: Mapping | None = None, simulated_data: bool = False) -> str:
    """The run's last words: the reports' paths and one line of what they found.

    Parameters
    ----------
    reports : sequence of str
        The HTML reports, one per language.
    checks : DataFrame
        ``hypotheses.csv``.
    sample_flow : DataFrame
        ``wave, step, reason, n``.
    choice_fit : DataFrame
        ``statistic, value`` of the choice model (its firms: ``n_clusters``).
    language : str
        The main language.
    simulated : mapping, optional
        The simulator's record (its seed).
    simulated_data : bool
        The configuration's flag.

    Returns
    -------
    str
        Lines: the heading, one path per report, the summary line (responses analysed, firms,
        waves, hypotheses supported), and a line saying the data are simulated when they are.
    """
    counts, verdicts, numbers = sample_counts(sample_flow), verdict_counts(checks), number_format(language)
    values = dict(zip(choice_fit["statistic"].astype(str), pd.to_numeric(choice_fit["value"], errors="coerce")))
    lines = [message("summary.reports", language), *(f"  {Path(path)}" for path in reports),
             message("summary.line", language, analysed=numbers.count(counts["analysed"]),
                     firms=numbers.count(int(values.get("n_clusters", 0))),
                     waves=counts["waves"], supported=verdicts["supported"], hypotheses=verdicts["n"])]
    if simulated is not None and simulated.get("seed") is not None:
        lines.append(message("summary.simulated", language, seed=simulated["seed"]))
    elif simulated is not None or simulated_data:
        lines.append(message("summary.simulated_unknown", language))
    return "\n".join(lines) + "\n"


def run(*, reports: Sequence[str], hypotheses: str, sample_flow: str, choice_fit: str, outputs: Mapping[str, str],
        language: str, simulated_data: bool = False, simulated: Sequence[str] = ()) -> str:
    """The summary rule: write the end-of-run summary (``make run`` prints it).

    Parameters
    ----------
    reports : sequence of str
        The HTML reports.
    hypotheses, sample_flow, choice_fit : str
        ``hypotheses.csv``, the pooled sample flow and ``choice_fit.csv``.
    outputs : mapping of str to str
        ``text``: the summary's path.
    language : str
        The main language.
    simulated_data : bool
        The configuration's ``report.simulated_data``.
    simulated : sequence of str
        The simulator's ``simulated.json`` beside the raw waves, if any.

    Returns
    -------
    str
        The text written.
    """
    text = summary_text(list(reports), pd.read_csv(hypotheses, keep_default_na=False),
                        pd.read_csv(sample_flow, keep_default_na=False), pd.read_csv(choice_fit), language,
                        simulated=simulation_record(simulated), simulated_data=simulated_data)
    Path(outputs["text"]).parent.mkdir(parents=True, exist_ok=True)
    Path(outputs["text"]).write_text(text, encoding="utf-8", newline="\n")
    return text
