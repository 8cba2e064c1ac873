"""Figures: written as PNG, byte-stable, labelled from the codebook in the chosen language."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliancegov.codebook import Codebook
from alliancegov.figures import (
    make_figures,
    mean_confidence_intervals,
    plot_choice_coefficients,
    plot_form_by_sector,
    plot_performance_by_form,
    plot_sample_flow,
    sample_flow_bars,
    save_figure,
    term_label,
)

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


def test_make_figures_writes_the_five_pngs(tmp_path, analysis, choice_mnl, sample_flow, codebook):
    paths = make_figures(analysis, choice_mnl, sample_flow, codebook, "fr", SCALES, "satisfaction", tmp_path / "fig")

    assert [path.name for path in paths] == [
        "form_by_sector.png", "construct_scores.png", "choice_coefficients.png",
        "performance_by_form.png", "sample_flow.png",
    ]
    for path in paths:
        assert path.read_bytes().startswith(PNG_SIGNATURE)


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
    assert int.from_bytes(header[:4], "big") == round(width_inches * 300)


def test_form_by_sector_is_labelled_in_the_chosen_language(analysis, codebook):
    french = all_texts(plot_form_by_sector(analysis, codebook, "fr"))
    english = all_texts(plot_form_by_sector(analysis, codebook, "en"))

    assert "Textile-habillement" in french and "Coentreprise" in french
    assert "Textile and apparel" in english and "Joint venture" in english
    assert "Coentreprise" not in english
    assert any(label.endswith("\u202f%") for label in french)


def test_form_colours_follow_codebook_order_in_every_figure(analysis, choice_mnl, codebook):
    import seaborn as sns

    colours = sns.color_palette("colorblind")
    bars = plot_form_by_sector(analysis, codebook, "en")
    legend = {text.get_text(): handle.get_facecolor()[:3] for text, handle in
              zip(bars.legends[0].get_texts(), bars.legends[0].legend_handles, strict=True)}
    coefficients = plot_choice_coefficients(choice_mnl, codebook, "en")
    joint_venture_panel = next(ax for ax in coefficients.axes if ax.get_title() == "Joint venture")

    assert np.allclose(legend["Repeated contracts"], colours[0])
    assert np.allclose(legend["Joint venture"], colours[3])
    assert np.allclose(joint_venture_panel.lines[0].get_color(), colours[3])


def test_choice_coefficients_leave_out_the_intercept_and_name_the_base(choice_mnl, codebook):
    figure = plot_choice_coefficients(choice_mnl, codebook, "fr")
    texts = all_texts(figure)

    assert len(figure.axes) == 3
    assert "Secteur d'activité : Services" in texts
    assert not any("Intercept" in label for label in texts)
    assert any("« Contrats répétés »" in label for label in texts)


def test_term_label_reads_tidy_categorical_terms(codebook):
    assert term_label("sector[services]", codebook, "en") == "Sector: Services"
    assert term_label("sector[textile]", codebook, "fr") == "Secteur d'activité : Textile-habillement"
    assert term_label("trust", codebook, "fr") == "Confiance"
    assert term_label("trust:sector", codebook, "en") == "trust:sector"


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
    texts = all_texts(plot_performance_by_form(analysis, "satisfaction", codebook, "en"))
    counts = analysis["governance_form"].value_counts()

    assert f"Joint venture (n = {counts['joint_venture']})" in texts
    assert "Satisfaction" in texts


def test_sample_flow_bars_order_received_reasons_analysed(sample_flow):
    bars = sample_flow_bars(sample_flow.iloc[::-1], "fr")

    assert bars["label"].tolist() == [
        "Reçues", "Exclues : failed_attention_check", "Analysées",
        "Reçues", "Exclues : duplicate", "Exclues : no_consent", "Analysées",
    ]
    assert bars["wave"].tolist() == [2, 2, 2, 1, 1, 1, 1]


def test_unknown_governance_form_is_an_error(analysis, codebook):
    broken = analysis.assign(governance_form=analysis["governance_form"].replace("licensing", "licence"))

    with pytest.raises(ValueError, match="licence"):
        plot_form_by_sector(broken, codebook, "en")
