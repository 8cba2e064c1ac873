"""The report's sections for the stages a configuration turned on: their headings worded from the
codebook's labels (the outcome and the grouping question, not the study's words), and the sections
with nothing to show, left out with one sentence saying why.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from alliancegov.report.text import LEFT_OUT_TEXT, REPORT_TEXT

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
