"""Tests of alliancegov.stats.nested_logit against published output, our MNL and simulation.

References reproduced
---------------------
Greene's travel-mode data (210 travellers choosing among air, train, bus, car; Greene,
*Econometric Analysis*, Table F21.2) ship with statsmodels as ``statsmodels.datasets.modechoice``
(the same data as R AER's ``TravelMode``). Utilities ``V_ij = ASC_j + b_gc GC_ij + b_ttme TTME_ij +
b_hinc HINC_i [j = air]``, car the base:

* the conditional logit (every dissimilarity 1) of Greene (2003, 5th ed.), Table 21.11, as printed
  by R mlogit 2.0-0 in its check output ``tests/AER.Rout.save`` (https://github.com/cran/mlogit,
  ``tm_cl``): (Intercept):air 5.207433 (SE 0.779055), train 3.869036 (0.443127), bus 3.163190
  (0.450266), gcost -0.015501 (0.004408), wait -0.096125 (0.010440), incair 0.013287 (0.010262),
  Log-Likelihood -199.13. mlogit stopped its Newton iterations at ``g'(-H)^-1 g = 0.000234``, so
  its estimates are compared to 2e-4 (1e-3 of their standard errors) and the SEs to 1e-5;
* the FIML nested logit with nests fly = {air}, ground = {train, bus, car} of Greene (2003, 5th ed.,
  section 21.7.4, the model mlogit's ``tests/greene.R`` fits with ``unscaled = TRUE``): Greene's
  text gives its dissimilarities as the implied standard deviations ``sigma_air = pi /
  (tau_fly sqrt 6) = 2.1886`` and ``sigma_train = sigma_bus = sigma_car = pi / (tau_ground sqrt 6) =
  3.2974`` (text reproduced at https://www.rhayden.us/regression-model/info-sdx.html), and rejects
  the MNL against it. This is the non-normalised form (Greene's software's default then); the RU2
  form of the same tree is checked by its own properties below;
* the MNL that NLOGIT prints as starting values for the tree private = {air, car}, public =
  {train, bus} with attributes GC, TTME, INVT, INVC and case-specific constant and HINC by
  alternative (car the base), in W. Greene, *Discrete Choice Modeling*, Part 11 "Nested Logit"
  (NYU Stern lecture slides, https://www.scribd.com/presentation/520067269/Part11-NestedLogit):
  log likelihood -172.94366, GC .07578 (SE .01833), TTME -.10289 (.01109).

The random-utility-consistent (RU2) form, the one the choice stage fits, is held to Train and
Croissant's mlogit exercise on the HC data (``tests/stats/data/mlogit_hc.csv``; numbers and source in
``tests/stats/data/README.md``): heating and cooling systems in two nests with a shared log-sum
coefficient, estimates, standard errors, log-likelihood and the LR test against the MNL, another tree,
and a tree with a degenerate nest.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from alliancegov.stats.mnl import fit_mnl_newton, log_likelihood, model_covariance
from alliancegov.stats.nested_logit import (
    fit_nested_logit,
    nested_logit_log_likelihood,
    nested_logit_probabilities,
    nested_logit_tests,
    rum_consistency,
    tidy_nested_logit,
)

ALTERNATIVES = ["car", "air", "train", "bus"]
TREE = {"fly": [1], "ground": [0, 2, 3]}


@pytest.fixture(scope="module")
def travel():
    """X (210, 1) constant, Z (210, 4, 3) = (gc, ttme, hinc on air), y codes car 0, air 1, train 2, bus 3."""
    from statsmodels.datasets import modechoice

    data = modechoice.load_pandas().data
    code = data["mode"].map({4.0: 0, 1.0: 1, 2.0: 2, 3.0: 3}).to_numpy(int)
    order = np.lexsort((code, data["individual"].to_numpy()))
    data, code = data.iloc[order], code[order]
    n = 210
    Z = np.stack([data["gc"].to_numpy().reshape(n, 4), data["ttme"].to_numpy().reshape(n, 4),
                  (data["hinc"].to_numpy() * (code == 1)).reshape(n, 4)], axis=2)
    y = code.reshape(n, 4)[data["choice"].to_numpy().reshape(n, 4) == 1]
    assert np.bincount(y).tolist() == [59, 58, 63, 30]       # mlogit's frequencies .28095 .27619 .30000 .14286
    return np.ones((n, 1)), Z, y


def fit_travel(travel, **options):
    X, Z, y = travel
    return fit_nested_logit(X, y, TREE, Z=Z, names=["const"], z_names=["gc", "ttme", "hinc_air"],
                            alternatives=ALTERNATIVES, **options)


def simulate(rng, n, B, tau, nests, Z=None, gamma=()):
    """Choices drawn from the RU2 nested logit with case-specific regressors (constant, two normals, a dummy)."""
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n), rng.binomial(1, 0.4, n)])
    theta = np.concatenate([np.asarray(B).T.ravel(), gamma, tau])
    P = nested_logit_probabilities(X, theta, nests, Z=Z)
    y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    return X, y, theta


NESTS = {"market": [0], "hybrid": [1, 2], "hierarchy": [3]}
B_TRUE = np.array([[0.3, 0.1, -0.5], [1.5, 2.0, -1.0], [-1.0, 1.2, 1.5], [0.5, -0.8, 0.8]])


@pytest.fixture(scope="module")
def simulated():
    X, y, theta = simulate(np.random.default_rng(7), 20000, B_TRUE, [0.5], NESTS)
    return X, y, theta, fit_nested_logit(X, y, NESTS)


# --------------------------------------------------------------------------------------------
# published references
# --------------------------------------------------------------------------------------------

def test_greene_conditional_logit_as_printed_by_mlogit(travel):
    fit = fit_travel(travel, dissimilarity="one")
    assert fit.converged and fit.n_free == 0
    np.testing.assert_allclose(fit.theta, [5.207433, 3.869036, 3.163190, -0.015501, -0.096125, 0.013287],
                               atol=2e-4)
    np.testing.assert_allclose(fit.std_errors, [0.779055, 0.443127, 0.450266, 0.004408, 0.010440, 0.010262],
                               atol=1e-5)
    assert abs(fit.loglik - (-199.13)) < 0.005
    assert fit.loglik == pytest.approx(fit.loglik_mnl)


def test_greene_nested_logit_fly_ground(travel):
    fit = fit_travel(travel, form="nonnormalized")
    assert fit.converged and fit.n_free == 2
    tau_fly, tau_ground = fit.tau
    assert math.pi / (tau_fly * math.sqrt(6)) == pytest.approx(2.1886, abs=5e-5)
    assert math.pi / (tau_ground * math.sqrt(6)) == pytest.approx(3.2974, abs=5e-5)
    # the MNL of the same utilities is Greene's Table 21.11 (above); Greene rejects it
    assert abs(fit.loglik_mnl - (-199.13)) < 0.005
    tests = nested_logit_tests(fit).set_index("test")
    assert tests.loc["LR", "statistic"] == pytest.approx(2 * (fit.loglik - fit.loglik_mnl))
    assert tests.loc["LR", "df"] == 2 and tests.loc["LR", "p_value"] < 0.01 and tests.loc["Wald", "p_value"] < 0.01
    # non-normalised with unequal dissimilarities: not consistent with utility maximisation
    assert not rum_consistency(fit)["consistent"].any()


def test_greene_nlogit_starting_mnl_with_case_specific_income(travel):
    """Case-specific regressors (constant, HINC) with a coefficient per alternative, generic attributes."""
    from statsmodels.datasets import modechoice

    data = modechoice.load_pandas().data.sort_values(["individual", "mode"])
    _, _, y = travel
    n = 210
    # Z in the fixture's alternative order: car, air, train, bus (modechoice's mode 4, 1, 2, 3)
    Z = np.stack([data[c].to_numpy().reshape(n, 4)[:, [3, 0, 1, 2]] for c in ["gc", "ttme", "invt", "invc"]], axis=2)
    X = np.column_stack([np.ones(n), data["hinc"].to_numpy().reshape(n, 4)[:, 0]])
    nests = {"private": [1, 0], "public": [2, 3]}
    mnl = fit_nested_logit(X, y, nests, Z=Z, dissimilarity="one")
    assert mnl.converged and mnl.params.shape == (2, 3)
    assert mnl.loglik == pytest.approx(-172.94366, abs=5e-6)
    np.testing.assert_allclose(mnl.gamma[:2], [0.07578, -0.10289], atol=5e-6)
    np.testing.assert_allclose(mnl.std_errors[6:8], [0.01833, 0.01109], atol=5e-6)
    # the RU2 nested logit of this tree: a dissimilarity above 1 is flagged as not RUM-consistent
    nested = fit_nested_logit(X, y, nests, Z=Z)
    assert nested.converged and nested.loglik > mnl.loglik
    rum = rum_consistency(nested).set_index("nest")
    assert rum["consistent"].tolist() == [bool(0 < t <= 1) for t in nested.tau]
    assert nested.tau[0] > 1 and not rum.loc["private", "consistent"]


def test_travel_ru2_fixes_the_degenerate_nest(travel):
    """RU2 on the same tree: the fly nest is degenerate, its dissimilarity cancels and is fixed at 1."""
    fit = fit_travel(travel)
    assert fit.converged and fit.n_free == 1 and fit.tau[0] == 1.0
    table = tidy_nested_logit(fit)
    assert table.loc[table["outcome"] == "dissimilarity", "term"].tolist() == ["ground"]
    rum = rum_consistency(fit).set_index("nest")
    assert not rum.loc["fly", "estimated"] and rum.loc["fly", "consistent"]
    assert 0 < fit.tau[1] < 1 and rum.loc["ground", "consistent"]
    # the fixed dissimilarity really is irrelevant: the degenerate nest's tau cancels from every probability
    from alliancegov.stats.nested_logit.likelihood import _probabilities, _structure

    X, Z, y = travel
    structure = _structure(TREE, 4, "free", "ru2")
    B, gamma = fit.params, fit.gamma
    probabilities = []
    for tau_fly in (1.0, 0.3, 2.5):
        _, within, nest, *_ = _probabilities(X, Z, B, gamma, np.array([tau_fly, fit.tau[1]]), structure)
        probabilities.append(within * nest[:, structure.nest_of])
    np.testing.assert_allclose(probabilities[1], probabilities[0], rtol=1e-12)
    np.testing.assert_allclose(probabilities[2], probabilities[0], rtol=1e-12)
    assert float(np.log(probabilities[0][np.arange(210), y]).sum()) == pytest.approx(fit.loglik, abs=1e-9)


HC_ALTERNATIVES = ["gcc", "ecc", "erc", "hpc", "gc", "ec", "er"]
HC_TERMS = ["ich", "och", "icca", "occa", "inc.room", "inc.cooling", "int.cooling"]


@pytest.fixture(scope="module")
def heating_cooling():
    """Z (250, 7, 7): the alternative-specific regressors of the mlogit exercise, y the chosen system."""
    from pathlib import Path

    data = pd.read_csv(Path(__file__).parent / "data" / "mlogit_hc.csv", comment="#")
    cooling = np.isin(HC_ALTERNATIVES, ["gcc", "ecc", "erc", "hpc"]).astype(float)
    room = np.isin(HC_ALTERNATIVES, ["erc", "er"]).astype(float)
    income = data[["income"]].to_numpy()
    Z = np.stack([data[[f"ich.{a}" for a in HC_ALTERNATIVES]].to_numpy(),
                  data[[f"och.{a}" for a in HC_ALTERNATIVES]].to_numpy(),
                  data[["icca"]].to_numpy() * cooling, data[["occa"]].to_numpy() * cooling,
                  income * room, income * cooling, np.ones((len(data), 1)) * cooling], axis=2)
    y = data["depvar"].map({a: j for j, a in enumerate(HC_ALTERNATIVES)}).to_numpy()
    return np.zeros((len(data), 0)), Z, y


def test_mlogit_exercise_ru2_nested_logit_with_a_shared_log_sum(heating_cooling):
    """mlogit's ``nl`` (RU2, un.nest.el = TRUE): generic coefficients only, no alternative constants."""
    from alliancegov.stats.nested_logit.likelihood import _loglik_scores, _structure

    X, Z, y = heating_cooling
    nests = {"cooling": [0, 1, 2, 3], "other": [4, 5, 6]}
    fit = fit_nested_logit(X, y, nests, Z=Z, dissimilarity="shared", z_names=HC_TERMS)
    assert fit.converged and fit.n_free == 1
    printed = np.array([-0.005549, -0.008579, -0.002251, -0.010895, -0.378971, 0.249575, -6.000415, 0.585922])
    printed_se = np.array([0.001442, 0.002553, 0.001444, 0.012198, 0.099631, 0.059213, 5.562423, 0.179708])
    # mlogit stops its iterations a little short: estimates to 1e-3 of a standard error (and the print's rounding)
    assert np.all(np.abs(fit.theta - printed) <= 1e-3 * printed_se + 5e-7), fit.theta - printed
    # mlogit's standard errors are the outer product of the gradients at its estimates
    _, scores = _loglik_scores(fit.theta, X, y, Z, _structure(nests, 7, "shared", "ru2"))
    np.testing.assert_allclose(np.sqrt(np.diag(np.linalg.inv(scores.T @ scores))), printed_se,
                               rtol=1e-6, atol=5e-7 + 1e-12)   # the print's 6 decimals
    assert fit.loglik == pytest.approx(-178.1247, abs=5e-5)
    lr = nested_logit_tests(fit).set_index("test").loc["LR"]
    assert lr["statistic"] == pytest.approx(4.323, abs=5e-4) and lr["df"] == 1
    assert (fit.tau[0] - 1) / np.sqrt(np.linalg.inv(scores.T @ scores)[-1, -1]) == pytest.approx(-2.304171, abs=1e-4)

    central = fit_nested_logit(X, y, {"central": [5, 1, 4, 0, 3], "room": [6, 2]}, Z=Z, dissimilarity="shared")
    assert central.loglik == pytest.approx(-180.0231, abs=5e-5)
    assert central.tau[0] == pytest.approx(1.362007, abs=1e-3 * 0.653933)
    # a degenerate nest (hpc alone): its log-sum coefficient cancels, the shared one is the other nests'
    three = fit_nested_logit(X, y, {"n1": [0, 1, 2], "n2": [3], "n3": [4, 5, 6]}, Z=Z, dissimilarity="shared")
    assert three.loglik == pytest.approx(-180.2633, abs=5e-5)
    assert three.free_of_nest == (0, -1, 0)


# --------------------------------------------------------------------------------------------
# the likelihood
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["ru2", "nonnormalized"])
@pytest.mark.parametrize("dissimilarity", ["free", "shared"])
def test_scores_are_the_gradient_of_the_loglikelihood(travel, form, dissimilarity):
    from alliancegov.stats.nested_logit.likelihood import _loglik_scores, _structure

    X, Z, y = travel
    rng = np.random.default_rng(0)
    X2 = np.column_stack([X, rng.normal(size=210)])
    nests = {"fly": [1], "public": [2, 3], "private": [0]} if form == "ru2" else TREE
    s = _structure(nests, 4, dissimilarity, form)
    theta = np.concatenate([[2.0, 0.3, 1.5, -0.2, 1.0, 0.1], [-0.02, -0.08, 0.01], 0.4 + 0.3 * np.arange(s.n_free)])
    ll, S = _loglik_scores(theta, X2, y, Z, s)
    assert S.shape == (210, theta.size)
    h = 1e-6
    numeric = [(_loglik_scores(theta + h * e, X2, y, Z, s)[0] - _loglik_scores(theta - h * e, X2, y, Z, s)[0]) / (2 * h)
               for e in np.eye(theta.size)]
    np.testing.assert_allclose(S, np.column_stack(numeric), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("form", ["ru2", "nonnormalized"])
def test_all_dissimilarities_one_is_our_mnl(simulated, form):
    """At tau = 1 both forms are the MNL: same log-likelihood, and the restricted fit equals fit_mnl_newton."""
    X, y, _, _ = simulated
    mnl = fit_mnl_newton(X, y)
    # RU2 estimates only the hybrid nest's dissimilarity (market and hierarchy are degenerate)
    theta = np.concatenate([mnl.params.T.ravel(), np.ones(1 if form == "ru2" else 3)])
    assert nested_logit_log_likelihood(X, y, theta, NESTS, form=form) == pytest.approx(
        log_likelihood(X, y, mnl.params), abs=1e-8)
    fit = fit_nested_logit(X[:4000], y[:4000], NESTS, form=form, dissimilarity="one")
    reference = fit_mnl_newton(X[:4000], y[:4000])
    np.testing.assert_allclose(fit.params, reference.params, atol=1e-6)
    assert fit.loglik == pytest.approx(reference.loglik, abs=1e-8)
    np.testing.assert_allclose(fit.cov, model_covariance(reference.information), rtol=1e-4, atol=1e-10)


def test_ru2_equals_nonnormalized_with_one_common_dissimilarity(simulated):
    """With one dissimilarity shared by all nests (none degenerate), the non-normalised model is the RU2
    model with every utility coefficient multiplied by tau (Koppelman & Wen 1998; Heiss 2002)."""
    X, y, _, _ = simulated
    nests = {"a": [0, 3], "b": [1, 2]}
    ru2 = fit_nested_logit(X[:5000], y[:5000], nests, dissimilarity="shared")
    raw = fit_nested_logit(X[:5000], y[:5000], nests, dissimilarity="shared", form="nonnormalized")
    assert ru2.loglik == pytest.approx(raw.loglik, abs=1e-6)
    assert ru2.tau[0] == pytest.approx(raw.tau[0], rel=1e-4)
    np.testing.assert_allclose(ru2.params, raw.params * raw.tau[0], rtol=1e-4, atol=1e-6)
    assert rum_consistency(raw)["consistent"].all() == (0 < raw.tau[0] <= 1)


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------

def test_recovers_a_known_nested_logit(simulated):
    """4 alternatives in 3 nests (market | hybrid: 1, 2 | hierarchy), case-specific regressors, tau = 0.5."""
    _, _, theta, fit = simulated
    assert fit.converged and fit.n_free == 1
    z = (fit.theta - theta) / fit.std_errors
    assert np.max(np.abs(z)) < 4
    assert fit.std_errors[-1] < 0.05                     # the dissimilarity is well determined here
    tests = nested_logit_tests(fit).set_index("test")
    assert tests.loc["LR", "p_value"] < 1e-10 and tests.loc["Wald", "p_value"] < 1e-10
    assert rum_consistency(fit)["consistent"].all()


def test_tau_one_data_do_not_reject_the_mnl():
    X, y, theta = simulate(np.random.default_rng(11), 6000, B_TRUE, [1.0], NESTS)
    fit = fit_nested_logit(X, y, NESTS)
    assert abs(fit.tau[1] - 1.0) < 4 * fit.std_errors[-1]
    tests = nested_logit_tests(fit).set_index("test")
    assert tests.loc["LR", "p_value"] > 0.01 and tests.loc["Wald", "p_value"] > 0.01
    # the two statistics are asymptotically equivalent under the null
    assert tests.loc["LR", "statistic"] == pytest.approx(tests.loc["Wald", "statistic"], abs=1.0)


def test_robust_and_cluster_covariances(simulated):
    """Sandwiches from per-row scores by finite differences of the log-likelihood; Stata's N/(N-1), G/(G-1)."""
    X, y, _, _ = simulated
    X, y = X[:3000], y[:3000]
    groups = np.arange(3000) // 4
    model = fit_nested_logit(X, y, NESTS)
    robust = fit_nested_logit(X, y, NESTS, cov_type="robust")
    cluster = fit_nested_logit(X, y, NESTS, cov_type="cluster", groups=groups)
    np.testing.assert_allclose(robust.theta, model.theta)
    assert cluster.n_clusters == 750

    from alliancegov.stats.nested_logit.likelihood import _loglik_scores, _structure

    s = _structure(NESTS, 4, "free", "ru2")
    h = 1e-6
    S = np.column_stack([(_loglik_scores(model.theta + h * e, X, y, np.zeros((3000, 4, 0)), s, scores=False)[0]
                          - _loglik_scores(model.theta - h * e, X, y, np.zeros((3000, 4, 0)), s, scores=False)[0])
                         / (2 * h) for e in np.eye(model.theta.size)])
    bread = model.cov
    np.testing.assert_allclose(robust.cov, 3000 / 2999 * bread @ (S.T @ S) @ bread, rtol=1e-5, atol=1e-12)
    sums = np.vstack([S[groups == g].sum(axis=0) for g in range(750)])
    np.testing.assert_allclose(cluster.cov, 750 / 749 * bread @ (sums.T @ sums) @ bread, rtol=1e-5, atol=1e-12)
    # under a correct model the sandwich estimates the same variances
    assert np.all(np.abs(robust.std_errors / model.std_errors - 1) < 0.25)
    tests = nested_logit_tests(cluster).set_index("test")
    assert not tests.loc["LR", "valid"] and tests.loc["Wald", "valid"]
    assert "Wald" in tests.loc["LR", "note"]


# --------------------------------------------------------------------------------------------
# layout and input checks
# --------------------------------------------------------------------------------------------

def test_tidy_table_layout(travel):
    fit = fit_travel(travel, form="nonnormalized")
    table = tidy_nested_logit(fit)
    assert list(table.columns) == ["outcome", "term", "estimate", "std_error", "statistic", "p_value",
                                   "conf_low", "conf_high"]
    assert table["outcome"].tolist() == ["air", "train", "bus", "generic", "generic", "generic",
                                         "dissimilarity", "dissimilarity"]
    assert table["term"].tolist() == ["const", "const", "const", "gc", "ttme", "hinc_air", "fly", "ground"]
    np.testing.assert_allclose(table["estimate"], fit.theta)
    shared = fit_travel(travel, form="nonnormalized", dissimilarity="shared")
    assert tidy_nested_logit(shared)["term"].iloc[-1] == "fly+ground" and shared.n_free == 1


def test_input_checks(travel):
    X, Z, y = travel
    with pytest.raises(ValueError, match="more than one nest"):
        fit_nested_logit(X, y, [[0, 1], [1, 2, 3]], Z=Z)
    with pytest.raises(ValueError, match="in no nest"):
        fit_nested_logit(X, y, [[0, 1], [3]], Z=Z)
    with pytest.raises(ValueError, match="form"):
        fit_nested_logit(X, y, TREE, Z=Z, form="ru1")
    with pytest.raises(ValueError, match="cluster"):
        fit_nested_logit(X, y, TREE, Z=Z, cov_type="cluster")
    with pytest.raises(ValueError, match="no estimated dissimilarity"):
        nested_logit_tests(fit_travel(travel, dissimilarity="one"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(tidy_nested_logit(fit_travel(travel)), pd.DataFrame)


def test_frequency_weights_equal_expanded_rows_and_a_design_equals_clusters():
    """Frequency weights reproduce the fit on the rows repeated (estimates, log-likelihoods, model and
    cluster covariances); a survey design of PSUs alone (unit weights) is the cluster sandwich."""
    from alliancegov.stats.survey.design import SurveyDesign

    rng = np.random.default_rng(21)
    X, y, _ = simulate(rng, 600, B_TRUE, [0.5], NESTS)
    freq = rng.integers(1, 4, size=len(y)).astype(float)
    groups = np.arange(len(y)) % 60
    rows = np.repeat(np.arange(len(y)), freq.astype(int))
    weighted = fit_nested_logit(X, y, NESTS, weights=freq, cov_type="cluster", groups=groups)
    expanded = fit_nested_logit(X[rows], y[rows], NESTS, cov_type="cluster", groups=groups[rows])
    assert weighted.n == len(rows) and weighted.n_clusters == 60
    np.testing.assert_allclose(weighted.theta, expanded.theta, rtol=1e-6, atol=1e-7)
    assert weighted.loglik == pytest.approx(expanded.loglik, rel=1e-9)
    assert weighted.loglik_mnl == pytest.approx(expanded.loglik_mnl, rel=1e-9)
    np.testing.assert_allclose(weighted.cov, expanded.cov, rtol=1e-4, atol=1e-9)
    model_w = fit_nested_logit(X, y, NESTS, weights=freq)
    np.testing.assert_allclose(model_w.cov, fit_nested_logit(X[rows], y[rows], NESTS).cov, rtol=1e-4, atol=1e-9)
    design = fit_nested_logit(X, y, NESTS, design=SurveyDesign(psu=groups))
    clustered = fit_nested_logit(X, y, NESTS, cov_type="cluster", groups=groups)
    assert design.cov_type == "design" and design.design_df == 59
    np.testing.assert_allclose(design.cov, clustered.cov, rtol=1e-8)
    assert not nested_logit_tests(design).set_index("test").loc["LR", "valid"]
    with pytest.raises(ValueError, match="pseudo-likelihood"):
        fit_nested_logit(X, y, NESTS, weights=freq, weight_type="sampling")
