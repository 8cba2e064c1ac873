import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alliancegov.choice.design import build_design
from alliancegov.choice.model import coefficient_table, fit_mnl
from alliancegov.choice.spec import ChoiceSpec
from alliancegov.choice.stage import analyse_choice
from alliancegov.constructs.stage import build_analysis
from alliancegov.simulate.population import simulate_waves
from alliancegov.simulate.truth import CHOICE_SCALES, load_truth, true_choice_coefficients

FORMULA = " + ".join(CHOICE_SCALES) + " + C(sector, Treatment('services'))"


def light(outcome="governance_form", base="repeated_contract", formula=FORMULA, **options):
    """A spec without the slower optional tables (ordered logit, cross-validation) unless asked."""
    return ChoiceSpec(outcome, base, formula, **({"ordered": False, "cv_folds": 0} | options))
CATEGORIES = ["repeated_contract", "licensing", "supply_chain_partnership", "joint_venture"]


def scored(waves, codebook):
    """The waves scored as the constructs stage scores them (the simulator's own scores dropped first)."""
    pooled = pd.concat(waves, ignore_index=True)
    analysis, _ = build_analysis(pooled.drop(columns=[s for s in codebook.scales.index if s in pooled]), codebook)
    return analysis.assign(firm_key=analysis["registry_number"])


@pytest.fixture(scope="module")
def large_sample(codebook):
    return scored(simulate_waves(20000, [2024], seed=2020, codebook=codebook), codebook)


@pytest.fixture(scope="module")
def panel(codebook):
    return scored(simulate_waves(120, [2024, 2025, 2026], seed=7, codebook=codebook), codebook)


def test_mnl_recovers_the_true_coefficients(large_sample):
    """20,000 simulated firms: every true coefficient inside its 99% CI, and jointly not rejected.

    The sample is fixed by its seed. With 21 coefficients about one seed in five puts one of them
    just outside its 99% interval by chance; the joint Wald test below is the principled check.
    """
    spec = light(cov_type="model", level=0.99)
    design = build_design(large_sample, spec, CATEGORIES)
    fit = fit_mnl(design, spec)
    table = coefficient_table(fit, design, spec).set_index(["outcome", "term"])
    truth = true_choice_coefficients(load_truth()).rename(index={"sector_textile": "sector[textile]"})
    assert len(table) == truth.size
    for outcome in truth.columns:
        for term, true_value in truth[outcome].items():
            row = table.loc[(outcome, term)]
            assert row["conf_low"] <= true_value <= row["conf_high"], (outcome, term, true_value, row.to_dict())
    true_vector = np.concatenate([truth.loc[list(design.X.columns), outcome] for outcome in truth.columns])
    difference = fit.params.T.ravel() - true_vector
    wald = difference @ np.linalg.solve(fit.cov, difference)
    assert stats.chi2(truth.size).sf(wald) > 0.01


def test_labels_base_rrr_and_statsmodels_agree(panel):
    import patsy
    import statsmodels.api as sm

    spec = light(cov_type="model")
    results = analyse_choice(panel, spec, CATEGORIES)
    table = results.tables["choice_mnl"]
    assert (table["base"] == "repeated_contract").all()
    assert list(dict.fromkeys(table["outcome"])) == CATEGORIES[1:]
    codes = panel["governance_form"].map({c: i for i, c in enumerate(CATEGORIES)})
    direct = sm.MNLogit(codes, patsy.dmatrix(FORMULA, panel, return_type="dataframe")).fit(disp=0, method="newton")
    np.testing.assert_allclose(table["estimate"], np.asarray(direct.params).T.ravel(), rtol=1e-8)
    np.testing.assert_allclose(table["std_error"], np.asarray(direct.bse).T.ravel(), rtol=1e-8)
    np.testing.assert_allclose(table["rrr"], np.exp(table["estimate"]))
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(table["rrr_conf_low"], np.exp(table["estimate"] - z * table["std_error"]))
    fit = results.tables["choice_fit"].set_index("statistic")["value"]
    assert fit["log_likelihood"] == pytest.approx(direct.llf)
    assert fit["mcfadden_r2"] == pytest.approx(direct.prsquared, rel=1e-8)


def test_cluster_standard_errors_use_statas_factor(panel):
    """Stata's vce(cluster) = statsmodels' cluster covariance × (N − K)/(N − 1)."""
    import patsy
    import statsmodels.api as sm

    spec = light(cov_type="cluster", cluster="firm_key")
    design = build_design(panel, spec, CATEGORIES)
    fit = fit_mnl(design, spec)
    codes = panel["governance_form"].map({c: i for i, c in enumerate(CATEGORIES)})
    X = patsy.dmatrix(FORMULA, panel, return_type="dataframe")
    groups = pd.factorize(panel["firm_key"])[0]
    sm_cluster = sm.MNLogit(codes, X).fit(disp=0, method="newton", cov_type="cluster", cov_kwds={"groups": groups})
    n, k = len(panel), fit.params.size
    np.testing.assert_allclose(fit.cov, np.asarray(sm_cluster.cov_params()) * (n - k) / (n - 1), rtol=1e-7)


def test_ames_predictions_tests_and_classification(panel):
    spec = light(profiles=("asset_specificity",),
                      profile_by="sector", profile_points=5)
    tables = analyse_choice(panel, spec, CATEGORIES).tables
    ames = tables["choice_ame"]
    assert set(ames["outcome"]) == set(CATEGORIES)          # all J outcomes, base included
    np.testing.assert_allclose(ames.groupby("term")["estimate"].sum(), 0, atol=1e-12)
    assert "sector[textile]" in set(ames["term"])
    predictions = tables["choice_predictions"]
    assert len(predictions) == 5 * 2 * 4
    np.testing.assert_allclose(predictions.groupby(["value", "by"])["estimate"].sum(), 1, atol=1e-12)
    tests = tables["choice_tests"]
    # clustered by firm: Wald tests and the suest Hausman test only (LR tests assume independence)
    assert spec.cov_type == "cluster"
    assert set(tests["test"]) == {"wald_term", "combine_wald", "iia_suest_hausman"}
    assert set(tests.loc[tests["test"] == "wald_term", "hypothesis"]) == {"sector", *CHOICE_SCALES}
    assert tests.loc[tests["test"] == "iia_suest_hausman", "note"].str.contains("clustered by firm").all()
    fit = tables["choice_fit"].set_index("statistic")["value"]
    assert {"wald_chi2", "wald_df", "wald_p_value"} <= set(fit.index) and "lr_chi2" not in fit.index
    model = analyse_choice(panel, replace(spec, cov_type="model", iia_splits=5), CATEGORIES).tables
    expected = {"wald_term", "lr_term", "combine_wald", "combine_lr", "iia_suest_hausman", "iia_hausman_mcfadden",
                "iia_small_hsiao"}
    assert set(model["choice_tests"]["test"]) == expected
    assert set(model["choice_tests"].loc[model["choice_tests"]["test"] == "lr_term", "hypothesis"]) == {
        "sector", *CHOICE_SCALES}
    splits = model["choice_tests"][model["choice_tests"]["test"] == "iia_small_hsiao"]
    assert splits["note"].str.contains("median over 5 random half splits").all()
    assert "lr_chi2" in set(model["choice_fit"]["statistic"])
    confusion = tables["choice_classification"]
    assert confusion.loc[confusion["observed"] == "Total", "Total"].item() == len(panel)


def test_frequency_weights_equal_expanded_rows(panel):
    weights = np.random.default_rng(1).integers(1, 4, len(panel))
    weighted = panel.assign(fw=weights)
    expanded = panel.loc[panel.index.repeat(weights)].reset_index(drop=True)
    spec_w = light(cov_type="model", weights="fw")
    spec_e = light(cov_type="model")
    a = analyse_choice(weighted, spec_w, CATEGORIES).tables
    b = analyse_choice(expanded, spec_e, CATEGORIES).tables
    np.testing.assert_allclose(a["choice_mnl"]["estimate"], b["choice_mnl"]["estimate"], rtol=1e-7)
    np.testing.assert_allclose(a["choice_mnl"]["std_error"], b["choice_mnl"]["std_error"], rtol=1e-6)
    np.testing.assert_allclose(a["choice_ame"]["estimate"], b["choice_ame"]["estimate"], rtol=1e-6, atol=1e-10)


def test_separation_is_reported_and_firth_takes_over():
    rng = np.random.default_rng(3)
    n = 120
    data = pd.DataFrame({"x": rng.normal(size=n), "d": rng.integers(0, 2, n)})
    outcome = rng.choice(["a", "b"], n)
    outcome = np.where(data["d"] == 1, "c", outcome)   # d = 1 always chooses c: separated
    data["choice"] = outcome
    spec = light("choice", "a", "x + d", cov_type="model", ordered=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the LR and IIA refits of a separated model warn; their rows say so
        results = analyse_choice(data, spec, ["a", "b", "c"])
    assert any(note.startswith("Separation: d separates choice c from a") for note in results.warnings)
    assert any("ordered logit of choice did not converge" in note for note in results.warnings)  # c, the top, too
    assert set(results.tables["choice_mnl"]["estimator"]) == {"firth"}
    with pytest.raises(ValueError, match="separation"):
        analyse_choice(data, light("choice", "a", "x + d", cov_type="model", firth="never"), ["a", "b", "c"])
    small = results.tables["choice_small_sample"].set_index("outcome")
    assert bool(small.at["c", "separated"]) and "d" in small.at["c", "implicated"]
    firth = results.tables["choice_firth"]
    assert len(firth) == 6 and np.isfinite(firth["std_error"]).all() and firth["estimate"].abs().max() < 10


def test_a_categorical_profile_is_refused_with_a_sentence():
    """A design of categorical regressors only has no range to trace: profiling one stops naming it."""
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"g": rng.choice(["u", "v", "w"], 90), "choice": rng.choice(["a", "b", "c"], 90)})
    spec = light("choice", "a", "C(g, Treatment('u'))", cov_type="model", profiles=("g",))
    with pytest.raises(ValueError, match=r"choice.profiles: g is categorical; a profile traces a numeric regressor"):
        analyse_choice(data, spec, ["a", "b", "c"])


def test_rows_with_missing_values_are_counted_not_hidden(panel):
    data = panel.copy()
    data.loc[data.index[:7], "trust"] = np.nan
    fit = analyse_choice(data, light(), CATEGORIES)
    stats_ = fit.tables["choice_fit"].set_index("statistic")["value"]
    assert stats_["n_missing"] == 7 and stats_["n_obs"] == len(data) - 7
    assert stats_["n_clusters"] == data["firm_key"].iloc[7:].nunique()


def test_a_base_that_never_occurs_is_an_error(panel):
    with pytest.raises(ValueError, match="base category 'franchise'"):
        build_design(panel, light(base="franchise"), CATEGORIES + ["franchise"])


def test_bootstrap_intervals_are_reproducible(panel):
    spec = light(bootstrap_replicates=20, seed=5)
    first = analyse_choice(panel, spec, CATEGORIES).tables["choice_bootstrap"]
    second = analyse_choice(panel, spec, CATEGORIES, n_jobs=2).tables["choice_bootstrap"]
    pd.testing.assert_frame_equal(first, second)
    assert (first["conf_low"] < first["conf_high"]).all() and (first["share_failed"] < 0.5).all()


def test_the_bootstrap_table_is_tidy_with_bca_intervals_and_p_values_that_agree(panel):
    """The estimate is the ML fit's; p-values are never 0 and agree with the BCa intervals and with
    the statistic; the acceleration comes from the firms' summed influence, as clusters are drawn."""
    from scipy import stats

    spec = light(bootstrap_replicates=199, seed=8)
    result = analyse_choice(panel, spec, CATEGORIES)
    table = result.tables["choice_bootstrap"]
    assert list(table.columns) == ["outcome", "base", "term", "estimate", "std_error", "statistic", "p_value",
                                   "conf_low", "conf_high", "n_ok", "share_failed", "note"]
    np.testing.assert_allclose(table["estimate"], result.tables["choice_mnl"]["estimate"], rtol=1e-10)
    assert (table["p_value"] >= 2 / 200 - 1e-12).all()
    np.testing.assert_allclose(2 * stats.norm.sf(table["statistic"].abs()), table["p_value"])
    excludes = (table["conf_low"] > 0) | (table["conf_high"] < 0)
    clear = (table["p_value"] - 0.05).abs() > 0.01
    assert (excludes[clear] == (table["p_value"] < 0.05)[clear]).all()
    assert table["note"].str.startswith("BCa interval and p-value from").all()
    assert table["note"].str.contains("firms resampled whole").all()


def test_ordered_equity_and_cross_validation_tables(panel):
    spec = light(ordered=True, cv_folds=3,
                      binary_outcome="(equity_stake != 'none') | (new_legal_entity == 'yes')", binary_name="equity")
    tables = analyse_choice(panel, spec, CATEGORIES).tables
    ordered = tables["choice_ordered"]
    cuts = ordered[ordered["term"].str.contains("|", regex=False)]
    assert cuts["term"].tolist() == ["repeated_contract|licensing", "licensing|supply_chain_partnership",
                                     "supply_chain_partnership|joint_venture"]
    assert (np.diff(cuts["estimate"]) > 0).all()
    assert "Intercept" not in set(ordered["term"])
    np.testing.assert_allclose(tables["choice_ordered_ame"].groupby("term")["estimate"].sum(), 0, atol=1e-10)
    assert tables["choice_ordered_brant"]["term"].iloc[0] == "all"
    equity = tables["choice_equity"]
    assert set(equity["outcome"]) == {"equity"} and set(equity["base"]) == {"no"}
    cv = tables["choice_cv"].set_index(["model", "metric"])["mean"]
    assert cv["mnl", "log_loss"] < cv["majority_class", "log_loss"]
    assert (tables["choice_cv"]["n_rows"] == len(panel)).all()
    assert tables["choice_cv"]["note"].str.contains("each cluster's rows within one fold").all()


def test_cross_validation_above_its_row_limit_uses_a_stratified_subsample(panel):
    from alliancegov.choice.variants import cross_validation_tables

    spec = light(cv_folds=3, cv_max_rows=200)
    design = build_design(panel, spec, CATEGORIES)
    tables = cross_validation_tables(design, spec)
    assert (tables["choice_cv"]["n_rows"] == 200).all() and len(panel) > 200
    assert tables["choice_cv"]["note"].str.contains(f"subsample of 200 of the {len(panel):,} rows").all()
    assert tables["choice_cv_confusion"].drop(columns="observed").to_numpy().sum() == 200


def test_binary_outcome_is_missing_where_its_inputs_are():
    from alliancegov.choice.variants import binary_outcome

    data = pd.DataFrame({"equity_stake": ["none", "minority", None, "none"],
                         "new_legal_entity": ["no", "no", "no", "yes"]})
    result = binary_outcome(data, "(equity_stake != 'none') | (new_legal_entity == 'yes')")
    assert result.tolist()[:2] == ["no", "yes"] and pd.isna(result.iloc[2]) and result.iloc[3] == "yes"


def test_survey_design_gives_linearised_errors_and_design_df(panel):
    """With PSU = firm and no strata or weights, the design covariance is Stata's vce(cluster)."""
    rng = np.random.default_rng(4)
    data = panel.assign(stratum=np.where(panel["sector"] == "textile", "t", "s"), pw=rng.uniform(1, 3, len(panel)))
    design = analyse_choice(data, light(cov_type="design", psu="firm_key"), CATEGORIES)
    cluster = analyse_choice(data, light(cov_type="cluster", cluster="firm_key"), CATEGORIES)
    np.testing.assert_allclose(design.fit.cov, cluster.fit.cov, rtol=1e-8)
    n_psu = data["firm_key"].nunique()
    assert design.fit.df_resid == n_psu - 1
    table = design.tables["choice_mnl"]
    half = stats.t(n_psu - 1).ppf(0.975) * table["std_error"]
    np.testing.assert_allclose(table["conf_high"] - table["estimate"], half)
    weighted = analyse_choice(data, light(cov_type="design", sampling_weights="pw", strata="stratum", psu="firm_key"),
                              CATEGORIES)
    assert not set(weighted.tables["choice_tests"]["test"]) & {"lr_term", "iia_hausman_mcfadden"}
    assert "lr_chi2" not in set(weighted.tables["choice_fit"]["statistic"])
    # Wald tests of a design are adjusted F tests on the design's degrees of freedom (Stata svy)
    d = weighted.fit.df_resid
    clustered_tests = cluster.tables["choice_tests"].set_index(["test", "hypothesis"])
    for row in weighted.tables["choice_tests"][lambda t: t["test"] == "wald_term"].itertuples():
        assert row.note.startswith(f"adjusted Wald F({int(row.df)}, ")
        assert stats.f.sf(row.statistic, row.df, d - row.df + 1) == pytest.approx(row.p_value)
    unweighted = design.tables["choice_tests"].set_index(["test", "hypothesis"])
    sector = unweighted.loc[("wald_term", "sector")]
    chi2 = clustered_tests.loc[("wald_term", "sector"), "statistic"]    # the same covariance, unadjusted
    assert sector["statistic"] == pytest.approx((design.fit.df_resid - sector["df"] + 1)
                                                / (design.fit.df_resid * sector["df"]) * chi2)
    fit = weighted.tables["choice_fit"].set_index("statistic")["value"]
    assert {"wald_f", "wald_df", "wald_df_denominator", "wald_p_value"} <= set(fit.index)
    with pytest.raises(ValueError, match="sampling_weights"):
        light(weights="pw", cov_type="design", psu="firm_key")


def test_frequency_weights_reproduce_a_published_grouped_logit():
    """Star98 (statsmodels.datasets.star98): the binomial GLM of schools' counts above/below the
    national median (``statsmodels/genmod/tests/results/results_glm.py``, class ``Star98``, from R's
    ``glm(family=binomial)`` and Stata) is a binary logit on the pupils with frequency weights: one
    row per school and outcome, weighted by its count. Coefficients and SEs to 1e-4 (relative),
    log-likelihood to 1e-3.
    """
    import statsmodels.api as sm
    from statsmodels.genmod.tests.results.results_glm import Star98

    data = sm.datasets.star98.load_pandas()
    exog = data.exog
    rows = pd.concat([exog.assign(result="above", count=data.endog["NABOVE"].to_numpy()),
                      exog.assign(result="below", count=data.endog["NBELOW"].to_numpy())], ignore_index=True)
    spec = light("result", "below", " + ".join(exog.columns), cov_type="model", weights="count")
    table = analyse_choice(rows, spec, ["below", "above"]).tables["choice_mnl"].set_index("term")
    reference = Star98()
    order = list(exog.columns) + ["Intercept"]   # the reference lists the constant last
    np.testing.assert_allclose(table.loc[order, "estimate"], reference.params, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(table.loc[order, "std_error"], reference.bse, rtol=1e-4)
    # R's binomial log-likelihood adds log C(n, k) per school to the pupils' weighted logit one
    from scipy.special import gammaln

    above, below = data.endog["NABOVE"].to_numpy(), data.endog["NBELOW"].to_numpy()
    log_binomial = np.sum(gammaln(above + below + 1) - gammaln(above + 1) - gammaln(below + 1))
    fit = analyse_choice(rows, spec, ["below", "above"]).tables["choice_fit"].set_index("statistic")["value"]
    assert fit["log_likelihood"] + log_binomial == pytest.approx(reference.llf, abs=1e-3)


@pytest.mark.slow  # a Monte Carlo study
def test_confidence_intervals_cover_the_truth_at_the_nominal_rate(codebook):
    """200 simulated surveys of 1,500 firms: 95% CIs of the 21 true coefficients cover 93–97%."""
    from alliancegov.simulate.truth import choice_design
    from alliancegov.stats.mnl import fit_mnl_newton

    truth = true_choice_coefficients(load_truth()).to_numpy().T.ravel()
    covered = []
    for replication in range(200):
        wave = simulate_waves(1500, [2024], seed=10_000 + replication, codebook=codebook)[0]
        X, _ = choice_design(wave)
        y = wave["governance_form"].map({c: i for i, c in enumerate(CATEGORIES)}).to_numpy()
        fit = fit_mnl_newton(X, y)
        half = 1.959964 * np.sqrt(np.diag(fit.cov))
        covered.append(np.abs(fit.params.T.ravel() - truth) <= half)
    coverage = np.mean(covered)
    assert 0.93 <= coverage <= 0.97, coverage


def test_multiple_imputation_pools_coefficients_and_ames(panel):
    """Trust missing for 15% of firms: the pooled estimates stay near the complete-data ones,
    carry Rubin's df and fraction of missing information, and keep every firm with an outcome."""
    rng = np.random.default_rng(8)
    data = panel.copy()
    data.loc[rng.random(len(data)) < 0.15, "trust"] = np.nan
    spec = light(cov_type="model", imputations=5, seed=3)
    tables = analyse_choice(data, spec, CATEGORIES).tables
    pooled = tables["choice_mnl"].set_index(["outcome", "term"])
    complete = analyse_choice(panel, light(cov_type="model"), CATEGORIES).tables["choice_mnl"].set_index(
        ["outcome", "term"])
    assert {"df", "fmi"} <= set(pooled.columns) and (pooled["fmi"].between(0, 1)).all()
    assert ((pooled["estimate"] - complete["estimate"]).abs() < 2 * complete["std_error"]).all()
    trust_fmi = pooled.xs("trust", level="term")["fmi"]
    assert trust_fmi.mean() > pooled.xs("asset_specificity", level="term")["fmi"].mean()
    assert set(tables["choice_ame"]["outcome"]) == set(CATEGORIES)
    again = analyse_choice(data, spec, CATEGORIES).tables["choice_mnl"]
    pd.testing.assert_frame_equal(tables["choice_mnl"], again)   # seeded


def test_variants_are_fitted_side_by_side(panel):
    spec = light(cov_type="model", variants=(("core", "asset_specificity + trust"),))
    table = analyse_choice(panel, spec, CATEGORIES).tables["choice_variants"]
    assert list(dict.fromkeys(table["model"])) == ["main", "core"]
    core = table[(table["model"] == "core") & (table["outcome"] != "(fit)")]
    assert set(core["term"]) == {"Intercept", "asset_specificity", "trust"}
    fit = table[table["outcome"] == "(fit)"].set_index(["model", "term"])["estimate"]
    assert fit["main", "log_likelihood"] > fit["core", "log_likelihood"]   # nested: more terms fit better
    assert fit["main", "n_obs"] == fit["core", "n_obs"] == len(panel)


def two_waves(codebook, n, *, shift_in_second=0.0):
    """Two independent simulated waves; ``shift_in_second`` moves the asset-specificity slope of
    supply-chain partnerships in the second wave only."""
    first, second = load_truth(), load_truth()
    second["choice"]["coefficients"]["supply_chain_partnership"]["asset_specificity"] += shift_in_second
    waves = [simulate_waves(n, [2024], seed=41, codebook=codebook, truth=first)[0],
             simulate_waves(n, [2025], seed=42, codebook=codebook, truth=second)[0]]
    data = scored(waves, codebook)
    return data.assign(firm_key=data["wave"] + "-" + data["registry_number"].astype(str))


def test_wave_stability_lr_matches_statsmodels_fits(panel):
    """The LR statistic is 2 (Σ per-wave log-likelihoods − pooled-with-wave-FE log-likelihood), each
    fitted here independently with statsmodels' MNLogit."""
    import patsy
    import statsmodels.api as sm

    from alliancegov.waves.models import wave_tables

    tables = wave_tables(panel, light(), CATEGORIES)
    lr = tables["choice_stability"].set_index("test").loc["lr"]

    def mnlogit(formula, frame):
        codes = pd.Categorical(frame["governance_form"], categories=CATEGORIES).codes
        return sm.MNLogit(codes, patsy.dmatrix(formula, frame)).fit(disp=0, method="newton", maxiter=100)

    pooled = mnlogit(f"{FORMULA} + C(wave)", panel)
    per_wave = [mnlogit(FORMULA, panel[panel["wave"] == w]) for w in sorted(panel["wave"].unique())]
    assert lr["statistic"] == pytest.approx(2 * (sum(r.llf for r in per_wave) - pooled.llf), rel=1e-6)
    assert lr["df"] == (len(per_wave) - 1) * (len(CHOICE_SCALES) + 1) * (len(CATEGORIES) - 1)
    side = tables["choice_waves"]
    assert list(dict.fromkeys(side["model"])) == ["pooled_wave_fe", "w2024", "w2025", "w2026"]
    fits = side[side["outcome"] == "(fit)"].set_index(["model", "term"])["estimate"]
    assert fits["pooled_wave_fe", "log_likelihood"] == pytest.approx(pooled.llf, rel=1e-8)
    assert {"wave[w2025]", "wave[w2026]"} <= set(side.loc[side["model"] == "pooled_wave_fe", "term"])


def test_wave_stability_rejects_a_slope_that_changes_and_not_one_that_stays(codebook):
    from alliancegov.waves.models import wave_tables

    stable = wave_tables(two_waves(codebook, 1500), light(), CATEGORIES)["choice_stability"].set_index("test")
    changed = wave_tables(two_waves(codebook, 1500, shift_in_second=1.5), light(),
                          CATEGORIES)["choice_stability"].set_index("test")
    for test in ("lr", "wald_cluster"):
        assert stable.loc[test, "p_value"] > 0.01, stable
        assert changed.loc[test, "p_value"] < 0.001, changed


def test_wave_tables_with_one_wave_or_a_form_missing_from_a_wave(panel):
    from alliancegov.waves.models import wave_tables

    single = wave_tables(panel[panel["wave"] == "w2024"], light(), CATEGORIES)
    assert single["choice_waves"].empty and single["choice_stability"].empty
    assert "estimate" in single["choice_waves"] and "p_value" in single["choice_stability"]
    no_jv_late = panel[~((panel["wave"] == "w2026") & (panel["governance_form"] == "joint_venture"))]
    lr = wave_tables(no_jv_late, light(), CATEGORIES)["choice_stability"].set_index("test").loc["lr"]
    assert np.isnan(lr["statistic"]) and "w2026" in lr["note"]


def test_a_separated_wave_gets_firths_estimates_and_no_stability_tests():
    """Separated data in one wave: its own model is Firth's (marked), as the main model would be, and the
    stability tests, which compare ML fits that do not exist, say so instead of failing on a singular matrix."""
    from alliancegov.choice.separation import fit_choice
    from alliancegov.waves.models import wave_tables

    rng = np.random.default_rng(11)
    n = 150
    data = pd.DataFrame({"x": rng.normal(size=2 * n), "d": rng.integers(0, 2, 2 * n),
                         "wave": ["w1"] * n + ["w2"] * n, "choice": rng.choice(["a", "b", "c"], 2 * n)})
    data.loc[(data["wave"] == "w2") & (data["d"] == 1), "choice"] = "c"    # in w2, d = 1 always chooses c
    spec = light("choice", "a", "x + d", cov_type="model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = wave_tables(data, spec, ["a", "b", "c"])
    estimators = tables["choice_waves"].drop_duplicates("model").set_index("model")["estimator"]
    assert estimators.to_dict() == {"pooled_wave_fe": "ml", "w1": "ml", "w2": "firth"}   # pooled: d varies in w1
    w2 = build_design(data[data["wave"] == "w2"], spec, ["a", "b", "c"])
    firth = tables["choice_waves"].query("model == 'w2' and outcome != '(fit)'")
    np.testing.assert_allclose(firth["estimate"], coefficient_table(fit_choice(w2, spec).fit, w2, spec)["estimate"])
    stability = tables["choice_stability"]
    assert stability["statistic"].isna().all()
    assert stability["note"].str.startswith("not computed: the data of wave w2 are separated").all()


def test_bootstrap_scattered_over_parts_equals_the_single_job(panel):
    from alliancegov.choice.bootstrap import bootstrap_part, bootstrap_table, bootstrap_table_from_parts

    spec = light(bootstrap_replicates=21, seed=6)
    design = build_design(panel, spec, CATEGORIES)
    whole = bootstrap_table(design, spec)
    parts = [bootstrap_part(design, spec, part, 3) for part in range(3)]
    assert [len(p) for p in parts] == [7, 7, 7]
    pd.testing.assert_frame_equal(bootstrap_table_from_parts(design, spec, parts[::-1]), whole)
    with pytest.raises(ValueError, match="20 resamples, not 21"):
        bootstrap_table_from_parts(design, spec, [parts[0].iloc[1:], *parts[1:]])


def test_a_scenario_design_equals_patsy_rebuilding_it_over_every_firm(panel):
    """Terms with the profile variable, with the profile_by factor, with both, with an interaction
    between the profile variable and another regressor, and without either: scenario_matrix builds
    what patsy builds from the whole modified frame."""
    import patsy

    from alliancegov.choice.design import scenario_matrix

    formula = ("asset_specificity + I(asset_specificity ** 2) + asset_specificity:trust + trust"
               " + C(sector, Treatment('services')) + C(sector, Treatment('services')):asset_specificity")
    design = build_design(panel, light(formula=formula), CATEGORIES)
    for values in ({"asset_specificity": 4.5}, {"sector": "textile"}, {"asset_specificity": 1.0, "sector": "services"}):
        (expected,) = patsy.build_design_matrices([design.design_info], design.data.assign(**values))
        np.testing.assert_array_equal(scenario_matrix(design, values), np.asarray(expected))
    np.testing.assert_array_equal(scenario_matrix(design, {}), design.X.to_numpy())


HOUSING_LEVELS = {"Sat": ["Low", "Medium", "High"], "Infl": ["Low", "Medium", "High"],
                  "Type": ["Tower", "Apartment", "Atrium", "Terrace"], "Cont": ["Low", "High"]}
NESTS = (("market", ("repeated_contract",)), ("hybrid", ("licensing", "supply_chain_partnership")),
         ("hierarchy", ("joint_venture",)))


@pytest.fixture(scope="module")
def housing():
    """MASS::housing, 72 cells with their frequencies (the order of tests/stats/test_ordinal.py)."""
    from tests.stats.test_ordinal import HOUSING_FREQ

    cells = [(s, i, k, c) for c in HOUSING_LEVELS["Cont"] for k in HOUSING_LEVELS["Type"]
             for i in HOUSING_LEVELS["Infl"] for s in HOUSING_LEVELS["Sat"]]
    return pd.DataFrame(cells, columns=["Sat", "Infl", "Type", "Cont"]).assign(Freq=HOUSING_FREQ)


def test_frequency_weighted_ordered_logit_is_polrs_not_zero(housing):
    """Regression: the choice stage's ordered logit ignored choice.weights. On grouped data (a row per
    covariate pattern and outcome, weighted by its count) every pattern occurs once in every category,
    so the unweighted slopes are exactly 0. With the weights it is MASS's house.plr (V&R §7.3)."""
    formula = "C(Infl, Treatment('Low')) + C(Type, Treatment('Tower')) + C(Cont, Treatment('Low'))"
    spec = light("Sat", "Low", formula, cov_type="model", weights="Freq", ordered=True)
    tables = analyse_choice(housing, spec, HOUSING_LEVELS["Sat"]).tables
    ordered = tables["choice_ordered"].set_index("term")
    slopes = ordered.loc[["Infl[Medium]", "Infl[High]", "Type[Apartment]", "Type[Atrium]", "Type[Terrace]",
                          "Cont[High]"], "estimate"]
    np.testing.assert_allclose(slopes, [0.5663937, 1.2888191, -0.5723501, -0.3661866, -1.0910149, 0.3602841],
                               atol=1e-4)
    np.testing.assert_allclose(ordered.loc[["Low|Medium", "Medium|High"], "estimate"], [-0.4961353, 0.6907083],
                               atol=1e-4)
    assert ordered["note"].str.contains("frequency weights Freq").all()
    header = tables["choice_ordered_fit"].set_index("statistic")
    assert header.loc["n_obs", "value"] == 1681 and "sum of the frequency weights" in header.loc["n_obs", "note"]
    assert header.loc["log_likelihood", "value"] == pytest.approx(-3479.149 / 2, abs=1e-3)
    assert header.loc["aic", "value"] == pytest.approx(3495.149, abs=1e-3)
    assert "likelihood-ratio" in header.loc["lr_chi2", "note"]
    unweighted = analyse_choice(housing, replace(spec, weights=None), HOUSING_LEVELS["Sat"]).tables["choice_ordered"]
    assert np.all(unweighted["estimate"].iloc[:6] == 0)   # the bug's mechanism: without the weights, no signal


def test_ordered_tables_take_the_choice_models_clusters_and_design(panel):
    from alliancegov.stats.ordinal import fit_ordered_logit
    from alliancegov.stats.survey.design import SurveyDesign

    spec = light(ordered=True)   # clustered by firm_key, the default
    results = analyse_choice(panel, spec, CATEGORIES)
    design = results.design
    X = design.X.drop(columns="Intercept")
    codes = pd.Categorical(np.asarray(design.levels, dtype=object)[design.y], categories=CATEGORIES).codes
    direct = fit_ordered_logit(X, codes, groups=design.groups)
    table = results.tables["choice_ordered"]
    np.testing.assert_allclose(table["std_error"], direct.std_errors, rtol=1e-10)
    assert table["note"].str.contains("clustered by firm_key").all()
    header = results.tables["choice_ordered_fit"].set_index("statistic")
    assert "lr_chi2" not in header.index and "Wald" in header.loc["wald_chi2", "note"]
    assert header.loc["n_clusters", "value"] == panel["firm_key"].nunique()
    brant = results.tables["choice_ordered_brant"]
    assert brant["note"].str.contains("clustered by firm_key").all()
    surveyed = analyse_choice(panel, light(ordered=True, cov_type="design", psu="firm_key", cv_folds=0), CATEGORIES)
    by_design = fit_ordered_logit(X, codes, design=SurveyDesign(psu=panel["firm_key"].to_numpy()))
    np.testing.assert_allclose(surveyed.tables["choice_ordered"]["std_error"], by_design.std_errors, rtol=1e-10)
    assert "wald_f" in set(surveyed.tables["choice_ordered_fit"]["statistic"])


def test_nested_logit_against_the_mnl(panel):
    from alliancegov.stats.nested_logit import fit_nested_logit

    results = analyse_choice(panel, light(nests=NESTS), CATEGORIES)
    table = results.tables["choice_nested"]
    design = results.design
    direct = fit_nested_logit(design.X, design.y, {"market": [0], "hybrid": [1, 2], "hierarchy": [3]},
                              cov_type="cluster", groups=design.groups)
    hybrid = table[(table["outcome"] == "dissimilarity") & (table["term"] == "hybrid")].iloc[0]
    assert hybrid["estimate"] == pytest.approx(direct.tau[1], rel=1e-8)
    assert hybrid["std_error"] == pytest.approx(direct.std_errors[-1], rel=1e-8)
    fixed = table[(table["outcome"] == "dissimilarity") & table["term"].isin(["market", "hierarchy"])]
    assert (fixed["estimate"] == 1).all() and fixed["std_error"].isna().all()
    assert fixed["note"].str.contains("fixed at 1").all()
    test = table[table["outcome"] == "test against the MNL"].iloc[0]
    assert test["term"] == "Wald" and test["df"] == 1
    assert test["statistic"] == pytest.approx((direct.tau[1] - 1) ** 2 / direct.cov[-1, -1], rel=1e-8)
    model = analyse_choice(panel, light(nests=NESTS, cov_type="model"), CATEGORIES).tables["choice_nested"]
    lr = model[model["outcome"] == "test against the MNL"].iloc[0]
    assert lr["term"] == "LR" and lr["statistic"] >= 0
    assert "choice_nested" not in analyse_choice(panel, light(nests=NESTS, nested_logit=False), CATEGORIES).tables
    with pytest.raises(ValueError, match="choice.nests: joint_venture is in no nest"):
        analyse_choice(panel, light(nests=NESTS[:2]), CATEGORIES)


def test_options_a_table_cannot_honour_stop_the_run(panel):
    """Each refusal names the option and the table."""
    weighted = panel.assign(fw=np.random.default_rng(2).integers(1, 4, len(panel)))
    with pytest.raises(ValueError, match=r"choice.weights is set, but Firth's penalised multinomial logit"):
        analyse_choice(weighted, light(weights="fw", firth="always"), CATEGORIES)
    with pytest.raises(ValueError, match=r"choice.cov_type: design is set, but the cross-validated predictive check"):
        analyse_choice(panel, light(cov_type="design", psu="firm_key", cv_folds=5), CATEGORIES)
    with pytest.raises(ValueError, match="choice.weights: fw holds frequency weights that are not whole numbers"):
        analyse_choice(weighted.assign(fw=weighted["fw"] + 0.5), light(weights="fw"), CATEGORIES)
    tests = analyse_choice(weighted, light(weights="fw", cov_type="model"), CATEGORIES).tables["choice_tests"]
    refused = tests[tests["test"].isin(["lr_term", "iia"]) & tests["statistic"].isna()]
    assert set(refused["test"]) == {"lr_term", "iia"}
    assert refused["note"].str.startswith("not computed with choice.weights").all()


def test_variants_are_compared_on_their_common_sample(panel):
    """A variant with a regressor missing for some firms: every model is refitted on the rows complete
    for all of them, so the AIC/BIC comparison is between likelihoods of the same data."""
    data = panel.assign(extra=np.where(np.arange(len(panel)) % 7 == 0, np.nan, panel["trust"] ** 2))
    spec = light(cov_type="model", variants=(("with_extra", FORMULA + " + extra"),))
    table = analyse_choice(data, spec, CATEGORIES).tables["choice_variants"]
    fit = table[table["outcome"] == "(fit)"].set_index(["model", "term"])
    complete = int(data["extra"].notna().sum())
    assert fit.loc[("main", "n_obs"), "estimate"] == fit.loc[("with_extra", "n_obs"), "estimate"] == complete
    assert fit["note"].str.startswith(f"common sample: every model fitted on the same {complete} rows").all()
    main_alone = analyse_choice(data.dropna(subset=["extra"]), light(cov_type="model"), CATEGORIES).tables["choice_fit"]
    assert fit.loc[("main", "aic"), "estimate"] == pytest.approx(
        main_alone.set_index("statistic").loc["aic", "value"], rel=1e-10)
    assert table.loc[table["outcome"] != "(fit)", "note"].str.startswith("model-based standard errors").all()


@pytest.mark.slow  # a Monte Carlo comparison, seeded
def test_frequency_weighted_bootstrap_resamples_firms(panel):
    """The choice bootstrap with frequency weights draws the firms the rows stand for: its SEs agree
    with the bootstrap of the expanded rows within Monte Carlo error (B = 400 each: a bootstrap SE has
    a Monte Carlo SE of about 3.5%; the median ratio over the 21 coefficients is well inside 10%)."""
    from alliancegov.choice.bootstrap import bootstrap_table

    weights = np.random.default_rng(4).integers(1, 5, len(panel))
    weighted = build_design(panel.assign(fw=weights), light(cov_type="model", weights="fw"), CATEGORIES)
    expanded = build_design(panel.loc[panel.index.repeat(weights)].reset_index(drop=True), light(cov_type="model"),
                            CATEGORIES)
    spec = light(cov_type="model", bootstrap_replicates=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = bootstrap_table(weighted, replace(spec, weights="fw"))
        b = bootstrap_table(expanded, replace(spec, seed=spec.seed + 1))
    ratio = a["std_error"].to_numpy() / b["std_error"].to_numpy()
    assert abs(np.median(ratio) - 1) < 0.05 and np.all(np.abs(ratio - 1) < 0.2), ratio
    assert a["note"].str.contains("units drawn, not rows").all()
