"""The measurement stage: correlations, CFA and validity, invariance, common-method variance,
nonresponse, and the flags that travel to the hypotheses. Synthetic data with known loadings, a
known method factor, a marker with known correlations and a known response-time pattern."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliancegov.measurement.correlations import CORRELATION_COLUMNS, correlation_rows, readable_term, vif_table
from alliancegov.measurement.factors import (
    cfa_sample,
    cfa_table,
    fit_quietly,
    held,
    invariance_rows,
    scalar_invariance,
    validity_table,
)
from alliancegov.measurement.flags import carried_by, flag_table, measurement_notes
from alliancegov.measurement.method import harman_rows, marker_rows, method_factor_rows
from alliancegov.measurement.nonresponse import (
    NONRESPONSE_COLUMNS,
    attrition,
    compare_groups,
    early_late,
    nonresponse_table,
    response_rates,
)
from alliancegov.measurement.settings import MeasurementSettings

LOADINGS = {"alpha": [0.8, 0.7, 0.6], "beta": [0.75, 0.75, 0.35], "gamma": [0.7, 0.7, 0.7, 0.7]}


def factor_data(rng, n, loadings=LOADINGS, phi=0.3, method=0.0, cross=None, shift=None, groups=None):
    """Standardised items x = λ f + m M + e (var 1 when the item has no cross-loading), named
    ``<factor><k>``, with factor correlations ``phi``, a method factor ``M`` uncorrelated with the
    traits loading ``method`` on every item, optional cross-loadings ``{item: (factor, λ)}`` and
    intercept shifts ``{item: shift}`` in the rows where ``groups`` is True."""
    names = list(loadings)
    correlation = np.full((len(names), len(names)), phi)
    np.fill_diagonal(correlation, 1.0)
    factors = rng.multivariate_normal(np.zeros(len(names)), correlation, size=n)
    common = rng.normal(size=n)
    columns = {}
    for j, name in enumerate(names):
        for k, lam in enumerate(loadings[name], start=1):
            item = f"{name}{k}"
            unique = np.sqrt(1 - lam ** 2 - method ** 2)
            values = lam * factors[:, j] + method * common + unique * rng.normal(size=n)
            if cross and item in cross:
                other, weight = cross[item]
                values = values + weight * factors[:, names.index(other)]
            if shift and item in shift:
                values = values + shift[item] * np.asarray(groups, dtype=float)
            columns[item] = values
    return pd.DataFrame(columns)


def factors_of(loadings=LOADINGS):
    return {name: [f"{name}{k}" for k in range(1, len(values) + 1)] for name, values in loadings.items()}


# --- CFA and validity --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def known_loadings():
    data = factor_data(np.random.default_rng(11), 4000)
    result, messages = fit_quietly(data, factors_of())
    return data, result, messages


@pytest.fixture(scope="module")
def cross_loaded():
    data = factor_data(np.random.default_rng(10), 4000, cross={"gamma2": ("alpha", 0.45)})
    result, _ = fit_quietly(data, factors_of())
    return data, result


def validity_of(data, result):
    return validity_table(result, data, factors_of(), composite="implied", htmt_form="htmt", htmt_threshold=0.85,
                          loading_threshold=0.5, reliability_threshold=0.7, ave_threshold=0.5, cross_loading_alpha=0.05)


def test_cfa_recovers_the_known_standardised_loadings(known_loadings):
    data, result, messages = known_loadings
    table = cfa_table(result, messages, "every response pooled")
    loadings = table[table["part"] == "loading"].set_index("item")
    for name, values in LOADINGS.items():
        for k, lam in enumerate(values, start=1):
            assert loadings.at[f"{name}{k}", "std_all"] == pytest.approx(lam, abs=0.04)
    assert loadings.loc[["alpha1", "beta1", "gamma1"], "note"].eq("fixed to 1 (marker item)").all()
    assert loadings["std_error"].isna().sum() == 3
    correlations = table[table["part"] == "factor_correlation"]
    assert len(correlations) == 3 and correlations["std_all"].between(0.2, 0.45).all()
    fit = table[table["part"] == "fit"].set_index("measure")
    assert fit.at["n_obs", "estimate"] == 4000 and fit.at["df", "estimate"] == 55 - 23
    assert fit.at["cfi", "estimate"] > 0.99 and fit.at["srmr", "estimate"] < 0.03
    assert "pooled" in fit.at["chisq", "note"] and "listwise" in fit.at["chisq", "note"]
    assert fit.at["rmsea_ci_low", "estimate"] <= fit.at["rmsea", "estimate"] <= fit.at["rmsea_ci_high", "estimate"]


def test_validity_flags_the_weak_item_and_the_low_ave(known_loadings):
    data, result, _ = known_loadings
    table = validity_of(data, result)
    by = table[table["measure"].isin(["alpha", "composite_reliability", "ave"])].set_index(["measure", "scale"])
    # known population values: AVE = mean λ², CR = (Σλ)² / ((Σλ)² + Σ(1 - λ²)) (no method factor)
    lam = np.array(LOADINGS["alpha"])
    assert by.at[("ave", "alpha"), "value"] == pytest.approx((lam ** 2).mean(), abs=0.03)
    cr = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam ** 2).sum())
    assert by.at[("composite_reliability", "alpha"), "value"] == pytest.approx(cr, abs=0.02)
    assert by.at[("ave", "beta"), "flagged"]                   # (.5625 + .5625 + .1225) / 3 < .5
    assert "model-implied" in by.at[("composite_reliability", "alpha"), "method"]
    loadings = table[table["measure"] == "std_loading"].set_index("item")
    assert loadings["flagged"].sum() == 1 and loadings.at["beta3", "flagged"]
    assert not (table["measure"] == "cross_loading").any()   # none in the population; Bonferroni keeps it so
    htmt = table[table["measure"] == "htmt"]
    assert len(htmt) == 3 and not htmt["flagged"].any() and htmt["method"].str.contains("Henseler").all()
    assert not table.loc[table["measure"] == "fornell_larcker", "flagged"].any()


def test_a_known_cross_loading_is_flagged(cross_loaded):
    data, result = cross_loaded
    crossed = validity_of(data, result)
    crossed = crossed[crossed["measure"] == "cross_loading"]
    first = crossed.iloc[0]             # the largest modification index
    assert (first["item"], first["scale"], first["other_scale"]) == ("gamma2", "alpha", "gamma")
    assert first["value"] == pytest.approx(0.45, abs=0.1) and first["p_value"] < 1e-6
    assert "Bonferroni" in first["method"] and first["statistic"] > first["threshold"]


def test_factors_that_are_one_construct_fail_discriminant_validity():
    data = factor_data(np.random.default_rng(12), 2000, loadings={"a": [0.8, 0.8, 0.8], "b": [0.8, 0.8, 0.8]},
                       phi=0.97)
    result, _ = fit_quietly(data, factors_of({"a": [0] * 3, "b": [0] * 3}))
    table = validity_table(result, data, factors_of({"a": [0] * 3, "b": [0] * 3}), composite="observed",
                           htmt_form="htmt2", htmt_threshold=0.85, loading_threshold=0.5, reliability_threshold=0.7,
                           ave_threshold=0.5, cross_loading_alpha=0.05)
    assert table.loc[table["measure"] == "htmt", "flagged"].all()
    assert table.loc[table["measure"] == "fornell_larcker", "flagged"].all()
    assert table.loc[table["measure"] == "htmt", "method"].str.contains("HTMT2").all()
    assert table.loc[table["measure"] == "composite_reliability", "method"].str.contains("observed").all()


def test_latest_keeps_one_response_per_firm():
    frame = pd.DataFrame({"firm_key": ["a", "a", "b", None, "c", "c"], "survey_year": [2024, 2025, 2024, 2025,
                                                                                          2026, 2025],
                          "x": range(6)})
    assert list(cfa_sample(frame, "firm_key", "latest")["x"]) == [1, 2, 3, 4]
    assert cfa_sample(frame, "firm_key", "pooled") is frame


# --- invariance ----------------------------------------------------------------------------------

def test_an_intercept_shift_in_one_wave_fails_scalar_invariance_of_that_scale_only():
    rng = np.random.default_rng(13)
    wave = np.repeat(["w1", "w2", "w3"], 1500)
    data = factor_data(rng, 4500, shift={"alpha2": 0.8}, groups=wave == "w3").assign(wave=wave)
    table = invariance_rows(data, factors_of(), ["wave", "sector"], delta_cfi=0.01, delta_rmsea=0.015)
    assert table.loc[table["grouping"] == "sector", "note"].iloc[0] == "not tested: no column 'sector'"
    waves = table[table["grouping"] == "wave"]
    assert list(waves["scale"].unique()) == ["all", "alpha", "beta", "gamma"]
    assert list(waves["model"].iloc[:3]) == ["configural", "metric", "scalar"]
    assert (waves["n_groups"] == 3).all()
    scalar = scalar_invariance(table).set_index("scale")
    assert not scalar.at["alpha", "held"] and scalar.at["beta", "held"] and scalar.at["gamma", "held"]
    alpha = waves[(waves["scale"] == "alpha") & (waves["model"] == "scalar")].iloc[0]
    assert alpha["p_delta"] < 0.001 and alpha["delta_cfi"] < -0.01


def test_chen_rule_needs_both_a_cfi_drop_and_an_rmsea_rise():
    assert pd.isna(held(pd.Series({"delta_cfi": np.nan, "delta_rmsea": np.nan}), 0.01, 0.015))
    assert held(pd.Series({"delta_cfi": -0.005, "delta_rmsea": 0.04}), 0.01, 0.015)
    assert held(pd.Series({"delta_cfi": -0.02, "delta_rmsea": 0.01}), 0.01, 0.015)
    assert not held(pd.Series({"delta_cfi": -0.02, "delta_rmsea": 0.02}), 0.01, 0.015)
    assert not held(pd.Series({"delta_cfi": -0.02, "delta_rmsea": np.nan}), 0.01, 0.015)


def test_a_grouping_with_too_few_responses_per_group_says_so():
    data = factor_data(np.random.default_rng(14), 60).assign(wave=["w1"] * 57 + ["w2"] * 3)
    table = invariance_rows(data, factors_of(), ["wave"], delta_cfi=0.01, delta_rmsea=0.015)
    assert table["note"].str.startswith("not tested").all()


# --- common-method variance ----------------------------------------------------------------------

def test_a_known_method_factor_is_found_and_its_share_recovered():
    data = factor_data(np.random.default_rng(15), 3000, method=0.5, phi=0.2)
    rows = pd.DataFrame(method_factor_rows(data, factors_of(), equal_loadings=True)).set_index("quantity")
    assert rows.at["delta_chisq", "p_value"] < 1e-6 and rows.at["delta_chisq", "df"] == 1
    assert rows.at["mean_method_share", "value"] == pytest.approx(0.25, abs=0.04)
    harman = pd.DataFrame(harman_rows(data, [i for items in factors_of().values() for i in items]))
    share = harman.set_index(["test", "quantity"]).at[("harman_component", "first_factor_share"), "value"]
    assert 0 < share < 1
    assert harman["note"].str.contains("Podsakoff").any()


def test_without_method_variance_the_method_factor_takes_little():
    data = factor_data(np.random.default_rng(16), 3000, phi=0.2)
    rows = pd.DataFrame(method_factor_rows(data, factors_of(), equal_loadings=True)).set_index("quantity")
    share = rows.at["mean_method_share", "value"]
    # the method variance is estimated near 0, possibly below it (then its share is undefined and said so)
    assert share < 0.02 or (np.isnan(share) and "negative variance" in rows.at["mean_method_share", "note"])
    assert rows.at["delta_chisq", "value"] < 15


def test_harman_share_exceeds_one_half_when_the_method_dominates():
    data = factor_data(np.random.default_rng(17), 2000, method=0.8, loadings={"a": [0.4] * 3, "b": [0.4] * 3},
                       phi=0.0)
    rows = pd.DataFrame(harman_rows(data, list(data.columns))).set_index(["test", "quantity"])
    assert rows.at[("harman_component", "first_factor_share"), "value"] > 0.5


def marker_data(rng, n=6000, rho=0.3, method=0.4):
    """Three substantive variables correlated rho, plus a marker, all sharing a method component
    of loading ``method``: observed r = (1 - m²) ρ + m², r with the marker = m², so Lindell &
    Whitney's correction recovers ρ exactly in the population."""
    traits = rng.multivariate_normal(np.zeros(3), np.full((3, 3), rho) + (1 - rho) * np.eye(3), size=n)
    common = rng.normal(size=n)
    scale = np.sqrt(1 - method ** 2)
    frame = pd.DataFrame(scale * traits + method * common[:, None], columns=["x1", "x2", "x3"])
    frame["marker"] = scale * rng.normal(size=n) + method * common
    frame["firm_key"] = np.repeat(np.arange(n // 2), 2)
    return frame


def test_the_marker_correction_recovers_the_known_correlations():
    frame = marker_data(np.random.default_rng(18))
    rows, r_m = marker_rows(frame, ["x1", "x2", "x3"], "marker")
    assert r_m == pytest.approx(0.16, abs=0.03)
    table = pd.DataFrame(rows)
    adjusted = table[table["quantity"] == "adjusted_correlation"]
    assert len(adjusted) == 3
    np.testing.assert_allclose(adjusted["value"], 0.3, atol=0.04)
    assert (adjusted["df"] == 6000 - 3).all() and "Lindell & Whitney" in table["note"].iloc[0]
    correlations = correlation_rows(frame, ["x1", "x2", "x3", "marker"], cluster="firm_key",
                                    marker_correlation=r_m, marker="marker")
    pairs = correlations[correlations["variable_a"] != correlations["variable_b"]]
    substantive = pairs[~pairs[["variable_a", "variable_b"]].isin(["marker"]).any(axis=1)]
    np.testing.assert_allclose(substantive["marker_adjusted"], adjusted["value"].to_numpy()[[0, 1, 2]], atol=0.02)
    assert substantive["marker_p_value"].lt(1e-6).all()
    assert pairs.loc[pairs["variable_a"] == "marker", "marker_adjusted"].isna().all()


def test_no_marker_gives_a_row_saying_so():
    rows, r_m = marker_rows(pd.DataFrame({"x": [1.0, 2.0]}), ["x"], None)
    assert r_m is None and "no marker" in rows[0]["note"]


# --- correlations and VIF ------------------------------------------------------------------------

def test_correlation_rows_hold_descriptives_on_the_diagonal_and_clustered_tests_below():
    rng = np.random.default_rng(19)
    frame = marker_data(rng, n=400)
    frame.loc[:9, "x2"] = np.nan
    table = correlation_rows(frame, ["x1", "x2", "x3"], cluster="firm_key", reliability={"x1": (0.81, "alpha")})
    assert list(table.columns) == CORRELATION_COLUMNS
    assert list(zip(table["variable_a"], table["variable_b"])) == [
        ("x1", "x1"), ("x2", "x2"), ("x2", "x1"), ("x3", "x3"), ("x3", "x1"), ("x3", "x2")]
    diagonal = table[table["variable_a"] == table["variable_b"]].set_index("variable_a")
    assert diagonal.at["x2", "mean"] == pytest.approx(frame["x2"].mean())
    assert diagonal.at["x2", "sd"] == pytest.approx(frame["x2"].std())
    assert diagonal.at["x2", "n"] == 390 and diagonal.at["x1", "n_clusters"] == 200
    assert diagonal.at["x1", "reliability"] == 0.81 and pd.isna(diagonal.at["x3", "reliability"])
    pair = table[(table["variable_a"] == "x2") & (table["variable_b"] == "x1")].iloc[0]
    assert pair["estimate"] == pytest.approx(frame[["x1", "x2"]].corr().iloc[0, 1])
    assert pair["n"] == 390 and pair["df"] == 194     # 5 firms lost with x2
    listwise = correlation_rows(frame, ["x1", "x2", "x3"], cluster="firm_key", missing="listwise")
    assert (listwise["n"] == 390).all()
    with pytest.raises(ValueError, match="not numeric"):
        correlation_rows(frame.assign(x1="a"), ["x1", "x2"], cluster=None)


def test_vif_table_names_terms_warns_above_the_threshold_and_reports_broken_models(caplog):
    rng = np.random.default_rng(20)
    a = rng.normal(size=300)
    frame = pd.DataFrame({"a": a, "b": a + 0.2 * rng.normal(size=300), "sector": rng.choice(["s", "t", "u"], 300),
                          "y": rng.normal(size=300)})
    with caplog.at_level("WARNING"):
        table = vif_table(frame, {"m1": "a + b + C(sector, Treatment('s'))", "m2": "a + nothing"}, threshold=5,
                          derived={"a2": "a * 2"})
    m1 = table[table["model"] == "m1"].set_index("term")
    assert list(m1.index) == ["sector", "a", "b"] and m1.at["sector", "df"] == 2
    assert m1.at["a", "above_threshold"] and m1.at["a", "warning"].startswith("VIF above 5")
    assert not m1.at["sector", "above_threshold"] and m1.at["sector", "warning"] == ""
    assert "VIF of a in the m1 model" in caplog.text
    assert table.loc[table["model"] == "m2", "warning"].iloc[0].startswith("not computed")
    assert readable_term("C(sector, Treatment('s')):x") == "sector:x"


# --- nonresponse ---------------------------------------------------------------------------------

def test_response_rate_is_rr1_where_the_frame_is_known():
    rows = pd.DataFrame(response_rates({"w1": 250, "w2": 200}, {"w1": 260, "w2": 210}, {"w1": 1000, "w2": None}))
    assert rows.at[0, "estimate"] == 0.25 and rows.at[0, "n_b"] == 1000 and "RR1" in rows.at[0, "test"]
    assert rows.at[0, "note"] == "260 responses received"
    assert pd.isna(rows.at[1, "estimate"]) and "no frame_size" in rows.at[1, "note"]


def timed_wave(rng, n, wave, late_shift=0.0):
    times = pd.date_range(f"{2020 + int(wave[-1])}-03-01", periods=n, freq="D")
    order = rng.permutation(n)
    rank = np.argsort(np.argsort(order))
    x = rng.normal(size=n) + late_shift * (rank >= 2 * n / 3)
    return pd.DataFrame({"wave": wave, "submission_time": times[rank].strftime("%Y-%m-%dT%H:%M:%S"), "x": x,
                         "kind": rng.choice(["a", "b"], n)})


def test_early_late_holds_its_size_and_finds_a_known_pattern():
    rng = np.random.default_rng(21)
    rejections = [early_late(timed_wave(rng, 90, "w1"), ["x"], time_variable="submission_time")[0]["p_value"] < 0.05
                  for _ in range(400)]
    # 400 replicates under no pattern: the rejection rate is 5 % ± 2.2 points (2 SE)
    assert 0.028 < np.mean(rejections) < 0.072
    row = early_late(timed_wave(rng, 300, "w1", late_shift=0.8), ["x", "kind"], time_variable="submission_time")
    numeric, categorical = row
    assert numeric["p_value"] < 0.01 and numeric["estimate"] == pytest.approx(0.8, abs=0.35)
    assert (numeric["n_a"], numeric["n_b"], numeric["test"]) == (100, 100, "Welch two-sample t-test")
    assert categorical["test"].startswith("Pearson") and categorical["df"] == 1


def test_a_wave_without_times_gets_a_row_saying_why():
    frame = pd.DataFrame({"wave": ["w1"] * 10 + ["w2"] * 10, "x": np.arange(20.0),
                          "submission_time": [None] * 10 + [f"2024-01-{d:02d}" for d in range(1, 11)]})
    rows = early_late(frame, ["x"], time_variable="submission_time")
    assert rows[0]["wave"] == "w1" and rows[0]["note"] == "not computed: 0 respondents with a submission time"
    assert rows[1]["wave"] == "w2" and rows[1]["n_a"] == 3 and rows[1]["n_b"] == 3
    assert early_late(frame.drop(columns="submission_time"), ["x"], time_variable="submission_time")[0][
        "note"].startswith("not computed: no column")


def test_attrition_compares_the_lost_firms_on_their_earlier_answers():
    rng = np.random.default_rng(22)
    firms = np.arange(400)
    trust = rng.normal(size=400)
    retained = trust + rng.normal(size=400) > 0          # firms with more trust answer again
    first = pd.DataFrame({"wave": "w1", "survey_year": 2024, "firm_key": firms.astype(str), "trust": trust})
    second = pd.DataFrame({"wave": "w2", "survey_year": 2025, "firm_key": firms[retained].astype(str),
                           "trust": rng.normal(size=retained.sum())})
    rows = attrition(pd.concat([second, first]), ["trust"], cluster="firm_key")
    assert rows[0]["wave"] == "w1→w2" and rows[0]["estimate"] == pytest.approx(retained.mean())
    assert rows[1]["estimate"] < -0.5 and rows[1]["p_value"] < 1e-6
    assert attrition(first, ["trust"], cluster="firm_key")[0]["note"] == "not computed: a single wave"
    assert "no firm key" in attrition(first.drop(columns="firm_key"), ["trust"], cluster="firm_key")[0]["note"]
    table = nonresponse_table(rows)
    assert list(table.columns) == NONRESPONSE_COLUMNS and str(table["n_a"].dtype) == "Int64"


def test_compare_groups_refuses_too_small_groups():
    result = compare_groups(pd.Series([1.0, 2.0, 3.0]), pd.Series([False, False, True]))
    assert result["note"].startswith("not tested") and "p_value" not in result


# --- flags ---------------------------------------------------------------------------------------

def test_a_flag_travels_to_derived_variables_and_the_index():
    derived = {"growth": "log(now / start)", "sat2": "satisfaction * 2", "sat4": "sat2 * 2"}
    index = {"name": "performance_index", "components": ["growth", "sat4"]}
    names = ["now", "start", "satisfaction", "trust"]
    assert carried_by("satisfaction", derived, index, names) == ["satisfaction", "sat2", "sat4", "performance_index"]
    assert carried_by("trust", derived, index, names) == ["trust"]


def flags_for_checks():
    validity = pd.DataFrame({"measure": ["alpha", "ave", "alpha"], "scale": ["learning", "learning", "trust"],
                             "value": [0.6, 0.33, 0.8]})
    scalar = pd.DataFrame({"grouping": ["wave", "wave"], "scale": ["trust", "learning"], "held": [False, True],
                           "delta_cfi": [-0.03, 0.0], "delta_rmsea": [0.03, 0.0]})
    return flag_table(validity, scalar, reliability_threshold=0.7, ave_threshold=0.5, delta_cfi=0.01,
                      derived={}, index={"name": "performance_index", "components": ["learning"]},
                      names=["learning", "trust", "wave"])


def test_flag_table_rows_and_notes():
    flags = flags_for_checks()
    assert list(flags["flagged"]) == [True, True, False, True, False]
    assert flags.loc[0, "note"] == "learning: alpha 0.60 < 0.70" and flags.loc[1, "note"] == "learning: AVE 0.33 < 0.50"
    assert flags.loc[0, "variables"] == "learning performance_index"
    assert flags.loc[3, "comparison"] == "wave" and flags.loc[3, "threshold"] == -0.01


def test_reliability_flags_reach_checks_through_their_model_and_invariance_flags_only_wave_comparisons():
    flags = flags_for_checks()
    columns = ["learning", "trust", "wave", "performance_index", "misfit", "survey_year", "sector"]
    formulas = {"misalignment": ["performance_index", "misfit + trust"]}
    on_misalignment = measurement_notes({"table": "misalignment", "where": {"term": "misfit"}}, flags, columns,
                                        formulas)
    assert on_misalignment == ("measurement: learning: alpha 0.60 < 0.70 (in the model); "
                               "learning: AVE 0.33 < 0.50 (in the model)")
    on_shares = measurement_notes({"test": "largest_share", "group": "misalignment"}, flags, columns,
                                  {"importance": ["learning"]})
    assert on_shares.startswith("measurement: learning: alpha 0.60 < 0.70 (in the model)")
    assert measurement_notes({"test": "mean", "variable": "trust"}, flags, columns, formulas) == ""
    across_waves = measurement_notes({"test": "logit", "expression": "trust > 3", "formula": "C(wave)"}, flags,
                                     columns, formulas)
    assert across_waves == "measurement: trust: scalar invariance across wave not supported " \
                           "(do not compare its means across wave)"
    by_year = measurement_notes({"test": "ordered_logit", "outcome": "x", "formula": "trust + survey_year"}, flags,
                                columns, formulas)
    assert "scalar invariance" in by_year
    # trust in the model of a table is not a comparison of its means across waves
    assert measurement_notes({"table": "t", "where": {"term": "wave[w2]"}}, flags, columns, {"t": ["trust"]}) == ""


def test_the_hypotheses_get_the_notes(tmp_path):
    from alliancegov.hypotheses.register import evaluate_register

    frame = pd.DataFrame({"learning": np.linspace(2, 4, 50), "trust": np.linspace(3, 5, 50)})
    register = {"cluster": None, "hypotheses": [{"id": "H", "claim_en": "c", "checks": [
        {"test": "mean", "variable": "learning", "value": 3, "expected": "positive"},
        {"test": "mean", "variable": "trust", "value": 3, "expected": "positive"}]}]}
    table = evaluate_register(register, {}, frame, flags=flags_for_checks())
    assert table.loc[0, "note"] == "measurement: learning: alpha 0.60 < 0.70; learning: AVE 0.33 < 0.50"
    assert table.loc[1, "note"] == ""
    assert evaluate_register(register, {}, frame)["note"].eq("").all()


# --- settings ------------------------------------------------------------------------------------

def test_settings_defaults_and_refusals(codebook):
    settings = MeasurementSettings.from_config({}, codebook)
    assert settings.scales == tuple(codebook.scales["scale"]) and settings.correlation_variables == settings.scales
    assert (settings.diagonal, settings.significance, settings.htmt, settings.composite_reliability) == (
        "alpha", "stars", "htmt", "implied")
    assert settings.stars == (0.05, 0.01, 0.001) and settings.invariance_groups == ("wave",)
    marked = MeasurementSettings.from_config({"common_method": {"marker": "scale_motive"},
                                              "correlations": {"variables": ["trust", "firm_age"]}}, codebook)
    assert "scale_motive" not in marked.scales and marked.correlation_variables == ("trust", "firm_age", "scale_motive")
    assert marked.key_variables == marked.correlation_variables
    with pytest.raises(ValueError, match="not scales"):
        MeasurementSettings.from_config({"scales": ["nope"]}, codebook)
    with pytest.raises(ValueError, match="also listed"):
        MeasurementSettings.from_config({"scales": ["trust"], "common_method": {"marker": "trust"}}, codebook)
    with pytest.raises(ValueError, match="htmt"):
        MeasurementSettings.from_config({"cfa": {"htmt": "htmt3"}}, codebook)
    with pytest.raises(ValueError, match="not columns"):
        marked.check_columns(["trust"])


# --- the stage -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_project(tmp_path_factory, codebook, small_waves):
    """A small simulated project: the analysis frame of three waves of 120 firms and its sample flow."""
    from alliancegov.constructs.scores import score_responses
    from tests.conftest import CODEBOOK_DIR

    folder = tmp_path_factory.mktemp("measurement")
    pooled = pd.concat(small_waves, ignore_index=True).drop(columns=list(codebook.scales["scale"]), errors="ignore")
    pooled["firm_key"] = pooled["registry_number"]
    pooled["survey_year"] = pooled["wave"].str[-4:].astype(int) if pooled["wave"].str[-4:].str.isdigit().all() \
        else pd.to_datetime(pooled["submission_time"]).dt.year
    score_responses(pooled, codebook).to_parquet(folder / "analysis.parquet")
    flow = pd.DataFrame([{"wave": w, "step": step, "reason": "", "n": n}
                         for w, part in pooled.groupby("wave") for step, n in (("received", len(part) + 4),
                                                                             ("analysed", len(part)))])
    flow.to_csv(folder / "sample_flow.csv", index=False)
    files = [str(CODEBOOK_DIR / name) for name in ("variables.csv", "value_sets.csv", "scales.csv")]
    return folder, files, sorted(pooled["wave"].unique())


def test_the_stage_writes_every_table_tidy(small_project):
    import yaml

    from alliancegov.measurement.stage import OUTPUTS, run
    from tests.conftest import ROOT

    folder, files, waves = small_project
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    outputs = {key: str(folder / "out" / f"{key}.csv") for key in OUTPUTS}
    tables = run(data=str(folder / "analysis.parquet"), sample_flow=str(folder / "sample_flow.csv"), codebook=files,
                 outputs=outputs, settings={"invariance": {"groups": ["wave", "sector"]},
                                            "scales": ["asset_specificity", "environmental_uncertainty", "trust",
                                                       "learning"],
                                            "common_method": {"marker": "scale_motive"},
                                            "correlations": {"variables": ["trust", "learning", "firm_age"]}},
                 performance=config["performance"],
                 formulas={"choice": config["choice"]["formula"], "performance": "trust + partner_distance"},
                 frame_sizes={waves[0]: 500})
    for key in OUTPUTS:
        written = pd.read_csv(outputs[key])
        assert list(written.columns) == list(tables[key].columns) and len(written) == len(tables[key]), key
    correlations = tables["correlations"]
    # the marker joins the table; the other pairs are corrected for it
    assert len(correlations) == 10
    assert set(correlations["variable_a"]) == {"trust", "learning", "firm_age", "scale_motive"}
    pairs = correlations[(correlations["variable_a"] != correlations["variable_b"])
                         & ~correlations[["variable_a", "variable_b"]].isin(["scale_motive"]).any(axis=1)]
    assert pairs["marker_adjusted"].notna().all()
    marker = tables["common_method"].query("test == 'marker' and quantity == 'marker_correlation'")
    assert len(marker) == 1 and marker["variable_a"].iloc[0] == "scale_motive"
    assert correlations["n_clusters"].max() < correlations["n"].max()       # firms repeat across waves
    fit = tables["cfa"][tables["cfa"]["part"] == "fit"].set_index("measure")["estimate"]
    assert fit["df"] > 0 and 0 <= fit["cfi"] <= 1
    assert set(tables["invariance"]["grouping"]) == {"wave", "sector"}
    assert set(tables["validity"]["measure"]) >= {"alpha", "composite_reliability", "ave", "htmt", "fornell_larcker",
                                                  "std_loading"}
    nonresponse = tables["nonresponse"]
    rates = nonresponse[nonresponse["analysis"] == "response_rate"].set_index("wave")
    assert rates.at[waves[0], "estimate"] == pytest.approx(120 / 500) and rates["estimate"].isna().sum() == 2
    assert set(nonresponse["analysis"]) == {"response_rate", "early_late", "attrition"}
    assert set(tables["common_method"]["test"]) == {"harman_component", "harman_principal_axis", "ulmc", "marker"}
    flags = tables["flags"]
    assert set(flags["criterion"]) == {"alpha", "composite_reliability", "ave", "scalar_invariance"}
    assert set(tables["vif"]["model"]) == {"choice", "performance"}
    assert Path(outputs["flags"]).read_text(encoding="utf-8").startswith("scale,criterion,value")


def test_a_two_item_scale_is_in_the_whole_model_but_not_tested_alone():
    loadings = {"a": [0.8, 0.7], "b": [0.7, 0.7, 0.7]}
    data = factor_data(np.random.default_rng(23), 1200, loadings=loadings).assign(wave=np.repeat(["w1", "w2"], 600))
    table = invariance_rows(data, factors_of(loadings), ["wave"], delta_cfi=0.01, delta_rmsea=0.015)
    assert list(table.loc[table["scale"] == "a", "note"]) == [
        "not tested alone: fewer than three items (a one-factor model is not identified)"]
    assert len(table[table["scale"] == "all"]) == 3 and len(table[table["scale"] == "b"]) == 3
