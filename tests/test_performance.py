import numpy as np
import pandas as pd
import pytest

from alliancegov.performance.ols import PerformanceSpec, fit_ols


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
    from alliancegov.performance.ols import fit_ols_imputed

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


# ---- the performance stage ------------------------------------------------------------------------

def test_derived_variables_and_composite_index():
    from alliancegov.performance.outcomes import composite_index, derive_variables

    frame = pd.DataFrame({"now": [20.0, 10.0, 5.0, np.nan], "start": [10.0, 10.0, 0.0, 4.0],
                          "a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, np.nan, 8.0]})
    derived = derive_variables(frame, {"growth": "log(now / start)"})
    assert derived["growth"].iloc[0] == pytest.approx(np.log(2)) and derived["growth"].iloc[1] == 0
    assert derived["growth"].iloc[2:].isna().all()            # division by zero and missing: missing
    index = composite_index(derived, ["a", "b"], min_components=2)
    z_a = (frame["a"] - frame["a"].mean()) / frame["a"].std()
    z_b = (frame["b"] - frame["b"].mean()) / frame["b"].std()
    assert index.iloc[0] == pytest.approx((z_a.iloc[0] + z_b.iloc[0]) / 2)
    assert np.isnan(index.iloc[2])                            # one component known of the two required


def test_pairwise_contrasts_are_holm_adjusted(data):
    from statsmodels.stats.multitest import multipletests

    from alliancegov.performance.contrasts import form_contrasts

    spec = PerformanceSpec("y", "C(form, Treatment('a')) + x", cov_type="HC3")
    table = form_contrasts(data, spec, "form", ["a", "b", "c"])
    assert table["contrast"].tolist() == ["b - a", "c - a", "c - b"]
    coefficients = fit_ols(data, spec).coefficients.set_index("term")["estimate"]
    assert table["estimate"].iloc[2] == pytest.approx(coefficients["form[c]"] - coefficients["form[b]"])
    np.testing.assert_allclose(table["p_holm"], multipletests(table["p_value"], method="holm")[1])
    assert (table["p_holm"] >= table["p_value"]).all()


def test_misalignment_measures_by_hand():
    from alliancegov.misalignment.two_stage import misalignment_measures

    P = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5], [0.1, 0.7, 0.2]])
    measures = misalignment_measures(P, np.array([0, 0, 2]), np.arange(3))
    assert measures["aligned"].tolist() == [0, 2, 1]
    assert measures["misaligned"].tolist() == [0, 1, 1]
    assert measures["insufficient_hierarchy"].tolist() == [0, 1, 0]   # chose the market, hierarchy fitted
    assert measures["excess_hierarchy"].tolist() == [0, 0, 1]
    np.testing.assert_allclose(measures["misfit"], [0.4, 0.8, 0.8])


def simulated_two_stage(codebook, n, seed, penalty=None, equation=None):
    from alliancegov.choice.design import DesignBuilder
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.constructs.stage import build_analysis
    from alliancegov.misalignment.two_stage import MisalignmentSpec, TwoStageData
    from alliancegov.simulate.population import simulate_waves
    from alliancegov.simulate.truth import CHOICE_SCALES, load_truth

    truth = load_truth()
    if penalty is not None:
        truth["performance"]["misalignment_penalty"] = penalty
    wave = simulate_waves(n, [2024], seed=seed, codebook=codebook, truth=truth)[0]
    analysis, _ = build_analysis(wave.drop(columns=list(CHOICE_SCALES)), codebook)
    forms = codebook.answer_names("governance_form")
    choice = ChoiceSpec("governance_form", "repeated_contract",
                        " + ".join(CHOICE_SCALES) + " + C(sector, Treatment('services'))", cov_type="model")
    excluded = [v for v in CHOICE_SCALES if v != "trust"] if equation else []
    spec = MisalignmentSpec("true_performance_index",
                            "C(governance_form, Treatment('repeated_contract')) + trust + C(sector)",
                            selection=("lee", "dmf"), bootstrap_replicates=40, seed=seed, equation=equation,
                            excluded=tuple(excluded), centre=("trust",))
    data, _ = TwoStageData.build(analysis, DesignBuilder(choice, tuple(forms)), spec, np.arange(len(forms)))
    return data, spec


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_planted_misalignment_penalty_is_recovered(codebook):
    """8,000 simulated firms: the simulator's penalty on the misfit (1 − the probability of the
    chosen form) lies in the two-stage bootstrap CI of the misfit coefficient, the first stage's
    probabilities estimated; the 0/1 mismatch points the same way."""
    from alliancegov.misalignment.bootstrap import misalignment_table
    from alliancegov.simulate.truth import load_truth

    data, spec = simulated_two_stage(codebook, 8000, seed=11)
    table = misalignment_table(data, spec).set_index(["model", "term"])
    penalty = load_truth()["performance"]["misalignment_penalty"]
    row = table.loc[("misfit", "misfit")]
    assert row["conf_low"] <= penalty <= row["conf_high"], row.to_dict()
    assert table.loc[("mismatch", "misaligned"), "conf_high"] < 0


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
@pytest.mark.slow  # a Monte Carlo study
def test_without_a_penalty_the_test_rejects_at_about_the_nominal_rate(codebook):
    """80 simulated surveys of 300 firms with no misalignment penalty: the two-stage bootstrap
    test of the misfit coefficient rejects at 5% in about 5% of them (1 to 10 of 80: the
    binomial(80, 0.05) range outside which a correct test falls 2% of the time). B = 199: with
    B = 40 the BC interval's 2.5% bound rests on its two smallest resamples, and the test, whose
    p-value agrees with that interval, rejected 12 of 80."""
    from dataclasses import replace

    from alliancegov.misalignment.bootstrap import misalignment_table

    rejections = []
    for replication in range(80):
        data, spec = simulated_two_stage(codebook, 300, seed=500 + replication, penalty=0.0)
        table = misalignment_table(data, replace(spec, bootstrap_replicates=199)).set_index(["model", "term"])
        rejections.append(table.loc[("misfit", "misfit"), "p_value"] < 0.05)
    assert 1 <= sum(rejections) <= 10, sum(rejections)


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_the_scattered_two_stage_bootstrap_gathers_to_the_whole_one(codebook):
    """The workflow's parts (rules misalignment_bootstrap_part, misalignment), passed between jobs
    as tables, give the tables of one bootstrap run in one process, to the bit."""
    from alliancegov.misalignment.bootstrap import misalignment_bootstrap, misalignment_intervals
    from alliancegov.stats.bootstrap import part_replicates, result_frame, result_from_frames

    data, spec = simulated_two_stage(codebook, 400, seed=21, equation="trust + C(sector)")
    clusters = np.arange(len(data.chosen)) // 2          # pairs of rows as firms: whole clusters resampled
    whole = misalignment_intervals(data, spec, misalignment_bootstrap(data, spec, clusters))
    assert set(whole) == {"misalignment", "misalignment_switching", "misalignment_counterfactual"}
    frames = []
    for part in range(3):
        replicates = part_replicates(spec.bootstrap_replicates, part, 3)
        frames.append(result_frame(misalignment_bootstrap(data, spec, clusters, replicates), replicates))
    assert [len(frame) for frame in frames] == [13, 14, 13]
    gathered = misalignment_intervals(data, spec, result_from_frames(frames[::-1], seed=spec.seed))
    for name, table in whole.items():
        pd.testing.assert_frame_equal(gathered[name], table, check_exact=True)
    with pytest.raises(ValueError, match="resamples"):
        misalignment_intervals(data, spec, result_from_frames(frames[:2], seed=spec.seed))


def test_least_squares_equals_the_svd_solution_and_falls_back_to_it_when_it_must():
    from alliancegov.stats.least_squares import least_squares

    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(500), rng.normal(size=(500, 3)), rng.integers(0, 2, 500)])
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + rng.normal(size=500)
    np.testing.assert_allclose(least_squares(X, y), np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-10)
    # a dummy absent from a resample (a zero column) and near-collinear columns: the SVD's minimum-norm answer
    for awkward in (np.column_stack([X, np.zeros(500)]), np.column_stack([X, X[:, 1] + 1e-9 * rng.normal(size=500)])):
        np.testing.assert_array_equal(least_squares(awkward, y), np.linalg.lstsq(awkward, y, rcond=None)[0])
    # with a condition limit the same designs are refused instead, the near-collinear one by its condition
    for awkward in (np.column_stack([X, np.zeros(500)]), np.column_stack([X, X[:, 1] + 1e-12 * rng.normal(size=500)])):
        with pytest.raises(ValueError, match="rank deficient"):
            least_squares(awkward, y, condition_limit=1e10)
    np.testing.assert_allclose(least_squares(X, y, condition_limit=1e10), least_squares(X, y))


def test_ols_with_text_factors_equals_statsmodels_formula_fit():
    """fit_ols codes text columns as categoricals for patsy: the same columns, estimates and HC3
    SEs as statsmodels' formula interface on the text as it is."""
    import statsmodels.formula.api as smf

    from alliancegov.performance.ols import PerformanceSpec, fit_ols

    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"form": rng.choice(["licensing", "joint_venture", "repeated_contract"], 300),
                          "sector": pd.array(rng.choice(["textile", "services", "agrifood"], 300), dtype="str"),
                          "trust": rng.normal(size=300)})
    frame["y"] = frame["trust"] + (frame["form"] == "licensing") + rng.normal(size=300)
    frame.loc[5, "sector"] = None
    formula = "C(form, Treatment('repeated_contract')) + trust + C(sector)"
    ours = fit_ols(frame, PerformanceSpec("y", formula, cov_type="HC3")).result
    reference = smf.ols(f"y ~ {formula}", frame).fit(cov_type="HC3")
    assert list(ours.params.index) == list(reference.params.index)
    np.testing.assert_allclose(ours.params, reference.params, rtol=1e-10)
    np.testing.assert_allclose(ours.bse, reference.bse, rtol=1e-10)
    assert ours.nobs == 299


def test_ordered_performance_outcome_is_clustered_and_takes_each_factor_level_against_the_reference():
    """A four-level factor: each level's AME equals Stata's i. margins (the factor's other dummies at
    0), computed by hand from the fit's predicted probabilities; clustered SEs are Stata's
    vce(cluster) (G/(G−1)), said in the note."""
    from alliancegov.performance.ordered import factor_columns, ordered_outcome_tables
    from alliancegov.stats.ordinal import fit_ordered_logit

    rng = np.random.default_rng(12)
    n = 900
    frame = pd.DataFrame({"form": rng.choice(list("abcd"), n), "x": rng.normal(size=n),
                          "firm": rng.integers(0, 300, n)})
    latent = frame["form"].map({"a": 0.0, "b": 0.5, "c": 1.0, "d": -0.5}) + 0.8 * frame["x"] + rng.logistic(size=n)
    frame["trend"] = pd.cut(latent, [-np.inf, -0.5, 0.7, np.inf], labels=["down", "flat", "up"]).astype(str)
    coefficients, ame = ordered_outcome_tables(frame, "trend", "C(form) + x", ["down", "flat", "up"],
                                               cluster="firm")
    assert factor_columns(["form[b]", "form[c]", "form[d]", "x", "s[t]", "form[b]:x"]) == {
        "form": [0, 1, 2], "s[t]": [4], "form[b]:x": [5]}
    X = pd.get_dummies(frame["form"], prefix="form", prefix_sep="[", dtype=float).iloc[:, 1:]
    X.columns = [f"{c}]" for c in X.columns]
    X["x"] = frame["x"]
    codes = pd.Categorical(frame["trend"], categories=["down", "flat", "up"]).codes
    fit = fit_ordered_logit(X, codes, groups=pd.factorize(frame["firm"])[0])
    slopes = coefficients[~coefficients["term"].str.contains("|", regex=False)].set_index("term")
    np.testing.assert_allclose(slopes.loc[list(X.columns), "std_error"], np.sqrt(np.diag(fit.cov))[:4], rtol=1e-8)

    def up_probability(frame_x):
        eta = frame_x.to_numpy() @ fit.params[:4]
        return 1 - 1 / (1 + np.exp(-(fit.params[-1] - eta)))          # P(up) = 1 − F(c_2 − x'b)

    base = X.assign(**{c: 0.0 for c in X.columns[:3]})
    for level in ("b", "c", "d"):
        changed = base.assign(**{f"form[{level}]": 1.0})
        expected = (up_probability(changed) - up_probability(base)).mean()
        row = ame[(ame["term"] == f"form[{level}]") & (ame["category"] == "up")]
        assert row["estimate"].iloc[0] == pytest.approx(expected, rel=1e-8)
    assert coefficients["note"].str.contains("clustered by firm").all() and ame["note"].str.contains("i. margins").all()
