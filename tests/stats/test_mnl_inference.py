"""Tests of ``alliancegov.stats.mnl``: MNL fit, Stata-scaled sandwich covariances, AMEs, predictions.

Published reference: Stata 11 ``mlogit`` (base outcome 0) and ``margins, dydx(*) predict(outcome(#))``
on the ANES 1996 data, as shipped with statsmodels (``statsmodels.datasets.anes96`` and class ``Anes``,
``mnlogit_basezero``, in ``statsmodels/discrete/tests/results/results_discrete.py``; "Results are from
Stata 11 (checked vs R nnet package)"). The design is built as in
``statsmodels/discrete/tests/test_discrete.py``: ``sm.add_constant(anes_data.exog, prepend=False)``,
i.e. columns ``logpopul, selfLR, age, educ, income, const`` and outcome ``PID`` (7 categories); the
dummy-margins reference adds ``vote`` as a sixth regressor before the constant.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from alliancegov.stats import mnl
from alliancegov.stats.mnl import core as mnl_core
from alliancegov.stats.mnl.margins import _ame_terms


def simulate(n, k, J, seed, *, scale=0.5):
    """Constant first, then standard-normal regressors; outcomes drawn from an MNL."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    B = rng.normal(scale=scale, size=(k, J - 1))
    P = mnl.probabilities(X, B)
    y = (P.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    return X, y


def theta_of(params):
    return np.asarray(params).T.ravel()


def params_of(theta, k):
    return np.asarray(theta).reshape(-1, k).T


def numeric_jacobian(fun, theta, h=1e-6):
    """Central finite differences of a vector function of theta."""
    f0 = np.asarray(fun(theta))
    jac = np.empty((f0.size, theta.size))
    for p in range(theta.size):
        e = np.zeros_like(theta)
        e[p] = h
        jac[:, p] = (np.asarray(fun(theta + e)) - np.asarray(fun(theta - e))).ravel() / (2 * h)
    return jac


def random_cov(p, seed):
    A = np.random.default_rng(seed).normal(size=(p, p))
    return A @ A.T / p + np.eye(p) * 0.1


# ------------------------------------------------------------------------------------------------
# Published reference: Stata 11 mlogit / margins on ANES 1996
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def anes():
    from statsmodels.discrete.tests.results.results_discrete import Anes

    data = sm.datasets.anes96.load()
    X = sm.add_constant(np.asarray(data.exog, dtype=float), prepend=False)
    y = np.asarray(data.endog).astype(int)
    vote = np.asarray(data.data["vote"], dtype=float)
    return X, y, vote, Anes.mnlogit_basezero


def test_anes_newton_reproduces_stata_mlogit(anes):
    X, y, _, ref = anes
    fit = mnl.fit_mnl_newton(X, y)
    assert fit.converged
    assert fit.params.shape == (6, 6) == ref.params.shape
    np.testing.assert_allclose(fit.params, ref.params, rtol=0, atol=1e-4)
    bse = np.sqrt(np.diag(mnl.model_covariance(fit.information))).reshape(6, 6).T  # equation-major -> (k, J-1)
    np.testing.assert_allclose(bse, ref.bse, rtol=0, atol=1e-4)
    assert fit.loglik == pytest.approx(ref.llf, abs=1e-3)
    assert mnl.log_likelihood(X, y, fit.params) == pytest.approx(fit.loglik, abs=1e-9)
    # predicted probabilities of the reference fit (phat_mnlogit.csv)
    np.testing.assert_allclose(mnl.probabilities(X, fit.params), ref.phat, rtol=0, atol=1e-6)
    # and statsmodels' own Newton fit, tightly
    res = sm.MNLogit(y, X).fit(method="newton", disp=0)
    np.testing.assert_allclose(fit.params, res.params, rtol=0, atol=1e-8)
    np.testing.assert_allclose(mnl.model_covariance(fit.information), res.cov_params(), rtol=1e-7, atol=1e-12)


def test_anes_average_marginal_effects_reproduce_stata_margins(anes):
    X, y, vote, ref = anes
    fit = mnl.fit_mnl_newton(X, y)
    ame = mnl.average_marginal_effects(X, fit.params, mnl.model_covariance(fit.information), continuous=[0, 1, 2, 3, 4])
    assert list(ame.columns) == ["variable", "outcome", "estimate", "std_error"]
    est = ame["estimate"].to_numpy().reshape(5, 7)
    se = ame["std_error"].to_numpy().reshape(5, 7)
    np.testing.assert_allclose(est, ref.margeff_dydx_overall, rtol=0, atol=1e-6)
    np.testing.assert_allclose(se, ref.margeff_dydx_overall_se, rtol=0, atol=1e-6)
    np.testing.assert_allclose(est.sum(axis=1), 0, atol=1e-12)

    # vote as a dummy: discrete change 0 -> 1 (Stata's margins with i.vote)
    Xv = np.column_stack([X[:, :5], vote, X[:, 5]])
    fitv = mnl.fit_mnl_newton(Xv, y)
    ame = mnl.average_marginal_effects(Xv, fitv.params, mnl.model_covariance(fitv.information),
                                       continuous=[0, 1, 2, 3, 4], discrete={"vote": (None, [5])})
    assert ame["variable"].iloc[-1] == "vote"
    np.testing.assert_allclose(ame["estimate"].to_numpy().reshape(6, 7), ref.margeff_dydx_dummy_overall,
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(ame["std_error"].to_numpy().reshape(6, 7), ref.margeff_dydx_dummy_overall_se,
                               rtol=0, atol=1e-6)


# ------------------------------------------------------------------------------------------------
# likelihood pieces
# ------------------------------------------------------------------------------------------------

def test_probabilities_are_stable_for_huge_utilities():
    X = np.array([[1.0, 800.0], [1.0, -800.0], [1.0, 0.0]])
    B = np.array([[0.0, 0.0], [1.0, 2.0]])
    P = mnl.probabilities(X, B)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P[0], [0, 0, 1], atol=1e-300)
    np.testing.assert_allclose(P[1], [1, 0, 0], atol=1e-300)
    np.testing.assert_allclose(P[2], [1 / 3] * 3)
    y = np.array([2, 0, 1])
    assert mnl.log_likelihood(X, y, B) == pytest.approx(np.log(1 / 3))


def test_scores_and_information_are_derivatives_of_the_loglikelihood():
    X, y = simulate(120, 3, 4, seed=3)
    k = X.shape[1]
    theta = np.random.default_rng(4).normal(scale=0.3, size=k * 3)
    w = np.random.default_rng(5).uniform(0.5, 2.0, size=len(y))
    S = mnl.score_contributions(X, y, params_of(theta, k))
    assert S.shape == (120, 9)
    grad = numeric_jacobian(lambda t: [mnl.log_likelihood(X, y, params_of(t, k), weights=w)], theta)[0]
    np.testing.assert_allclose(w @ S, grad, rtol=1e-7, atol=1e-7)
    score_sum = lambda t: w @ mnl.score_contributions(X, y, params_of(t, k))  # noqa: E731
    info = mnl.information(X, params_of(theta, k), weights=w)
    np.testing.assert_allclose(info, -numeric_jacobian(score_sum, theta), rtol=1e-6, atol=1e-7)
    # statsmodels' Hessian takes theta in the same (equation-major) order
    np.testing.assert_allclose(mnl.information(X, params_of(theta, k)), -sm.MNLogit(y, X).hessian(theta), rtol=1e-12)


def test_newton_reports_non_convergence():
    X, y = simulate(500, 3, 3, seed=8)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        fit = mnl.fit_mnl_newton(X, y, maxiter=1)
    assert not fit.converged and fit.iterations == 1


# ------------------------------------------------------------------------------------------------
# sandwich covariances with Stata's scaling
# ------------------------------------------------------------------------------------------------

def hand_scores(X, y, B):
    """Per-observation scores by an explicit loop (equation-major)."""
    n, k = X.shape
    J = B.shape[1] + 1
    S = np.zeros((n, k * (J - 1)))
    for i in range(n):
        u = np.concatenate([[0.0], X[i] @ B])
        p = np.exp(u) / np.exp(u).sum()
        for j in range(1, J):
            S[i, (j - 1) * k:j * k] = (float(y[i] == j) - p[j]) * X[i]
    return S


@pytest.fixture(scope="module")
def small_case():
    X, y = simulate(150, 3, 3, seed=11)
    groups = np.random.default_rng(12).integers(0, 13, size=150)
    res = sm.MNLogit(y, X).fit(method="newton", disp=0)
    return X, y, groups, np.asarray(res.params)


def test_robust_covariance_by_hand_and_vs_statsmodels_hc0(small_case):
    X, y, _, B = small_case
    n = len(y)
    bread = np.linalg.inv(-sm.MNLogit(y, X).hessian(theta_of(B)))
    S = hand_scores(X, y, B)
    meat = np.zeros((S.shape[1], S.shape[1]))
    for i in range(n):
        meat += np.outer(S[i], S[i])
    expected = n / (n - 1) * bread @ meat @ bread
    V = mnl.sandwich_covariance(X, y, B, kind="robust")
    np.testing.assert_allclose(V, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(mnl.score_contributions(X, y, B), S, rtol=1e-12, atol=1e-14)
    hc0 = sm.MNLogit(y, X).fit(method="newton", disp=0, cov_type="HC0").cov_params()
    np.testing.assert_allclose(V, n / (n - 1) * hc0, rtol=1e-7, atol=1e-12)


def test_cluster_covariance_by_hand_and_vs_statsmodels_cluster(small_case):
    X, y, groups, B = small_case
    n, k = X.shape
    K = k * B.shape[1]
    bread = np.linalg.inv(-sm.MNLogit(y, X).hessian(theta_of(B)))
    S = hand_scores(X, y, B)
    labels = sorted(set(groups.tolist()))
    meat = np.zeros((K, K))
    for g in labels:
        Sg = np.zeros(K)
        for i in range(n):
            if groups[i] == g:
                Sg += S[i]
        meat += np.outer(Sg, Sg)
    G = len(labels)
    expected = G / (G - 1) * bread @ meat @ bread
    V = mnl.sandwich_covariance(X, y, B, kind="cluster", groups=groups)
    np.testing.assert_allclose(V, expected, rtol=1e-10, atol=1e-14)
    # string labels work the same
    V_str = mnl.sandwich_covariance(X, y, B, kind="cluster", groups=np.array([f"g{g}" for g in groups]))
    np.testing.assert_allclose(V_str, V, rtol=1e-12)
    res = sm.MNLogit(y, X).fit(method="newton", disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    ratio = np.diag(res.cov_params()) / np.diag(V)
    np.testing.assert_allclose(ratio, (n - 1) / (n - K), rtol=1e-7)
    np.testing.assert_allclose(V, res.cov_params() * (n - K) / (n - 1), rtol=1e-7, atol=1e-12)


def test_weighted_sandwich_sampling_and_frequency(small_case):
    X, y, groups, _ = small_case
    n, k = X.shape
    w = np.random.default_rng(13).integers(1, 4, size=n).astype(float)
    fit = mnl.fit_mnl_newton(X, y, weights=w)
    B = fit.params
    S = hand_scores(X, y, B)
    bread = np.linalg.inv(mnl.information(X, B, weights=w))
    # sampling weights (pweight): meat sum (w s)(w s)', N = number of rows
    meat = sum(np.outer(w[i] * S[i], w[i] * S[i]) for i in range(n))
    V = mnl.sandwich_covariance(X, y, B, kind="robust", weights=w, information=fit.information)
    np.testing.assert_allclose(V, n / (n - 1) * bread @ meat @ bread, rtol=1e-9, atol=1e-14)
    # frequency weights (fweight): identical to the unweighted sandwich on expanded rows, N = sum w
    rep = np.repeat(np.arange(n), w.astype(int))
    Xe, ye, ge = X[rep], y[rep], groups[rep]
    Vf = mnl.sandwich_covariance(X, y, B, kind="robust", weights=w, weight_type="frequency")
    np.testing.assert_allclose(Vf, mnl.sandwich_covariance(Xe, ye, B, kind="robust"), rtol=1e-9, atol=1e-14)
    N = w.sum()
    meat_f = sum(w[i] * np.outer(S[i], S[i]) for i in range(n))
    np.testing.assert_allclose(Vf, N / (N - 1) * bread @ meat_f @ bread, rtol=1e-9, atol=1e-14)
    # cluster: weighted score sums, the same for both weight types and equal to the expanded data
    Vc = mnl.sandwich_covariance(X, y, B, kind="cluster", groups=groups, weights=w)
    np.testing.assert_allclose(Vc, mnl.sandwich_covariance(Xe, ye, B, kind="cluster", groups=ge),
                               rtol=1e-9, atol=1e-14)
    Vcf = mnl.sandwich_covariance(X, y, B, kind="cluster", groups=groups, weights=w, weight_type="frequency")
    np.testing.assert_allclose(Vcf, Vc, rtol=1e-12)


def test_sandwich_rejects_bad_kind(small_case):
    X, y, _, B = small_case
    with pytest.raises(ValueError):
        mnl.sandwich_covariance(X, y, B, kind="hc3")
    with pytest.raises(ValueError):
        mnl.sandwich_covariance(X, y, B, kind="cluster")


# ------------------------------------------------------------------------------------------------
# frequency weights in the fit
# ------------------------------------------------------------------------------------------------

def test_frequency_weighted_fit_equals_row_expansion():
    X, y = simulate(400, 4, 4, seed=21)
    w = np.random.default_rng(22).integers(0, 5, size=len(y)).astype(float)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    weighted = mnl.fit_mnl_newton(X, y, weights=w)
    expanded = mnl.fit_mnl_newton(X[rep], y[rep])
    assert weighted.converged and expanded.converged
    np.testing.assert_allclose(weighted.params, expanded.params, rtol=0, atol=1e-8)
    assert weighted.loglik == pytest.approx(expanded.loglik, rel=1e-12)
    se_w = np.sqrt(np.diag(mnl.model_covariance(weighted.information)))
    se_e = np.sqrt(np.diag(mnl.model_covariance(expanded.information)))
    np.testing.assert_allclose(se_w, se_e, rtol=0, atol=1e-6)
    # and the weighted fit is not the unweighted one
    assert np.abs(mnl.fit_mnl_newton(X, y).params - weighted.params).max() > 1e-3


# ------------------------------------------------------------------------------------------------
# average marginal effects
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ame_case():
    rng = np.random.default_rng(31)
    n = 300
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(0, 3, size=n),
                         rng.integers(0, 2, size=n)]).astype(float)
    B = rng.normal(scale=0.6, size=(4, 3))
    P = mnl.probabilities(X, B)
    y = (P.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    res = sm.MNLogit(y, X).fit(method="newton", disp=0)
    return X, y, np.asarray(res.params), np.asarray(res.cov_params()), res


def test_ame_matches_statsmodels_get_margeff(ame_case):
    X, _, B, C, res = ame_case
    me = res.get_margeff(at="overall", method="dydx")
    assert me.margeff.shape == (3, 4)  # non-constant columns x all J outcomes
    ame = mnl.average_marginal_effects(X, B, C, continuous=[1, 2, 3])
    assert ame["outcome"].tolist() == [0, 1, 2, 3] * 3
    assert ame["variable"].tolist()[::4] == ["x1", "x2", "x3"]
    np.testing.assert_allclose(ame["estimate"].to_numpy().reshape(3, 4), me.margeff, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ame["std_error"].to_numpy().reshape(3, 4), me.margeff_se, rtol=0, atol=1e-8)

    me_d = res.get_margeff(at="overall", method="dydx", dummy=True)
    ame_d = mnl.average_marginal_effects(X, B, C, continuous=[1, 2], discrete={"d": (None, [3])})
    np.testing.assert_allclose(ame_d["estimate"].to_numpy().reshape(3, 4), me_d.margeff, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ame_d["std_error"].to_numpy().reshape(3, 4), me_d.margeff_se, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ame_d.groupby("variable")["estimate"].sum(), 0, atol=1e-12)


def test_ame_weighted_equals_row_expansion(ame_case):
    X, _, B, C, _ = ame_case
    w = np.random.default_rng(32).integers(1, 4, size=X.shape[0]).astype(float)
    rep = np.repeat(np.arange(X.shape[0]), w.astype(int))
    a = mnl.average_marginal_effects(X, B, C, continuous=[1, 2], discrete={"d": (None, [3])}, weights=w)
    b = mnl.average_marginal_effects(X[rep], B, C, continuous=[1, 2], discrete={"d": (None, [3])})
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-10)


@pytest.fixture(scope="module")
def factor_case():
    """Tiny case: constant, two continuous columns, one 3-level factor (dummies for levels b, c)."""
    rng = np.random.default_rng(41)
    n = 40
    level = rng.integers(0, 3, size=n)
    X = pd.DataFrame({
        "const": 1.0,
        "age": rng.normal(size=n),
        "size": rng.uniform(0, 2, size=n),
        "C(sector)[T.b]": (level == 1).astype(float),
        "C(sector)[T.c]": (level == 2).astype(float),
    })
    B = rng.normal(scale=0.5, size=(5, 3))
    return X, B, level


def brute_force_ame(X, B, continuous, factor_cols, h=1e-6, ref_col=None):
    """AMEs by finite differences in x (continuous) and explicit scenarios (factor levels)."""
    X = np.asarray(X, float)
    out = []
    for c in continuous:
        Xp, Xm = X.copy(), X.copy()
        Xp[:, c] += h
        Xm[:, c] -= h
        out.append(((mnl.probabilities(Xp, B) - mnl.probabilities(Xm, B)) / (2 * h)).mean(axis=0))
    X0 = X.copy()
    X0[:, factor_cols] = 0.0
    if ref_col is not None:
        X0[:, ref_col] = 1.0
    for c in factor_cols:
        X1 = X0.copy()
        if ref_col is not None:
            X1[:, ref_col] = 0.0
        X1[:, c] = 1.0
        out.append((mnl.probabilities(X1, B) - mnl.probabilities(X0, B)).mean(axis=0))
    return np.array(out)


def test_ame_discrete_factor_vs_brute_force_and_numerical_jacobian(factor_case):
    X, B, _ = factor_case
    k = X.shape[1]
    C = random_cov(k * 3, seed=42)
    spec = {"sector": (None, [3, 4])}
    ame = mnl.average_marginal_effects(X, B, C, continuous=[1, 2], discrete=spec)
    assert ame["variable"].unique().tolist() == ["age", "size", "sector[b]", "sector[c]"]
    est = ame["estimate"].to_numpy().reshape(4, 4)
    np.testing.assert_allclose(est[2:], brute_force_ame(X, B, [], [3, 4]), rtol=0, atol=1e-14)
    np.testing.assert_allclose(est[:2], brute_force_ame(X, B, [1, 2], []), rtol=0, atol=1e-8)

    # analytic Jacobian == numerical Jacobian of the AMEs w.r.t. theta
    def ames(theta):
        return mnl.average_marginal_effects(X, params_of(theta, k), C, continuous=[1, 2],
                                            discrete=spec)["estimate"].to_numpy()

    jac_num = numeric_jacobian(ames, theta_of(B))
    est2, jac, _ = _ame_terms(np.asarray(X), B, [1, 2], spec, None)
    jac = jac.reshape(est2.size, -1)
    np.testing.assert_allclose(jac, jac_num, rtol=0, atol=1e-7)
    se_num = np.sqrt(np.diag(jac_num @ C @ jac_num.T))
    np.testing.assert_allclose(ame["std_error"].to_numpy(), se_num, rtol=1e-6)


def test_ame_discrete_with_reference_column(factor_case):
    """Full dummy coding without a constant: the reference level's column is switched on in the base scenario."""
    X, _, level = factor_case
    rng = np.random.default_rng(43)
    Xf = np.column_stack([(level == 0), X["age"], (level == 1), (level == 2)]).astype(float)
    B = rng.normal(scale=0.5, size=(4, 3))
    C = random_cov(12, seed=44)
    ame = mnl.average_marginal_effects(Xf, B, C, continuous=[1], discrete={"sector": (0, [2, 3])})
    est = ame["estimate"].to_numpy().reshape(3, 4)
    np.testing.assert_allclose(est[1:], brute_force_ame(Xf, B, [], [2, 3], ref_col=0), rtol=0, atol=1e-14)

    def ames(theta):
        return mnl.average_marginal_effects(Xf, params_of(theta, 4), C, continuous=[1],
                                            discrete={"sector": (0, [2, 3])})["estimate"].to_numpy()

    jac_num = numeric_jacobian(ames, theta_of(B))
    np.testing.assert_allclose(ame["std_error"], np.sqrt(np.diag(jac_num @ C @ jac_num.T)), rtol=1e-6)


def test_ame_is_invariant_to_row_blocking(ame_case, monkeypatch):
    X, _, B, C, _ = ame_case
    full = mnl.average_marginal_effects(X, B, C, continuous=[1, 2], discrete={"d": (None, [3])})
    monkeypatch.setattr(mnl_core, "_BLOCK_FLOATS", 1)  # blocks of 64 rows: 5 blocks, the last one partial
    blocked = mnl.average_marginal_effects(X, B, C, continuous=[1, 2], discrete={"d": (None, [3])})
    np.testing.assert_allclose(blocked["estimate"], full["estimate"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(blocked["std_error"], full["std_error"], rtol=1e-12)
    app_full = mnl.average_predicted_probabilities(X, B, C)
    monkeypatch.setattr(mnl_core, "_BLOCK_FLOATS", 1 << 21)
    np.testing.assert_allclose(mnl.average_predicted_probabilities(X, B, C)["std_error"], app_full["std_error"],
                               rtol=1e-12)


# ------------------------------------------------------------------------------------------------
# predicted probabilities
# ------------------------------------------------------------------------------------------------

def test_predicted_probability_cis_match_finite_difference_delta_method(factor_case):
    X, B, _ = factor_case
    k = X.shape[1]
    C = random_cov(k * 3, seed=51)
    profiles = np.array([[1, a, 1.0, 0, 1] for a in np.linspace(-2, 2, 5)], dtype=float)
    pred = mnl.predicted_probabilities(profiles, B, C, level=0.9)
    assert list(pred.columns) == ["profile", "outcome", "estimate", "std_error", "conf_low", "conf_high"]
    assert len(pred) == 5 * 4
    np.testing.assert_allclose(pred["estimate"], mnl.probabilities(profiles, B).ravel(), rtol=1e-14)
    jac = numeric_jacobian(lambda t: mnl.probabilities(profiles, params_of(t, k)).ravel(), theta_of(B))
    se_num = np.sqrt(np.diag(jac @ C @ jac.T))
    np.testing.assert_allclose(pred["std_error"], se_num, rtol=1e-6)
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(pred["conf_low"], pred["estimate"] - z * pred["std_error"], rtol=1e-14)
    np.testing.assert_allclose(pred["conf_high"], pred["estimate"] + z * pred["std_error"], rtol=1e-14)


def test_average_predicted_probabilities(factor_case):
    X, B, _ = factor_case
    k = X.shape[1]
    C = random_cov(k * 3, seed=52)
    w = np.random.default_rng(53).uniform(0.2, 3.0, size=X.shape[0])
    app = mnl.average_predicted_probabilities(X, B, C, weights=w)
    assert app["outcome"].tolist() == [0, 1, 2, 3]
    P = mnl.probabilities(X, B)
    np.testing.assert_allclose(app["estimate"], w @ P / w.sum(), rtol=1e-13)
    assert app["estimate"].sum() == pytest.approx(1.0, abs=1e-14)
    jac = numeric_jacobian(lambda t: w @ mnl.probabilities(X, params_of(t, k)) / w.sum(), theta_of(B))
    np.testing.assert_allclose(app["std_error"], np.sqrt(np.diag(jac @ C @ jac.T)), rtol=1e-6)


# ------------------------------------------------------------------------------------------------
# scale
# ------------------------------------------------------------------------------------------------

def test_newton_on_200k_rows_agrees_with_statsmodels():
    X, y = simulate(200_000, 10, 4, seed=61, scale=0.3)
    fit = mnl.fit_mnl_newton(X, y)
    assert fit.converged
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.MNLogit(y, X).fit(method="newton", disp=0)
    np.testing.assert_allclose(fit.params, res.params, rtol=0, atol=1e-8)
    assert fit.loglik == pytest.approx(res.llf, rel=1e-12)


def test_cluster_meat_is_the_same_block_by_block(small_case, monkeypatch):
    """Clusters of unequal sizes in scrambled order, their score sums formed a few clusters at a
    time (a tiny block size forces many blocks) or all at once: the same covariance."""
    X, y, groups, B = small_case
    scrambled = np.random.default_rng(8).permutation(len(y)) % 23     # 23 clusters, interleaved rows
    whole = mnl.sandwich_covariance(X, y, B, kind="cluster", groups=scrambled)
    monkeypatch.setattr(mnl_core, "_BLOCK_FLOATS", 1)                     # 64 rows a block: several blocks
    blocks = mnl.sandwich_covariance(X, y, B, kind="cluster", groups=scrambled)
    np.testing.assert_allclose(blocks, whole, rtol=1e-12, atol=1e-15)
