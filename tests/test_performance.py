import numpy as np
import pandas as pd
import pytest

from alliancegov.performance import PerformanceSpec, fit_ols


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"form": rng.choice(["a", "b", "c"], n), "x": rng.normal(size=n),
                          "firm": rng.integers(0, 150, n)})
    effect = frame["form"].map({"a": 0.0, "b": 0.5, "c": -0.3})
    frame["y"] = 1 + effect + 0.8 * frame["x"] + rng.normal(0, 1 + np.abs(frame["x"]), n)
    return frame


def test_ols_with_hc3_matches_statsmodels_formula_api(data):
    import statsmodels.formula.api as smf

    spec = PerformanceSpec("y", "C(form, Treatment('a')) + x", cov_type="HC3")
    fit = fit_ols(data, spec)
    # t reference with the residual df, as Stata's regress, vce(robust) and R's coeftest report
    direct = smf.ols("y ~ C(form, Treatment('a')) + x", data).fit(cov_type="HC3", use_t=True)
    np.testing.assert_allclose(fit.coefficients["estimate"], direct.params, rtol=1e-10)
    np.testing.assert_allclose(fit.coefficients["std_error"], direct.bse, rtol=1e-10)
    assert fit.coefficients["term"].tolist() == ["Intercept", "form[b]", "form[c]", "x"]
    ci = np.asarray(direct.conf_int())
    np.testing.assert_allclose(fit.coefficients[["conf_low", "conf_high"]], ci, rtol=1e-8)
    np.testing.assert_allclose(fit.coefficients["p_value"], direct.pvalues, rtol=1e-8)


def test_cluster_standard_errors_and_missing_rows(data):
    data.loc[:4, "x"] = np.nan
    fit = fit_ols(data, PerformanceSpec("y", "x", cov_type="cluster", cluster="firm"))
    stats = fit.fit.set_index("statistic")["value"]
    assert stats["n"] == len(data) - 5 and stats["n_missing"] == 5
    nonrobust = fit_ols(data, PerformanceSpec("y", "x", cov_type="nonrobust"))
    assert not np.allclose(fit.coefficients["std_error"], nonrobust.coefficients["std_error"])


def test_cluster_needs_a_variable():
    with pytest.raises(ValueError, match="cluster variable"):
        PerformanceSpec("y", "x", cov_type="cluster")


def test_multiple_imputation_pools_ols_with_barnard_rubin_df(data):
    from alliancegov.performance import fit_ols_imputed

    rng = np.random.default_rng(2)
    holed = data.copy()
    holed.loc[rng.random(len(holed)) < 0.2, "x"] = np.nan
    spec = PerformanceSpec("y", "C(form, Treatment('a')) + x", cov_type="nonrobust", imputations=10, seed=4)
    pooled = fit_ols_imputed(holed, spec)
    table = pooled.coefficients.set_index("term")
    full = fit_ols(data, PerformanceSpec("y", "C(form, Treatment('a')) + x", cov_type="nonrobust")).coefficients
    complete = full.set_index("term")
    assert abs(table.at["x", "estimate"] - complete.at["x", "estimate"]) < 2 * complete.at["x", "std_error"]
    assert table.at["x", "std_error"] > complete.at["x", "std_error"]   # missing information costs precision
    assert (table["df"] <= len(data) - 4).all() and (table["fmi"] > 0).all()
    stats = pooled.fit.set_index("statistic")["value"]
    assert stats["n"] == len(data) and stats["imputations"] == 10
