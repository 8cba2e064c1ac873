"""The simulator's model truth for issues 15 and 16: the form drawn with Gumbel errors that the
performance noise may share (selection on unobservables), one performance equation per form with
alliance age, the pooled equation still recoverable, new alliances of re-interviewed firms
(``same_alliance``), and the in-memory draw with truth keys overridden."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from alliancegov.simulate.outcomes import choose_forms
from alliancegov.simulate.population import PREVIOUS_FORM, SAME_ALLIANCE, draw, simulate_waves
from alliancegov.simulate.truth import (
    FORMS,
    PERFORMANCE_TERMS,
    latent_correlation,
    load_truth,
    override_truth,
    performance_coefficients,
    selection_term,
)


def test_override_truth_changes_a_copy_and_refuses_unknown_keys():
    truth = load_truth()
    changed = override_truth(truth, {"performance.selection_rho": 0.5, "panel.new_alliance_share": 0.0})
    assert changed["performance"]["selection_rho"] == 0.5 and changed["panel"]["new_alliance_share"] == 0.0
    assert truth["performance"]["selection_rho"] == 0.0                 # the original is untouched
    with pytest.raises(KeyError, match="performance has"):
        override_truth(truth, {"performance.rho": 0.5})                  # a misspelt key is never added
    with pytest.raises(KeyError, match="the truth has"):
        override_truth(truth, {"perfomance.selection_rho": 0.5})


@pytest.mark.parametrize("pairs, message", [
    ({"trust": {"loyalty": 0.2}}, "unknown scales"),
    ({"trust": {"trust": 0.2}}, "with itself"),
    ({"trust": {"partner_distance": 1.0}}, "outside"),
    ({"trust": {"partner_distance": -0.3}, "partner_distance": {"trust": 0.3}}, "contradicts"),
    ({"trust": {"partner_distance": 0.9, "behavioural_uncertainty": 0.9},
      "behavioural_uncertainty": {"partner_distance": -0.9}}, "positive definite"),
])
def test_an_invalid_correlation_matrix_is_refused(pairs, message):
    truth = override_truth(load_truth(), {"constructs.correlation": pairs})
    with pytest.raises(ValueError, match=message):
        latent_correlation(truth)


def test_selection_term_is_the_mean_of_the_largest_of_one_over_p_normals():
    # E max of 1, 2 and 3 standard normals: 0, 1/√π, 3/(2√π)
    np.testing.assert_allclose(selection_term([1.0, 1 / 2, 1 / 3]), [0, 1 / np.sqrt(np.pi), 1.5 / np.sqrt(np.pi)],
                               atol=1e-10)
    values = selection_term(np.linspace(0.01, 1, 50))
    assert (np.diff(values) < 0).all() and values[0] == pytest.approx(2.50759, abs=1e-4)   # E max of 100


def test_forms_drawn_with_gumbel_errors_follow_their_probabilities():
    rng = np.random.default_rng(4)
    probabilities = np.tile([0.5, 0.3, 0.2, 0.0], (200_000, 1))
    form_index, z = choose_forms(probabilities, rng)
    shares = np.bincount(form_index, minlength=4) / len(form_index)
    np.testing.assert_allclose(shares, [0.5, 0.3, 0.2, 0.0], atol=0.005)
    # the chosen form's transformed error has mean m(P): the rarer the form, the larger
    means = [z[form_index == j].mean() for j in range(3)]
    np.testing.assert_allclose(means, selection_term(np.array([0.5, 0.3, 0.2])), atol=0.02)


@pytest.fixture(scope="module")
def selection_draws(codebook):
    """50,000 new firms, without and with selection on unobservables (same seed)."""
    return {rho: draw(codebook, 50_000, seed=1601, changes={"performance.selection_rho": rho}) for rho in (0.0, 0.6)}


def test_rho_sets_the_correlation_of_the_choice_error_and_the_performance_noise(selection_draws):
    """noise = σ(ρ z + √(1 − ρ²) ξ): its regression on the chosen form's transformed error z has
    slope σρ, and given the form its mean is σρ m(P) (the selection a correction must remove)."""
    sigma = load_truth()["performance"]["noise_sd"]
    for rho, frame in selection_draws.items():
        z, noise = frame["true_selection_z"], frame["true_performance_noise"]
        fit = sm.OLS(noise, sm.add_constant(z)).fit()
        assert abs(fit.params.iloc[1] - sigma * rho) < 4 * fit.bse.iloc[1], (rho, fit.params.iloc[1])
        expected = sigma * rho * selection_term(frame["true_draw_probability"].to_numpy())
        by_form = (noise - expected).groupby(frame["governance_form"])
        assert (by_form.mean().abs() < 4 * by_form.std() / np.sqrt(by_form.size())).all(), by_form.mean()
        # z is a standard normal's transform: given the form, its mean is m(P)
        gap = z - selection_term(frame["true_draw_probability"].to_numpy())
        assert abs(gap.mean()) < 4 * gap.std() / np.sqrt(len(gap))
    assert abs(np.corrcoef(selection_draws[0.0]["true_selection_z"],
                           selection_draws[0.0]["true_performance_noise"])[0, 1]) < 0.02
    assert np.corrcoef(selection_draws[0.6]["true_selection_z"],
                       selection_draws[0.6]["true_performance_noise"])[0, 1] > 0.5
    # the draws differ in the noise only: same firms, same forms
    assert (selection_draws[0.0]["governance_form"] == selection_draws[0.6]["governance_form"]).all()


def performance_design(frame: pd.DataFrame) -> pd.DataFrame:
    centre = load_truth()["performance"]["alliance_age_centre"]
    return pd.DataFrame({"trust": frame["trust"] - 3, "misfit": frame["true_misfit"],
                         "alliance_age": frame["survey_year"] - frame["relationship_start_year"] - centre,
                         "sector_textile": frame["sector"].eq("textile").astype(float)})


def test_each_forms_equation_and_the_pooled_one_are_recovered_without_selection(selection_draws):
    """ρ = 0: OLS of the true index on each form's firms recovers that form's equation, and the
    pooled regression with form intercepts and common slopes recovers the pooled slopes (each
    within 4 SEs)."""
    frame = selection_draws[0.0]
    design = performance_design(frame)
    truth = performance_coefficients(load_truth())
    assert list(truth.columns) == list(PERFORMANCE_TERMS)
    assert truth["alliance_age"].nunique() > 1 and truth["Intercept"].nunique() > 1      # the forms differ
    for form in FORMS:
        rows = frame["governance_form"] == form
        fit = sm.OLS(frame.loc[rows, "true_performance_index"], sm.add_constant(design[rows])).fit()
        estimate = fit.params.rename({"const": "Intercept"})[list(PERFORMANCE_TERMS)]
        error = fit.bse.rename({"const": "Intercept"})[list(PERFORMANCE_TERMS)]
        assert ((estimate - truth.loc[form]).abs() < 4 * error).all(), (form, estimate.round(3).to_dict())
    dummies = pd.DataFrame({form: frame["governance_form"].eq(form).astype(float) for form in FORMS[1:]})
    pooled = sm.OLS(frame["true_performance_index"], sm.add_constant(pd.concat([dummies, design], axis=1))).fit()
    p = load_truth()["performance"]
    for term, value in (("trust", p["trust_effect"]), ("misfit", p["misalignment_penalty"]),
                        ("alliance_age", p["alliance_age_effect"]), ("sector_textile", -0.1)):
        assert abs(pooled.params[term] - value) < 4 * pooled.bse[term], (term, pooled.params[term])
    # under selection the uncorrected misfit slope is far from the truth
    biased = sm.OLS(selection_draws[0.6]["true_performance_index"],
                    sm.add_constant(pd.concat([dummies, performance_design(selection_draws[0.6])], axis=1))).fit()
    assert biased.params["misfit"] - p["misalignment_penalty"] > 10 * biased.bse["misfit"]


def test_reinterviewed_firms_report_whether_their_alliance_is_the_same(codebook):
    """same_alliance: missing at a first interview; 'no' for a known share of the re-interviewed
    firms, whose alliance restarts (new start year, start size = the size reported last time) and
    whose form follows the choice model; 'yes' firms keep their alliance's start and partner."""
    share = load_truth()["panel"]["new_alliance_share"]
    waves = simulate_waves(6000, [2024, 2025, 2026], seed=1602, codebook=codebook)
    assert waves[0][SAME_ALLIANCE].isna().all()
    for before, after, year in ((waves[0], waves[1], 2025), (waves[1], waves[2], 2026)):
        returning = after[after[PREVIOUS_FORM].notna()]
        assert returning[SAME_ALLIANCE].notna().all()
        assert after.loc[after[PREVIOUS_FORM].isna(), SAME_ALLIANCE].isna().all()
        new = returning[SAME_ALLIANCE].eq("no")
        assert abs(new.mean() - share) < 4 * np.sqrt(share * (1 - share) / len(returning)), new.mean()
        earlier = before.set_index("firm_id").loc[returning["firm_id"]]
        kept = returning[~new].set_index("firm_id")
        for column in ("relationship_start_year", "employees_start", "partner_origin", "revenue_share_partner"):
            assert (kept[column] == earlier.loc[kept.index, column]).all(), column
        moved = returning[new].set_index("firm_id")
        assert moved["relationship_start_year"].between(year - 1, year).all()
        assert (moved["employees_start"] == earlier.loc[moved.index, "employees_now"]).all()
        # a new alliance's form follows the logit: observed shares match the mean probabilities
        observed = pd.get_dummies(moved["governance_form"]).reindex(columns=list(FORMS), fill_value=0).mean()
        expected = moved[[f"true_prob_{form}" for form in FORMS]].mean().to_numpy()
        np.testing.assert_allclose(observed, expected, atol=4 * np.sqrt(0.25 / len(moved)))


def test_draw_pools_the_waves_of_simulate_waves(codebook):
    pooled = draw(codebook, 50, seed=9, years=(2024, 2025))
    waves = simulate_waves(50, [2024, 2025], seed=9, codebook=codebook)
    pd.testing.assert_frame_equal(pooled.drop(columns="survey_year"), pd.concat(waves, ignore_index=True))
    assert pooled.groupby("wave")["survey_year"].first().to_dict() == {"w2024": 2024, "w2025": 2025}
    with pytest.raises(KeyError):
        draw(codebook, 10, seed=1, changes={"performance.rho": 0.3})
