"""The report's sections for the stages a configuration turned on: their headings worded from the
codebook's labels (the outcome and the grouping question, not the study's words), the sections
with nothing to show, left out with one sentence saying why, the sample's counts and the methods notes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import pandas as pd

from alliancegov.report.text import LEFT_OUT_TEXT, NOTES_TEXT, REPORT_TEXT

if TYPE_CHECKING:
    from alliancegov.codebook.tables import Codebook


# The figures and tables each optional section of the template shows (report.html.j2).
SECTION_CONTENT = {
    "measurement": ("reliability", "construct_scores", "likert_items", "wave_means", "measurement_flags",
                    "measurement_correlations", "measurement_reliability", "measurement_validity",
                    "measurement_loadings", "measurement_fit", "measurement_invariance", "measurement_common_method",
                    "measurement_nonresponse", "measurement_vif"),
    "choice": ("choice_mnl", "choice_coefficients", "choice_ame", "choice_predictions", "choice_tests", "choice_fit",
               "choice_small_sample", "choice_ordered", "choice_ordered_fit", "choice_ordered_ame",
               "choice_ordered_brant", "choice_equity", "choice_equity_ame"),
    "performance": ("performance_by_form", "performance_contrasts", "performance_ols", "performance_fit",
                    "misalignment", "misalignment_first_stage", "misalignment_switching",
                    "misalignment_counterfactual", "form_overlap", "form_effects", "importance", "time_to_partnership"),
    "waves": ("form_shares_by_wave", "choice_stability", "transitions_alluvial", "panel_transitions",
              "panel_deepening"),
}


def section_text(language: str, codebook: Codebook | None, outcome: str, group: str) -> dict[str, str]:
    """The report's wording in ``language`` with the outcome's and the group's labels filled in.

    Parameters
    ----------
    language : {"fr", "en"}
        Language of the report.
    codebook : Codebook or None
        The labels; without it the questions' names stand for them.
    outcome : str
        The choice model's question (headings such as "Choice model: <its label>").
    group : str
        The question the outcome is tabulated by (``figures.group``).

    Returns
    -------
    dict of str to str
        :data:`~alliancegov.report.text.REPORT_TEXT` of ``language``, every ``{outcome}`` and
        ``{group}`` replaced by the label.
    """
    def label(name: str) -> str:
        return codebook.label_or_name(name, language) if codebook is not None else name

    labels = {"outcome": label(outcome), "group": label(group)}
    return {key: value.format(**labels) if "{outcome}" in value or "{group}" in value else value
            for key, value in REPORT_TEXT[language].items()}


def left_out_sections(language: str, shown: Collection[str]) -> dict[str, str]:
    """The optional sections with nothing to show, each with the sentence saying why it is left out.

    Parameters
    ----------
    language : {"fr", "en"}
        Language of the sentences.
    shown : collection of str
        The figure stems, table keys and table notes the report holds.

    Returns
    -------
    dict of str to str
        Section (``measurement``, ``choice``, ``performance``, ``waves``) -> its sentence, for every
        section none of whose figures and tables (:data:`SECTION_CONTENT`) is in ``shown``.
    """
    return {section: LEFT_OUT_TEXT[language][section] for section, content in SECTION_CONTENT.items()
            if not set(content) & set(shown)}


POOLED_WAVE = "all"  # the pooled rows of the sample flow (alliancegov.pool.pool_waves)


def sample_counts(sample_flow: pd.DataFrame) -> dict[str, int]:
    """Totals over waves of responses ``received``, ``excluded`` and ``analysed``, and the number of ``waves``.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n`` with step in received / excluded / analysed; the pooled rows
        (wave ``all``) repeat the waves' totals and are not counted again.

    Returns
    -------
    dict of str to int
        Keys ``received``, ``excluded``, ``analysed`` (0 when a step is absent) and ``waves``.
    """
    waves = sample_flow[sample_flow["wave"].astype(str) != POOLED_WAVE]
    totals = waves.groupby("step")["n"].sum()
    counts = {step: int(totals.get(step, 0)) for step in ("received", "excluded", "analysed")}
    return {**counts, "waves": int(waves["wave"].nunique())}


def sample_flow_table(sample_flow: pd.DataFrame, language: str) -> pd.DataFrame:
    """The sample flow with its steps named in ``language``, as shown in the report.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n``.
    language : {"fr", "en"}

    Returns
    -------
    DataFrame
        Columns ``wave, step, reason, n``; an unknown step stays as written.
    """
    steps = {step: REPORT_TEXT[language][f"step_{step}"] for step in ("received", "excluded", "analysed")}
    named_steps = sample_flow["step"].map(steps).fillna(sample_flow["step"])
    return sample_flow[["wave", "step", "reason", "n"]].assign(step=named_steps)


def methods_notes(config: dict, choice_fit: pd.DataFrame | None, performance_fit: pd.DataFrame | None,
                  language: str, scales: bool = True) -> list[str]:
    """Plain-text method notes for the report, from the run configuration and the fit tables.

    Parameters
    ----------
    config : dict
        The run configuration: ``qc.exclusion_rules``, ``choice`` (``base``, ``cov_type``
        (default ``cluster``), ``cluster`` (default ``firm_key``)) and ``performance``
        (``outcome``, ``cov_type`` (default ``HC3``)).
    choice_fit : DataFrame or None
        The multinomial logit's ``statistic, value`` rows (``n_obs``, ``n_missing``, ``converged``,
        and ``n_clusters`` with cluster-robust errors); None without it (no note on it).
    performance_fit : DataFrame or None
        The performance model's ``statistic, value`` rows (``n``, ``n_missing``); None without the
        performance stage (no note on it).
    language : {"fr", "en"}
    scales : bool, default=True
        Whether the codebook defines scales (without them, no note on how scores are made).

    Returns
    -------
    list of str
        The notes on exclusions, scales, the choice model and the performance model (and its
        centred covariates, ``performance.centre``), then a
        warning if the choice model did not converge.
    """
    text = NOTES_TEXT[language]
    notes = [text["exclusions"].format(rules=", ".join(config["qc"]["exclusion_rules"])),
             *([text["scales"]] if scales else [])]
    if choice_fit is not None:
        choice = {**{"cov_type": "cluster", "cluster": "firm_key"}, **config["choice"]}
        choice_stats = pd.to_numeric(choice_fit.set_index("statistic")["value"], errors="coerce")
        cluster = (text["cluster"].format(cluster=choice["cluster"], n_clusters=choice_stats["n_clusters"])
                   if choice["cov_type"] == "cluster" else "")
        notes.append(text["choice"].format(outcome=choice["outcome"], base=choice["base"], cov_type=choice["cov_type"],
                                           cluster=cluster, n=choice_stats["n_obs"], missing=choice_stats["n_missing"]))
    if performance_fit is not None:
        performance = {**{"cov_type": "cluster"}, **config["performance"]}
        main_outcome = performance_fit[performance_fit["outcome"].astype(str) == performance["outcome"]]
        performance_stats = pd.to_numeric(main_outcome.set_index("statistic")["value"], errors="coerce")
        notes.append(text["performance"].format(outcome=performance["outcome"], cov_type=performance["cov_type"],
                                                n=performance_stats["n"], missing=performance_stats["n_missing"]))
        if performance.get("centre"):
            notes.append(text["centred"].format(names=", ".join(performance["centre"])))
    if choice_fit is not None and choice_stats["converged"] != 1:
        notes.append(text["not_converged"])
    return notes
