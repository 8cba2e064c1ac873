"""The panel: simulated firms re-interviewed across waves recover the simulator's transition matrix."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from alliancegov.figures.theme import save_figure
from alliancegov.figures.waves import transitions_alluvial
from alliancegov.simulate.population import PREVIOUS_FORM, simulate_waves
from alliancegov.simulate.truth import FORMS, load_truth, override_truth, transition_matrix
from alliancegov.stats.deepening import DEEPENING_COLUMNS
from alliancegov.stats.transitions import PROBABILITY_COLUMNS, transition_pairs
from alliancegov.waves.panel import panel_transitions, wave_order

YEARS = [2024, 2025, 2026]
FIRMS_PER_WAVE = 4000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def analysis_frame(waves: list[pd.DataFrame]) -> pd.DataFrame:
    """The pooled frame as the pipeline has it: a firm key per firm (here its registry number,
    which the real ingest hashes) and the wave's survey year."""
    frames = [wave.assign(firm_key=wave["registry_number"], survey_year=year) for wave, year in zip(waves, YEARS)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def panel_waves(codebook) -> list[pd.DataFrame]:
    # every re-interviewed firm keeps its alliance, so that every form follows the Markov matrix
    # (a new alliance draws its form from the choice model instead)
    truth = override_truth(load_truth(), {"panel.new_alliance_share": 0.0})
    return simulate_waves(FIRMS_PER_WAVE, YEARS, seed=2027, codebook=codebook, truth=truth)


@pytest.fixture(scope="module")
def tables(panel_waves) -> dict[str, pd.DataFrame]:
    return panel_transitions(analysis_frame(panel_waves), "governance_form", FORMS)


def truth_inside(probabilities: pd.DataFrame) -> np.ndarray:
    truth = transition_matrix(load_truth()).stack()
    expected = truth.loc[list(zip(probabilities["from_state"], probabilities["to_state"]))].to_numpy()
    return ((probabilities["conf_low"] <= expected) & (expected <= probabilities["conf_high"])).to_numpy()


def test_estimated_matrix_covers_the_simulators_transition_probabilities(panel_waves, tables):
    probabilities = tables["transition_probabilities"]
    assert list(probabilities.columns) == PROBABILITY_COLUMNS and len(probabilities) == 16
    # 16 cells at 95 %: 15.2 expected inside; fewer than 14 would happen by chance about 4 % of the time.
    assert truth_inside(probabilities).sum() >= 14
    strict = panel_transitions(analysis_frame(panel_waves), "governance_form", FORMS, level=0.999)
    assert truth_inside(strict["transition_probabilities"]).all()


def test_firms_are_linked_between_consecutive_waves_only(tables):
    links = tables["panel_links"]
    assert links[["from_wave", "to_wave"]].values.tolist() == [["w2024", "w2025"], ["w2025", "w2026"]]
    assert (links["n_linked"] == FIRMS_PER_WAVE // 2).all()
    assert (links[["n_from", "n_to"]] == FIRMS_PER_WAVE).all().all()
    counts = tables["transition_counts"]
    pooled = counts[counts["from_wave"] == "all"]
    assert len(counts) == 3 * 16 and pooled["n"].sum() == links["n_linked"].sum()
    form_by_wave = tables["form_by_wave"]
    assert form_by_wave.groupby("wave")["n"].sum().eq(FIRMS_PER_WAVE).all()


def test_relationships_deepen_in_the_simulated_panel(tables):
    deepening = tables["deepening"].set_index("term")
    assert list(tables["deepening"].columns) == [*DEEPENING_COLUMNS, "note"]
    # the simulator asks same_alliance, and in this panel every re-interviewed firm keeps its alliance
    linked = int(tables["panel_links"]["n_linked"].sum())
    assert tables["deepening"]["note"].str.startswith("transitions within the same alliance only").all()
    assert tables["deepening"]["note"].str.endswith(f"{linked} of {linked}").all()
    share = deepening.loc["upward_share"]
    assert share["estimate"] > 0.5 and share["p_value"] < 0.001
    subcontracting = deepening.loc["repeated_contract->supply_chain_partnership vs "
                                   "supply_chain_partnership->repeated_contract"]
    assert subcontracting["estimate"] > 0 and subcontracting["conf_low"] > 0 and subcontracting["p_value"] < 0.001
    # The truth is the same every year, and the homogeneity test has no reason to say otherwise.
    assert tables["homogeneity"].set_index("from_state").at["all", "p_value"] > 0.001


def test_reinterviewed_firms_carry_their_previous_form(panel_waves):
    first, second, _ = panel_waves
    returning = second[second[PREVIOUS_FORM].notna()]
    before = first.set_index("firm_id").loc[returning["firm_id"], "governance_form"].to_numpy()
    assert len(returning) == FIRMS_PER_WAVE // 2 and (returning[PREVIOUS_FORM].to_numpy() == before).all()
    assert first[PREVIOUS_FORM].isna().all()
    # The logit's columns keep their meaning: misfit is 1 − the logit probability of the chosen form.
    probs = second[[f"true_prob_{form}" for form in FORMS]].to_numpy()
    chosen = pd.Index(FORMS).get_indexer(second["governance_form"])
    np.testing.assert_allclose(second["true_misfit"], 1 - probs[np.arange(len(second)), chosen])


def test_an_identity_matrix_keeps_every_reinterviewed_firm_in_its_form(codebook):
    truth = copy.deepcopy(load_truth())
    truth["panel"]["transition"] = {form: {form: 1.0} for form in FORMS}
    truth["panel"]["new_alliance_share"] = 0.0
    waves = simulate_waves(300, YEARS[:2], seed=4, codebook=codebook, truth=truth)
    returning = waves[1][waves[1][PREVIOUS_FORM].notna()]
    assert len(returning) == 150 and (returning["governance_form"] == returning[PREVIOUS_FORM]).all()


@pytest.mark.parametrize("change, message", [
    (lambda m: m["licensing"].update(licensing=0.9), "must sum to 1"),
    (lambda m: m.update(franchise={"franchise": 1.0}), "unknown forms"),
    (lambda m: m.pop("joint_venture"), "missing rows"),
    (lambda m: m["licensing"].update(licensing=1.2, repeated_contract=-0.13), r"outside \[0, 1\]"),
])
def test_an_invalid_transition_matrix_is_refused(change, message):
    truth = copy.deepcopy(load_truth())
    change(truth["panel"]["transition"])
    with pytest.raises(ValueError, match=message):
        transition_matrix(truth)


def test_new_firms_only_give_no_transitions(codebook, tmp_path):
    waves = simulate_waves(200, YEARS, seed=5, codebook=codebook, reinterview_share=0.0)
    tables = panel_transitions(analysis_frame(waves), "governance_form", FORMS)
    assert (tables["panel_links"]["n_linked"] == 0).all()
    for name in ("transition_counts", "transition_probabilities", "deepening", "homogeneity"):
        assert tables[name].empty and len(tables[name].columns) > 0, name
    figure = transitions_alluvial(tables["transition_counts"], codebook, "en", totals=tables["form_by_wave"])
    assert save_figure(figure, tmp_path / "no_panel.png").read_bytes().startswith(PNG_SIGNATURE)


def test_a_firm_answering_twice_in_a_wave_is_refused(panel_waves):
    frame = analysis_frame(panel_waves)
    doubled = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="share a firm_key within a wave"):
        panel_transitions(doubled, "governance_form", FORMS)


def test_waves_are_ordered_by_survey_year():
    frame = pd.DataFrame({"wave": ["late", "early", "middle"], "survey_year": [2030, 2010, 2020]})
    assert wave_order(frame) == ["early", "middle", "late"]
    with pytest.raises(ValueError, match="sharing a survey_year"):
        wave_order(frame.assign(survey_year=[2030, 2030, 2020]))
    with pytest.raises(ValueError, match="more than one survey_year"):
        wave_order(pd.concat([frame, frame.assign(survey_year=2040)]))


def label_counts(figure) -> list[int]:
    return [int(t.get_text().replace("\u202f", "").replace(",", "")) for t in figure.axes[0].texts]


def test_alluvial_renders_in_both_languages_without_small_cell_counts(codebook, tables, tmp_path):
    counts, totals = tables["transition_counts"], tables["form_by_wave"]
    for language in ("fr", "en"):
        figure = transitions_alluvial(counts, codebook, language, totals=totals, minimum_cell=5)
        labelled = label_counts(figure)
        assert labelled and min(labelled) >= 5
        path = save_figure(figure, tmp_path / f"alluvial_{language}.png")
        assert path.read_bytes().startswith(PNG_SIGNATURE)
    # Raising the threshold above a band's count takes its label away, and only those labels.
    threshold = sorted(labelled)[len(labelled) // 2] + 1
    strict = label_counts(transitions_alluvial(counts, codebook, "en", totals=totals, minimum_cell=threshold))
    assert strict == [n for n in labelled if n >= threshold] and len(strict) < len(labelled)
    assert transitions_alluvial(counts, codebook, "en").axes[0].texts   # bars from the transitions alone


def test_deepening_counts_only_transitions_within_the_same_alliance(panel_waves):
    """Once the survey asks re-interviewed firms whether the alliance is the same one, a change of form
    between two alliances is no deepening: only transitions into a 'yes' answer count."""
    frame = analysis_frame(panel_waves)
    rng = np.random.default_rng(12)
    frame["same_alliance"] = np.where(rng.random(len(frame)) < 0.7, "yes", "no")
    tables = panel_transitions(frame, "governance_form", FORMS)
    pairs = transition_pairs(frame["firm_key"], frame["wave"], frame["governance_form"], periods=wave_order(frame),
                             states=FORMS)
    answers = frame.set_index(["firm_key", "wave"])["same_alliance"]
    within = answers.loc[list(zip(pairs["unit"], pairs["to_period"].astype(object)))].to_numpy() == "yes"
    origin = pairs["from_state"].cat.codes.to_numpy()
    destination = pairs["to_state"].cat.codes.to_numpy()
    share = tables["deepening"].set_index("term").loc["upward_share"]
    assert share["count_up"] == int(((destination > origin) & within).sum())
    assert share["count_down"] == int(((destination < origin) & within).sum())
    assert share["note"].startswith("transitions within the same alliance only") and \
        share["note"].endswith(f"{int(within.sum())} of {len(pairs)}")
    # every firm counts once per pair of waves, and the tests cluster by firm
    assert not pairs.duplicated(["unit", "from_period"]).any()
    assert "clustered by unit" in share["test"]
