import numpy as np
import pandas as pd
import pytest

from alliancegov.constructs.reliability import cronbach_alpha
from alliancegov.constructs.scores import reverse_code, score_scales
from alliancegov.constructs.stage import build_analysis


def test_reverse_coding_uses_min_plus_max(codebook):
    frame = pd.DataFrame({"as1": [1.0, 5.0], "as4": [1.0, np.nan], "tr3": [2.0, 4.0]})
    recoded = reverse_code(frame, codebook)
    assert recoded["as1"].tolist() == [1.0, 5.0]          # not reversed
    assert recoded["as4"].tolist()[0] == 5.0 and np.isnan(recoded["as4"].iloc[1])
    assert recoded["tr3"].tolist() == [4.0, 2.0]


def test_scale_score_needs_min_items(codebook):
    frame = pd.DataFrame({"tr1": [4.0, 4.0, np.nan], "tr2": [2.0, np.nan, np.nan], "tr3": [3.0, np.nan, 5.0]})
    scores = score_scales(frame.reindex(columns=codebook.variables["name"]), codebook)
    assert scores["trust"].iloc[0] == pytest.approx(3.0)
    assert scores["trust"].iloc[1:].isna().all()          # min_items = 2


def test_cronbach_alpha_matches_the_textbook_formula():
    # Items with known covariance: alpha = k/(k-1) (1 - sum var_i / var_total), computed by hand.
    items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3], "c": [1, 3, 3, 4, 5, 2], })
    k = 3
    variances = items.var(ddof=1).sum()
    total = items.sum(axis=1).var(ddof=1)
    alpha, n = cronbach_alpha(items)
    assert n == 6
    assert alpha == pytest.approx(k / (k - 1) * (1 - variances / total), abs=1e-12)
    with_gap = items.astype(float)
    with_gap.iloc[0, 0] = np.nan
    assert cronbach_alpha(with_gap) == pytest.approx(cronbach_alpha(items.iloc[1:]), abs=1e-12)   # listwise


def test_simulated_scores_recover_the_latent_constructs(codebook, small_waves):
    pooled = pd.concat(small_waves, ignore_index=True)
    items = pooled[codebook.variables["name"][codebook.variables["type"] == "likert"].tolist()
                   + ["wave", "sector", "governance_form"]]
    analysis, reliability = build_analysis(items, codebook)
    assert np.corrcoef(analysis["asset_specificity"], pooled["latent_asset_specificity"])[0, 1] > 0.8
    pooled_alpha = reliability.set_index(["scale", "wave"])["alpha"]
    assert pooled_alpha["asset_specificity", "all"] > 0.7
    assert set(reliability["wave"]) == {"w2024", "w2025", "w2026", "all"}


# ---- reliability: alpha CI, omega, item statistics -------------------------------------------

from alliancegov.constructs.reliability import (  # noqa: E402
    alpha_confidence_interval,
    item_statistics,
    item_table,
    omega_total,
    one_factor_ml,
    reliability_table,
)


def congeneric_items(loadings, n, seed, missing=0):
    """Standard-normal items x_i = λ_i f + e_i with var(e_i) = 1 − λ_i²; ``missing`` cells set to NaN."""
    rng = np.random.default_rng(seed)
    loadings = np.asarray(loadings, float)
    factor = rng.normal(size=(n, 1))
    values = factor * loadings + rng.normal(size=(n, len(loadings))) * np.sqrt(1 - loadings**2)
    items = pd.DataFrame(values, columns=[f"x{i + 1}" for i in range(len(loadings))])
    for _ in range(missing):
        items.iloc[rng.integers(n), rng.integers(len(loadings))] = np.nan
    return items


def population_omega(loadings):
    loadings = np.asarray(loadings, float)
    return loadings.sum() ** 2 / (loadings.sum() ** 2 + (1 - loadings**2).sum())


@pytest.fixture(scope="module")
def likert_items():
    """Five-point answers to four items of one construct, with a few missing answers."""
    rng = np.random.default_rng(11)
    latent = rng.normal(size=(150, 1))
    items = pd.DataFrame(np.clip(np.round(3 + latent + rng.normal(scale=0.9, size=(150, 4))), 1, 5),
                         columns=["i1", "i2", "i3", "i4"])
    items.iloc[[2, 40, 77], [0, 3, 1]] = np.nan
    return items


def test_alpha_equals_pingouin_listwise_and_the_hand_formula(likert_items):
    import pingouin as pg
    complete = likert_items.dropna()
    k = complete.shape[1]
    by_hand = k / (k - 1) * (1 - complete.var(ddof=1).sum() / complete.sum(axis=1).var(ddof=1))

    alpha, n = cronbach_alpha(likert_items)

    assert n == len(complete) == 147
    assert alpha == pytest.approx(by_hand, abs=1e-9)
    assert alpha == pytest.approx(pg.cronbach_alpha(likert_items, nan_policy="listwise")[0], abs=1e-9)
    # pingouin's default is pairwise deletion, which is not what we report.
    assert pg.cronbach_alpha(likert_items)[0] != pytest.approx(alpha, abs=1e-9)


def test_feldt_interval_equals_pingouin_and_the_formula(likert_items):
    import pingouin as pg
    from scipy.stats import f
    complete = likert_items.dropna()
    alpha, n = cronbach_alpha(complete)
    k = complete.shape[1]

    low, high = alpha_confidence_interval(alpha, n, k)

    # Feldt, Woodruff & Salih (1987): (1 − α̂)/(1 − α) ~ F(n − 1, (n − 1)(k − 1)).
    df1, df2 = n - 1, (n - 1) * (k - 1)
    assert low == pytest.approx(1 - (1 - alpha) * f.ppf(0.975, df1, df2), abs=1e-12)
    assert high == pytest.approx(1 - (1 - alpha) * f.ppf(0.025, df1, df2), abs=1e-12)
    assert low < alpha < high
    # pingouin rounds its interval to 3 decimals. It is given the complete rows: with
    # nan_policy="listwise" pingouin 0.7 takes n before dropping incomplete rows.
    assert np.round([low, high], 3) == pytest.approx(pg.cronbach_alpha(complete)[1], abs=1e-12)
    narrow = alpha_confidence_interval(alpha, n, k, level=0.80)
    assert low < narrow[0] < narrow[1] < high


def test_feldt_interval_is_missing_when_undefined():
    assert np.isnan(alpha_confidence_interval(0.8, 1, 4)).all()
    assert np.isnan(alpha_confidence_interval(0.8, 50, 1)).all()
    assert np.isnan(alpha_confidence_interval(float("nan"), 50, 4)).all()
    with pytest.raises(ValueError, match="level"):
        alpha_confidence_interval(0.8, 50, 4, level=95)


def test_omega_equals_the_three_item_closed_form():
    # Three indicators just-identify one factor: λ_i² = r_ij r_ik / r_jk on the correlation matrix.
    items = congeneric_items([0.8, 0.65, 0.5], n=400, seed=5, missing=6)
    r = items.dropna().corr().to_numpy()
    squared = np.array([r[0, 1] * r[0, 2] / r[1, 2], r[0, 1] * r[1, 2] / r[0, 2], r[0, 2] * r[1, 2] / r[0, 1]])
    loadings = np.sqrt(squared)
    closed_form = loadings.sum() ** 2 / (loadings.sum() ** 2 + (1 - squared).sum())

    assert omega_total(items) == pytest.approx(closed_form, abs=1e-6)
    fitted_loadings, uniquenesses = one_factor_ml(r)
    assert fitted_loadings == pytest.approx(loadings, abs=1e-6)
    assert uniquenesses == pytest.approx(1 - squared, abs=1e-6)


def test_omega_agrees_with_scikit_learn_factor_analysis():
    from sklearn.decomposition import FactorAnalysis

    items = congeneric_items([0.8, 0.7, 0.6, 0.5, 0.4], n=1500, seed=2)
    standardized = (items - items.mean()) / items.std(ddof=0)
    model = FactorAnalysis(n_components=1, tol=1e-12, max_iter=100_000).fit(standardized)
    loadings = np.abs(model.components_[0])
    reference = loadings.sum() ** 2 / (loadings.sum() ** 2 + model.noise_variance_.sum())

    assert omega_total(items) == pytest.approx(reference, abs=1e-6)


@pytest.mark.parametrize("loadings", [[0.8, 0.7, 0.6, 0.5], [0.9, 0.4, 0.4, 0.3, 0.7]])
def test_omega_converges_to_the_population_value(loadings):
    truth = population_omega(loadings)
    errors = [abs(omega_total(congeneric_items(loadings, n, seed=n)) - truth) for n in (300, 100_000)]

    assert errors[1] < 0.003
    assert errors[1] < errors[0] or errors[0] < 0.003
    # omega ≥ alpha, with equality only for equal loadings (tau-equivalence).
    items = congeneric_items(loadings, 100_000, seed=1)
    assert omega_total(items) > cronbach_alpha(items)[0]


def test_omega_of_tau_equivalent_items_is_close_to_alpha():
    items = congeneric_items([0.7] * 4, 50_000, seed=3)
    assert omega_total(items) == pytest.approx(cronbach_alpha(items)[0], abs=0.003)


def test_omega_is_missing_when_a_one_factor_model_is_not_identified():
    items = congeneric_items([0.8, 0.7, 0.6], n=50, seed=1)
    assert np.isnan(omega_total(items[["x1", "x2"]]))          # two items
    assert np.isnan(omega_total(items.iloc[:3]))                # fewer rows than k + 1
    assert np.isnan(omega_total(items.assign(x3=1.0)))          # a constant item


def test_item_statistics_match_hand_computations(likert_items):
    stats = item_statistics(likert_items).set_index("item")
    complete = likert_items.dropna()

    assert list(stats.columns) == ["n", "mean", "sd", "corrected_item_total_r", "alpha_if_deleted"]
    assert (stats["n"] == len(complete)).all()
    for item in likert_items.columns:
        others = complete.drop(columns=item)
        assert stats.at[item, "mean"] == pytest.approx(complete[item].mean(), abs=1e-12)
        assert stats.at[item, "sd"] == pytest.approx(complete[item].std(ddof=1), abs=1e-12)
        assert stats.at[item, "corrected_item_total_r"] == pytest.approx(
            complete[item].corr(others.sum(axis=1)), abs=1e-12)
        assert stats.at[item, "alpha_if_deleted"] == pytest.approx(cronbach_alpha(others)[0], abs=1e-12)


def test_item_statistics_flag_an_unrecoded_reversed_item(likert_items):
    flipped = likert_items.assign(i4=6 - likert_items["i4"])
    stats = item_statistics(flipped).set_index("item")

    assert stats.at["i4", "corrected_item_total_r"] < 0
    assert stats.at["i4", "alpha_if_deleted"] > cronbach_alpha(flipped)[0]


def test_leaving_reversed_items_unrecoded_lowers_reliability(codebook, small_waves):
    pooled = pd.concat(small_waves, ignore_index=True)
    recoded = reverse_code(pooled, codebook)
    for scale in ["asset_specificity", "environmental_uncertainty", "trust"]:
        items = codebook.items(scale)
        assert items["reverse"].any()
        names = items["name"].tolist()
        assert cronbach_alpha(pooled[names])[0] < cronbach_alpha(recoded[names])[0] - 0.1
        assert omega_total(pooled[names]) < omega_total(recoded[names])
        reversed_item = items.loc[items["reverse"], "name"].iloc[0]
        raw_stats = item_statistics(pooled[names]).set_index("item")
        assert raw_stats.at[reversed_item, "corrected_item_total_r"] < 0


def test_reliability_table_adds_the_interval_and_omega(codebook, small_waves):
    recoded = reverse_code(pd.concat(small_waves, ignore_index=True), codebook)
    table = reliability_table(recoded, codebook)

    assert list(table.columns) == [
        "scale", "wave", "n_items", "n_complete", "alpha", "alpha_conf_low", "alpha_conf_high", "omega",
    ]
    assert len(table) == 4 * len(codebook.scales)
    assert (table["alpha_conf_low"] < table["alpha"]).all() and (table["alpha"] < table["alpha_conf_high"]).all()
    assert table["omega"].between(0, 1).all()
    row = table[(table["scale"] == "trust") & (table["wave"] == "all")].iloc[0]
    names = codebook.items("trust")["name"].tolist()
    assert (row["alpha_conf_low"], row["alpha_conf_high"]) == pytest.approx(
        alpha_confidence_interval(row["alpha"], row["n_complete"], row["n_items"]), abs=1e-15)
    assert row["omega"] == pytest.approx(omega_total(recoded[names]), abs=1e-12)


def test_item_table_per_wave_and_pooled(codebook, small_waves):
    recoded = reverse_code(pd.concat(small_waves, ignore_index=True), codebook)
    recoded.loc[:9, "tr1"] = np.nan
    table = item_table(recoded, codebook)
    reliability = reliability_table(recoded, codebook).set_index(["scale", "wave"])

    assert list(table.columns) == [
        "scale", "wave", "item", "n", "mean", "sd", "corrected_item_total_r", "alpha_if_deleted",
    ]
    assert len(table) == 4 * codebook.variables["scale"].ne("").sum()
    assert set(table["wave"]) == {"w2024", "w2025", "w2026", "all"}
    trust = table[(table["scale"] == "trust") & (table["wave"] == "all")]
    assert trust["item"].tolist() == codebook.items("trust")["name"].tolist()
    assert (trust["n"] == reliability.at[("trust", "all"), "n_complete"]).all()
    pooled = item_statistics(recoded[trust["item"].tolist()])
    assert trust.drop(columns=["scale", "wave"]).reset_index(drop=True).equals(pooled)
    assert (table["corrected_item_total_r"] > 0).all()      # items recoded: all point the same way


def test_select_multiple_answers_become_indicators_and_a_count(codebook):
    from alliancegov.constructs.scores import choice_indicators

    frame = pd.DataFrame({"distribution_channels": ["large_partner online", "large_partner", None]})
    indicators = choice_indicators(frame, codebook)
    assert indicators["distribution_channels__n"].tolist()[:2] == [2.0, 1.0]
    assert indicators["distribution_channels__online"].tolist()[:2] == [1.0, 0.0]
    assert indicators.iloc[2].isna().all()
    assert len(indicators.columns) == len(codebook.answer_names("distribution_channels")) + 1
