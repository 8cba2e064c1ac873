"""Weights in the performance OLS (``performance.ols.fit_ols``): honoured or refused, never ignored.

Published reference for the survey design: R ``survey``'s ``svyglm(api00 ~ ell + meals + mobility,
design = dstrat)`` on ``apistrat`` (stratified by ``stype``, sampling weights ``pw``, fpc ``fpc``),
whose coefficients and standard errors ``tests/stats/test_survey_design.py`` documents and holds the
generic linearisation to ([LikeR] ``strat_api00``; R prints the SEs 10.0777, 0.3920, 0.2839, 0.3932).
"""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from alliancegov.performance.ols import PerformanceSpec, fit_ols


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame({"form": rng.choice(["a", "b", "c"], n), "x": rng.normal(size=n),
                          "firm": rng.integers(0, 90, n), "fw": rng.integers(1, 5, n)})
    frame["y"] = 1 + frame["form"].map({"a": 0.0, "b": 0.4, "c": -0.2}) + 0.6 * frame["x"] + rng.normal(size=n)
    return frame


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1", "HC3", "cluster"])
def test_frequency_weights_are_the_expanded_rows(data, cov_type):
    spec = PerformanceSpec("y", "C(form) + x", cov_type=cov_type, cluster="firm", weights="fw")
    weighted = fit_ols(data, spec)
    expanded = fit_ols(data.loc[data.index.repeat(data["fw"])].reset_index(drop=True), replace(spec, weights=None))
    pd.testing.assert_frame_equal(weighted.coefficients, expanded.coefficients, rtol=1e-9)
    fit_w, fit_e = (f.fit.set_index("statistic")["value"] for f in (weighted, expanded))
    assert fit_w["n"] == data["fw"].sum() and fit_w["n_missing"] == 0
    pd.testing.assert_series_equal(fit_w.drop("n_missing"), fit_e.drop("n_missing"), rtol=1e-9)


def test_sampling_weights_need_robust_standard_errors_and_are_wls(data):
    w = np.random.default_rng(4).uniform(0.5, 3.0, len(data))
    frame = data.assign(pw=w)
    with pytest.raises(ValueError, match="pw are sampling weights, which need robust .* cov_type nonrobust cannot"):
        fit_ols(frame, PerformanceSpec("y", "C(form) + x", cov_type="nonrobust", weights="pw", weight_type="sampling"))
    robust = fit_ols(frame, PerformanceSpec("y", "C(form) + x", cov_type="HC1", weights="pw", weight_type="sampling"))
    reference = sm.WLS.from_formula("y ~ C(form) + x", frame, weights=frame["pw"]).fit(cov_type="HC1")
    np.testing.assert_allclose(robust.coefficients["estimate"], reference.params, rtol=1e-10)
    np.testing.assert_allclose(robust.coefficients["std_error"], reference.bse, rtol=1e-10)
    with pytest.raises(ValueError, match="not whole numbers"):
        fit_ols(frame, PerformanceSpec("y", "C(form) + x", weights="pw"))


def test_survey_design_reproduces_r_svyglm():
    path = Path(__file__).parent / "stats" / "data" / "apistrat.csv"
    api = pd.read_csv(path, comment="#")
    spec = PerformanceSpec("api00", "ell + meals + mobility", cov_type="design", weights="pw",
                           weight_type="sampling", strata="stype", fpc="fpc")
    fit = fit_ols(api, spec)
    np.testing.assert_allclose(fit.coefficients["estimate"], [820.8873159056232, -0.4805866121719494,
                                                              -3.1415353099845613, 0.22571321022963628], rtol=1e-10)
    np.testing.assert_allclose(fit.coefficients["std_error"], [10.0777, 0.3920, 0.2839, 0.3932], atol=5e-5)
    statistics = fit.fit.set_index("statistic")["value"]
    assert statistics["df_resid"] == 200 - 3     # n - strata: R's degf(dstrat)
    from scipy import stats

    half = fit.coefficients["conf_high"] - fit.coefficients["estimate"]
    np.testing.assert_allclose(half, stats.t.ppf(0.975, 197) * fit.coefficients["std_error"], rtol=1e-10)
    assert 0 < statistics["f_p_value"] < 0.05 and statistics["f_df_model"] == 3


def test_the_performance_stage_takes_the_choice_models_weights_or_refuses_them():
    """The survey's weights apply to every model: the choice model's frequency weights or design
    reach the performance OLS; the stage's unweighted estimators refuse them by name."""
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.model_checks import ModelSpecificationError
    from alliancegov.performance.stage import survey_weighting

    plain = ChoiceSpec("form", "a", "x")
    assert survey_weighting(plain, {"performance": {"ordinal": ["trend"]}}) == {}
    weighted = replace(plain, weights="fw")
    assert survey_weighting(weighted, {"performance": {}}) == {"weights": "fw", "weight_type": "frequency"}
    with pytest.raises(ModelSpecificationError, match="performance.ordinal and importance.groups cannot take"):
        survey_weighting(weighted, {"performance": {"ordinal": ["trend"]}, "importance": {"groups": {"g": ["x"]}}})
    design = ChoiceSpec("form", "a", "x", cov_type="design", sampling_weights="pw", strata="stype")
    with pytest.raises(ModelSpecificationError, match="set performance.cov_type: design"):
        survey_weighting(design, {"performance": {"cov_type": "cluster"}})
    survey = survey_weighting(design, {"performance": {"cov_type": "design"}})
    assert survey == {"weights": "pw", "weight_type": "sampling", "strata": "stype", "psu": None, "fpc": None}
    PerformanceSpec("y", "x", cov_type="design", **survey)           # a valid spec
