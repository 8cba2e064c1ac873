import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alliancegov.choice import ChoiceSpec, fit_mnl
from alliancegov.constructs import build_analysis
from alliancegov.simulate import CHOICE_SCALES, load_truth, simulate_waves, true_choice_coefficients

FORMULA = " + ".join(CHOICE_SCALES) + " + C(sector, Treatment('services'))"
CATEGORIES = ["repeated_contract", "licensing", "supply_chain_partnership", "joint_venture"]


@pytest.fixture(scope="module")
def large_sample(codebook):
    wave = simulate_waves(20000, [2024], seed=2020, codebook=codebook)[0]
    analysis, _ = build_analysis(wave.drop(columns=list(CHOICE_SCALES)), codebook)
    return analysis


def test_mnl_recovers_the_true_coefficients(large_sample):
    """20,000 simulated firms: every true coefficient inside its 99% CI, and jointly not rejected.

    The sample is fixed by its seed. With 21 coefficients about one seed in five puts one of them
    just outside its 99% interval by chance; the joint Wald test below is the principled check.
    """
    spec = ChoiceSpec("governance_form", "repeated_contract", FORMULA, cov_type="nonrobust", level=0.99)
    fit = fit_mnl(large_sample, spec, CATEGORIES)
    truth = true_choice_coefficients(load_truth()).rename(index={"sector_textile": "sector[textile]"})
    table = fit.coefficients.set_index(["outcome", "term"])
    assert len(table) == truth.size
    for outcome in truth.columns:
        for term, true_value in truth[outcome].items():
            row = table.loc[(outcome, term)]
            assert row["conf_low"] <= true_value <= row["conf_high"], (outcome, term, true_value, row.to_dict())
    # joint Wald test of all coefficients = truth; statsmodels ravels params equation-major
    names = list(fit.result.model.exog_names)
    by_name = truth.rename(index={"sector[textile]": names[1]}).loc[names]
    true_vector = np.concatenate([by_name[outcome] for outcome in truth.columns])
    difference = np.asarray(fit.result.params).T.ravel() - true_vector
    wald = difference @ np.linalg.solve(np.asarray(fit.result.cov_params()), difference)
    assert stats.chi2(truth.size).sf(wald) > 0.01


def test_labels_base_and_statsmodels_agree(codebook, small_waves):
    import statsmodels.api as sm

    analysis, _ = build_analysis(pd.concat(small_waves, ignore_index=True).drop(columns=list(CHOICE_SCALES)),
                                 codebook)
    spec = ChoiceSpec("governance_form", "repeated_contract", FORMULA, cov_type="nonrobust")
    fit = fit_mnl(analysis, spec, CATEGORIES)
    assert (fit.coefficients["base"] == "repeated_contract").all()
    assert list(dict.fromkeys(fit.coefficients["outcome"])) == CATEGORIES[1:]
    # the same model fitted directly with statsmodels on integer codes, base coded 0
    codes = analysis["governance_form"].map({c: i for i, c in enumerate(CATEGORIES)})
    import patsy
    design = patsy.dmatrix(FORMULA, analysis, return_type="dataframe")
    direct = sm.MNLogit(codes, design).fit(disp=0, method="newton")
    np.testing.assert_allclose(fit.coefficients["estimate"], np.asarray(direct.params).T.ravel(), rtol=1e-8)
    np.testing.assert_allclose(fit.coefficients["std_error"], np.asarray(direct.bse).T.ravel(), rtol=1e-8)
    fitstats = fit.fit.set_index("statistic")["value"]
    assert fitstats["log_likelihood"] == pytest.approx(direct.llf)
    assert fitstats["log_likelihood_null"] == pytest.approx(direct.llnull, rel=1e-8)
    assert fitstats["mcfadden_r2"] == pytest.approx(direct.prsquared, rel=1e-8)
    row = fit.coefficients.iloc[3]
    z = stats.norm.ppf(0.975)
    assert row["conf_low"] == pytest.approx(row["estimate"] - z * row["std_error"])
    np.testing.assert_allclose(fit.probabilities.sum(axis=1), 1)


def test_rows_with_missing_regressors_are_counted_not_hidden(codebook, small_waves):
    analysis, _ = build_analysis(pd.concat(small_waves, ignore_index=True).drop(columns=list(CHOICE_SCALES)),
                                 codebook)
    analysis["firm_key"] = analysis["registry_number"]
    analysis.loc[analysis.index[:7], "trust"] = np.nan
    fit = fit_mnl(analysis, ChoiceSpec("governance_form", "repeated_contract", FORMULA), CATEGORIES)
    stats_ = fit.fit.set_index("statistic")["value"]
    assert stats_["n_missing"] == 7 and stats_["n"] == len(analysis) - 7
    assert stats_["n_clusters"] == analysis["firm_key"].iloc[7:].nunique()


def test_a_base_that_never_occurs_is_an_error(codebook, small_waves):
    analysis, _ = build_analysis(pd.concat(small_waves, ignore_index=True).drop(columns=list(CHOICE_SCALES)),
                                 codebook)
    with pytest.raises(ValueError, match="base category 'franchise'"):
        fit_mnl(analysis, ChoiceSpec("governance_form", "franchise", FORMULA, cov_type="nonrobust"),
                CATEGORIES + ["franchise"])
