"""Tests of ``alliancegov.stats.cfa``, ``.invariance``, ``.validity`` and ``.common_method``.

References (details and licences in ``tests/stats/data/README.md``), all on the Holzinger &
Swineford (1939) data in ``tests/stats/data/holzinger_swineford1939.csv``:

* [lavaan cfa] lavaan tutorial "A CFA example", https://lavaan.ugent.be/tutorial/cfa.html
  (``summary(fit, fit.measures = TRUE)``, lavaan 0.6-11);
* [lavaan groups] lavaan tutorial "Multiple groups", https://lavaan.ugent.be/tutorial/groups.html
  (lavaan 0.5-16 output with semTools' ``measurementInvariance()``);
* [lavaan modindices] lavaan tutorial "Modification indices",
  https://lavaan.ugent.be/tutorial/modindices.html;
* [local R] ``tests/stats/data/lavaan_reference.R`` run with Debian's lavaan 0.6.14 and semTools
  0.5-6, for numbers the tutorial does not print;
* semopy 2.3.11 fitted here, as a second implementation.

Published numbers are printed to 3 decimals, so they are compared within half a unit of the last
digit (``PRINTED``); ``[local R]`` numbers were copied to 6 decimals (``SIX_DECIMALS``).
"""

import io
import statistics

import numpy as np
import pandas as pd
import pytest

from alliancegov.stats.cfa.fitting import PARAMETER_COLUMNS, fit_cfa
from alliancegov.stats.cfa.modification import modification_indices
from alliancegov.stats.common_method import harman_single_factor, marker_variable_correction, method_factor_test
from alliancegov.stats.invariance import COMPARISON_COLUMNS, compare_fits, invariance_table
from alliancegov.stats.validity import (
    cross_loadings,
    fornell_larcker,
    htmt,
    listwise_correlation,
    loading_flags,
    reliability,
)
from tests.conftest import ROOT

PRINTED = 5e-4 + 2e-6          # half a unit of the 3rd decimal, plus the optimiser's tolerance
SIX_DECIMALS = 5e-6 + 2e-6
HS_FACTORS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
ITEMS = [f"x{i}" for i in range(1, 10)]


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "stats" / "data" / "holzinger_swineford1939.csv", comment="#")


@pytest.fixture(scope="module")
def hs_fit(hs):
    return fit_cfa(hs, HS_FACTORS)


def published(text: str) -> pd.DataFrame:
    """Lines ``lhs op rhs estimate std_error`` as a DataFrame; an intercept (``~1``) has no rhs."""
    rows = []
    for line in text.strip().splitlines():
        lhs, op, *rest = line.split()
        rhs = "" if op == "~1" else rest.pop(0)
        rows.append((lhs, op, rhs, float(rest[0]), float(rest[1])))
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se"])


def compare(params: pd.DataFrame, reference: pd.DataFrame, tolerance: float, group=None) -> None:
    rows = params if group is None else params[params["group"] == group]
    merged = reference.merge(rows, on=["lhs", "op", "rhs"], how="left", validate="one_to_one")
    assert merged["estimate"].notna().all(), merged[merged["estimate"].isna()]
    np.testing.assert_allclose(merged["estimate"], merged["est"], atol=tolerance, rtol=0)
    np.testing.assert_allclose(merged["std_error"], merged["se"], atol=tolerance, rtol=0)


# --------------------------------------------------------------------------------------------
# single group: lavaan's tutorial
# --------------------------------------------------------------------------------------------

# [lavaan cfa] "Latent Variables", "Covariances" and "Variances" (estimate, Std.Err)
HS_ESTIMATES = """
visual  =~ x2 0.554 0.100
visual  =~ x3 0.729 0.109
textual =~ x5 1.113 0.065
textual =~ x6 0.926 0.055
speed   =~ x8 1.180 0.165
speed   =~ x9 1.082 0.151
visual  ~~ textual 0.408 0.074
visual  ~~ speed 0.262 0.056
textual ~~ speed 0.173 0.049
x1 ~~ x1 0.549 0.114
x2 ~~ x2 1.134 0.102
x3 ~~ x3 0.844 0.091
x4 ~~ x4 0.371 0.048
x5 ~~ x5 0.446 0.058
x6 ~~ x6 0.356 0.043
x7 ~~ x7 0.799 0.081
x8 ~~ x8 0.488 0.074
x9 ~~ x9 0.566 0.071
visual ~~ visual 0.809 0.145
textual ~~ textual 0.979 0.112
speed ~~ speed 0.384 0.086
"""


def test_holzinger_swineford_fit_measures_match_the_lavaan_tutorial(hs_fit):
    # [lavaan cfa] header, "Model Test Baseline Model", "User Model versus Baseline Model",
    # "Loglikelihood and Information Criteria", RMSEA and SRMR sections
    expected = {"npar": 21, "chisq": 85.306, "df": 24, "baseline_chisq": 918.852, "baseline_df": 36,
                "cfi": 0.931, "tli": 0.896, "loglik": -3737.745, "loglik_h1": -3695.092, "aic": 7517.490,
                "bic": 7595.339, "rmsea": 0.092, "rmsea_ci_low": 0.071, "rmsea_ci_high": 0.114,
                "rmsea_p_close": 0.001, "srmr": 0.065}
    assert hs_fit.converged
    assert hs_fit.fit["n_obs"] == 301 and hs_fit.fit["n_dropped"] == 0
    for name, value in expected.items():
        assert hs_fit.fit[name] == pytest.approx(value, abs=PRINTED), name
    # [local R] to 6 decimals, which tells RMSEA with N (lavaan, .092121) from N - 1 (.092280)
    expected = {"rmsea": 0.092121, "rmsea_ci_low": 0.071418, "rmsea_ci_high": 0.113678,
                "rmsea_p_close": 0.000661, "srmr": 0.065205}
    for name, value in expected.items():
        assert hs_fit.fit[name] == pytest.approx(value, abs=SIX_DECIMALS), name


def test_holzinger_swineford_estimates_match_the_lavaan_tutorial(hs_fit):
    params = hs_fit.params
    assert list(params.columns) == PARAMETER_COLUMNS
    compare(params, published(HS_ESTIMATES), PRINTED)
    # [lavaan cfa] z-values of the loadings
    loadings = params[(params["op"] == "=~") & params["std_error"].notna()].set_index("rhs")["statistic"]
    np.testing.assert_allclose(loadings[["x2", "x3", "x5", "x6", "x8", "x9"]],
                               [5.554, 6.685, 17.014, 16.703, 7.152, 7.155], atol=PRINTED)
    markers = params[(params["op"] == "=~") & params["rhs"].isin(["x1", "x4", "x7"])]
    assert (markers["estimate"] == 1).all() and markers["std_error"].isna().all()
    assert not (params["op"] == "~1").any()            # no mean structure in a single group, as lavaan


def test_completely_standardised_estimates_match_lavaan(hs_fit):
    # [local R] parameterEstimates(fit, standardized = TRUE)$std.all
    expected = {("visual", "=~", "x1"): 0.771880, ("visual", "=~", "x2"): 0.423601,
                ("textual", "=~", "x5"): 0.855065, ("speed", "=~", "x9"): 0.665009,
                ("x2", "~~", "x2"): 0.820562, ("x7", "~~", "x7"): 0.675653,
                ("visual", "~~", "textual"): 0.458509, ("visual", "~~", "speed"): 0.470535,
                ("textual", "~~", "speed"): 0.282985, ("speed", "~~", "speed"): 1.0}
    table = hs_fit.params.set_index(["lhs", "op", "rhs"])["std_all"]
    for key, value in expected.items():
        assert table[key] == pytest.approx(value, abs=SIX_DECIMALS), key


def test_std_lv_is_the_same_model_rescaled(hs, hs_fit):
    standardised = fit_cfa(hs, HS_FACTORS, std_lv=True)
    assert standardised.fit["chisq"] == pytest.approx(hs_fit.fit["chisq"], rel=1e-8)
    assert standardised.fit["df"] == hs_fit.fit["df"]
    # a marker loading λ_i relative to the free-variance metric: λ_i sqrt(φ) with φ the marker-scale variance
    marker = hs_fit.loadings() * np.sqrt(np.diag(hs_fit.factor_covariance().to_numpy()))
    np.testing.assert_allclose(standardised.loadings().to_numpy(), marker.to_numpy(), atol=1e-5)
    np.testing.assert_allclose(np.diag(standardised.factor_covariance()), 1.0)


def test_parameters_agree_with_semopy(hs, hs_fit):
    import semopy  # a test extra, imported here because it takes a second

    model = semopy.Model("\n".join(f"{factor} =~ {' + '.join(items)}" for factor, items in HS_FACTORS.items()))
    model.fit(hs[ITEMS], options={"ftol": 1e-12})
    theirs = model.inspect(std_est=True)
    loading = theirs["op"] == "~"
    # semopy writes a loading as "item ~ factor"
    theirs["lhs"] = np.where(loading, theirs["rval"], theirs["lval"])
    theirs["rhs"] = np.where(loading, theirs["lval"], theirs["rval"])
    theirs["op"] = np.where(loading, "=~", theirs["op"])
    # semopy lists one of the two orders of a factor covariance
    ours = hs_fit.params
    swapped = ours.rename(columns={"lhs": "rhs", "rhs": "lhs"})
    both = pd.concat([ours, swapped[ours["lhs"] != ours["rhs"]]])
    merged = theirs.merge(both, on=["lhs", "op", "rhs"], validate="one_to_one")
    assert len(merged) == len(ours)
    np.testing.assert_allclose(merged["estimate"], merged["Estimate"], atol=1e-5)
    np.testing.assert_allclose(merged["std_all"], merged["Est. Std"], atol=1e-5)
    free = merged["std_error"].notna()
    np.testing.assert_allclose(merged.loc[free, "std_error"], merged.loc[free, "Std. Err"].astype(float), atol=1e-5)


def test_modification_indices_match_the_lavaan_tutorial(hs_fit):
    # [lavaan modindices] mi[mi$op == "=~", ]: lhs rhs mi epc sepc.all
    expected = pd.read_csv(io.StringIO("""
visual x4 1.211 0.077 0.059
visual x5 7.441 -0.210 -0.147
visual x6 2.843 0.111 0.092
visual x7 18.631 -0.422 -0.349
visual x8 4.295 -0.210 -0.187
visual x9 36.411 0.577 0.515
textual x1 8.903 0.350 0.297
textual x2 0.017 -0.011 -0.010
textual x3 9.151 -0.272 -0.238
textual x7 0.098 -0.021 -0.019
textual x8 3.359 -0.121 -0.118
textual x9 4.796 0.138 0.136
speed x1 0.014 0.024 0.013
speed x2 1.580 -0.198 -0.105
speed x3 0.716 0.136 0.075
speed x4 0.003 -0.005 -0.003
speed x5 0.201 -0.044 -0.021
speed x6 0.273 0.044 0.025
""".strip()), sep=" ", names=["lhs", "rhs", "mi_lavaan", "epc_lavaan", "sepc_lavaan"])
    merged = expected.merge(modification_indices(hs_fit), on=["lhs", "rhs"], validate="one_to_one")
    assert len(merged) == 18 and (merged["op"] == "=~").all()
    np.testing.assert_allclose(merged["mi"], merged["mi_lavaan"], atol=PRINTED)
    np.testing.assert_allclose(merged["epc"], merged["epc_lavaan"], atol=PRINTED)
    np.testing.assert_allclose(merged["sepc_all"], merged["sepc_lavaan"], atol=PRINTED)
    flagged = cross_loadings(hs_fit)
    assert flagged["mi"].is_monotonic_decreasing
    assert set(flagged.loc[flagged["flagged"], "rhs"] + "<-" + flagged.loc[flagged["flagged"], "lhs"]) == {
        "x9<-visual", "x7<-visual", "x3<-textual", "x1<-textual", "x5<-visual", "x8<-visual", "x9<-textual"}


# --------------------------------------------------------------------------------------------
# several groups: lavaan's tutorial
# --------------------------------------------------------------------------------------------

# [lavaan groups] configural model, group 1 [Pasteur] and group 2 [Grant-White]
CONFIGURAL = {"Pasteur": """
visual =~ x2 0.394 0.122
visual =~ x3 0.570 0.140
textual =~ x5 1.183 0.102
textual =~ x6 0.875 0.077
speed =~ x8 1.125 0.277
speed =~ x9 0.922 0.225
visual ~~ textual 0.479 0.106
visual ~~ speed 0.185 0.077
textual ~~ speed 0.182 0.069
x1 ~1 4.941 0.095
x5 ~1 3.995 0.105
x9 ~1 5.418 0.079
x1 ~~ x1 0.298 0.232
x2 ~~ x2 1.334 0.158
x6 ~~ x6 0.290 0.050
x9 ~~ x9 0.680 0.104
visual ~~ visual 1.097 0.276
textual ~~ textual 0.894 0.150
speed ~~ speed 0.350 0.126
""", "Grant-White": """
visual =~ x2 0.736 0.155
visual =~ x3 0.925 0.166
textual =~ x5 0.990 0.087
textual =~ x6 0.963 0.085
speed =~ x8 1.226 0.187
speed =~ x9 1.058 0.165
visual ~~ textual 0.408 0.098
visual ~~ speed 0.276 0.076
textual ~~ speed 0.222 0.073
x2 ~1 6.200 0.092
x6 ~1 2.469 0.094
x7 ~1 3.921 0.086
x1 ~~ x1 0.715 0.126
x3 ~~ x3 0.557 0.103
x8 ~~ x8 0.401 0.094
visual ~~ visual 0.604 0.160
textual ~~ textual 0.942 0.152
speed ~~ speed 0.461 0.118
"""}

# [lavaan groups] group.equal = "loadings": the common loadings, and each group's factor covariances
METRIC = {"Pasteur": """
visual =~ x2 0.599 0.100
visual =~ x3 0.784 0.108
textual =~ x5 1.083 0.067
textual =~ x6 0.912 0.058
speed =~ x8 1.201 0.155
speed =~ x9 1.038 0.136
visual ~~ textual 0.416 0.097
visual ~~ speed 0.169 0.064
textual ~~ speed 0.176 0.061
visual ~~ visual 0.805 0.171
speed ~~ speed 0.305 0.078
x1 ~1 4.941 0.093
""", "Grant-White": """
visual =~ x2 0.599 0.100
speed =~ x9 1.038 0.136
visual ~~ textual 0.437 0.099
visual ~~ speed 0.314 0.079
textual ~~ speed 0.226 0.072
visual ~~ visual 0.722 0.161
textual ~~ textual 0.906 0.136
x5 ~~ x5 0.384 0.073
"""}


@pytest.mark.parametrize(("group_equal", "reference", "chisq", "df", "by_group"), [
    ((), CONFIGURAL, 115.851, 48, {"Pasteur": 64.309, "Grant-White": 51.542}),
    (("loadings",), METRIC, 124.044, 54, {"Pasteur": 68.825, "Grant-White": 55.219}),
])
def test_multigroup_fits_match_the_lavaan_groups_tutorial(hs, group_equal, reference, chisq, df, by_group):
    result = fit_cfa(hs, HS_FACTORS, group="school", group_equal=group_equal)
    assert result.converged
    assert result.groups == ("Pasteur", "Grant-White")           # lavaan's order: first appearance
    assert result.n_obs.to_dict() == {"Pasteur": 156, "Grant-White": 145}
    assert result.fit["chisq"] == pytest.approx(chisq, abs=PRINTED)
    assert result.fit["df"] == df
    for group, value in by_group.items():
        assert result.chisq_by_group[group] == pytest.approx(value, abs=PRINTED)
    for group, text in reference.items():
        compare(result.params, published(text), PRINTED, group=group)
    means = result.params[(result.params["op"] == "~1") & result.params["lhs"].isin(HS_FACTORS)]
    assert (means["estimate"] == 0).all() and means["std_error"].isna().all()


def test_invariance_table_matches_measurement_invariance_output(hs):
    table = invariance_table(hs, HS_FACTORS, "school")
    assert list(table.columns) == COMPARISON_COLUMNS
    assert list(table["model"]) == ["configural", "metric", "scalar"]
    # [lavaan groups] measurementInvariance(): Models 1-3 and "[Model 1 versus model 2]",
    # "[Model 2 versus model 3]" (delta.cfi printed as the earlier minus the later model)
    np.testing.assert_allclose(table["chisq"], [115.851, 124.044, 164.103], atol=PRINTED)
    np.testing.assert_array_equal(table["df"], [48, 54, 60])
    np.testing.assert_allclose(table["cfi"], [0.923, 0.921, 0.882], atol=PRINTED)
    np.testing.assert_allclose(table["rmsea"], [0.097, 0.093, 0.107], atol=PRINTED)
    np.testing.assert_allclose(table["delta_chisq"][1:], [8.192, 40.059], atol=PRINTED)
    np.testing.assert_array_equal(table["delta_df"][1:], [6, 6])
    assert table["p_delta"][1] == pytest.approx(0.224, abs=PRINTED)
    assert table["p_delta"][2] < 0.0005
    np.testing.assert_allclose(-table["delta_cfi"][1:], [0.002, 0.038], atol=PRINTED)
    # [local R] fitMeasures(): SRMR of the three models
    np.testing.assert_allclose(table["srmr"], [0.067864, 0.071652, 0.082447], atol=SIX_DECIMALS)
    assert table[["delta_chisq", "p_delta", "delta_cfi"]].iloc[0].isna().all()


def test_scalar_model_bic_rmsea_interval_and_latent_means(hs):
    scalar = fit_cfa(hs, HS_FACTORS, group="school", group_equal=("loadings", "intercepts"))
    # [lavaan groups] measurementInvariance(), Model 3 bic; configural vs scalar delta.chisq 48.251 on 12 df
    assert scalar.fit["bic"] == pytest.approx(7686.588, abs=PRINTED)
    configural = fit_cfa(hs, HS_FACTORS, group="school")
    assert configural.fit["bic"] == pytest.approx(7706.822, abs=PRINTED)
    assert scalar.fit["chisq"] - configural.fit["chisq"] == pytest.approx(48.251, abs=2 * PRINTED)
    # [local R] RMSEA 90 % interval of the scalar model
    assert scalar.fit["rmsea_ci_low"] == pytest.approx(0.087904, abs=SIX_DECIMALS)
    assert scalar.fit["rmsea_ci_high"] == pytest.approx(0.127194, abs=SIX_DECIMALS)
    means = scalar.params[(scalar.params["op"] == "~1") & scalar.params["lhs"].isin(HS_FACTORS)]
    pasteur, grant_white = (means[means["group"] == g].set_index("lhs") for g in ("Pasteur", "Grant-White"))
    assert (pasteur["estimate"] == 0).all()                 # fixed in the first group
    assert grant_white["std_error"].notna().all()           # free in the others
    intercepts = scalar.params[(scalar.params["op"] == "~1") & scalar.params["lhs"].isin(ITEMS)]
    by_group = intercepts.pivot(index="lhs", columns="group", values="estimate")
    np.testing.assert_array_equal(by_group["Pasteur"], by_group["Grant-White"])


def test_equal_latent_means_and_strict_invariance(hs):
    table = invariance_table(hs, HS_FACTORS, "school", steps=("scalar", "means")).set_index("model")
    # [lavaan groups] measurementInvariance(), Model 4 (equal loadings + intercepts + means) and
    # "[Model 3 versus model 4]"
    means = table.loc["means"]
    assert (means["chisq"], means["df"]) == (pytest.approx(204.605, abs=PRINTED), 63)
    assert (means["cfi"], means["rmsea"]) == (pytest.approx(0.840, abs=PRINTED), pytest.approx(0.122, abs=PRINTED))
    assert (means["delta_chisq"], means["delta_df"]) == (pytest.approx(40.502, abs=PRINTED), 3)
    strict = invariance_table(hs, HS_FACTORS, "school", steps=("strict",)).iloc[0]
    # [local R] group.equal = c("loadings", "intercepts", "residuals")
    assert (strict["npar"], strict["df"]) == (39, 69)
    assert strict["chisq"] == pytest.approx(181.511345, abs=SIX_DECIMALS)
    assert strict["srmr"] == pytest.approx(0.088263, abs=SIX_DECIMALS)
    with pytest.raises(ValueError, match="weak"):
        invariance_table(hs, HS_FACTORS, "school", steps=("configural", "weak"))


def test_std_lv_frees_the_factor_variances_of_later_groups_under_metric_invariance(hs):
    result = fit_cfa(hs, HS_FACTORS, group="school", group_equal=("loadings",), std_lv=True)
    # the same model as with marker items: [lavaan groups] 124.044 on 54 df
    assert result.fit["chisq"] == pytest.approx(124.044, abs=PRINTED)
    assert result.fit["df"] == 54
    variances = result.params[(result.params["op"] == "~~") & (result.params["lhs"] == result.params["rhs"])
                              & result.params["lhs"].isin(HS_FACTORS)]
    assert variances.groupby("group")["std_error"].apply(lambda se: se.notna().all()).to_dict() == {
        "Pasteur": False, "Grant-White": True}


def test_group_as_codes_equals_group_as_column(hs):
    by_column = fit_cfa(hs, HS_FACTORS, group="school", group_equal=("loadings",))
    by_codes = fit_cfa(hs.drop(columns="school"), HS_FACTORS, group=hs["school"].to_numpy(),
                       group_equal=("loadings",))
    pd.testing.assert_frame_equal(by_column.params, by_codes.params)


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------


def test_listwise_deletion_counts_rows_and_fits_the_complete_rows(hs):
    holes = hs.copy()
    holes.loc[[3, 10, 11], "x2"] = np.nan
    holes.loc[11, "x7"] = np.nan
    holes.loc[50, "school"] = None
    result = fit_cfa(holes, HS_FACTORS, group="school")
    assert result.fit["n_dropped"] == 4
    assert result.fit["n_obs"] == 297
    complete = fit_cfa(holes.dropna(subset=[*ITEMS, "school"]), HS_FACTORS, group="school")
    assert result.fit["chisq"] == pytest.approx(complete.fit["chisq"], rel=1e-10)


def test_unidentified_model_warns_and_has_no_standard_errors(hs):
    with pytest.warns(RuntimeWarning, match="not identified"):
        result = fit_cfa(hs, {"pair": ["x1", "x2"]})         # 4 parameters, 3 moments
    assert result.params["std_error"].isna().all()


def test_bad_arguments_are_refused(hs):
    with pytest.raises(KeyError, match="x99"):
        fit_cfa(hs, {"f": ["x1", "x2", "x99"]})
    with pytest.raises(ValueError, match="group_equal"):
        fit_cfa(hs, HS_FACTORS, group="school", group_equal=("thresholds",))
    with pytest.raises(KeyError, match="method"):
        fit_cfa(hs, HS_FACTORS, uncorrelated=("method",))
    with pytest.raises(ValueError, match="twice"):
        fit_cfa(hs, {"f": ["x1", "x2", "x1"]})


# --------------------------------------------------------------------------------------------
# validity statistics
# --------------------------------------------------------------------------------------------


def test_reliability_and_ave_match_semtools(hs_fit):
    table = reliability(hs_fit).set_index("factor")
    # [local R] compRelSEM(fit) (observed sum-score variance), compRelSEM(fit, obs.var = FALSE), AVE(fit)
    np.testing.assert_allclose(table["omega_observed"], [0.612005, 0.885061, 0.685842], atol=SIX_DECIMALS)
    np.testing.assert_allclose(table["omega_implied"], [0.625318, 0.885175, 0.687760], atol=SIX_DECIMALS)
    np.testing.assert_allclose(table["ave_observed"], [0.370559, 0.721016, 0.424488], atol=SIX_DECIMALS)
    # Fornell-Larcker AVE: mean squared std.all loading, from [local R] std.all
    visual = np.mean(np.square([0.771880, 0.423601, 0.581132]))
    assert table.loc["visual", "ave"] == pytest.approx(visual, abs=1e-5)
    # Jöreskog's form (Σλ)²φ / ((Σλ)²φ + Σθ) from [lavaan cfa]'s estimates equals omega_implied
    loading_sum, variance, residuals = 1 + 0.554 + 0.729, 0.809, 0.549 + 1.134 + 0.844
    joreskog = loading_sum ** 2 * variance / (loading_sum ** 2 * variance + residuals)
    assert table.loc["visual", "omega_implied"] == pytest.approx(joreskog, abs=2e-3)


def test_fornell_larcker_compares_root_ave_with_factor_correlations(hs_fit):
    table = fornell_larcker(hs_fit)
    assert len(table) == 3 and table["discriminant"].all()
    pair = table.set_index(["factor_a", "factor_b"]).loc[("visual", "textual")]
    assert pair["correlation"] == pytest.approx(0.458509, abs=SIX_DECIMALS)      # [local R] std.all
    ave = reliability(hs_fit).set_index("factor")["ave"]
    assert pair["sqrt_ave_a"] == pytest.approx(np.sqrt(ave["visual"]))


def _htmt_by_hand(R: pd.DataFrame, first: list[str], second: list[str], mean) -> float:
    """HTMT written out pair by pair from its definition, with the given kind of mean."""
    hetero = [abs(R.loc[a, b]) for a in first for b in second]

    def mono(items):
        return [abs(R.loc[items[i], items[j]]) for i in range(len(items)) for j in range(i + 1, len(items))]

    return mean(hetero) / (mean(mono(first)) * mean(mono(second))) ** 0.5


@pytest.mark.parametrize(("method", "semtools", "mean"), [
    # [local R] htmt(model, data, htmt2 = TRUE) and htmt2 = FALSE: visual-textual, visual-speed, textual-speed
    ("htmt2", [0.384089, 0.386773, 0.279684], statistics.geometric_mean),
    ("htmt", [0.424323, 0.466550, 0.289568], statistics.fmean),
])
def test_htmt_matches_semtools_and_a_hand_computation(hs, method, semtools, mean):
    R, n_obs = listwise_correlation(hs, ITEMS)
    assert n_obs == 301
    table = htmt(R, HS_FACTORS, method=method)
    assert table["method"].str.startswith("HTMT2" if method == "htmt2" else "HTMT,").all()
    np.testing.assert_allclose(table["value"], semtools, atol=SIX_DECIMALS)
    for _, row in table.iterrows():
        hand = _htmt_by_hand(R, HS_FACTORS[row["factor_a"]], HS_FACTORS[row["factor_b"]], mean)
        assert row["value"] == pytest.approx(hand, rel=1e-12)


def test_low_loadings_are_flagged(hs_fit):
    flags = loading_flags(hs_fit)
    assert len(flags) == 9
    # std.all of x2 is .424 in [local R]; every other loading is above .5
    assert flags.loc[flags["low_loading"], "item"].tolist() == ["x2"]


def test_equal_loading_method_factor_matches_lavaan(hs):
    with pytest.warns(RuntimeWarning, match="not positive definite"):
        result = method_factor_test(hs, HS_FACTORS, equal_loadings=True, std_lv=True)
    with_method = result.comparison.iloc[0]
    # [local R] the ULMC of lavaan_reference.R: npar 22, chisq 54.89683 on 23 df; method loading .636209 (.040068)
    assert with_method["npar"] == 22 and with_method["df"] == 23
    assert with_method["chisq"] == pytest.approx(54.89683, abs=SIX_DECIMALS)
    loadings = result.with_method.params.query("lhs == 'method' and op == '=~'")
    np.testing.assert_allclose(loadings["estimate"], 0.636209, atol=SIX_DECIMALS)
    np.testing.assert_allclose(loadings["std_error"], 0.040068, atol=SIX_DECIMALS)
    shares = result.variance_shares.set_index("item")["method_share"]
    assert shares["x8"] == pytest.approx(0.630761 ** 2, abs=1e-5)                  # [local R] std.all
    traits = result.comparison.iloc[1]
    assert traits["delta_chisq"] == pytest.approx(85.306 - 54.897, abs=2 * PRINTED)
    assert traits["delta_df"] == 1


def test_harman_shares_on_a_known_one_factor_matrix():
    # R = λ²11' + (1 - λ²)I: first eigenvalue 1 + (p - 1)λ²; the reduced matrix's is pλ²
    p, loading = 8, 0.6
    R = pd.DataFrame(np.full((p, p), loading ** 2) + (1 - loading ** 2) * np.eye(p))
    component = harman_single_factor(R)
    assert component["share"] == pytest.approx((1 + (p - 1) * loading ** 2) / p)
    assert not component["above_half"]
    axis = harman_single_factor(R, method="principal_axis")
    assert axis["share"] == pytest.approx(loading ** 2, abs=1e-6)
    strong = pd.DataFrame(np.full((p, p), 0.81) + 0.19 * np.eye(p))
    assert harman_single_factor(strong)["above_half"]


def test_marker_correction_recovers_the_true_correlations():
    # Lindell & Whitney's model: x_k = sqrt(1 - c²) t_k + c m, marker = sqrt(1 - c²) t_M + c m with t_M
    # unrelated to the t_k; then r(x_a, x_b) = (1 - c²) ρ_ab + c² and r(x_k, marker) = c² = r_M
    true = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.0], [0.2, 0.0, 1.0]])
    c2 = 0.16
    observed = np.ones((4, 4))
    observed[:3, :3] = (1 - c2) * true + c2
    np.fill_diagonal(observed, 1.0)
    observed[3, :3] = observed[:3, 3] = c2
    names = ["a", "b", "c", "marker"]
    table = marker_variable_correction(pd.DataFrame(observed, names, names), n_obs=250, marker="marker")
    assert table.attrs["marker_correlation"] == pytest.approx(c2)
    adjusted = table.set_index(["variable_a", "variable_b"])["adjusted"]
    assert adjusted.to_dict() == pytest.approx({("a", "b"): 0.5, ("a", "c"): 0.2, ("b", "c"): 0.0})
    # the t test's p-value, two-sided with N - 3 df, equals the regularised incomplete beta I_{1-r²}((N-3)/2, 1/2)
    from scipy.special import betainc

    np.testing.assert_allclose(table["p_value"], betainc(247 / 2, 0.5, 1 - table["adjusted"] ** 2), rtol=1e-10)
    assert table.set_index(["variable_a", "variable_b"]).loc[("b", "c"), "p_value"] == pytest.approx(1.0)


def test_marker_correction_on_simulated_data():
    rng = np.random.default_rng(20010201)
    n, c = 20_000, 0.5
    true = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.1], [0.3, 0.1, 1.0]])
    traits = rng.multivariate_normal(np.zeros(3), true, size=n)
    method = rng.standard_normal(n)
    x = np.sqrt(1 - c ** 2) * traits + c * method[:, None]
    marker = np.sqrt(1 - c ** 2) * rng.standard_normal(n) + c * method
    data = pd.DataFrame(np.column_stack([x, marker]), columns=["a", "b", "c", "marker"])
    R, n_obs = listwise_correlation(data, data.columns)
    table = marker_variable_correction(R, n_obs, marker="marker").set_index(["variable_a", "variable_b"])
    # raw correlations are (1 - c²)ρ + c², inflated by c²(1 - ρ); the adjusted ones are within sampling
    # error (~.01) of ρ
    rho = np.array([0.6, 0.3, 0.1])
    np.testing.assert_allclose(table["correlation"], (1 - c ** 2) * rho + c ** 2, atol=0.02)
    np.testing.assert_allclose(table["adjusted"], rho, atol=0.03)


# --------------------------------------------------------------------------------------------
# simulation recovery
# --------------------------------------------------------------------------------------------


def _simulate(rng, n, loadings, phi, residual, means=None) -> np.ndarray:
    factors = rng.multivariate_normal(np.zeros(len(phi)) if means is None else means, phi, size=n)
    return factors @ loadings.T + rng.standard_normal((n, len(residual))) * np.sqrt(residual)


def test_trait_and_method_loadings_are_recovered():
    # 3 traits x 4 items, every item also on a method factor orthogonal to the traits (variance 1)
    rng = np.random.default_rng(2003)
    trait = np.array([0.8, 0.7, 0.6, 0.75, 0.7, 0.65, 0.8, 0.6, 0.75, 0.7, 0.6, 0.8])
    method = np.array([0.3, 0.45, 0.35, 0.4, 0.4, 0.3, 0.35, 0.45, 0.3, 0.4, 0.45, 0.35])
    items = [f"i{k}" for k in range(12)]
    traits = {name: items[4 * j:4 * j + 4] for j, name in enumerate(["t1", "t2", "t3"])}
    loadings = np.zeros((12, 4))
    for j in range(3):
        loadings[4 * j:4 * j + 4, j] = trait[4 * j:4 * j + 4]
    loadings[:, 3] = method
    phi = np.eye(4)
    phi[:3, :3] = [[1, 0.4, 0.2], [0.4, 1, 0.3], [0.2, 0.3, 1]]
    residual = 1 - trait ** 2 - method ** 2
    data = pd.DataFrame(_simulate(rng, 3000, loadings, phi, residual), columns=items)

    result = method_factor_test(data, traits)
    fit = result.with_method
    assert fit.converged
    # truth in the marker metric: loadings relative to the marker, variances scaled by its square
    marker = {name: loadings[items.index(members[0]), j] for j, (name, members) in
              enumerate({**traits, "method": items}.items())}
    truth = {}
    for j, (name, members) in enumerate({**traits, "method": items}.items()):
        for item in members:
            truth[(name, "=~", item)] = loadings[items.index(item), j] / marker[name]
        truth[(name, "~~", name)] = marker[name] ** 2
    for a, first in enumerate(traits):
        for b, second in enumerate(list(traits)[a + 1:], start=a + 1):
            truth[(first, "~~", second)] = phi[a, b] * marker[first] * marker[second]
    for k, item in enumerate(items):
        truth[(item, "~~", item)] = residual[k]
    estimates = fit.params.set_index(["lhs", "op", "rhs"])
    for key, value in truth.items():
        row = estimates.loc[key]
        if np.isnan(row["std_error"]):
            assert row["estimate"] == value                              # a marker loading
        else:
            assert abs(row["estimate"] - value) < 4 * row["std_error"], (key, row["estimate"], value)
    np.testing.assert_allclose(result.variance_shares["method_share"], method ** 2, atol=0.05)
    assert result.mean_method_share == pytest.approx(np.mean(method ** 2), abs=0.02)
    assert result.comparison.iloc[1]["p_delta"] < 1e-6                   # the method factor is needed
    assert fit.fit["p_value"] > 0.001                                     # and the ULMC fits


def test_latent_mean_difference_is_recovered_under_scalar_invariance():
    rng = np.random.default_rng(1939)
    lam = np.array([[1.0, 0], [0.8, 0], [1.2, 0], [0, 1.0], [0, 0.7], [0, 0.9]])
    phi = np.array([[1.0, 0.3], [0.3, 0.8]])
    residual = np.full(6, 0.5)
    intercepts = np.array([3.0, 2.5, 4.0, 1.0, 2.0, 3.5])
    shift = np.array([0.5, -0.3])
    first = _simulate(rng, 1500, lam, phi, residual) + intercepts
    second = _simulate(rng, 1500, lam, phi, residual, means=shift) + intercepts
    items = [f"y{k}" for k in range(6)]
    data = pd.DataFrame(np.vstack([first, second]), columns=items)
    data["arm"] = ["a"] * 1500 + ["b"] * 1500
    factors = {"f": items[:3], "g": items[3:]}

    table = invariance_table(data, factors, "arm")
    assert (table["p_delta"][1:] > 0.001).all()                          # invariance holds in the data
    scalar = fit_cfa(data, factors, group="arm", group_equal=("loadings", "intercepts"))
    means = scalar.params.query("group == 'b' and op == '~1' and lhs in ['f', 'g']").set_index("lhs")
    assert (np.abs(means["estimate"] - shift) < 4 * means["std_error"]).all()
    # intercepts that differ in one group break scalar, not metric, invariance
    data.loc[data["arm"] == "b", "y1"] += 0.6
    broken = invariance_table(data, factors, "arm")
    assert broken["p_delta"][1] > 0.001 and broken["p_delta"][2] < 1e-6


def test_compare_fits_refuses_models_on_different_rows(hs):
    with pytest.raises(ValueError, match="rows"):
        compare_fits({"all": fit_cfa(hs, HS_FACTORS), "fewer": fit_cfa(hs.iloc[:200], HS_FACTORS)})
