"""The figures' own words come from the message catalogues, the same keys and placeholders in every language."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pandas as pd
import pytest

from alliancegov.figures.power import power_curves, power_effect_label
from alliancegov.formatting import number_format
from alliancegov.messages import catalogue, languages, message, section
from tests.test_reruns import finished_copy, planned

FIGURES_DIR = Path(__file__).resolve().parents[1] / "src" / "alliancegov" / "figures"
# a key written in a figure module: message("figures.x", ...), section("figures.x", ...) or a variable holding one
FIGURE_KEY = re.compile(r"""["'](figures\.[a-z0-9_]+)["']""")


def leaves(node, prefix: str) -> dict[str, str]:
    if not isinstance(node, dict):
        return {prefix: node}
    return {key: text for name, value in node.items() for key, text in leaves(value, f"{prefix}.{name}").items()}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_figure_message_is_in_every_language_with_the_same_placeholders():
    wording = {language: leaves(catalogue(language)["figures"], "figures") for language in languages()}
    french = wording["fr"]
    assert len(french) > 30   # the figures' words moved here, not an empty section
    for language, messages in wording.items():
        assert messages.keys() == french.keys(), language
        for key, text in messages.items():
            assert isinstance(text, str) and text.strip(), (language, key)
            assert placeholders(text) == placeholders(french[key]), (language, key)


def test_the_figure_modules_ask_only_for_messages_the_catalogues_hold_and_use_them_all():
    used = {key for path in FIGURES_DIR.glob("*.py") for key in FIGURE_KEY.findall(path.read_text(encoding="utf-8"))}
    for language in languages():
        held = set(catalogue(language)["figures"])
        assert {key.removeprefix("figures.") for key in used} == held, language
        for key in used:
            node = catalogue(language)["figures"][key.removeprefix("figures.")]
            assert section(key, language) if isinstance(node, dict) else message(key, language), (language, key)
    assert not (FIGURES_DIR / "wording.py").exists()


POWER_TABLE = pd.DataFrame({
    "n": [100, 400, 100, 400, 100, 400],
    "hypothesis": ["H1", "H1", "H7", "H7", "H7", "H7"],
    "table": ["choice_ame", "choice_ame", "misalignment", "misalignment", "all", "all"],
    "model": [None, None, "misfit", "misfit", None, None],
    "outcome": ["supply_chain_partnership"] * 2 + [None] * 4,
    "term": ["asset_specificity"] * 2 + ["misfit", "misfit", None, None],
    "power": [0.3, 0.8, 0.2, 0.6, 0.2, 0.6],
    "conf_low": [0.2, 0.7, 0.1, 0.5, 0.1, 0.5],
    "conf_high": [0.4, 0.9, 0.3, 0.7, 0.3, 0.7],
})


@pytest.mark.parametrize(("language", "bootstrap", "misfit"), [
    ("fr", "H7 : bootstrap des deux étapes à 19 rééchantillonnages", "Inadéquation (1 − P) (mesure principale)"),
    ("en", "H7: two-stage bootstrap with 19 resamples", "Misfit (1 − P) (primary)"),
])
def test_the_power_figure_names_the_bootstrapped_hypothesis_from_its_table(codebook, language, bootstrap, misfit):
    import matplotlib.pyplot as plt

    figure = power_curves(POWER_TABLE, codebook, language, bootstrap_replicates=19)
    try:
        note = " ".join(figure.get_supxlabel().split())
        title = " ".join(figure.get_suptitle().split())
        legends = [text.get_text() for ax in figure.axes if ax.get_legend() for text in ax.get_legend().get_texts()]
    finally:
        plt.close(figure)
    assert note.startswith(message("figures.power_note", language, alpha=number_format(language).general(0.05)))
    assert bootstrap in note
    assert title == message("figures.power_title", language)
    assert any(" ".join(label.split()) == misfit for label in legends), legends
    assert power_effect_label(POWER_TABLE.iloc[2], codebook, language) == misfit
    # the bootstrap is named only when the table has a misalignment effect
    choice_only = power_curves(POWER_TABLE[POWER_TABLE["table"] == "choice_ame"], codebook, language,
                               bootstrap_replicates=19)
    try:
        assert "19" not in choice_only.get_supxlabel()
    finally:
        plt.close(choice_only)


FIGURE_RULES = {"figures_descriptive", "figures_models", "figures_waves"}


@pytest.mark.slow  # a dry run of a copy of the whole finished pipeline
def test_editing_a_catalogue_reruns_the_figures_and_reports_and_refits_nothing(run, tmp_path):
    project, source = finished_copy(run, tmp_path)
    english = source / "alliancegov" / "messages" / "en.yaml"
    english.write_text(english.read_text(encoding="utf-8") + "# an edit of the catalogue\n", encoding="utf-8")
    plan = planned(project, source)
    assert FIGURE_RULES <= set(plan), sorted(plan)
    for rule in FIGURE_RULES:
        assert "Params have changed since last execution" in plan[rule], (rule, plan[rule])
    assert set(plan) - FIGURE_RULES - {"all"} <= {"report", "publication_tables", "summary"}, sorted(plan)
