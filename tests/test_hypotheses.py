import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from alliancegov.hypotheses.register import COLUMNS, evaluate_register, run
from alliancegov.hypotheses.verdicts import check_verdict, hypothesis_verdict
from tests.conftest import ROOT

REGISTER = yaml.safe_load((ROOT / "config" / "hypotheses.yaml").read_text(encoding="utf-8"))


def test_check_and_hypothesis_verdicts():
    assert check_verdict(0.3, 0.01, "positive", 0.05) == "supported"
    assert check_verdict(-0.3, 0.01, "positive", 0.05) == "contradicted"
    assert check_verdict(0.3, 0.20, "positive", 0.05) == "inconclusive"
    assert check_verdict(0.3, 0.01, "negative", 0.05, reference=0.5) == "supported"   # below the value
    assert check_verdict(0.01, 0.60, "positive", 0.05, p_equivalence=0.01) == "no effect"
    assert check_verdict(0.01, 0.60, "positive", 0.05, p_equivalence=0.20) == "inconclusive"
    assert hypothesis_verdict(["supported", "supported"]) == "supported"
    assert hypothesis_verdict(["supported", "inconclusive"]) == "inconclusive"
    assert hypothesis_verdict(["supported", "contradicted"]) == "contradicted"
    assert hypothesis_verdict(["supported", "no effect"]) == "no effect"
    assert hypothesis_verdict(["supported", "inconclusive"], "any") == "supported"
    assert hypothesis_verdict(["supported", "contradicted"], "any") == "inconclusive"
    assert hypothesis_verdict(["no effect", "no effect"], "any") == "no effect"
    four_of_five = ["supported"] * 4 + ["inconclusive"]
    assert hypothesis_verdict(four_of_five, "majority") == "supported"
    assert hypothesis_verdict(four_of_five, "all") == "inconclusive"
    assert hypothesis_verdict(["supported", "contradicted"], "majority") == "inconclusive"
    with pytest.raises(ValueError, match="rule"):
        hypothesis_verdict(["supported"], "most")


def firms_frame(n_firms: int = 100, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"firm_key": [f"f{i}" for i in range(n_firms)],
                         "stake": np.where(rng.random(n_firms) < 0.3, "minority", "none"),
                         "satisfaction": 3.3 + rng.normal(size=n_firms)})


def one_hypothesis(*checks, **settings) -> dict:
    return {**settings, "hypotheses": [{"id": "H", "claim_en": "c", "checks": list(checks)}]}


MEAN = {"test": "mean", "variable": "satisfaction", "value": 3, "expected": "positive"}
SHARE = {"test": "proportion", "expression": "stake != 'none'", "value": 0.5, "expected": "negative"}


def test_proportion_and_mean_checks_compute_their_estimates():
    frame = pd.DataFrame({"firm_key": range(100), "stake": ["none"] * 70 + ["minority"] * 30,
                          "satisfaction": np.linspace(2.5, 4.5, 100)})
    register = {"alpha": 0.05, "hypotheses": [
        {"id": "P", "claim_en": "few stakes", "checks": [SHARE]},
        {"id": "M", "claim_en": "satisfied", "checks": [MEAN]},
        {"id": "X", "claim_en": "broken", "checks": [
            {"table": "missing_table", "where": {"term": "x"}, "expected": "positive"}]},
    ]}
    table = evaluate_register(register, {}, frame).set_index("hypothesis")
    assert list(evaluate_register(register, {}, frame).columns) == COLUMNS
    assert table.at["P", "estimate"] == pytest.approx(0.3) and table.at["P", "verdict"] == "supported"
    assert table.at["P", "conf_low"] < 0.3 < table.at["P", "conf_high"]
    assert table.at["P", "effect_measure"] == "Cohen's h" and table.at["P", "effect"] < 0
    assert table.at["M", "estimate"] == pytest.approx(3.5) and table.at["M", "verdict"] == "supported"
    assert table.at["M", "effect"] == pytest.approx(0.5 / frame["satisfaction"].std())
    assert table.at["X", "verdict"] == "inconclusive" and table.at["X", "note"].startswith("not computed")
    assert np.isnan(table.at["X", "p_adjusted"])   # left out of the family
    assert "clustered by firm_key (G = 100)" in table.at["M", "inference"]


def test_the_register_clusters_repeated_firms():
    """Every firm answers twice: the register's cluster SE of a mean equals the naive SE of the single
    sample (G/(G − 1) applied; without it, sqrt((G − 1)/G) of it), the naive SE of the doubled sample is
    sqrt((n − 1)/(2n − 1)) ≈ 1/√2 of it."""
    single = firms_frame()
    doubled = pd.concat([single, single], ignore_index=True)
    once = evaluate_register(one_hypothesis(MEAN, SHARE, cluster=None), {}, single)
    clustered = evaluate_register(one_hypothesis(MEAN, SHARE), {}, doubled)
    naive = evaluate_register(one_hypothesis(MEAN, SHARE, cluster=None), {}, doubled)
    np.testing.assert_allclose(clustered["std_error"], once["std_error"], rtol=1e-10)
    np.testing.assert_allclose(clustered["p_value"], once["p_value"], rtol=1e-10)
    ratio = naive.at[0, "std_error"] / once.at[0, "std_error"]
    assert ratio == pytest.approx(np.sqrt(99 / 199), rel=1e-10) and ratio == pytest.approx(2 ** -0.5, abs=0.003)
    assert "independent-rows" in naive.at[0, "inference"] and "G = 100" in clustered.at[0, "inference"]


def test_adjusted_p_values_drive_the_verdicts_and_raw_ones_can_be_chosen():
    from statsmodels.stats.multitest import multipletests

    frame = firms_frame(60, seed=1)
    checks = [dict(MEAN, value=value) for value in (2.9, 3.0, 3.05, 3.1, 3.2, 3.3, 3.4)]
    adjusted = evaluate_register(one_hypothesis(*checks), {}, frame)
    np.testing.assert_allclose(adjusted["p_adjusted"], multipletests(adjusted["p_value"], method="fdr_bh")[1])
    holm = evaluate_register(one_hypothesis(*checks, multiplicity="holm"), {}, frame)
    np.testing.assert_allclose(holm["p_adjusted"], multipletests(holm["p_value"], method="holm")[1])
    assert (holm["p_adjusted"] >= adjusted["p_adjusted"] - 1e-15).all()
    raw = evaluate_register(one_hypothesis(*checks, verdict_p="raw"), {}, frame)
    # a check significant raw but not after adjustment exists here, and its verdict follows the chosen p
    flipped = (raw["p_value"] < 0.05) & (adjusted["p_adjusted"] >= 0.05)
    assert flipped.any()
    assert (raw.loc[flipped, "check_verdict"] == "supported").all()
    assert (adjusted.loc[flipped, "check_verdict"] == "inconclusive").all()
    assert adjusted["verdict_on"].iloc[0].startswith("p_adjusted (Benjamini–Hochberg over 7 checks")
    assert raw["verdict_on"].iloc[0].startswith("p_value (raw)")


def test_an_equivalence_margin_lets_a_check_read_no_effect():
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"firm_key": np.repeat(np.arange(400), 2), "satisfaction": 3 + 0.3 * rng.normal(size=800)})
    table = evaluate_register(one_hypothesis(dict(MEAN, margin=0.1)), {}, frame)
    assert table.at[0, "p_value"] > 0.05 and table.at[0, "p_equivalence"] < 0.05
    assert table.at[0, "check_verdict"] == table.at[0, "verdict"] == "no effect"
    narrow = evaluate_register(one_hypothesis(dict(MEAN, margin=0.005)), {}, frame)
    assert narrow.at[0, "check_verdict"] == "inconclusive"
    from alliancegov.stats.cluster_tests import equivalence_test

    assert table.at[0, "p_equivalence"] == pytest.approx(equivalence_test(
        table.at[0, "estimate"], table.at[0, "std_error"], 3.0, 0.1, df=table.at[0, "df"]))


def test_the_rule_of_each_hypothesis_is_applied_and_printed():
    frame = firms_frame(200, seed=2)
    strong, weak = dict(MEAN, value=2.5), dict(MEAN, value=3.3)
    register = {"rule": "all", "hypotheses": [
        {"id": "A", "claim_en": "c", "checks": [strong, strong, weak]},
        {"id": "M", "claim_en": "c", "rule": "majority", "checks": [strong, strong, weak]}]}
    table = evaluate_register(register, {}, frame).drop_duplicates("hypothesis").set_index("hypothesis")
    assert table.loc["A", ["rule", "verdict"]].tolist() == ["all", "inconclusive"]
    assert table.loc["M", ["rule", "verdict"]].tolist() == ["majority", "supported"]


def test_frequency_weights_are_honoured_as_rows_repeated():
    frame = firms_frame(80, seed=6).assign(weight=np.arange(80) % 3 + 1)
    repeated = frame.loc[frame.index.repeat(frame["weight"])]
    logit = {"test": "logit", "expression": "stake != 'none'", "formula": "satisfaction", "term": "satisfaction",
             "expected": "positive"}
    weighted = evaluate_register(one_hypothesis(MEAN, SHARE, logit), {}, frame, weights="weight")
    expanded = evaluate_register(one_hypothesis(MEAN, SHARE, logit), {}, repeated)
    for column in ("estimate", "std_error", "p_value", "conf_low", "conf_high", "n"):
        np.testing.assert_allclose(weighted[column], expanded[column], rtol=1e-7, err_msg=column)
    assert weighted["inference"].str.contains("frequency weights weight").all()
    unweighted = evaluate_register(one_hypothesis(MEAN), {}, frame)
    assert unweighted.at[0, "estimate"] != pytest.approx(weighted.at[0, "estimate"])


def test_a_survey_design_stops_the_register_rather_than_being_ignored(tmp_path):
    with pytest.raises(ValueError, match="survey design"):
        run(data="unused", register="unused", choice_ame="", misalignment="", importance="", panel_deepening="",
            outputs={}, language="en", choice={"cov_type": "design", "sampling_weights": "w"})


def test_an_exact_test_stays_finite_where_the_cells_are_near_empty():
    """High technology never meets yearly, low technology almost never weekly: a 2 × 2 table with a
    near-empty cell. Fisher's test on one response per firm (the latest wave) gives a finite p."""
    rng = np.random.default_rng(9)
    high = pd.DataFrame({"technology_level": "high", "meets": rng.choice(["weekly", "yearly"], 60, p=[0.95, 0.05])})
    low = pd.DataFrame({"technology_level": "low", "meets": ["weekly"] + ["yearly"] * 59})
    frame = pd.concat([high, low], ignore_index=True).assign(firm_key=lambda f: f.index % 100, survey_year=2024)
    frame.loc[frame.index >= 100, "survey_year"] = 2025
    check = {"test": "exact_odds_ratio", "expression": "meets == 'weekly'", "exposure": "technology_level == 'high'",
             "expected": "positive"}
    table = evaluate_register(one_hypothesis(check), {}, frame)
    assert table.at[0, "n"] == 100   # each firm once: its latest response
    assert np.isfinite(table.at[0, "p_value"]) and table.at[0, "p_value"] < 1e-10
    assert table.at[0, "estimate"] > 1 and table.at[0, "check_verdict"] == "supported"
    assert "one response per firm_key (its latest)" in table.at[0, "inference"]


def check_reading(check: dict) -> tuple:
    """What a check reads: the table row, or the test, outcome, model and term computed on the frame."""
    if check.get("test", "coefficient") == "coefficient":
        return ("table", check["table"], tuple(sorted((k, str(v)) for k, v in check.get("where", {}).items())))
    keys = ("test", "expression", "variable", "outcome", "formula", "term", "subset", "exposure", "group", "level",
            "horizon")
    return tuple(str(check.get(key)) for key in keys)


def test_no_evidence_is_counted_twice_across_hypotheses():
    readers: dict[tuple, set] = {}
    for hypothesis in REGISTER["hypotheses"]:
        for check in hypothesis["checks"]:
            readers.setdefault(check_reading(check), set()).add(hypothesis["id"])
    shared = {reading: ids for reading, ids in readers.items() if len(ids) > 1}
    assert not shared, f"checks of different hypotheses read the same row: {shared}"
    # the test sees a reused row
    reused = copy.deepcopy(REGISTER)
    reused["hypotheses"][3]["checks"].append(copy.deepcopy(reused["hypotheses"][0]["checks"][3]))
    assert check_reading(reused["hypotheses"][3]["checks"][-1]) == check_reading(reused["hypotheses"][0]["checks"][3])


def test_the_checks_test_their_claims():
    by_id = {h["id"]: h["checks"] for h in REGISTER["hypotheses"]}
    h8 = " ".join(str(check) for check in by_id["H8"])
    assert "revenue_share_partner" in h8 and "n_major_clients" not in h8
    assert any(check.get("subset") == "sector == 'textile'" for check in by_id["H3"])
    h5 = {check["test"] for check in by_id["H5"]}
    assert "exact_odds_ratio" in h5 and "ordered_logit" not in h5
    assert {check.get("expression") for check in by_id["H5"]} >= {"meeting_frequency == 'daily'",
                                                                   "meeting_frequency == 'yearly'"}
    assert not any(check.get("table") == "choice_ame" for check in by_id["H4"])


def h1_verdict(codebook, truth) -> pd.DataFrame:
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.choice.stage import analyse_choice
    from alliancegov.constructs.stage import build_analysis
    from alliancegov.simulate.population import simulate_waves
    from alliancegov.simulate.truth import CHOICE_SCALES

    wave = simulate_waves(2000, [2024], seed=31, codebook=codebook, truth=truth)[0]
    analysis, _ = build_analysis(wave.drop(columns=list(CHOICE_SCALES)), codebook)
    spec = ChoiceSpec("governance_form", "repeated_contract",
                      " + ".join(CHOICE_SCALES) + " + C(sector, Treatment('services'))",
                      cov_type="model", ordered=False, cv_folds=0)
    tables = analyse_choice(analysis, spec, codebook.answer_names("governance_form")).tables
    register = copy.deepcopy(REGISTER)
    register["hypotheses"] = [h for h in register["hypotheses"] if h["id"] == "H1"]
    return evaluate_register(register, tables, analysis)


def test_verdicts_follow_the_simulators_truth(codebook):
    """H1 is supported under the simulator's truth and contradicted when the truth is reversed."""
    from alliancegov.simulate.truth import load_truth

    truth = load_truth()
    assert set(h1_verdict(codebook, truth)["verdict"]) == {"supported"}
    reversed_truth = copy.deepcopy(truth)
    for form in ("licensing", "supply_chain_partnership", "joint_venture"):
        coefficients = reversed_truth["choice"]["coefficients"][form]
        for term in ("asset_specificity", "environmental_uncertainty"):
            coefficients["Intercept"] += 2 * 3 * coefficients[term]   # keep the shares near the truth's at 3
            coefficients[term] = -coefficients[term]
    verdicts = h1_verdict(codebook, reversed_truth)
    assert set(verdicts["verdict"]) == {"contradicted"}
    assert (verdicts["check_verdict"] == "contradicted").sum() >= 3
