"""The misalignment stage: switching regressions, counterfactual performance, the forms' effects and
the first stage's checks on simulated firms, and what the stage refuses to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_performance import simulated_two_stage


@pytest.fixture(scope="module")
def two_stage(codebook):
    return simulated_two_stage(codebook, 1200, seed=31, equation="trust + C(sector)")


def test_counterfactual_summary_by_hand():
    from alliancegov.misalignment.switching import counterfactual_summary

    predictions = np.array([[0.0, 1.0, 0.5], [2.0, 1.0, 0.0], [0.0, 0.2, 1.4], [1.0, 0.0, 0.0]])
    summary = counterfactual_summary(predictions, np.array([0, 0, 2, 1]), ["a", "b", "c"])
    assert summary[("all", "mean_gap")] == pytest.approx((1.0 + 0.0 + 0.0 + 1.0) / 4)
    assert summary[("all", "share_in_best_form")] == pytest.approx(0.5)
    assert summary[("a", "mean_gap")] == pytest.approx(0.5) and summary[("a", "share_in_best_form")] == 0.5
    assert summary[("b", "potential_mean")] == pytest.approx(2.2 / 4)
    assert summary[("c", "ate")] == pytest.approx((1.9 - 3.0) / 4)
    assert ("a", "ate") not in summary.index               # the reference form has no difference from itself
    assert summary[("a", "share_predicted_best")] == pytest.approx(0.5)
    nobody_in_c = counterfactual_summary(predictions, np.array([0, 0, 1, 1]), ["a", "b", "c"])
    assert np.isnan(nobody_in_c[("c", "mean_gap")]) and np.isnan(nobody_in_c[("c", "share_in_best_form")])
    assert nobody_in_c[("c", "share_predicted_best")] == pytest.approx(0.25)   # still the best for one firm


def test_switching_table_names_every_term_by_form_and_tests_each_forms_terms(two_stage, codebook):
    from alliancegov.misalignment.bootstrap import misalignment_bootstrap, misalignment_intervals
    from alliancegov.misalignment.first_stage import first_stage_strength

    data, spec = two_stage
    tables = misalignment_intervals(data, spec, misalignment_bootstrap(data, spec),
                                    first_stage_strength(data, None, spec.seed))
    switching = tables["misalignment_switching"]
    forms = codebook.answer_names("governance_form")
    assert list(switching["model"].unique()) == ["uncorrected", "lee", "dmf"]
    dmf_terms = switching[(switching["model"] == "dmf") & switching["term"].str.startswith("dmf")]["term"]
    assert set(dmf_terms) == {f"dmf[{form}]" for form in forms}
    joint = switching[switching["term"] == "selection terms (joint)"]
    assert len(joint) == 2 * len(forms) and set(joint["df"]) == {1.0, 4.0}
    assert (joint["p_value"] >= 1 / (spec.bootstrap_replicates + 1)).all()
    assert switching.groupby("form")["n"].first().sum() == len(data.chosen)
    assert "asset_specificity" in switching["note"].iloc[0] and "Wald χ²(" in switching["note"].iloc[0]
    counterfactual = tables["misalignment_counterfactual"]
    tested = counterfactual["p_value"].notna()
    assert set(counterfactual.loc[tested, "term"]) == {"ate"}
    assert set(counterfactual.loc[counterfactual["interval"] == "percentile", "term"]) == {
        "mean_gap", "share_in_best_form", "share_predicted_best"}
    gap = counterfactual[(counterfactual["form"] == "all") & (counterfactual["term"] == "mean_gap")]
    assert (gap["conf_low"] <= gap["estimate"]).all() and (gap["estimate"] >= 0).all()
    measures = tables["misalignment"]
    assert set(measures.loc[measures["role"] == "primary", "model"]) == {"misfit"}
    assert "count R²" in measures["note"].iloc[0] and "centred" in measures["note"].iloc[0]


def test_first_stage_checks_by_hand(two_stage):
    """The Wald statistic is b'V⁻¹b on every excluded column of every equation with the clustered
    covariance; the accuracies are the modal prediction's and the cross-validated ones."""
    from alliancegov.misalignment.first_stage import first_stage_strength
    from alliancegov.stats.mnl import fit_mnl_newton, probabilities, sandwich_covariance

    data, spec = two_stage
    clusters = np.arange(len(data.chosen)) // 3
    table = first_stage_strength(data, clusters, spec.seed).set_index("test")
    fit = fit_mnl_newton(data.first_stage, data.chosen)
    names = list(data.first_stage_names)
    assert set(data.excluded) == {"asset_specificity", "environmental_uncertainty", "behavioural_uncertainty",
                                  "knowledge_tacitness"}
    k = len(names)
    positions = [j * k + names.index(name) for j in range(fit.params.shape[1]) for name in data.excluded]
    cov = sandwich_covariance(data.first_stage, data.chosen, fit.params, kind="cluster", groups=clusters)
    theta = fit.params.T.ravel()[positions]
    expected = theta @ np.linalg.solve(cov[np.ix_(positions, positions)], theta)
    assert table.at["wald_excluded_variables", "statistic"] == pytest.approx(expected, rel=1e-8)
    assert table.at["wald_excluded_variables", "df"] == len(positions)
    modal = probabilities(data.first_stage, fit.params).argmax(axis=1) == data.chosen
    assert table.at["count_r2", "statistic"] == pytest.approx(modal.mean())
    assert 0 < table.at["majority_class_accuracy", "statistic"] < table.at["cv_accuracy", "statistic"] < 1


def test_form_effects_trim_refit_and_cluster(two_stage):
    from alliancegov.misalignment.effects import form_effects
    from alliancegov.stats.treatment_effects import mnl_propensity

    data, _ = two_stage
    trim = 0.03
    clusters = np.arange(len(data.chosen)) // 2
    effects, overlap = form_effects(data, trim=trim, clusters=clusters)
    below = mnl_propensity(data.first_stage, data.chosen).probabilities.min(axis=1) < trim
    assert below.any()
    assert (effects["n_trimmed"] == below.sum()).all() and (effects["n"] == (~below).sum()).all()
    assert list(effects["method"].unique()) == ["ipw", "aipw"]
    assert set(effects.loc[effects["term"] == "ate", "form"]) == set(data.labels[1:])
    assert f"{below.sum()} firms" in effects["note"].iloc[0] and "clustered by firm" in effects["note"].iloc[0]
    assert overlap["n_below_trim"].sum() >= below.sum() and (overlap["trim"] == trim).all()
    assert overlap.groupby("propensity_of")["n"].sum().eq(len(data.chosen)).all()


def test_exclusions_must_be_the_choice_variables_left_out(codebook):
    from alliancegov.model_checks import ModelSpecificationError

    with pytest.raises(ModelSpecificationError, match="must name the choice model's variables that the per-form "
                                                      "performance equation leaves out"):
        simulated_two_stage(codebook, 300, seed=2, equation="trust + asset_specificity + C(sector)")


def test_weights_of_the_choice_model_are_refused(codebook):
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.misalignment.stage import misalignment_inputs
    from alliancegov.model_checks import ModelSpecificationError

    spec = ChoiceSpec("governance_form", "repeated_contract", "trust", weights="fw")
    settings = {"performance": {"cluster": "firm_key"}, "misalignment": {"outcome": "y", "controls": "trust"}}
    with pytest.raises(ModelSpecificationError, match="does not honour choice.weights"):
        misalignment_inputs(pd.DataFrame(), settings, DesignBuilder(spec, ("repeated_contract",)), ["a"])


def test_rows_without_a_cluster_identifier_are_refused_not_pooled_into_one_cluster(codebook):
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.constructs.stage import build_analysis
    from alliancegov.misalignment.stage import misalignment_inputs
    from alliancegov.model_checks import ModelSpecificationError
    from alliancegov.simulate.population import simulate_waves
    from alliancegov.simulate.truth import CHOICE_SCALES

    wave = simulate_waves(300, [2024], seed=5, codebook=codebook)[0]
    analysis, _ = build_analysis(wave.drop(columns=list(CHOICE_SCALES)), codebook)
    analysis["firm_key"] = analysis["registry_number"].astype(object)
    analysis.loc[analysis.index[:3], "firm_key"] = None
    forms = codebook.answer_names("governance_form")
    builder = DesignBuilder(ChoiceSpec("governance_form", "repeated_contract", " + ".join(CHOICE_SCALES)),
                            tuple(forms))
    settings = {"performance": {"cluster": "firm_key"},
                "misalignment": {"outcome": "true_performance_index", "controls": "trust"}}
    with pytest.raises(ModelSpecificationError, match="3 of the rows used have no firm_key"):
        misalignment_inputs(analysis, settings, builder, forms)
    analysis["firm_key"] = analysis["registry_number"]
    *_, clusters, rows = misalignment_inputs(analysis, settings, builder, forms)
    assert (clusters >= 0).all() and len(set(clusters)) == rows["firm_key"].nunique()
