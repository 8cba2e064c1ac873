"""Tests for alliancegov.stats.treatment_effects: IPW and AIPW potential-outcome means of a
multivalued treatment (Cattaneo 2010) with influence-function standard errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alliancegov.stats.treatment_effects import (
    Propensity,
    effect_covariance,
    effects_table,
    mnl_propensity,
    overlap_summary,
    potential_outcome_means,
    within_overlap,
)


def _cattaneo2() -> pd.DataFrame:
    """Cattaneo (2010)'s birthweight excerpt (4,642 births) as statsmodels ships it with its tests."""
    import statsmodels

    path = Path(statsmodels.__file__).parent / "treatment" / "tests" / "results" / "cataneo2.csv"
    return pd.read_csv(path)


def _probit_propensity(Z: np.ndarray, treated: np.ndarray) -> Propensity:
    """A binary probit as a Propensity: what Stata's teffects fits with the ``probit`` option."""
    import statsmodels.api as sm

    model = sm.Probit(treated, Z)
    fit = model.fit(disp=0, tol=1e-12, maxiter=200)
    index = Z @ fit.params
    p1 = stats.norm.cdf(index)

    def gradient(a: np.ndarray) -> np.ndarray:
        return Z.T @ ((a[:, 1] - a[:, 0]) * stats.norm.pdf(index))

    return Propensity(np.column_stack([1 - p1, p1]), model.score_obs(fit.params), -model.hessian(fit.params),
                      gradient)


# Stata's teffects on cattaneo2.dta, as recorded in statsmodels' tests
# (statsmodels/treatment/tests/results/results_teffects.py): ATE r1vs0.mbsmoke and POM 0.mbsmoke,
# b and robust se.
STATA_IPW = {"ate": (-230.68863779526, 25.815243801554), "pom0": (3403.4627086846, 9.5713688979534)}
STATA_AIPW = {"ate": (-230.98920111258, 26.210564625435), "pom0": (3403.3552531738, 9.5684720516903)}


@pytest.mark.parametrize(("method", "stata"), [("ipw", STATA_IPW), ("aipw", STATA_AIPW)])
def test_stata_teffects_on_cattaneo2(method, stata):
    """teffects ipw (bweight) (mbsmoke mmarried c.mage##c.mage fbaby medu, probit) and
    teffects aipw (bweight prenatal1 mmarried mage fbaby) (mbsmoke ..., probit): the estimates to
    1e-8 and the robust SEs (propensity and outcome models' estimation included) to 1e-4."""
    data = _cattaneo2()
    treated = data["mbsmoke_"].to_numpy(int)
    Z = np.column_stack([np.ones(len(data)), data[["mmarried_", "mage", "mage2", "fbaby_", "medu"]].to_numpy(float)])
    X = np.column_stack([np.ones(len(data)), data[["prenatal1_", "mmarried_", "mage", "fbaby_"]].to_numpy(float)])
    result = potential_outcome_means(data["bweight"].to_numpy(float), treated, _probit_propensity(Z, treated),
                                     method=method, outcome_design=X)
    table = effects_table(result, ["nonsmoker", "smoker"], "nonsmoker")
    ate = table[table["term"] == "ate"].iloc[0]
    pom0 = table[(table["term"] == "pomean") & (table["form"] == "nonsmoker")].iloc[0]
    assert ate["estimate"] == pytest.approx(stata["ate"][0], rel=1e-8)
    assert pom0["estimate"] == pytest.approx(stata["pom0"][0], rel=1e-8)
    assert ate["std_error"] == pytest.approx(stata["ate"][1], rel=1e-4)
    assert pom0["std_error"] == pytest.approx(stata["pom0"][1], rel=1e-4)


def test_binary_logit_agrees_with_statsmodels_treatment_effect():
    """With a logit propensity (the MNL with two levels) the means equal statsmodels'
    TreatmentEffect ipw/aipw and the SEs its GMM ones (HC0, the estimation of both models included)."""
    import statsmodels.api as sm
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    data = _cattaneo2()
    treated = data["mbsmoke_"].to_numpy(int)
    Z = np.column_stack([np.ones(len(data)), data[["mmarried_", "mage", "mage2", "fbaby_", "medu"]].to_numpy(float)])
    X = np.column_stack([np.ones(len(data)), data[["prenatal1_", "mmarried_", "mage", "fbaby_"]].to_numpy(float)])
    y = data["bweight"].to_numpy(float)
    logit = sm.Logit(treated, Z).fit(disp=0, tol=1e-12)
    reference = TreatmentEffect(sm.OLS(y, X), treated, results_select=logit)
    propensity = mnl_propensity(Z, treated)
    np.testing.assert_allclose(propensity.probabilities[:, 1], logit.predict(), rtol=1e-8)
    for method in ("ipw", "aipw"):
        ours = effects_table(potential_outcome_means(y, treated, propensity, method=method, outcome_design=X),
                             ["0", "1"], "0")
        theirs = getattr(reference, method)(return_results=True)
        assert ours["estimate"].iloc[2] == pytest.approx(theirs.effect[0], rel=1e-6)      # ATE
        assert ours["estimate"].iloc[0] == pytest.approx(theirs.effect[1], rel=1e-6)      # POM of 0
        assert ours["std_error"].iloc[2] == pytest.approx(theirs.results_gmm.bse[0], rel=1e-3)


def _three_forms(n: int, seed: int, misspecified_outcome: bool = False):
    """Known effects: three levels chosen by an MNL on (x, z); y = level effect + (1 + 0.5 level) x
    + 0.8 z + N(0, 1), so the true POMs are tau_j + (1 + 0.5 j) E[x] + 0.8 E[z] = tau_j."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    V = np.column_stack([np.zeros(n), 0.2 + 0.5 * x - 0.3 * z, -0.2 - 0.4 * x + 0.5 * z])
    level = np.argmax(V + rng.gumbel(size=(n, 3)), axis=1)
    tau = np.array([0.0, 0.5, -0.3])
    y = tau[level] + (1 + 0.5 * level) * x + 0.8 * z + rng.normal(size=n)
    Z = np.column_stack([np.ones(n), x, z])
    X = np.column_stack([np.ones(n), x]) if misspecified_outcome else Z
    return y, level, Z, X, tau


def test_known_effects_of_three_levels_are_recovered():
    y, level, Z, X, tau = _three_forms(20_000, seed=3)
    propensity = mnl_propensity(Z, level)
    for method in ("ipw", "aipw"):
        table = effects_table(potential_outcome_means(y, level, propensity, method=method, outcome_design=X),
                              ["a", "b", "c"], "a")
        truth = np.concatenate([tau, tau[1:] - tau[0]])
        assert np.all(np.abs(table["estimate"].to_numpy() - truth) < 3 * table["std_error"].to_numpy()), table


def test_aipw_is_doubly_robust_to_a_wrong_outcome_model():
    """The outcome model leaves out z (a confounder): regression adjustment alone would be biased,
    AIPW is not, and its SE is larger than with the right outcome model."""
    y, level, Z, X_wrong, tau = _three_forms(20_000, seed=5, misspecified_outcome=True)
    propensity = mnl_propensity(Z, level)
    wrong = effects_table(potential_outcome_means(y, level, propensity, outcome_design=X_wrong), "abc", "a")
    right = effects_table(potential_outcome_means(y, level, propensity, outcome_design=Z), "abc", "a")
    assert np.all(np.abs(wrong["estimate"].to_numpy()[:3] - tau) < 3 * wrong["std_error"].to_numpy()[:3])
    assert np.all(wrong["std_error"] > right["std_error"])


@pytest.mark.slow  # a Monte Carlo study
def test_influence_function_intervals_cover_the_truth():
    """1,000 samples of 1,500 units: the 95% intervals of the POMs and ATEs cover the truth 93-97%
    of the time for both methods (5,000 estimates pooled per method, 5 per sample: a correct
    interval's share has a Monte Carlo SE near 0.005)."""
    hits = {"ipw": [], "aipw": []}
    for replication in range(1000):
        y, level, Z, X, tau = _three_forms(1500, seed=1000 + replication)
        propensity = mnl_propensity(Z, level)
        truth = np.concatenate([tau, tau[1:] - tau[0]])
        for method in hits:
            table = effects_table(potential_outcome_means(y, level, propensity, method=method, outcome_design=X),
                                  "abc", "a")
            hits[method].extend((table["conf_low"] <= truth) & (truth <= table["conf_high"]))
    for method, covered in hits.items():
        assert 0.93 <= np.mean(covered) <= 0.97, (method, np.mean(covered))


def test_cluster_covariance_of_a_sample_seen_twice():
    """Every unit twice, each pair a cluster: the clustered SEs equal the single sample's robust
    ones up to sqrt(G/(G - 1)), and the doubled sample's robust ones are 1/sqrt(2) of them."""
    y, level, Z, X, _ = _three_forms(600, seed=8)
    single = potential_outcome_means(y, level, mnl_propensity(Z, level), outcome_design=X)
    doubled = potential_outcome_means(np.tile(y, 2), np.tile(level, 2), mnl_propensity(np.tile(Z, (2, 1)),
                                                                                        np.tile(level, 2)),
                                      outcome_design=np.tile(X, (2, 1)))
    np.testing.assert_allclose(doubled.means, single.means, rtol=1e-10)
    pairs = np.tile(np.arange(600), 2)
    clustered = np.sqrt(np.diag(effect_covariance(doubled.influence, pairs)))
    robust = np.sqrt(np.diag(effect_covariance(single.influence)))
    np.testing.assert_allclose(clustered, robust * np.sqrt(600 / 599), rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(effect_covariance(doubled.influence))), robust / np.sqrt(2),
                               rtol=1e-8)


def test_overlap_summary_and_trimming_by_hand():
    P = np.array([[0.5, 0.3, 0.2], [0.005, 0.6, 0.395], [0.2, 0.2, 0.6], [0.1, 0.1, 0.8]])
    level = np.array([0, 1, 2, 2])
    np.testing.assert_array_equal(within_overlap(P, 0.01), [True, False, True, True])
    np.testing.assert_array_equal(within_overlap(P, 0.0), [True] * 4)
    with pytest.raises(ValueError, match="trimming"):
        within_overlap(P, 0.4)
    table = overlap_summary(P, level, ["a", "b", "c"], quantiles=(0.0, 0.5, 1.0)).set_index(["propensity_of",
                                                                                               "received"])
    assert table.loc[("c", "c"), "n"] == 2 and table.loc[("c", "c"), "mean"] == pytest.approx(0.7)
    assert table.loc[("c", "c"), "q0"] == 0.6 and table.loc[("c", "c"), "q100"] == 0.8
    assert table.loc[("a", "b"), "q50"] == 0.005


def test_bad_input_is_named():
    y, level, Z, X, _ = _three_forms(300, seed=2)
    propensity = mnl_propensity(Z, level)
    with pytest.raises(ValueError, match="outcome design"):
        potential_outcome_means(y, level, propensity, method="aipw")
    with pytest.raises(ValueError, match="method"):
        potential_outcome_means(y, level, propensity, method="ra", outcome_design=X)
    with pytest.raises(ValueError, match="rows"):
        potential_outcome_means(y[:10], level, propensity, outcome_design=X)
