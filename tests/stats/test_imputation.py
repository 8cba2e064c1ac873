"""MICE imputation and Rubin's rules: hand formulas, R mice 3.15, statsmodels, simulation."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from alliancegov.stats.imputation import chained
from alliancegov.stats.imputation.chained import impute_chained, seeded_global_numpy
from alliancegov.stats.imputation.mice_data import ridge_multinomial_logit
from alliancegov.stats.imputation.rubin import PooledEstimate, barnard_rubin_df, pooled_tidy, rubin_pool

TRUE_COEF = np.array([1.0, 2.0, -1.0])  # intercept, x1, x2


def simulate_linear(seed, n=500, share_missing=0.3):
    """y = 1 + 2 x1 − x2 + N(0, 2²), corr(x1, x2) ≈ 0.45, x1 MCAR with ``share_missing``."""
    rng = np.random.default_rng(seed)
    x2 = rng.normal(size=n)
    x1 = 0.5 * x2 + rng.normal(size=n)
    y = TRUE_COEF[0] + TRUE_COEF[1] * x1 + TRUE_COEF[2] * x2 + rng.normal(scale=2, size=n)
    frame = pd.DataFrame({"y": y, "x1": x1, "x2": x2})
    frame.loc[rng.random(n) < share_missing, "x1"] = np.nan
    return frame


def ols_fit(frame):
    """OLS of y on x1, x2: (params (3,), cov (3, 3), df_resid)."""
    result = sm.OLS(frame["y"].to_numpy(), sm.add_constant(frame[["x1", "x2"]].to_numpy())).fit()
    return result.params, result.cov_params(), result.df_resid


def pool_ols(completed):
    fits = [ols_fit(frame) for frame in completed]
    return rubin_pool(np.array([f[0] for f in fits]), np.array([f[1] for f in fits]),
                      n_obs=len(completed[0]), df_complete=fits[0][2])


def mixed_frame(seed=5, n=240):
    """Numeric, nullable-integer, float32, string, category (with an unobserved level) columns,
    an extra column outside the imputation model, a non-default index and a fully missing row."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    group = np.where(x + 0.3 * rng.normal(size=n) > 0.5, "high", np.where(x > -0.5, "mid", "low"))
    frame = pd.DataFrame({
        "y": 1 + x + rng.normal(size=n),
        "x": x,
        "count": pd.array(rng.poisson(3, size=n), dtype="Int64"),
        "share": rng.uniform(size=n).astype("float32"),
        "group": pd.array(group, dtype="str"),
        "sector": pd.Categorical(rng.choice(["a", "b"], size=n), categories=["a", "b", "never"]),
        "outside": rng.normal(size=n),
    }, index=pd.Index([f"r{i}" for i in range(n)], name="firm"))
    for column, share in [("x", 0.3), ("count", 0.2), ("share", 0.1), ("group", 0.25), ("sector", 0.15),
                          ("outside", 0.2)]:
        frame.loc[rng.random(n) < share, column] = np.nan if column != "group" else None
    frame.loc[frame.index[0], ["y", "x", "count", "share", "group", "sector"]] = np.nan
    return frame


MIXED_COLUMNS = ["y", "x", "count", "share", "group", "sector"]
MIXED_CATEGORICAL = ["group", "sector"]


@pytest.fixture(scope="module")
def mixed_imputations():
    frame = mixed_frame()
    return frame, impute_chained(frame, MIXED_COLUMNS, m=4, seed=7, categorical=MIXED_CATEGORICAL, iterations=5)


# ---------------------------------------------------------------------------------------------
# Rubin's rules
# ---------------------------------------------------------------------------------------------

def test_rubin_pool_matches_hand_computation():
    """m = 3, p = 2 with correlated parameters; every quantity from the textbook formulas."""
    estimates = np.array([[1.0, -0.5], [1.4, -0.3], [0.9, -0.6]])
    covariances = np.array([
        [[0.04, 0.01], [0.01, 0.02]],
        [[0.05, 0.012], [0.012, 0.025]],
        [[0.045, 0.008], [0.008, 0.018]],
    ])
    m = 3
    pooled = rubin_pool(estimates, covariances, n_obs=60)

    qbar = np.array([(1.0 + 1.4 + 0.9) / 3, (-0.5 - 0.3 - 0.6) / 3])
    within = covariances.sum(axis=0) / 3
    between = sum(np.outer(q - qbar, q - qbar) for q in estimates) / (m - 1)
    total = within + (1 + 1 / m) * between
    np.testing.assert_allclose(pooled.estimate, qbar)
    np.testing.assert_allclose(pooled.within, within)
    np.testing.assert_allclose(pooled.between, between)
    np.testing.assert_allclose(pooled.cov, total)
    np.testing.assert_allclose(pooled.std_error, np.sqrt(np.diag(total)))
    for j in range(2):
        r = (1 + 1 / m) * between[j, j] / within[j, j]
        lam = (1 + 1 / m) * between[j, j] / total[j, j]
        nu = (m - 1) * (1 + 1 / r) ** 2
        assert pooled.riv[j] == pytest.approx(r)
        assert pooled.lambda_[j] == pytest.approx(lam) == pytest.approx(r / (1 + r))
        assert pooled.df[j] == pytest.approx(nu)
        assert pooled.fmi[j] == pytest.approx((r + 2 / (nu + 3)) / (r + 1))
    assert pooled.m == 3 and pooled.n_obs == 60 and pooled.df_complete is None


def test_barnard_rubin_worked_example_by_hand():
    """Q = 1.0, 1.2, 0.9, 1.1, 1.3; U = 0.05 each; ν_com = 20, worked through step by step."""
    pooled = rubin_pool(np.array([[1.0], [1.2], [0.9], [1.1], [1.3]]), np.full((5, 1, 1), 0.05),
                        df_complete=20)
    # Q̄ = 1.1; B = (0.01 + 0.01 + 0.04 + 0 + 0.04) / 4 = 0.025; W = 0.05; T = 0.05 + 1.2·0.025 = 0.08
    assert pooled.estimate[0] == pytest.approx(1.1)
    assert pooled.between[0, 0] == pytest.approx(0.025)
    assert pooled.cov[0, 0] == pytest.approx(0.08)
    # r = 0.03 / 0.05 = 0.6; λ = 0.03 / 0.08 = 0.375; ν = 4 / 0.375² = 256 / 9
    assert pooled.riv[0] == pytest.approx(0.6) and pooled.lambda_[0] == pytest.approx(0.375)
    nu = 256 / 9
    # ν_obs = (21 / 23) · 20 · (1 − 0.375) = 525 / 46; ν_BR = ν ν_obs / (ν + ν_obs)
    nu_obs = 525 / 46
    assert pooled.df[0] == pytest.approx(nu * nu_obs / (nu + nu_obs)) == pytest.approx(8.144960911, rel=1e-9)
    large_sample = rubin_pool(np.array([[1.0], [1.2], [0.9], [1.1], [1.3]]), np.full((5, 1, 1), 0.05))
    assert large_sample.df[0] == pytest.approx(nu)


@pytest.mark.parametrize("q, u, dfcom, expected", [
    # R 4.2.2, mice 3.15.0: unlist(pool.scalar(Q, U, n = 23, k = 3)[c("qbar","t","df","r","fmi")])
    ([1.0, 1.2, 0.9, 1.1, 1.3], [0.05] * 5, 20,
     dict(qbar=1.1, t=0.08, df=8.144960911459915, r=0.6, fmi=0.487158311718678)),
    ([-0.52, -0.47, -0.61, -0.55, -0.49], [0.010, 0.012, 0.011, 0.009, 0.013], 20,
     dict(qbar=-0.528, t=0.014624, df=11.343509720692511, r=0.329454545454546, fmi=0.352693842761316)),
    # pool.scalar(Q, U) with n = Inf: Rubin's large-sample df
    ([1.0, 1.2, 0.9, 1.1, 1.3], [0.05] * 5, None,
     dict(qbar=1.1, t=0.08, df=28.444444444444461, r=0.6, fmi=0.414752650176678)),
])
def test_rubin_pool_matches_r_mice_pool_scalar(q, u, dfcom, expected):
    pooled = rubin_pool(np.array(q)[:, None], np.array(u)[:, None, None], df_complete=dfcom)
    assert pooled.estimate[0] == pytest.approx(expected["qbar"], rel=1e-12)
    assert pooled.cov[0, 0] == pytest.approx(expected["t"], rel=1e-12)
    assert pooled.df[0] == pytest.approx(expected["df"], rel=1e-10)
    assert pooled.riv[0] == pytest.approx(expected["r"], rel=1e-10)
    assert pooled.fmi[0] == pytest.approx(expected["fmi"], rel=1e-10)


def test_no_between_variance_gives_complete_data_inference():
    estimates = np.tile([0.3, 1.0], (4, 1))
    covariances = np.tile(np.diag([0.01, 0.04]), (4, 1, 1))
    pooled = rubin_pool(estimates, covariances)
    assert np.all(np.isinf(pooled.df)) and np.all(pooled.fmi == 0) and np.all(pooled.lambda_ == 0)
    np.testing.assert_allclose(pooled.cov, np.diag([0.01, 0.04]))
    small = rubin_pool(estimates, covariances, df_complete=30)
    np.testing.assert_allclose(small.df, 31 / 33 * 30)  # ν_BR → ν_obs as ν → ∞
    np.testing.assert_allclose(barnard_rubin_df(4, np.array([0.0]), np.inf), [np.inf])


@pytest.mark.parametrize("estimates, covariances", [
    (np.zeros((1, 2)), np.zeros((1, 2, 2))),   # a single imputation
    (np.zeros((3, 2)), np.zeros((3, 3, 3))),   # shapes disagree
    (np.full((3, 1), np.nan), np.ones((3, 1, 1))),
])
def test_rubin_pool_rejects_bad_input(estimates, covariances):
    with pytest.raises(ValueError):
        rubin_pool(estimates, covariances)


def test_pooled_tidy_uses_t_with_per_parameter_df():
    pooled = rubin_pool(np.array([[1.0, 0.2], [1.2, 0.25], [0.9, 0.1], [1.1, 0.3]]),
                        np.tile(np.diag([0.05, 0.01]), (4, 1, 1)), df_complete=40)
    table = pooled_tidy(pooled, ["x", "C(sector)[T.textile]"], level=0.9)
    assert list(table.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                                   "conf_low", "conf_high", "df", "fmi"]
    assert table["term"].tolist() == ["x", "sector[textile]"]
    se = np.sqrt(np.diag(pooled.cov))
    for j in range(2):
        df = pooled.df[j]
        assert table.loc[j, "df"] == df and table.loc[j, "fmi"] == pooled.fmi[j]
        assert table.loc[j, "statistic"] == pytest.approx(pooled.estimate[j] / se[j])
        assert table.loc[j, "p_value"] == pytest.approx(2 * stats.t.sf(abs(pooled.estimate[j] / se[j]), df))
        assert table.loc[j, "conf_high"] == pytest.approx(pooled.estimate[j] + stats.t.ppf(0.95, df) * se[j])
    no_spread = pooled_tidy(rubin_pool(np.ones((3, 1)), np.full((3, 1, 1), 0.04)), ["z"])
    assert no_spread.loc[0, "conf_low"] == pytest.approx(1 - stats.norm.ppf(0.975) * 0.2)
    with pytest.raises(ValueError, match="terms"):
        pooled_tidy(pooled, ["only one"])


def test_pooling_agrees_with_statsmodels_mice_combine_on_shared_imputations():
    """Our Rubin pooling of OLS fits on our imputations = statsmodels MICE.combine on the same fits."""
    from statsmodels.imputation.mice import MICE, MICEData

    frame = simulate_linear(11, n=200)
    completed = impute_chained(frame, ["y", "x1", "x2"], m=6, seed=3, iterations=5)
    analysis = MICE("y ~ x1 + x2", sm.OLS, MICEData(frame, rng=0))
    analysis.results_list = [sm.OLS.from_formula("y ~ x1 + x2", data).fit() for data in completed]
    analysis.exog_names = analysis.results_list[0].model.exog_names
    analysis.endog_names = analysis.results_list[0].model.endog_names
    reference = analysis.combine()

    pooled = pool_ols(completed)
    np.testing.assert_allclose(pooled.estimate, reference.params, rtol=1e-10)
    np.testing.assert_allclose(pooled.std_error, reference.bse, rtol=1e-10)
    np.testing.assert_allclose(pooled.cov, reference.cov_params(), rtol=1e-10)
    np.testing.assert_allclose(pooled.lambda_, reference.frac_miss_info, rtol=1e-10)


def test_pooling_agrees_with_statsmodels_mice_fit():
    """And the other way round: statsmodels' own MICE run, its fits pooled by rubin_pool."""
    from statsmodels.imputation.mice import MICE, MICEData

    analysis = MICE("y ~ x1 + x2", sm.OLS, MICEData(simulate_linear(12, n=200), rng=1))
    reference = analysis.fit(n_burnin=3, n_imputations=5)
    fits = [result._results for result in analysis.results_list]
    pooled = rubin_pool(np.array([f.params for f in fits]), np.array([f.cov_params() for f in fits]))
    np.testing.assert_allclose(pooled.estimate, reference.params, rtol=1e-10)
    np.testing.assert_allclose(pooled.std_error, reference.bse, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# Imputation
# ---------------------------------------------------------------------------------------------

def test_same_seed_same_imputations_other_seed_differs(mixed_imputations):
    frame, first = mixed_imputations
    state = np.random.get_state()
    np.random.seed(999)  # the global RNG is neither used nor consulted
    again = impute_chained(frame, MIXED_COLUMNS, m=4, seed=7, categorical=MIXED_CATEGORICAL, iterations=5)
    np.random.set_state(state)
    for a, b in zip(first, again):
        pd.testing.assert_frame_equal(a, b)
    other = impute_chained(frame, MIXED_COLUMNS, m=4, seed=8, categorical=MIXED_CATEGORICAL, iterations=5)
    assert not first[0].equals(other[0])
    assert not first[0].equals(first[1])  # imputations differ from one another
    fewer = impute_chained(frame, MIXED_COLUMNS, m=2, seed=7, categorical=MIXED_CATEGORICAL, iterations=5)
    pd.testing.assert_frame_equal(fewer[1], first[1])  # imputation j does not depend on m


def test_global_numpy_state_is_left_alone():
    frame = simulate_linear(1, n=120)
    before = np.random.get_state()[1].copy()
    impute_chained(frame, ["y", "x1", "x2"], m=2, seed=0, iterations=2)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_only_missing_cells_change_and_frame_shape_is_kept(mixed_imputations):
    frame, completed = mixed_imputations
    assert len(completed) == 4
    for data in completed:
        assert data.index.equals(frame.index) and list(data.columns) == list(frame.columns)
        pd.testing.assert_series_equal(data.dtypes, frame.dtypes)
        assert not data[MIXED_COLUMNS].isna().any().any()
        pd.testing.assert_series_equal(data["outside"], frame["outside"])  # not in columns: untouched
        for column in MIXED_COLUMNS:
            observed = frame[column].notna()
            pd.testing.assert_series_equal(data.loc[observed, column], frame.loc[observed, column])
    assert frame.loc["r0", MIXED_COLUMNS].isna().all()  # the fully missing row is imputed, not dropped
    assert all(data.loc["r0", MIXED_COLUMNS].notna().all() for data in completed)


def test_numeric_imputations_are_observed_values(mixed_imputations):
    """Predictive mean matching only ever donates values seen in the column."""
    frame, completed = mixed_imputations
    for column in ["y", "x", "count", "share"]:
        missing = frame[column].isna()
        observed = set(frame.loc[~missing, column].tolist())
        for data in completed:
            assert set(data.loc[missing, column].tolist()) <= observed


def test_categorical_imputations_stay_within_observed_categories(mixed_imputations):
    frame, completed = mixed_imputations
    for data in completed:
        assert set(data["group"]) <= {"low", "mid", "high"}
        assert set(data["sector"].astype(str)) <= {"a", "b"}  # the declared level "never" is unobserved
        assert list(data["sector"].cat.categories) == ["a", "b", "never"]


def test_categorical_draws_follow_their_predictors():
    """group is a function of x: imputations recover it far better than the modal guess."""
    rng = np.random.default_rng(21)
    x = rng.normal(size=400)
    truth = pd.Series(np.where(x > 0.5, "high", np.where(x > -0.5, "mid", "low")), dtype="str")
    hidden = rng.random(400) < 0.3
    frame = pd.DataFrame({"x": x, "group": truth.where(~hidden)})
    completed = impute_chained(frame, ["x", "group"], m=3, seed=1, categorical=["group"], iterations=3)
    modal_share = truth[~hidden].value_counts(normalize=True).max()
    for data in completed:
        agreement = (data.loc[hidden, "group"] == truth[hidden]).mean()
        assert agreement > 0.75 > modal_share + 0.2


def test_other_categorical_dtypes_and_degenerate_cases():
    """Booleans, numeric codes declared categorical, a one-level column, a lone column (hot deck)."""
    rng = np.random.default_rng(0)
    n = 80
    frame = pd.DataFrame({
        "x": rng.normal(size=n),
        "flag": pd.array(rng.random(n) > 0.5, dtype="boolean"),
        "likert": rng.integers(1, 6, n).astype(float),
        "coded": pd.array(rng.integers(1, 4, n), dtype="Int64"),
        "label": pd.Series(rng.choice(["u", "v"], n), dtype=object),
        "constant": pd.array(["only"] * n, dtype="str"),
    })
    for column in frame.columns:
        frame.loc[rng.random(n) < 0.2, column] = np.nan if column == "x" else None
    categorical = ["flag", "likert", "coded", "label", "constant"]
    completed = impute_chained(frame, list(frame.columns), m=2, seed=0, categorical=categorical, iterations=3)
    for data in completed:
        pd.testing.assert_series_equal(data.dtypes, frame.dtypes)
        assert not data.isna().any().any()
        for column in categorical:
            assert set(data[column].tolist()) <= set(frame[column].dropna().tolist())
    lone = impute_chained(frame[["x"]], ["x"], m=2, seed=0)
    assert set(lone[0]["x"]) <= set(frame["x"].dropna()) and not lone[0].equals(lone[1])


def test_no_missing_values_gives_copies():
    frame = simulate_linear(2, n=50, share_missing=0.0)
    completed = impute_chained(frame, ["y", "x1", "x2"], m=3, seed=0)
    assert len(completed) == 3 and all(data.equals(frame) for data in completed)
    assert completed[0] is not frame


def test_errors_name_the_column():
    frame = simulate_linear(3, n=60)
    frame["empty"] = np.nan
    with pytest.raises(ValueError, match="'empty' is entirely missing"):
        impute_chained(frame, ["y", "x1", "empty"], m=2, seed=0)
    frame["label"] = pd.Series(["a", "b", None] * 20, dtype="str")
    with pytest.raises(ValueError, match="'label' is not numeric"):
        impute_chained(frame, ["y", "label"], m=2, seed=0)
    with pytest.raises(ValueError, match="categorical"):
        impute_chained(frame, ["y", "x1"], m=2, seed=0, categorical=["label"])
    with pytest.raises(ValueError, match="not in frame"):
        impute_chained(frame, ["y", "nope"], m=2, seed=0)
    with pytest.raises(ValueError, match="positive"):
        impute_chained(frame, ["y", "x1"], m=0, seed=0)


def test_legacy_statsmodels_path_is_seeded_and_restores_global_state(monkeypatch):
    """Older MICEData draw from numpy's global RNG: that path seeds it per chain and restores it."""
    monkeypatch.setattr(chained, "_micedata_takes_rng", lambda: False)
    frame = simulate_linear(4, n=100)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = impute_chained(frame, ["y", "x1", "x2"], m=2, seed=5, iterations=2)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.random.seed(321)
    second = impute_chained(frame, ["y", "x1", "x2"], m=2, seed=5, iterations=2)
    for a, b in zip(first, second):
        pd.testing.assert_frame_equal(a, b)


def test_seeded_global_numpy_restores_state():
    np.random.seed(42)
    expected = np.random.random()
    np.random.seed(42)
    with seeded_global_numpy(7):
        inside = np.random.random()
    assert np.random.random() == expected
    with seeded_global_numpy(7):
        assert np.random.random() == inside


@pytest.mark.parametrize("n_levels, sklearn_c", [(3, 1.0), (2, 2.0)])
def test_ridge_multinomial_logit_matches_scikit_learn(n_levels, sklearn_c):
    from scipy.special import softmax
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(n_levels)
    z = rng.normal(size=(300, 3))
    latent = 2 * z[:, 0] - z[:, 1] + rng.logistic(size=300)
    y = np.digitize(latent, [-1.0, 1.0][: n_levels - 1])
    weights = ridge_multinomial_logit(z, y, n_levels, penalty=1.0)
    ours = softmax(np.column_stack([np.ones(300), z]) @ weights, axis=1)
    reference = LogisticRegression(C=sklearn_c, tol=1e-12, max_iter=10_000).fit(z, y).predict_proba(z)
    np.testing.assert_allclose(ours, reference, atol=1e-6)


def test_ridge_multinomial_logit_stays_finite_under_separation():
    z = np.linspace(-1, 1, 40)[:, None]
    weights = ridge_multinomial_logit(z, (z[:, 0] > 0).astype(int), 2)
    assert np.all(np.isfinite(weights)) and np.abs(weights).max() < 10


# ---------------------------------------------------------------------------------------------
# Simulation: MCAR on a linear model
# ---------------------------------------------------------------------------------------------

def test_pooled_ols_covers_truth_and_beats_listwise_deletion():
    """n = 500, 30 % MCAR in x1: the pooled 95 % CIs cover the truth and are narrower than the
    complete-case ones (the incomplete rows still carry information on both slopes)."""
    frame = simulate_linear(2024)
    completed = impute_chained(frame, ["y", "x1", "x2"], m=20, seed=2024)
    pooled = pool_ols(completed)
    table = pooled_tidy(pooled, ["const", "x1", "x2"])
    assert np.all((table["conf_low"] < TRUE_COEF) & (TRUE_COEF < table["conf_high"]))

    params, cov, df_resid = ols_fit(frame.dropna())
    listwise_width = 2 * stats.t.ppf(0.975, df_resid) * np.sqrt(np.diag(cov))
    pooled_width = (table["conf_high"] - table["conf_low"]).to_numpy()
    assert np.all(pooled_width[1:] < listwise_width[1:])
    assert np.all((pooled.fmi > 0) & (pooled.fmi < 1)) and np.all((pooled.lambda_ > 0) & (pooled.lambda_ < 1))
    assert pooled.df_complete == 497 and np.all(pooled.df < 497)


def test_small_monte_carlo_unbiased_with_nominal_coverage():
    """25 data sets, m = 5: mean slope within 0.05 of the truth, ≥ 80 % of 95 % CIs cover it."""
    estimates, covered = [], []
    for replicate in range(25):
        completed = impute_chained(simulate_linear(100 + replicate), ["y", "x1", "x2"], m=5, seed=replicate,
                                   iterations=5)
        table = pooled_tidy(pool_ols(completed), ["const", "x1", "x2"])
        estimates.append(table["estimate"].to_numpy())
        covered.append(((table["conf_low"] < TRUE_COEF) & (TRUE_COEF < table["conf_high"])).to_numpy())
    np.testing.assert_allclose(np.mean(estimates, axis=0), TRUE_COEF, atol=0.05)
    assert np.all(np.mean(covered, axis=0) >= 0.8)


def test_pooled_estimate_is_a_dataclass_with_shapes():
    pooled = rubin_pool(np.zeros((3, 4)) + np.arange(3)[:, None], np.tile(np.eye(4), (3, 1, 1)))
    assert isinstance(pooled, PooledEstimate)
    assert pooled.estimate.shape == (4,) and pooled.cov.shape == (4, 4)
    assert pooled.df.shape == pooled.fmi.shape == pooled.riv.shape == (4,)
