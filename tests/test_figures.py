"""Figures: written as PNG, byte-stable, labelled from the codebook in the chosen language."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliancegov.codebook.tables import Codebook
from alliancegov.descriptives import form_by_sector_table, likert_item_table, mean_confidence_intervals
from alliancegov.figures.descriptive import plot_form_by_sector, plot_sample_flow, sample_flow_boxes
from alliancegov.figures.models import (
    plot_ame_forest,
    plot_choice_coefficients,
    plot_performance_by_form,
    plot_predicted_probabilities,
)
from alliancegov.figures.theme import save_figure
from alliancegov.performance.outcomes import means_by_form

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCALES = ["asset_specificity", "environmental_uncertainty", "trust", "satisfaction"]


@pytest.fixture(scope="module")
def analysis(codebook: Codebook) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "wave": rng.choice([1, 2], n),
            "firm_key": [f"F{i:03d}" for i in range(n)],
            "sector": rng.choice(codebook.answer_names("sector"), n),
            "governance_form": rng.choice(codebook.answer_names("governance_form"), n),
        }
    )
    for scale in SCALES:
        frame[scale] = rng.uniform(1, 5, n).round(2)
    frame.loc[:4, "trust"] = np.nan
    return frame


@pytest.fixture(scope="module")
def choice_mnl() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [
        (outcome, term)
        for outcome in ["licensing", "supply_chain_partnership", "joint_venture"]
        for term in ["Intercept", "asset_specificity", "environmental_uncertainty", "sector[services]"]
    ]
    frame = pd.DataFrame(rows, columns=["outcome", "term"])
    frame["estimate"] = rng.normal(0, 1, len(frame))
    frame["std_error"] = rng.uniform(0.1, 0.5, len(frame))
    frame["statistic"] = frame["estimate"] / frame["std_error"]
    frame["p_value"] = rng.uniform(0, 1, len(frame))
    frame["conf_low"] = frame["estimate"] - 1.96 * frame["std_error"]
    frame["conf_high"] = frame["estimate"] + 1.96 * frame["std_error"]
    return frame


@pytest.fixture(scope="module")
def sample_flow() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "wave": [1, 1, 1, 1, 2, 2, 2],
            "step": ["received", "excluded", "excluded", "analysed", "received", "excluded", "analysed"],
            "reason": ["", "no_consent", "duplicate", "", "", "failed_attention_check", ""],
            "n": [120, 6, 4, 110, 100, 10, 90],
        }
    )


def all_texts(figure) -> list[str]:
    """Every text drawn on the figure (titles, axis and tick labels, legends), unwrapped."""
    from matplotlib.text import Text

    return [artist.get_text().replace("\n", " ") for artist in figure.findobj(Text) if artist.get_text()]


def test_saving_the_same_figure_twice_gives_identical_bytes(tmp_path, sample_flow):
    first = save_figure(plot_sample_flow(sample_flow, "en"), tmp_path / "a.png")
    second = save_figure(plot_sample_flow(sample_flow, "en"), tmp_path / "b.png")

    assert first.read_bytes() == second.read_bytes()
    assert b"Software" not in first.read_bytes()
    assert b"Matplotlib" not in first.read_bytes()


def test_save_figure_writes_300_dpi(tmp_path, sample_flow):
    figure = plot_sample_flow(sample_flow, "en")
    width_inches = figure.get_figwidth()
    path = save_figure(figure, tmp_path / "flow.png")

    header = path.read_bytes()[16:24]
    # Matplotlib truncates the pixel width: 16 cm at 300 dpi is 1889.76 px, written as 1889
    assert abs(int.from_bytes(header[:4], "big") - width_inches * 300) < 1


def test_form_by_sector_is_labelled_in_the_chosen_language(analysis, codebook):
    shares = form_by_sector_table(analysis, codebook)
    french = all_texts(plot_form_by_sector(shares, codebook, "fr"))
    english = all_texts(plot_form_by_sector(shares, codebook, "en"))

    assert "Textile-habillement" in french and "Coentreprise" in french
    assert "Textile and apparel" in english and "Joint venture" in english
    assert "Coentreprise" not in english
    assert any(label.endswith("\u202f%") for label in french)


def test_form_colours_follow_codebook_order_in_every_figure(analysis, choice_mnl, codebook):
    from alliancegov.figures.theme import form_colours

    colours = list(form_colours(codebook).values())
    bars = plot_form_by_sector(form_by_sector_table(analysis, codebook), codebook, "en")
    legend = {text.get_text(): handle.get_facecolor()[:3] for text, handle in
              zip(bars.legends[0].get_texts(), bars.legends[0].legend_handles, strict=True)}
    coefficients = plot_choice_coefficients(choice_mnl, codebook, "en")
    joint_venture_panel = next(ax for ax in coefficients.axes if ax.get_title() == "Joint venture")

    assert np.allclose(legend["Repeated contracts"], colours[0])
    assert np.allclose(legend["Joint venture"], colours[3])
    assert np.allclose(joint_venture_panel.lines[0].get_color(), colours[3])
    # greyscale-safe: the forms' luminances are distinct and ordered from dark to light
    luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in colours]
    assert all(later - earlier > 0.1 for earlier, later in zip(luminance, luminance[1:]))


def test_choice_coefficients_leave_out_the_intercept_and_name_the_base(choice_mnl, codebook):
    figure = plot_choice_coefficients(choice_mnl, codebook, "fr")
    texts = all_texts(figure)

    assert len(figure.axes) == 3
    assert "Secteur d'activité : Services" in texts
    assert not any("Intercept" in label for label in texts)
    assert any("« Contrats répétés »" in label for label in texts)


def test_term_label_reads_tidy_categorical_terms(codebook):
    assert codebook.term_label("sector[services]", "en") == "Sector: Services"
    assert codebook.term_label("sector[textile]", "fr") == "Secteur d'activité : Textile-habillement"
    assert codebook.term_label("trust", "fr") == "Confiance"
    assert codebook.term_label("trust:sector", "en") == "Trust × Sector"


def test_mean_confidence_intervals_match_the_t_formula():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 10.0, np.nan])
    groups = pd.Series(pd.Categorical(["a", "a", "a", "a", "b", "b"], categories=["a", "b", "c"]))

    result = mean_confidence_intervals(values, groups).set_index("group")

    half_width = 3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2  # t(0.975, 3)
    assert result.loc["a", "mean"] == pytest.approx(2.5)
    assert result.loc["a", "conf_high"] - result.loc["a", "mean"] == pytest.approx(half_width)
    assert result.loc["b", "n"] == 1 and np.isnan(result.loc["b", "conf_low"])
    assert result.loc["c", "n"] == 0


def test_performance_by_form_shows_each_form_with_its_size(analysis, codebook):
    means = means_by_form(analysis, "satisfaction", "governance_form", codebook.answer_names("governance_form"))
    texts = all_texts(plot_performance_by_form(means, codebook, "en"))
    counts = analysis["governance_form"].value_counts()

    assert f"Joint venture (n = {counts['joint_venture']})" in texts
    assert "Satisfaction" in texts


def test_sample_flow_boxes_total_each_step_name_the_rules_and_label_the_waves(sample_flow, codebook):
    from alliancegov.messages.labels import Labeller

    flow = sample_flow.assign(reason=sample_flow["reason"].replace("duplicate", "duplicate_submission"))
    boxes = sample_flow_boxes(flow.iloc[::-1], "fr", {"1": "2024", "2": "2025"}, Labeller(codebook, "fr"))
    nbsp = "\u00a0"

    assert boxes["received"] == ["Réponses reçues (n = 220)", f"2025{nbsp}:{nbsp}100 · 2024{nbsp}:{nbsp}120"]
    assert boxes["excluded"][0] == "Exclues (n = 20)"
    assert boxes["excluded"][1:] == [f"question de contrôle d'attention échouée{nbsp}:{nbsp}10",
                                     f"soumission en double{nbsp}:{nbsp}4", f"pas de consentement{nbsp}:{nbsp}6"]
    assert boxes["analysed"] == ["Réponses analysées (n = 200)", f"2025{nbsp}:{nbsp}90 · 2024{nbsp}:{nbsp}110"]
    with pytest.raises(ValueError, match="steps"):
        sample_flow_boxes(flow.assign(step="dropped"), "fr")


def test_sample_flow_diagram_shows_no_rule_code(sample_flow, codebook):
    from alliancegov.messages.labels import Labeller

    texts = " ".join(all_texts(plot_sample_flow(sample_flow, "en", {"1": "2024", "2": "2025"},
                                                Labeller(codebook, "en"))))
    assert "no consent: 6" in texts.replace("\u00a0", " ") and "no_consent" not in texts
    assert "2024" in texts and "Responses analysed (n = 200)" in texts


def test_unknown_governance_form_is_an_error(analysis, codebook):
    broken = analysis.assign(governance_form=analysis["governance_form"].replace("licensing", "licence"))

    with pytest.raises(ValueError, match="licence"):
        form_by_sector_table(broken, codebook)


def test_a_suppressed_share_draws_no_bar(analysis, codebook):
    shares = form_by_sector_table(analysis, codebook)
    shares.loc[0, "share"] = np.nan   # as suppress_tidy_crosstab leaves a small cell
    bars = [container for container in plot_form_by_sector(shares, codebook, "en").axes[0].containers]
    assert [len(container) for container in bars] == [1] + [2] * (len(bars) - 1)   # one bar per known share
    assert sum(len(container) for container in bars) == shares["share"].notna().sum()


# ---- reliability and Likert figures ---------------------------------------------------------

from alliancegov.constructs.stage import build_analysis  # noqa: E402
from alliancegov.figures.descriptive import plot_reliability  # noqa: E402
from alliancegov.figures.likert import plot_likert_diverging  # noqa: E402

LIKERT_SCALES = ["asset_specificity", "trust"]


@pytest.fixture(scope="module")
def survey(codebook: Codebook, small_waves) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Raw pooled answers (items as given), the analysis frame (items recoded), reliability and the
    descriptives stage's table of the Likert items' answers."""
    pooled = pd.concat(small_waves, ignore_index=True)
    raw = pooled[codebook.of_type("likert") + ["wave", "sector", "governance_form"]].copy()
    raw.loc[:6, "as4"] = np.nan
    analysis, reliability = build_analysis(raw, codebook)
    return raw, analysis, reliability, likert_item_table(raw, codebook, LIKERT_SCALES)


def plain_texts(figure) -> list[str]:
    """Figure texts, unwrapped, with no-break spaces read as spaces."""
    return [label.replace("\u00a0", " ") for label in all_texts(figure)]


@pytest.mark.parametrize(
    ("language", "scale_label", "alpha_key", "threshold"),
    [("en", "Asset specificity", "Cronbach's alpha with 95% CI", "Usual threshold of 0.7"),
     ("fr", "Spécificité des actifs", "Alpha de Cronbach et IC à 95 %", "Seuil usuel de 0,7")],
)
def test_reliability_figure_shows_pooled_alpha_interval_and_omega(
    survey, codebook, language, scale_label, alpha_key, threshold
):
    _, _, reliability, _ = survey
    figure = plot_reliability(reliability, codebook, language)
    texts = plain_texts(figure)
    ax = figure.axes[0]
    pooled = reliability[reliability["wave"] == "all"].reset_index(drop=True)

    assert len(figure.axes) == 1
    assert [label.get_text().replace("\n", " ").replace("\u00a0", " ") for label in ax.get_yticklabels()] == [
        f"{codebook.label(scale, language)} (n = {n})" for scale, n in zip(pooled["scale"], pooled["n_complete"])
    ]
    assert f"{scale_label} (n = {pooled.at[0, 'n_complete']})" in texts
    assert {alpha_key, threshold} <= set(texts)
    assert any(label.startswith(("McDonald", "Oméga")) for label in texts)
    # The threshold line, the alpha points with their intervals, the omega points.
    assert any(np.allclose(line.get_xdata(), 0.7) for line in ax.lines)
    alpha_points, caps, bars = ax.containers[0]
    assert np.allclose(alpha_points.get_xdata(), pooled["alpha"])
    segments = bars[0].get_segments()
    assert np.allclose([segment[0][0] for segment in segments], pooled["alpha_conf_low"])
    assert np.allclose([segment[1][0] for segment in segments], pooled["alpha_conf_high"])
    omega_points = next(line for line in ax.lines if line.get_marker() == "D")
    assert np.allclose(omega_points.get_xdata(), pooled["omega"])
    if language == "fr":
        assert "0,8" in [label.get_text() for label in ax.get_xticklabels()]


def test_reliability_figure_needs_pooled_rows(survey, codebook):
    _, _, reliability, _ = survey
    with pytest.raises(ValueError, match="pooled"):
        plot_reliability(reliability[reliability["wave"] != "all"], codebook, "en")


def bar_shares(ax) -> dict[str, np.ndarray]:
    """Answer label → bar widths of one panel, top item first."""
    return {container.get_label(): np.array([patch.get_width() for patch in container.patches])
            for container in ax.containers}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_likert_figure_has_one_panel_per_scale_labelled_from_the_codebook(survey, codebook, language):
    _, analysis, _, items = survey
    figure = plot_likert_diverging(items, codebook, language, LIKERT_SCALES)
    texts = plain_texts(figure)
    mark = "(R)" if language == "en" else "(I)"

    assert len(figure.axes) == len(LIKERT_SCALES)
    assert [ax.get_title(loc="left") for ax in figure.axes] == [codebook.label(s, language) for s in LIKERT_SCALES]
    answer_labels = codebook.choices("likert5")[f"label_{language}"].tolist()
    legend = [text.get_text().replace("\n", " ") for text in figure.legends[0].get_texts()]
    assert legend == answer_labels
    for ax, scale in zip(figure.axes, LIKERT_SCALES):
        items = codebook.items(scale)
        ticks = [label.get_text().replace("\n", " ").replace("\u00a0", " ") for label in ax.get_yticklabels()]
        assert len(ticks) == len(items)
        for tick, name, reverse in zip(ticks, items["name"], items["reverse"]):
            label = codebook.label(name, language) + (f" {mark}" if reverse else "")
            assert tick == f"{label} (n = {analysis[name].notna().sum()})"
    note = "answers as given, before recoding" if language == "en" else "réponses telles que données"
    assert any(note in label for label in texts)
    if language == "fr":
        assert any(label.endswith("\u202f%") for label in texts)
        assert "Pas du tout d'accord" in legend and "Strongly disagree" not in texts


def test_likert_bars_show_reverse_coded_items_as_answered_with_the_neutral_centred(survey, codebook):
    raw, _, _, items = survey
    figure = plot_likert_diverging(items, codebook, "en", ["asset_specificity"])
    ax = figure.axes[0]
    labels = dict(zip(range(1, 6), codebook.choices("likert5")["label_en"]))
    widths = bar_shares(ax)
    names = codebook.items("asset_specificity")["name"].tolist()
    expected = {code: np.array([(raw[name] == code).sum() / raw[name].notna().sum() for name in names])
                for code in range(1, 6)}

    for code, label in labels.items():
        assert widths[label] == pytest.approx(expected[code], abs=1e-12)   # as4 as answered, not recoded
    assert sum(widths.values()) == pytest.approx(np.ones(len(names)))
    neutral = next(c for c in ax.containers if c.get_label() == labels[3])
    for patch in neutral.patches:                                     # centred on 0
        assert patch.get_x() == pytest.approx(-patch.get_width() / 2)
    agree = next(c for c in ax.containers if c.get_label() == labels[4])
    assert all(patch.get_x() > 0 for patch in agree.patches)
    disagree = next(c for c in ax.containers if c.get_label() == labels[2])
    assert all(patch.get_x() + patch.get_width() < 0 for patch in disagree.patches)


def test_likert_item_table_counts_the_answers_as_given(survey, codebook):
    raw, _, _, items = survey
    as4 = items[items["item"] == "as4"].set_index("code")
    assert as4["n"].to_dict() == {code: int((raw["as4"] == code).sum()) for code in range(1, 6)}
    assert (as4["n_valid"] == raw["as4"].notna().sum()).all()
    assert as4["share"].sum() == pytest.approx(1.0)
    assert list(dict.fromkeys(items["item"])) == [name for scale in LIKERT_SCALES
                                                  for name in codebook.items(scale)["name"]]


def test_likert_item_table_rejects_answers_outside_the_value_set(survey, codebook):
    raw, _, _, _ = survey
    with pytest.raises(ValueError, match="outside the value set"):
        likert_item_table(raw.assign(tr1=raw["tr1"].replace(5.0, 99.0)), codebook, ["trust"])
    with pytest.raises(ValueError, match="tr2"):
        likert_item_table(raw.drop(columns="tr2"), codebook, ["trust"])
    with pytest.raises(ValueError, match="tr2"):
        plot_likert_diverging(likert_item_table(raw, codebook, ["trust"]).query("item != 'tr2'"), codebook, "en",
                              ["trust"])


@pytest.mark.parametrize("draw", ["reliability", "likert"])
def test_new_figures_save_byte_identically(tmp_path, survey, codebook, draw):
    _, _, reliability, items = survey

    def figure():
        if draw == "reliability":
            return plot_reliability(reliability, codebook, "fr")
        return plot_likert_diverging(items, codebook, "fr", LIKERT_SCALES)

    first = save_figure(figure(), tmp_path / "a.png").read_bytes()
    second = save_figure(figure(), tmp_path / "b.png").read_bytes()
    assert first.startswith(PNG_SIGNATURE) and first == second


@pytest.fixture(scope="module")
def choice_ame(codebook) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = [(form, term) for form in codebook.answer_names("governance_form")
            for term in ["asset_specificity", "trust", "sector[textile]"]]
    frame = pd.DataFrame(rows, columns=["outcome", "term"])
    frame["estimate"] = rng.normal(0, 0.05, len(frame))
    frame["conf_low"] = frame["estimate"] - 0.03
    frame["conf_high"] = frame["estimate"] + 0.03
    return frame


@pytest.fixture(scope="module")
def choice_predictions(codebook) -> pd.DataFrame:
    forms = codebook.answer_names("governance_form")
    rows = []
    for variable in ["asset_specificity", "environmental_uncertainty"]:
        for by in ["textile", "services"]:
            for value in np.linspace(1, 5, 5):
                shares = np.exp(np.arange(4) * (value - 3) / 2)
                for form, share in zip(forms, shares / shares.sum()):
                    rows.append((variable, value, by, form, share, share - 0.05, share + 0.05))
    return pd.DataFrame(rows, columns=["variable", "value", "by", "outcome", "estimate", "conf_low", "conf_high"])


@pytest.mark.parametrize("language", ["fr", "en"])
def test_ame_forest_has_a_panel_per_form_including_the_base(choice_ame, codebook, language):
    figure = plot_ame_forest(choice_ame, codebook, language)
    titles = [ax.get_title().replace("\n", " ") for ax in figure.axes]
    assert titles == [codebook.answer_label("governance_form", f, language)
                      for f in codebook.answer_names("governance_form")]
    texts = all_texts(figure)
    assert ("Secteur d'activité : Textile-habillement" if language == "fr" else "Sector: Textile and apparel") in texts


def test_predicted_probability_curves(choice_predictions, codebook, tmp_path):
    figure = plot_predicted_probabilities(choice_predictions, codebook, "fr", "sector")
    assert len(figure.axes) == 4
    titles = {ax.get_title().replace("\n", " ") for ax in figure.axes}
    assert titles == {"Textile-habillement", "Services"}
    assert {ax.get_xlabel().replace("\n", " ") for ax in figure.axes[-2:]} == {
        "Spécificité des actifs", "Incertitude environnementale"}
    assert all(ax.get_ylim() == (0, 1) for ax in figure.axes)
    assert len(figure.axes[0].lines) == 4
    first = save_figure(plot_predicted_probabilities(choice_predictions, codebook, "en", "sector"), tmp_path / "a.png")
    second = save_figure(plot_predicted_probabilities(choice_predictions, codebook, "en", "sector"), tmp_path / "b.png")
    assert first.read_bytes() == second.read_bytes()


def figure_outputs(folder, stems) -> dict[str, str]:
    """A figure rule's outputs: each figure's PNG, SVG and PDF."""
    return {f"{stem}{suffix}": str(folder / f"{stem}.{fmt}") for stem in stems
            for suffix, fmt in (("", "png"), ("_svg", "svg"), ("_pdf", "pdf"))}


def test_the_descriptive_figures_rule_draws_the_configured_figures_from_files(tmp_path, survey, sample_flow, codebook):
    from alliancegov.codebook.vocabulary import CODEBOOK_FILES
    from alliancegov.figures.descriptive import run
    from tests.conftest import CODEBOOK_DIR

    _, analysis, reliability, items = survey
    inputs = {"analysis": tmp_path / "analysis.parquet", "form_by_sector": tmp_path / "form_by_sector.csv",
              "sample_flow": tmp_path / "sample_flow.csv", "reliability": tmp_path / "reliability.csv",
              "likert_items": tmp_path / "likert_items.csv"}
    analysis.to_parquet(inputs["analysis"])
    form_by_sector_table(analysis, codebook).to_csv(inputs["form_by_sector"], index=False)
    sample_flow.to_csv(inputs["sample_flow"], index=False)
    reliability.to_csv(inputs["reliability"], index=False)
    items.to_csv(inputs["likert_items"], index=False)
    common = dict(codebook=[str(CODEBOOK_DIR / name) for name in CODEBOOK_FILES], language="en",
                  outcome="governance_form", group="sector")
    stems = ["form_by_sector", "construct_scores", "sample_flow", "reliability", "likert_items"]
    paths = run(**{k: str(v) for k, v in inputs.items()}, outputs=figure_outputs(tmp_path / "all", stems),
                scales=["asset_specificity", "trust"], likert_scales=LIKERT_SCALES, **common)
    assert [p.stem for p in paths] == stems
    for path in paths:
        assert path.read_bytes().startswith(PNG_SIGNATURE)
        assert path.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    # without scales: neither the construct scores nor reliability nor Likert items, and no table asked for
    paths = run(analysis=str(inputs["analysis"]), form_by_sector=str(inputs["form_by_sector"]),
                sample_flow=str(inputs["sample_flow"]), outputs=figure_outputs(tmp_path / "few", stems[::2][:1] +
                                                                                 ["sample_flow"]),
                scales=[], likert_scales=[], **common)
    assert sorted(p.name for p in (tmp_path / "few").glob("*.png")) == ["form_by_sector.png", "sample_flow.png"]
    with pytest.raises(ValueError, match="differ"):
        run(**{k: str(v) for k, v in inputs.items()}, outputs=figure_outputs(tmp_path / "x", ["form_by_sector"]),
            scales=[], likert_scales=[], **common)


def test_every_format_is_byte_identical_across_saves(sample_flow, tmp_path):
    from alliancegov.figures.theme import FIGURE_FORMATS

    first = save_figure(plot_sample_flow(sample_flow, "fr"), tmp_path / "one" / "flow.png", FIGURE_FORMATS)
    second = save_figure(plot_sample_flow(sample_flow, "fr"), tmp_path / "two" / "flow.png", FIGURE_FORMATS)
    for fmt in FIGURE_FORMATS:
        a, b = first.with_suffix(f".{fmt}").read_bytes(), second.with_suffix(f".{fmt}").read_bytes()
        assert a == b, fmt
    assert first.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert b"<svg" in first.with_suffix(".svg").read_bytes()


def test_the_configured_width_and_one_font_size_hold_for_every_text(sample_flow, analysis, codebook, choice_ame):
    from matplotlib.text import Text

    from alliancegov.figures.style import FigureStyle, figure_style

    style = FigureStyle(width_cm=8.5, font_size_pt=7)           # a journal's single column
    with figure_style(style):
        figures = [plot_sample_flow(sample_flow, "en"), plot_form_by_sector(form_by_sector_table(analysis, codebook),
                                                                            codebook, "fr")]
    for figure in figures:
        assert figure.get_figwidth() == pytest.approx(8.5 / 2.54)
        sizes = {round(text.get_fontsize(), 2) for text in figure.findobj(Text) if text.get_text().strip()}
        assert sizes == {7.0}
    # long labels wrap to the narrower width: no line of the sector figure is wider than the figure
    lines = [line for text in figures[1].findobj(Text) for line in text.get_text().split("\n")]
    assert max(len(line) for line in lines) <= style.characters()
    # facet titles wrap to their panel: the AME panels' titles never run into each other
    with figure_style(style):
        forest = plot_ame_forest(choice_ame, codebook, "fr")
    share = int(style.characters() * 0.62 / len(forest.axes)) + 1
    titles = [ax.get_title() for ax in forest.axes]
    assert any("\n" in title for title in titles)
    assert all(len(line) <= max(share, max(map(len, title.split()))) for title in titles for line in title.split("\n"))
