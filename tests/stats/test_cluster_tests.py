"""Cluster-robust one-sample tests, logits and TOST (alliancegov.stats.cluster_tests) against
statsmodels/scipy references and the identities that define a cluster-robust variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from alliancegov.stats.cluster_tests import equivalence_test, logit_coefficients, mean_test, proportion_test

N_FIRMS = 150


@pytest.fixture(scope="module")
def firms() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    x = rng.normal(size=N_FIRMS)
    return pd.DataFrame({"firm": np.arange(N_FIRMS), "value": 3 + rng.normal(size=N_FIRMS),
                         "hit": (rng.random(N_FIRMS) < 0.35).astype(float), "x": x,
                         "y": (rng.random(N_FIRMS) < 1 / (1 + np.exp(-(0.2 + 0.8 * x)))).astype(float)})


def test_every_firm_twice_clustered_equals_the_single_sample_and_naive_is_too_narrow(firms):
    """Each firm answers twice with the same values. Clustered by firm, the SE of the mean is the naive
    SE of the single sample exactly: the cluster sandwich is (G − 1)/G of it, and the G/(G − 1) factor
    restores it. The naive SE of the doubled sample is sqrt((n − 1)/(2n − 1)) ≈ 1/√2 of it."""
    doubled = pd.concat([firms, firms], ignore_index=True)
    single = mean_test(firms["value"], 3.0)
    assert single["std_error"] == pytest.approx(stats.sem(firms["value"]), rel=1e-12)
    clustered = mean_test(doubled["value"], 3.0, groups=doubled["firm"])
    naive = mean_test(doubled["value"], 3.0)
    assert clustered["estimate"] == pytest.approx(single["estimate"], rel=1e-12)
    assert clustered["std_error"] == pytest.approx(single["std_error"], rel=1e-10)
    assert clustered["df"] == single["df"] == N_FIRMS - 1 and clustered["n_clusters"] == N_FIRMS
    ratio = naive["std_error"] / single["std_error"]
    assert ratio == pytest.approx(np.sqrt((N_FIRMS - 1) / (2 * N_FIRMS - 1)), rel=1e-10)
    assert ratio == pytest.approx(1 / np.sqrt(2), abs=0.003)
    assert naive["p_value"] < clustered["p_value"] or naive["statistic"] == 0
    # the same for a proportion, and for Cohen's d
    hits_single = proportion_test(firms["hit"], 0.5)
    hits_clustered = proportion_test(doubled["hit"], 0.5, groups=doubled["firm"])
    assert hits_clustered["std_error"] == pytest.approx(hits_single["std_error"], rel=1e-10)
    assert hits_clustered["p_value"] == pytest.approx(hits_single["p_value"], rel=1e-10)
    # d's SD divides by 2n − 1 rather than n − 1 in the doubled sample: equal up to that
    assert clustered["d_std_error"] == pytest.approx(single["d_std_error"], rel=0.01)
    assert naive["d_std_error"] == pytest.approx(single["d_std_error"] / np.sqrt(2), rel=0.01)


def test_the_doubled_logit_clustered_equals_the_single_samples_sandwich(firms):
    doubled = pd.concat([firms, firms], ignore_index=True)
    X = pd.DataFrame({"Intercept": 1.0, "x": doubled["x"]})
    clustered = logit_coefficients(doubled["y"], X, groups=doubled["firm"])
    import statsmodels.api as sm

    single = sm.GLM(firms["y"], np.column_stack([np.ones(N_FIRMS), firms["x"]]),
                    family=sm.families.Binomial()).fit(cov_type="HC0")
    # Stata's logit, vce(robust) on the single sample: the sandwich times n/(n − 1)
    assert_allclose(clustered["estimate"], single.params, rtol=1e-8)
    assert_allclose(clustered["std_error"], single.bse * np.sqrt(N_FIRMS / (N_FIRMS - 1)), rtol=1e-8)
    assert_allclose(clustered["odds_ratio"], np.exp(single.params), rtol=1e-8)


def test_logit_cluster_covariance_is_statas_g_over_g_minus_one_sandwich(firms):
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 40, N_FIRMS)
    X = pd.DataFrame({"Intercept": 1.0, "x": firms["x"]})
    table = logit_coefficients(firms["y"], X, groups=groups)
    import statsmodels.api as sm

    fit = sm.Logit(firms["y"], X).fit(disp=0)
    p = fit.predict(X)
    bread = np.linalg.inv(X.T.to_numpy() @ (X.to_numpy() * (p * (1 - p)).to_numpy()[:, None]))
    sums = pd.DataFrame(X.to_numpy() * (firms["y"] - p).to_numpy()[:, None]).groupby(groups).sum().to_numpy()
    clusters = len(np.unique(groups))
    cov = clusters / (clusters - 1) * bread @ sums.T @ sums @ bread
    assert_allclose(table["std_error"], np.sqrt(np.diag(cov)), rtol=1e-7)
    assert table["n_clusters"].iloc[0] == clusters
    assert_allclose(table["p_value"], 2 * stats.norm.sf(np.abs(table["estimate"] / table["std_error"])))


def test_frequency_weights_equal_the_rows_repeated(firms):
    rng = np.random.default_rng(5)
    weights = rng.integers(1, 4, N_FIRMS)
    groups = rng.integers(0, 60, N_FIRMS)
    repeated = firms.loc[np.repeat(firms.index, weights)]
    for clusters in (None, groups):
        labels = None if clusters is None else np.repeat(clusters, weights)
        for test, column, null in ((mean_test, "value", 3.0), (proportion_test, "hit", 0.5)):
            weighted = test(firms[column], null, groups=clusters, weights=weights)
            expanded = test(repeated[column], null, groups=labels)
            for key in ("estimate", "std_error", "p_value", "conf_low", "conf_high", "n", "df"):
                assert weighted[key] == pytest.approx(expanded[key], rel=1e-9), (test.__name__, key, clusters)
        X = pd.DataFrame({"Intercept": 1.0, "x": firms["x"]})
        weighted = logit_coefficients(firms["y"], X, groups=clusters, weights=weights)
        expanded = logit_coefficients(repeated["y"], X.loc[repeated.index].reset_index(drop=True), groups=labels)
        assert_allclose(weighted["std_error"], expanded["std_error"], rtol=1e-7)


def test_naive_mean_is_the_one_sample_t_test(firms):
    result = mean_test(firms["value"], 2.8, level=0.9)
    reference = stats.ttest_1samp(firms["value"], 2.8)
    low, high = reference.confidence_interval(0.9)
    assert result["p_value"] == pytest.approx(reference.pvalue, rel=1e-10)
    assert (result["conf_low"], result["conf_high"]) == (pytest.approx(low), pytest.approx(high))
    # d = (mean − 2.8) / s; its naive SE close to the normal-theory sqrt(1/n + d²/(2n))
    assert result["d"] == pytest.approx((firms["value"].mean() - 2.8) / firms["value"].std(ddof=1))
    assert result["d_std_error"] == pytest.approx(np.sqrt(1 / N_FIRMS + result["d"] ** 2 / (2 * N_FIRMS)), rel=0.15)


def test_proportion_interval_is_logit_scale_and_agrees_with_its_test(firms):
    result = proportion_test(firms["hit"], 0.5)
    share = firms["hit"].mean()
    se = firms["hit"].std(ddof=1) / np.sqrt(N_FIRMS)
    assert result["std_error"] == pytest.approx(se, rel=1e-10)
    logit_se = se / (share * (1 - share))
    critical = stats.t.ppf(0.975, N_FIRMS - 1)
    expected_low = 1 / (1 + np.exp(-(np.log(share / (1 - share)) - critical * logit_se)))
    assert result["conf_low"] == pytest.approx(expected_low, rel=1e-10)
    # the interval excludes the null exactly when p < 0.05
    for null in np.linspace(0.2, 0.5, 31):
        inside = result["conf_low"] <= null <= result["conf_high"]
        assert inside == (proportion_test(firms["hit"], null)["p_value"] >= 0.05)
    with pytest.raises(ValueError, match="inside"):
        proportion_test(firms["hit"], 1.0)


def test_equivalence_test_is_statsmodels_tost(firms):
    from statsmodels.stats.weightstats import DescrStatsW

    result = mean_test(firms["value"], 3.0)
    for margin in (0.1, 0.3, 0.5):
        expected = DescrStatsW(firms["value"]).ttost_mean(3.0 - margin, 3.0 + margin)[0]
        assert equivalence_test(result["estimate"], result["std_error"], 3.0, margin, df=result["df"]) == \
            pytest.approx(expected, rel=1e-10)
    assert np.isnan(equivalence_test(0.1, 0.0, 0.0, 0.2))
    with pytest.raises(ValueError, match="positive"):
        equivalence_test(0.1, 0.1, 0.0, 0.0)
