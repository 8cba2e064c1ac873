"""Firm-clustered tests of correlations, and (generalised) variance inflation factors."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.outliers_influence import variance_inflation_factor

from alliancegov.stats.correlation import clustered_correlation
from alliancegov.stats.variance_inflation import variance_inflation


def clustered_pairs(rng, firms=80, waves=3, rho=0.3, firm_share=0.7):
    """x and y with a firm effect in each (so rows of a firm are correlated) and a correlation rho."""
    firm = np.repeat(np.arange(firms), waves)
    shared = rng.normal(size=(firms, 2))[firm]
    noise = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=firms * waves)
    x = np.sqrt(firm_share) * shared[:, 0] + np.sqrt(1 - firm_share) * noise[:, 0]
    y = np.sqrt(firm_share) * shared[:, 1] + np.sqrt(1 - firm_share) * noise[:, 1]
    return x, y, firm


def test_the_estimate_is_r_and_the_se_is_statsmodels_cluster_robust_slope():
    rng = np.random.default_rng(1)
    x, y, firm = clustered_pairs(rng)
    x[3] = np.nan
    result = clustered_correlation(x, y, firm)
    keep = ~np.isnan(x)
    zx, zy = (stats.zscore(v[keep], ddof=1) for v in (x, y))
    ols = sm.OLS(zy, sm.add_constant(zx)).fit(cov_type="cluster", cov_kwds={"groups": firm[keep]}, use_t=True)
    assert result["estimate"] == pytest.approx(np.corrcoef(x[keep], y[keep])[0, 1], abs=1e-12)
    assert result["std_error"] == pytest.approx(ols.bse[1], rel=1e-10)
    assert result["p_value"] == pytest.approx(ols.pvalues[1], rel=1e-8)
    assert (result["n"], result["n_clusters"], result["df"]) == (239, 80, 79)
    assert -1 < result["conf_low"] < result["estimate"] < result["conf_high"] < 1


def test_without_clusters_each_row_is_its_own_cluster():
    rng = np.random.default_rng(2)
    x, y, _ = clustered_pairs(rng, firms=60, waves=1)
    result = clustered_correlation(x, y)
    zx, zy = (stats.zscore(v, ddof=1) for v in (x, y))
    hc1 = sm.OLS(zy, sm.add_constant(zx)).fit(cov_type="HC1")
    # CR1 with singleton clusters: G/(G - 1) · (n - 1)/(n - 2) = n/(n - 2), HC1's factor
    assert result["std_error"] == pytest.approx(hc1.bse[1], rel=1e-10)
    assert result["n_clusters"] == 60


@pytest.mark.slow
def test_the_clustered_test_holds_its_size_where_the_naive_one_does_not():
    """Under ρ = 0 with firm effects in x and y (correlated rows within firms), the naive t test
    rejects far too often; the clustered one near 5 %."""
    rng = np.random.default_rng(3)
    clustered, naive = [], []
    for _ in range(600):
        firm = np.repeat(np.arange(60), 4)
        x = rng.normal(size=60)[firm] + 0.5 * rng.normal(size=240)
        y = rng.normal(size=60)[firm] + 0.5 * rng.normal(size=240)
        clustered.append(clustered_correlation(x, y, firm)["p_value"] < 0.05)
        naive.append(stats.pearsonr(x, y).pvalue < 0.05)
    assert np.mean(naive) > 0.15
    assert 0.025 < np.mean(clustered) < 0.085


def test_degenerate_inputs_give_missing_statistics():
    constant = clustered_correlation([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 5.0])
    assert np.isnan(constant["estimate"]) and constant["n"] == 4
    one_cluster = clustered_correlation([1.0, 2.0, 3.0], [2.0, 1.0, 4.0], ["a", "a", "a"])
    assert np.isnan(one_cluster["p_value"]) and one_cluster["n_clusters"] == 1


def test_vif_equals_statsmodels_for_single_columns():
    rng = np.random.default_rng(4)
    a = rng.normal(size=300)
    design = pd.DataFrame({"Intercept": 1.0, "a": a, "b": a + rng.normal(size=300), "c": rng.normal(size=300)})
    table = variance_inflation(design)
    expected = [variance_inflation_factor(design.to_numpy(), i) for i in (1, 2, 3)]
    assert list(table["term"]) == ["a", "b", "c"]
    np.testing.assert_allclose(table["gvif"], expected, rtol=1e-10)
    np.testing.assert_allclose(table["criterion"], table["gvif"])
    np.testing.assert_allclose(table["gvif_root"], np.sqrt(table["gvif"]))


def test_gvif_of_a_factor_does_not_depend_on_its_coding():
    """Fox & Monette: the GVIF of a factor's dummies is invariant to the reference level."""
    rng = np.random.default_rng(5)
    level = rng.choice(["a", "b", "c"], size=400)
    x = rng.normal(size=400) + (level == "b") * 1.5
    dummies_a = pd.get_dummies(level, dtype=float)[["b", "c"]]
    dummies_c = pd.get_dummies(level, dtype=float)[["a", "b"]]
    first = variance_inflation(pd.DataFrame({"Intercept": 1.0, "x": x, **dummies_a}), {"x": ["x"], "f": ["b", "c"]})
    second = variance_inflation(pd.DataFrame({"Intercept": 1.0, "x": x, **dummies_c}), {"x": ["x"], "f": ["a", "b"]})
    np.testing.assert_allclose(first["gvif"], second["gvif"], rtol=1e-10)
    # with one other regressor, GVIF(f) = VIF(x) = 1 / (1 - R²(x on the dummies))
    r2 = sm.OLS(x, sm.add_constant(dummies_a.to_numpy())).fit().rsquared
    assert first.set_index("term").at["f", "gvif"] == pytest.approx(1 / (1 - r2), rel=1e-10)
    assert first.set_index("term").at["f", "df"] == 2


def test_vif_refuses_unknown_or_shared_columns():
    design = pd.DataFrame({"Intercept": 1.0, "a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    with pytest.raises(ValueError, match="missing"):
        variance_inflation(design, {"z": ["z"]})
    with pytest.raises(ValueError, match="share"):
        variance_inflation(design, {"a": ["a"], "ab": ["a", "b"]})
