import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from alliancegov.hypotheses.register import evaluate_register
from alliancegov.hypotheses.verdicts import check_verdict, hypothesis_verdict
from tests.conftest import ROOT


def test_check_and_hypothesis_verdicts():
    assert check_verdict(0.3, 0.01, "positive", 0.05) == "supported"
    assert check_verdict(-0.3, 0.01, "positive", 0.05) == "contradicted"
    assert check_verdict(0.3, 0.20, "positive", 0.05) == "inconclusive"
    assert check_verdict(0.3, 0.01, "negative", 0.05, reference=0.5) == "supported"   # below the value
    assert hypothesis_verdict(["supported", "supported"]) == "supported"
    assert hypothesis_verdict(["supported", "inconclusive"]) == "inconclusive"
    assert hypothesis_verdict(["supported", "contradicted"]) == "contradicted"


def test_proportion_and_mean_checks_compute_their_estimates():
    frame = pd.DataFrame({"stake": ["none"] * 70 + ["minority"] * 30, "satisfaction": np.linspace(2.5, 4.5, 100)})
    register = {"alpha": 0.05, "hypotheses": [
        {"id": "P", "claim_en": "few stakes", "checks": [
            {"test": "proportion", "expression": "stake != 'none'", "value": 0.5, "expected": "negative"}]},
        {"id": "M", "claim_en": "satisfied", "checks": [
            {"test": "mean", "variable": "satisfaction", "value": 3, "expected": "positive"}]},
        {"id": "X", "claim_en": "broken", "checks": [
            {"table": "missing_table", "where": {"term": "x"}, "expected": "positive"}]},
    ]}
    table = evaluate_register(register, {}, frame).set_index("hypothesis")
    assert table.at["P", "estimate"] == pytest.approx(0.3) and table.at["P", "verdict"] == "supported"
    assert table.at["P", "conf_low"] < 0.3 < table.at["P", "conf_high"]
    assert table.at["M", "estimate"] == pytest.approx(3.5) and table.at["M", "verdict"] == "supported"
    assert table.at["X", "verdict"] == "inconclusive" and table.at["X", "note"].startswith("not computed")


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
    register = yaml.safe_load((ROOT / "config" / "hypotheses.yaml").read_text(encoding="utf-8"))
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
