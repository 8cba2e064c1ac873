"""Tests of alliancegov.stats.mnl_tests against Stata reference results, explicit statsmodels
fits and textbook formulas written out plainly."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, special, stats

from alliancegov.stats import mnl_tests as mt

# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anes():
    """ANES 1996 as in statsmodels' test_discrete.py (constant appended last) and its MNLogit fit."""
    data = sm.datasets.anes96.load()
    y = np.asarray(data.endog).astype(int)
    X = sm.add_constant(data.exog, prepend=False)
    result = sm.MNLogit(y, X).fit(method="newton", disp=0)
    return y, X, result


@pytest.fixture(scope="module")
def stata_anes():
    """Stata 11 ``mlogit`` results (base 0) shipped with statsmodels' test-suite."""
    from statsmodels.discrete.tests.results.results_discrete import Anes

    return Anes.mnlogit_basezero


def simulate_mnl(n, coefs, seed):
    """Draw from a true MNL: ``coefs`` (3, J) for [const, x1, x2], column 0 (base) zeros."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    utility = X @ np.asarray(coefs, float) + rng.gumbel(size=(n, np.shape(coefs)[1]))
    return utility.argmax(axis=1), pd.DataFrame(X, columns=["const", "x1", "x2"])


# outcomes 1 and 2 share their slopes (different intercepts); outcome 3 differs strongly
SHARED = [[0.0, 0.3, -0.2, 0.1], [0.0, 0.8, 0.8, -1.0], [0.0, -0.5, -0.5, 1.0]]


def table(frame):
    return dict(zip(frame["statistic"], frame["value"]))


# --------------------------------------------------------------------------------------------
# 5-6. fit statistics
# --------------------------------------------------------------------------------------------


def test_fit_statistics_reproduce_stata_mlogit(anes, stata_anes):
    """Every fit statistic Stata's reference holds: llf, llnull, llr (df_model), p, r2_p, aic, bic, N."""
    y, X, result = anes
    ref = stata_anes
    for probabilities, loglik in [(result.predict(), result.llf),  # statsmodels' fit
                                  (ref.phat, ref.llf)]:  # Stata's own predicted probabilities
        fit = table(mt.fit_statistics(y, probabilities, loglik, ref.params.size))
        assert fit["log_likelihood"] == pytest.approx(ref.llf, abs=1e-5)
        assert fit["log_likelihood_null"] == pytest.approx(ref.llnull, abs=1e-6)
        assert fit["lr_chi2"] == pytest.approx(ref.llr, abs=1e-4)
        assert fit["lr_df"] == ref.df_model
        assert fit["lr_p_value"] == pytest.approx(ref.llr_pvalue, rel=1e-4)
        assert fit["mcfadden_r2"] == pytest.approx(ref.prsquared, abs=1e-7)
        assert fit["aic"] == pytest.approx(ref.aic, abs=1e-4)
        assert fit["bic"] == pytest.approx(ref.bic, abs=1e-4)
        assert fit["n_obs"] == ref.nobs
        assert fit["n_params"] == ref.params.size


def test_fit_statistics_textbook_formulas(anes):
    """Long (1997) ch. 4 formulas written out, and the stated invariants."""
    y, X, result = anes
    P = result.predict()
    N, K, LL = len(y), result.params.size, result.llf
    fit = table(mt.fit_statistics(y, P, LL, K))
    LL0 = result.llnull  # statsmodels refits the constant-only model: checks the closed form
    assert fit["log_likelihood_null"] == pytest.approx(LL0, abs=1e-6)
    assert fit["mcfadden_adj_r2"] == pytest.approx(1 - (LL - K) / LL0)
    r2_ml = 1 - math.exp(LL0 - LL) ** (2 / N)  # 1 - (L0 / L)^(2/N)
    assert fit["cox_snell_r2"] == pytest.approx(r2_ml)
    assert fit["nagelkerke_r2"] == pytest.approx(fit["cox_snell_r2"] / (1 - math.exp(2 * LL0 / N)))
    assert fit["nagelkerke_r2"] == pytest.approx(r2_ml / (1 - math.exp(LL0 * 2 / N)))
    predicted = P.argmax(axis=1)
    correct = int((predicted == y).sum())
    n_max = np.bincount(y).max()
    assert fit["count_r2"] == pytest.approx(correct / N)
    assert fit["adj_count_r2"] == pytest.approx((correct - n_max) / (N - n_max))
    assert fit["aic_per_obs"] == pytest.approx((-2 * LL + 2 * K) / N)
    assert fit["aic"] == pytest.approx(result.aic)
    assert fit["bic"] == pytest.approx(result.bic)
    assert fit["bic"] == pytest.approx(-2 * LL + K * math.log(N))
    assert fit["bic_prime"] == pytest.approx(-2 * (LL - LL0) + (K - 6) * math.log(N))
    assert fit["lr_p_value"] == pytest.approx(stats.chi2.sf(2 * (LL - LL0), K - 6))


def test_fit_statistics_frequency_weights_equal_expanded_data():
    y, X = simulate_mnl(300, SHARED, seed=3)
    weights = np.random.default_rng(4).integers(1, 4, size=len(y))
    expanded = np.repeat(np.arange(len(y)), weights)
    result = sm.MNLogit(y, X).fit(method="newton", disp=0)  # same estimates for both: only LL is weighted
    P = result.predict()
    weighted_ll = float((weights * np.log(P[np.arange(len(y)), y])).sum())
    weighted = table(mt.fit_statistics(y, P, weighted_ll, result.params.size, weights=weights))
    expanded_ll = float(np.log(P[expanded, y[expanded]]).sum())
    plain = table(mt.fit_statistics(y[expanded], P[expanded], expanded_ll, result.params.size))
    for name, value in plain.items():
        assert weighted[name] == pytest.approx(value, rel=1e-10), name


def test_classification_table_counts_and_margins(anes):
    y, X, result = anes
    P = result.predict()
    labels = [f"o{j}" for j in range(7)]
    tab = mt.classification_table(y, P, labels)
    assert list(tab.index) == labels + ["Total"] and list(tab.columns) == labels + ["Total"]
    expected = pd.crosstab(pd.Categorical(y, categories=range(7)), pd.Categorical(P.argmax(1), categories=range(7)),
                           dropna=False).to_numpy()
    np.testing.assert_array_equal(tab.iloc[:7, :7].to_numpy(), expected)
    np.testing.assert_array_equal(tab["Total"].iloc[:7], np.bincount(y, minlength=7))
    assert tab.loc["Total", "Total"] == len(y)
    count_r2 = table(mt.fit_statistics(y, P, result.llf, result.params.size))["count_r2"]
    assert np.trace(tab.iloc[:7, :7].to_numpy()) / len(y) == pytest.approx(count_r2)


# --------------------------------------------------------------------------------------------
# 1-2. term tests
# --------------------------------------------------------------------------------------------

TERMS = {"age": ["age"], "ses": ["educ", "income"]}


def test_lr_term_test_equals_two_explicit_fits(anes):
    y, X, result = anes
    out = mt.lr_test_terms(y, X, list(X.columns), TERMS).set_index("term")
    for term, columns in TERMS.items():
        restricted = sm.MNLogit(y, X.drop(columns=columns)).fit(method="newton", disp=0)
        lr = 2 * (result.llf - restricted.llf)
        assert out.loc[term, "statistic"] == pytest.approx(lr, rel=1e-8)
        assert out.loc[term, "df"] == len(columns) * 6
        assert out.loc[term, "p_value"] == pytest.approx(stats.chi2.sf(lr, len(columns) * 6))


def _selection(names, columns, J):
    k = len(names)
    R = np.zeros((len(columns) * (J - 1), k * (J - 1)))
    for row, (e, c) in enumerate((e, c) for e in range(J - 1) for c in columns):
        R[row, e * k + names.index(c)] = 1
    return R


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_wald_term_test_equals_statsmodels_wald_test(anes, cov_type):
    y, X, _ = anes
    result = sm.MNLogit(y, X).fit(method="newton", disp=0, cov_type=cov_type)
    names = list(X.columns)
    out = mt.wald_test_terms(result, names, TERMS).set_index("term")
    for term, columns in TERMS.items():
        reference = result.wald_test(_selection(names, columns, 7), scalar=True)
        assert out.loc[term, "statistic"] == pytest.approx(float(reference.statistic), rel=1e-10)
        assert out.loc[term, "df"] == len(columns) * 6
        assert out.loc[term, "p_value"] == pytest.approx(float(reference.pvalue), rel=1e-8)


def test_wald_term_test_explicit_covariance(anes):
    y, X, result = anes
    base = mt.wald_test_terms(result, None, TERMS)
    scaled = mt.wald_test_terms(result, None, TERMS, cov=2.5 * np.asarray(result.cov_params()))
    np.testing.assert_allclose(scaled["statistic"], base["statistic"] / 2.5)
    with pytest.raises(ValueError):
        mt.wald_test_terms(result, None, TERMS, cov=np.eye(3))


# --------------------------------------------------------------------------------------------
# 3. combining outcomes
# --------------------------------------------------------------------------------------------


def test_combine_wald_equals_hand_built_restriction(anes):
    y, X, result = anes
    out = mt.combine_outcomes_tests(y, X, result, tests=("wald",))
    assert len(out) == 21 and set(out["df"]) == {5}
    theta = np.asarray(result.params).T.ravel()  # equation-major: outcome j's coefficient c at (j-1)*6 + c
    V = np.asarray(result.cov_params())
    for a, b in [(0, 3), (2, 5), (4, 5)]:
        R = np.zeros((5, 36))
        for s in range(5):  # slopes are columns 0..4, the constant is column 5
            R[s, (b - 1) * 6 + s] = 1
            if a > 0:
                R[s, (a - 1) * 6 + s] = -1
        d = R @ theta
        expected = d @ np.linalg.inv(R @ V @ R.T) @ d
        row = out[(out.outcome_a == a) & (out.outcome_b == b)].iloc[0]
        assert row["statistic"] == pytest.approx(expected, rel=1e-10)
        assert row["statistic"] == pytest.approx(float(result.wald_test(R, scalar=True).statistic), rel=1e-10)


def test_combine_lr_equals_independent_constrained_optimum(anes):
    """Constrained MNL maximised with scipy BFGS on a plainly written log-likelihood."""
    y, X, result = anes
    out = mt.combine_outcomes_tests(y, X, result, tests=("lr",), pairs=[(0, 3), (2, 5)])
    Xa = X.to_numpy()
    theta_hat = np.asarray(result.params).T.ravel()

    def loglik(B):  # B (6, 7) with the base column 0
        eta = Xa @ B
        return float((eta[np.arange(len(y)), y] - special.logsumexp(eta, axis=1)).sum())

    for a, b in [(0, 3), (2, 5)]:
        def unpack(phi, a=a, b=b):
            B = np.zeros((6, 7))
            B[:, 1:] = phi.reshape(6, 6).T
            B[:5, b] = B[:5, a]  # slopes of b equal to a's (0 if a is the base); intercept free
            return B

        fit = optimize.minimize(lambda phi: -loglik(unpack(phi)), theta_hat, method="BFGS",
                                options={"gtol": 1e-7, "maxiter": 5000})
        expected = 2 * (result.llf + fit.fun)
        row = out[(out.outcome_a == a) & (out.outcome_b == b)].iloc[0]
        assert row["statistic"] == pytest.approx(expected, abs=1e-4)
        assert row["df"] == 5


def test_combine_tests_on_simulated_data():
    rejections = 0
    for seed in range(40):
        y, X = simulate_mnl(400, SHARED, seed=100 + seed)
        out = mt.combine_outcomes_tests(y, X, pairs=[(1, 2)])
        assert set(out["test"]) == {"wald", "lr"} and set(out["df"]) == {2}
        rejections += int((out["p_value"] < 0.05).any())
    assert rejections <= 6  # nominal 5% per test; both tests at once, 40 replications

    y, X = simulate_mnl(1000, SHARED, seed=1)
    out = mt.combine_outcomes_tests(y, X, pairs=[(1, 3), (0, 3)])
    assert (out["p_value"] < 1e-3).all()
    assert (out["statistic"] > 0).all()


def test_combine_is_invariant_to_the_base(anes):
    y, X, result = anes
    order = [3, 0, 1, 2, 4, 5, 6]  # re-base on outcome 3
    recoded = np.array([order.index(v) for v in y])
    out = mt.combine_outcomes_tests(y, X, result, pairs=[(1, 2), (0, 3)])
    rebased = mt.combine_outcomes_tests(recoded, X, pairs=[(2, 3), (0, 1)])
    np.testing.assert_allclose(rebased["statistic"], out["statistic"], rtol=1e-6)


# --------------------------------------------------------------------------------------------
# 4. IIA
# --------------------------------------------------------------------------------------------

TRUE_MNL = [[0.0, 0.2, -0.3, 0.4], [0.0, 0.7, -0.6, 0.1], [0.0, -0.4, 0.5, 0.9]]


@pytest.fixture(scope="module")
def true_mnl():
    return simulate_mnl(2000, TRUE_MNL, seed=11)


def test_hausman_mcfadden_on_true_mnl(true_mnl):
    y, X = true_mnl
    for omitted in (1, 2, 3):
        statistic, df, p_value = mt.hausman_mcfadden(y, X, omitted)
        assert df == (4 - 2) * 3  # common coefficients: 2 equations x (2 slopes + intercept)
        assert np.isfinite(statistic)
        assert statistic < 0 or p_value > 0.01


def test_hausman_mcfadden_equals_hand_computation(true_mnl):
    y, X = true_mnl
    full = sm.MNLogit(y, X).fit(method="newton", disp=0)
    keep = y != 2
    sub = sm.MNLogit(np.where(y[keep] == 3, 2, y[keep]), X[keep]).fit(method="newton", disp=0)
    f_idx = [0, 1, 2, 6, 7, 8]  # equations of outcomes 1 and 3 in the full model
    d = np.asarray(sub.params).T.ravel() - np.asarray(full.params).T.ravel()[f_idx]
    Vd = np.asarray(sub.cov_params()) - np.asarray(full.cov_params())[np.ix_(f_idx, f_idx)]
    expected = d @ np.linalg.inv(Vd) @ d
    assert mt.hausman_mcfadden(y, X, 2).statistic == pytest.approx(expected, rel=1e-6)


def test_hausman_base_rebasing_is_invariant(anes):
    y, X, _ = anes
    first = mt.hausman_mcfadden(y, X, 0)  # default re-base: most frequent other outcome
    for rebase_to in (3, 5):
        other = mt.hausman_mcfadden(y, X, 0, rebase_to=rebase_to)
        assert other.statistic == pytest.approx(first.statistic, rel=1e-6)
        assert other.df == first.df == 5 * 6


def test_hausman_negative_statistic_is_reported_not_clipped(anes):
    y, X, _ = anes
    statistic, df, p_value = mt.hausman_mcfadden(y, X, 1)
    assert statistic < -1  # ANES: the covariance difference is not positive definite here
    assert math.isnan(p_value)
    iia = mt.iia_tests(y, X, seed=1)
    row = iia[(iia.omitted == 1) & (iia.test == "hausman_mcfadden")].iloc[0]
    assert row["statistic"] == pytest.approx(statistic) and row["note"] == mt.NEGATIVE_HAUSMAN_NOTE


def test_small_hsiao_reproducible_and_by_hand(true_mnl):
    y, X = true_mnl
    first = mt.small_hsiao(y, X, 2, seed=5)
    assert mt.small_hsiao(y, X, 2, seed=5) == first
    assert mt.small_hsiao(y, X, 2, seed=6).statistic != first.statistic
    assert first.df == (4 - 2) * 3 and first.statistic >= 0 and first.p_value > 0.001
    # by hand: same split, renormalised probabilities of the remaining outcomes at b_AB
    n = len(y)
    in_a = np.zeros(n, bool)
    in_a[np.random.default_rng(5).permutation(n)[: n // 2]] = True
    b_a = sm.MNLogit(y[in_a], X[in_a]).fit(method="newton", disp=0).params.to_numpy()
    b_b = sm.MNLogit(y[~in_a], X[~in_a]).fit(method="newton", disp=0).params.to_numpy()
    b_ab = np.column_stack([np.zeros(3), b_a / math.sqrt(2) + (1 - 1 / math.sqrt(2)) * b_b])
    rows = ~in_a & (y != 2)
    prob = special.softmax(X[rows].to_numpy() @ b_ab, axis=1)
    prob = prob[:, [0, 1, 3]] / prob[:, [0, 1, 3]].sum(axis=1, keepdims=True)
    code = np.searchsorted([0, 1, 3], y[rows])
    ll_ab = np.log(prob[np.arange(rows.sum()), code]).sum()
    ll_r = sm.MNLogit(code, X[rows]).fit(method="newton", disp=0).llf
    assert first.statistic == pytest.approx(-2 * (ll_ab - ll_r), rel=1e-8)


def test_iia_tests_wrapper(true_mnl):
    y, X = true_mnl
    out = mt.iia_tests(y, X, seed=5, include_base=True, labels=["a", "b", "c", "d"])
    assert list(out.columns) == mt.IIA_COLUMNS
    assert list(out["omitted"]) == ["a", "a", "b", "b", "c", "c", "d", "d"]
    assert set(out["df"]) == {6}
    sh = out[(out.test == "small_hsiao") & (out.omitted == "c")].iloc[0]
    assert sh["statistic"] == pytest.approx(mt.small_hsiao(y, X, 2, seed=5).statistic)
    assert ((out["p_value"] > 0.001) | out["p_value"].isna()).all()


@pytest.mark.parametrize("kind", ["model", "robust", "cluster"])
def test_equal_coefficients_across_samples_is_the_interacted_models_wald_test(kind):
    """suest from separate fits = the pooled model with every column interacted with the sample,
    fitted whole, and the Wald test of its interactions (firms in several samples one cluster)."""
    from alliancegov.stats.mnl import fit_mnl_newton, model_covariance, sandwich_covariance

    rng = np.random.default_rng(5)
    n_samples, per_sample, k = 3, 400, 3
    X = np.column_stack([np.ones(n_samples * per_sample), rng.normal(size=(n_samples * per_sample, k - 1))])
    sample = np.repeat(np.arange(n_samples), per_sample)
    slopes = np.array([[0.4, -0.3], [0.8, 0.2], [-0.5, 0.6]]).T          # (k-1, J-1), third sample differs
    eta = np.column_stack([np.zeros(len(X)), 0.2 + X[:, 1:] @ slopes * np.where(sample == 2, 1.5, 1.0)[:, None]])
    P = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) > rng.random((len(X), 1))).argmax(axis=1)
    firm = np.concatenate([rng.permutation(per_sample) for _ in range(n_samples)])   # each firm in every sample

    samples = []
    for s in range(n_samples):
        rows = sample == s
        samples.append((X[rows], y[rows], fit_mnl_newton(X[rows], y[rows]).params,
                        firm[rows] if kind == "cluster" else None))
    names = ["Intercept", "x1", "x2"]
    test = mt.equal_coefficients_test(samples, [names] * n_samples, ["x1", "x2"], kind=kind)

    dummies = [(sample == s).astype(float)[:, None] for s in range(1, n_samples)]
    X_int = np.hstack([X] + [X * d for d in dummies])                  # columns: base, then sample s × (1, x1, x2)
    fit = fit_mnl_newton(X_int, y)
    if kind == "model":
        V = model_covariance(fit.information)
    else:
        V = sandwich_covariance(X_int, y, fit.params, kind=kind, groups=firm if kind == "cluster" else None)
    width = X_int.shape[1]
    interactions = [e * width + k * s + c for e in range(3) for s in range(1, n_samples) for c in (1, 2)]
    theta = fit.params.T.ravel()[interactions]
    expected = float(theta @ np.linalg.solve(V[np.ix_(interactions, interactions)], theta))
    assert test.df == len(interactions) == 12                        # 3 equations × 2 later samples × 2
    assert test.statistic == pytest.approx(expected, rel=1e-7)
    assert test.p_value < 0.05                                        # the third sample's slopes differ


# --------------------------------------------------------------------------------------------
# IIA: the suest-based generalised Hausman test, Small–Hsiao over many splits
# --------------------------------------------------------------------------------------------


def hand_suest_hausman(y, X, omitted):
    """The suest Hausman statistic written out: per-row scores of both fits (zero for the rows the
    restricted fit does not use), the stacked sandwich with the G/(G-1) factor, G = n rows."""
    from alliancegov.stats.mnl import fit_mnl_newton, information, model_covariance, score_contributions

    X = np.asarray(X, float)
    n, k = X.shape
    keep = y != omitted
    remaining = [j for j in range(int(y.max()) + 1) if j != omitted]
    sub = np.searchsorted(remaining, y[keep])
    full, restricted = fit_mnl_newton(X, y), fit_mnl_newton(X[keep], sub)
    scores_f = score_contributions(X, y, full.params)
    scores_r = np.zeros((n, restricted.params.size))
    scores_r[keep] = score_contributions(X[keep], sub, restricted.params)
    from scipy import linalg

    bread = linalg.block_diag(model_covariance(information(X, full.params)),
                              model_covariance(information(X[keep], restricted.params)))
    S = np.hstack([scores_f, scores_r])
    V = bread @ (S.T @ S) @ bread * n / (n - 1)
    p_f = scores_f.shape[1]
    f_idx = np.array([(j - 1) * k + c for j in remaining[1:] for c in range(k)])
    r_idx = p_f + np.arange(restricted.params.size)
    d = restricted.params.T.ravel() - full.params.T.ravel()[f_idx]
    Vd = V[np.ix_(r_idx, r_idx)] + V[np.ix_(f_idx, f_idx)] - V[np.ix_(r_idx, f_idx)] - V[np.ix_(f_idx, r_idx)]
    return float(d @ np.linalg.pinv(Vd) @ d)


def test_suest_hausman_equals_the_stacked_sandwich_written_out():
    y, X = simulate_mnl(600, SHARED, seed=4)
    test = mt.suest_hausman(y, X, omitted=3)
    assert test.statistic == pytest.approx(hand_suest_hausman(y, X, 3), rel=1e-8)
    assert test.df == 2 * 3 and 0 <= test.p_value <= 1


@pytest.mark.parametrize("omitted", [0, 2])   # 0: the base is left out, so the fits are re-based
def test_suest_hausman_started_at_the_callers_fit_reaches_the_same_test(omitted):
    from alliancegov.stats.mnl import fit_mnl_newton

    y, X = simulate_mnl(600, SHARED, seed=5)
    cold = mt.suest_hausman(y, X, omitted=omitted)
    warm = mt.suest_hausman(y, X, omitted=omitted, start=fit_mnl_newton(np.asarray(X, dtype=float), y).params)
    assert warm.statistic == pytest.approx(cold.statistic, rel=1e-7) and warm.df == cold.df


def test_suest_hausman_is_never_negative_where_the_classic_one_is():
    """On the ANES data SPost's classic Hausman is negative for some omitted outcomes (undefined);
    the suest version is a quadratic form in a covariance matrix and never is."""
    y, X, _ = anes_data()
    classic = [mt.hausman_mcfadden(y, X, omitted).statistic for omitted in range(1, 7)]
    suest = [mt.suest_hausman(y, X, omitted).statistic for omitted in range(1, 7)]
    assert min(classic) < 0
    assert min(suest) >= 0


def anes_data():
    data = sm.datasets.anes96.load()
    return np.asarray(data.endog).astype(int), sm.add_constant(data.exog, prepend=False), None


def test_suest_hausman_has_its_size_under_iia():
    """Under a true MNL the test rejects at about its level (120 samples: at most 12% at 5%). It has
    little power against a nested choice (checked here: 0–10% rejections at n = 2000 with a
    dissimilarity of 0.2), as Cheng & Long (2007) found of the Hausman-type IIA tests: hence the
    nested logit the choice stage fits beside the MNL."""
    rejections = 0
    for seed in range(120):
        y, X = simulate_mnl(500, SHARED, seed=1000 + seed)
        rejections += mt.suest_hausman(y, X, omitted=1).p_value < 0.05
    assert 1 <= rejections <= 14   # expected 6; a test that never rejects would not be one


def test_small_hsiao_splits_are_reproducible_and_each_is_the_single_split_test():
    y, X = simulate_mnl(800, SHARED, seed=6)
    splits = mt.small_hsiao_splits(y, X, 3, seed=21, n_splits=12)
    again = mt.small_hsiao_splits(y, X, 3, seed=21, n_splits=12)
    pd.testing.assert_frame_equal(splits, again)
    assert list(splits["split"]) == list(range(12))
    single = mt.small_hsiao(y, X, 3, np.random.SeedSequence([21, 5]))
    assert splits.loc[5, "statistic"] == pytest.approx(single.statistic)
    assert splits["p_value"].nunique() > 6    # the verdict depends on the split: hence many of them


def test_design_adjusted_f_is_korn_graubards_and_tends_to_the_chi_square():
    """Korn & Graubard (1990): F = (d − q + 1) W / (d q) on (q, d − q + 1) df, Stata's svy test;
    with many PSUs it is the χ²(q) test, and with fewer PSUs than restrictions it is undefined."""
    f, denominator, p = mt.design_adjusted_f(10.0, 2, 31)
    assert (f, denominator) == (pytest.approx(30 * 10.0 / (31 * 2)), 30)
    assert p == pytest.approx(stats.f.sf(30 * 10.0 / 62, 2, 30))
    assert p > stats.chi2.sf(10.0, 2)    # the design's few PSUs cost power
    _, _, p_large = mt.design_adjusted_f(10.0, 2, 1e7)
    assert p_large == pytest.approx(stats.chi2.sf(10.0, 2), rel=1e-4)
    f, denominator, p = mt.design_adjusted_f(10.0, 5, 3)
    assert denominator == -1 and math.isnan(f) and math.isnan(p)
