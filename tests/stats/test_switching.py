"""Tests for alliancegov.stats.selection.switching: per-alternative switching regressions after a
multinomial logit, under Stata selmlog's conventions, and their Monte Carlo behaviour.

The data-generating process (``simulate``) is the one these estimators assume: J = 3 alternatives
chosen by an MNL on a regressor ``x`` and an excluded variable ``z`` (iid standard Gumbel errors
``eta``); the outcome of alternative j is ``beta_j0 + beta_j1 x + sigma u_j``, observed for the
chosen one. With ``structure="lee"``, ``u_j = rho eps*_j + sqrt(1 - rho^2) nu_j`` where ``eps*_j =
Phi^-1(F_j(max_{k != j} y*_k - eta_j))`` is Lee's (1983) normalised selection error (``j`` is chosen
when ``eps*_j < Phi^-1(P_j)``) and ``nu_j`` is independent N(0, 1), so ``rho`` is the correlation of
the outcome error with the selection error and ``E[u_j | j chosen] = rho E[eps*_j | j chosen]``.
With ``structure="dmf"``, ``u_j = rho sqrt(6)/pi (eta_j - Euler) + sqrt(1 - rho^2) nu_j``
(Dubin & McFadden: the outcome error is linear in the chosen alternative's own Gumbel error, which
is positive selection for rho > 0).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import special, stats

from alliancegov.stats.selection import (
    counterfactual_gap,
    counterfactual_predictions,
    joint_bootstrap_test,
    switching_regression,
    switching_regressions,
)

BETA = np.array([[0.0, 0.5, 1.0],     # intercepts of alternatives 0, 1, 2
                 [1.0, 0.3, -0.4]])   # slopes of x
GAMMA = np.array([[0.0, 0.3, -0.2],   # choice: intercepts
                  [0.0, 0.8, -0.6],   # x
                  [0.0, 0.9, 0.7]])   # z, the excluded variable
SIGMA = 1.0


def simulate(n: int, seed: int, rho: float, structure: str = "lee"):
    """One sample of the documented DGP: (y, x, z, chosen) and every unit's true outcome means."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    V = np.column_stack([np.ones(n), x, z]) @ GAMMA
    eta = rng.gumbel(size=(n, 3))
    chosen = np.argmax(V + eta, axis=1)
    if structure == "lee":
        error = np.empty((n, 3))
        for j in range(3):
            others = np.delete(V + eta, j, axis=1).max(axis=1) - eta[:, j]
            location = special.logsumexp(np.delete(V, j, axis=1), axis=1)
            error[:, j] = special.ndtri(special.expit(others - location))   # Phi^-1 of its logistic cdf
    else:
        error = (eta - np.euler_gamma) * math.sqrt(6) / math.pi
    u = rho * error + math.sqrt(1 - rho ** 2) * rng.normal(size=(n, 3))
    means = np.column_stack([np.ones(n), x]) @ BETA
    y = (means + SIGMA * u)[np.arange(n), chosen]
    return y, x, z, chosen, means


def first_stage(x, z, chosen):
    from alliancegov.stats.mnl import fit_mnl_newton, probabilities

    Z = np.column_stack([np.ones_like(x), x, z])
    return probabilities(Z, fit_mnl_newton(Z, chosen).params)


def test_selmlog_by_hand():
    """Each alternative's equation is what selmlog.ado (v13, Fournier & Gurgand) computes, typed
    step by step: ``mlogit m z`` (statsmodels' MNLogit), ``predict`` each outcome, ``gen _m...``
    as its lee / dmf(0) / dmf(1) / dmf(2) branches do (glquad's 15 nodes for dmf(2)), then
    ``regress y x $m`` on the alternative's units."""
    import statsmodels.api as sm

    y, x, z, chosen, _ = simulate(3000, seed=4, rho=0.5)
    Z = np.column_stack([np.ones_like(x), x, z])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P = sm.MNLogit(chosen, Z).fit(disp=0, method="newton", tol=1e-12).predict(Z)
    nodes, weights = np.polynomial.laguerre.laggauss(15)
    for method in ("lee", "dmf0", "dmf", "dmf2"):
        fit = switching_regression(y, np.column_stack([np.ones_like(x), x]), chosen, P, method,
                                   names=["_cons", "x"], labels=["a", "b", "c"], quadrature="selmlog")
        for sel in range(3):
            rows = chosen == sel
            Ps = P[rows, sel]
            m = []
            for cat in range(3):
                Pc = P[rows, cat]
                if method == "lee" and cat == sel:
                    m.append(-stats.norm.pdf(stats.norm.ppf(Ps)) / Ps)        # -normd(invnorm(P))/P
                elif method == "dmf0" and cat != sel:
                    m.append(Pc * np.log(Pc) / (1 - Pc) + np.log(Ps))
                elif method == "dmf":
                    m.append(Pc * np.log(Pc) / (1 - Pc) if cat != sel else -np.log(Ps))
                elif method == "dmf2":
                    mp = special.ndtri(np.exp(-np.outer(Pc, nodes))) @ weights
                    m.append(mp * Pc / (Pc - 1) if cat != sel else mp)
            stata = sm.OLS(y[rows], np.column_stack([np.ones(rows.sum()), x[rows], *m])).fit().params
            np.testing.assert_allclose(fit.coefficients[sel].to_numpy(), stata, rtol=1e-9, atol=1e-12)
        if method == "dmf0":
            assert fit.term_names[0] == ["dmf0[b]", "dmf0[c]"]
        if method == "dmf":
            assert fit.term_names[1] == ["dmf[a]", "dmf[b]", "dmf[c]"]


def test_several_corrections_in_one_pass_equal_one_at_a_time():
    """switching_regressions gathers each alternative's rows once for every correction: each fit,
    with an alternative-specific regressor, is the one switching_regression gives alone."""
    y, x, z, chosen, _ = simulate(2000, seed=7, rho=0.4)
    P = first_stage(x, z, chosen)
    X = np.column_stack([np.ones_like(x), x])
    specific = {"misfit": 1.0 - P}
    methods = [None, "lee", "dmf0", "dmf", "dmf2"]   # not "dahl": its P_s and the misfit 1 - P_s are collinear
    together = switching_regressions(y, X, chosen, P, methods, names=["Intercept", "x"], labels=["a", "b", "c"],
                                     specific=specific)
    assert list(together) == methods
    for method in methods:
        alone = switching_regression(y, X, chosen, P, method, names=["Intercept", "x"], labels=["a", "b", "c"],
                                     specific=specific)
        assert together[method].term_names == alone.term_names
        np.testing.assert_array_equal(together[method].n, np.bincount(chosen, minlength=3))
        for mine, theirs in zip(together[method].coefficients, alone.coefficients, strict=True):
            assert list(mine.index) == list(theirs.index)
            np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="'lee' correction needs the first-stage probabilities"):
        switching_regressions(y, X, chosen, None, [None, "lee"])


def test_coefficients_carry_selmlogs_sign():
    """Lee's DGP with rho = 0.6: every alternative's Lee coefficient estimates +sigma rho (the
    sign selmlog reports), and the slopes are recovered; the uncorrected slopes are not."""
    y, x, z, chosen, _ = simulate(60_000, seed=1, rho=0.6)
    P = first_stage(x, z, chosen)
    X = np.column_stack([np.ones_like(x), x])
    corrected = switching_regression(y, X, chosen, P, "lee", names=["Intercept", "x"])
    uncorrected = switching_regression(y, X, chosen, names=["Intercept", "x"])
    for j in range(3):
        assert corrected.coefficients[j]["lee"] == pytest.approx(SIGMA * 0.6, abs=0.06)
    np.testing.assert_allclose(corrected.slopes, BETA, atol=0.05)
    assert np.abs(uncorrected.slopes - BETA).max() > 0.15


def test_counterfactual_predictions_and_gap_by_hand():
    X = np.array([[1.0, 0.0], [1.0, 2.0], [1.0, -1.0]])
    fit = switching_regression(*_exact_fit(X), names=["Intercept", "x"])
    predictions = counterfactual_predictions(X, fit)
    np.testing.assert_allclose(predictions, X @ BETA, atol=1e-10)
    gap, best = counterfactual_gap(predictions, [0, 0, 2])
    # x = 0: (0, 0.5, 1) -> best 2, forgone 1; x = 2: (2, 1.1, 0.2) -> best 0; x = -1: (-1, 0.2, 1.4) -> best 2
    np.testing.assert_allclose(gap, [1.0, 0.0, 0.0], atol=1e-10)
    np.testing.assert_array_equal(best, [2, 0, 2])


def _exact_fit(X):
    """Noise-free outcomes of every alternative, each alternative chosen by 4 units."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=12)
    design = np.column_stack([np.ones(12), x])
    chosen = np.repeat([0, 1, 2], 4)
    return (design @ BETA)[np.arange(12), chosen], design, chosen


def test_rank_deficient_or_too_small_alternatives_are_refused():
    y, X, chosen = _exact_fit(None)
    flat = X.copy()
    flat[chosen == 1, 1] = 3.0            # x constant among the units of alternative 1
    with pytest.raises(ValueError, match="equation of 1: the design is rank deficient"):
        switching_regression(y, flat, chosen)
    with pytest.raises(ValueError, match="equation of a: 4 rows for 5 coefficients"):
        P = np.full((12, 3), 1 / 3)
        switching_regression(y, X, chosen, P, "dmf", labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="probabilities"):
        switching_regression(y, X, chosen, method="lee")


def test_joint_bootstrap_test_by_hand():
    rng = np.random.default_rng(3)
    draws = rng.normal(size=(999, 3)) * [1.0, 2.0, 1.0] + [0.0, 0.0, 5.0]
    statistic, df, p = joint_bootstrap_test(draws, np.array([0.1, -0.2, 5.0]), [0, 1])
    cov = np.cov(draws[:, :2], rowvar=False)
    b = np.array([0.1, -0.2])
    assert statistic == pytest.approx(b @ np.linalg.solve(cov, b)) and df == 2
    centred = draws[:, :2] - b
    null = np.einsum("ri,ij,rj->r", centred, np.linalg.inv(cov), centred)
    assert p == pytest.approx((1 + (null >= statistic).sum()) / 1000)
    assert joint_bootstrap_test(draws, np.array([0.1, -0.2, 5.0]), [2])[2] == pytest.approx(0.001)  # never 0


def test_alternative_specific_regressors_enter_their_own_alternative():
    """A regressor whose value depends on the alternative (w_ij): alternative j's equation uses
    w_ij on its units, the counterfactual under j uses w_ij for every unit; noise-free, exact."""
    rng = np.random.default_rng(6)
    n = 60
    x, w = rng.normal(size=n), rng.random((n, 3))
    chosen = np.tile([0, 1, 2], n // 3)
    gamma = np.array([-1.0, -0.5, 0.2])
    X = np.column_stack([np.ones(n), x])
    outcome = X @ BETA + w * gamma
    fit = switching_regression(outcome[np.arange(n), chosen], X, chosen, names=["Intercept", "x"],
                               specific={"misfit": w})
    assert fit.specific_names == ["misfit"] and list(fit.coefficients[2].index) == ["Intercept", "x", "misfit"]
    np.testing.assert_allclose(fit.slopes, np.vstack([BETA, gamma]), atol=1e-10)
    np.testing.assert_allclose(counterfactual_predictions(X, fit, {"misfit": w}), outcome, atol=1e-10)
    with pytest.raises(ValueError, match="alternative-specific"):
        counterfactual_predictions(X, fit)


# ---------------------------------------------------------------------------------------------
# Monte Carlo: the two-stage bootstrap of the DGP above, as the pipeline runs it
# ---------------------------------------------------------------------------------------------

REPLICATIONS = 200
COEFFICIENTS = ("Intercept", "x")


def true_mean_gap(rho: float, structure: str) -> float:
    """The population's mean outcome forgone against the best alternative, E[max_j x beta_j −
    x beta_s] (s the chosen one), from one draw of 10^6 units."""
    _, _, _, chosen, means = simulate(1_000_000, seed=99, rho=rho, structure=structure)
    return float(counterfactual_gap(means, chosen)[0].mean())


def replication(seed: int, rho: float, structure: str, methods, replicates: int, n: int = 1000) -> list[tuple]:
    """One sample: each method's coefficients and mean gap with the pipeline's intervals (BC, the
    gap's percentile) and BC p-values, from a bootstrap that refits both stages."""
    from alliancegov.stats.bootstrap import bca_intervals, bca_p_values, bootstrap_estimates

    y, x, z, chosen, _ = simulate(n, seed=seed, rho=rho, structure=structure)
    X = np.column_stack([np.ones(n), x])

    def estimates(rows):
        P = first_stage(x[rows], z[rows], chosen[rows])
        out = []
        for method in methods:
            fit = switching_regression(y[rows], X[rows], chosen[rows], P, method, names=list(COEFFICIENTS))
            gap = counterfactual_gap(counterfactual_predictions(X[rows], fit), chosen[rows])[0].mean()
            out += [value for coefficients in fit.coefficients for value in coefficients] + [gap]
        return np.array(out)

    point = estimates(np.arange(n))
    result = bootstrap_estimates(estimates, n, replicates, seed, n_jobs=1)
    draws = result.estimates[result.ok]
    low, high = bca_intervals(draws, point)
    p_values = bca_p_values(draws, point)
    rows, i = [], 0
    P = first_stage(x, z, chosen)
    for method in methods:
        fit = switching_regression(y, X, chosen, P, method, names=list(COEFFICIENTS))
        for j, coefficients in enumerate(fit.coefficients):
            for term in coefficients.index:
                rows.append((method or "uncorrected", j, term, point[i], low[i], high[i], p_values[i]))
                i += 1
        gap_low, gap_high = np.quantile(draws[:, i], [0.025, 0.975])
        rows.append((method or "uncorrected", -1, "mean_gap", point[i], gap_low, gap_high, np.nan))
        i += 1
    return rows


def study(rho: float, structure: str, methods, replicates: int, n: int = 1000):
    """REPLICATIONS samples of ``n`` units (two workers), one row per method, form and estimate,
    with the truth."""
    import pandas as pd
    from joblib import Parallel, delayed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = Parallel(n_jobs=2)(delayed(replication)(8000 + r, rho, structure, methods, replicates, n)
                                   for r in range(REPLICATIONS))
    table = pd.DataFrame([(r, *row) for r, rows in enumerate(found) for row in rows],
                         columns=["replication", "method", "form", "term", "estimate", "conf_low", "conf_high",
                                  "p_value"])
    coefficient = table["term"].isin(COEFFICIENTS)
    truth = np.zeros(len(table))
    truth[coefficient] = BETA[table.loc[coefficient, "term"].map({"Intercept": 0, "x": 1}),
                              table.loc[coefficient, "form"]]
    truth[table["term"] == "mean_gap"] = true_mean_gap(rho, structure)
    table["truth"] = truth
    table["covered"] = (table["conf_low"] <= truth) & (truth <= table["conf_high"])
    return table


def bias_in_mc_se(table):
    """Each method's and coefficient's mean error over the samples, in Monte Carlo standard errors
    (a Series indexed by method, form and term)."""
    coefficients = table[table["term"].isin(COEFFICIENTS)]
    error = (coefficients["estimate"] - coefficients["truth"]).groupby(
        [coefficients["method"], coefficients["form"], coefficients["term"]])
    return error.mean() / (error.std() / np.sqrt(REPLICATIONS))


@pytest.mark.slow  # a Monte Carlo study (~7 min on 2 cores)
def test_without_selection_every_estimator_recovers_the_truth_and_the_terms_reject_at_the_nominal_rate():
    """rho = 0, 200 samples of 1,000 units, B = 99: every method's coefficients are unbiased (each
    mean error within 3.5 Monte Carlo SEs: 30 comparisons, a false alarm about 1.4% of the time),
    and its selection terms reject at 5% in 2-9% of the samples (a correct test's share, pooled
    over 600-1,800 terms, stays inside with probability above 0.99). The mean gap's percentile
    interval covers the population's gap (90-99%) for the uncorrected, Lee and DMF0 equations;
    not for DMF and DMF2, whose three selection terms per form make the predictions so noisy at
    this size that the maximum over forms is biased upward (measured: a mean gap of 1.33 and 1.05
    against 0.62, coverage 78% and 84%), which the counterfactual table's note says."""
    methods = [None, "lee", "dmf", "dmf0", "dmf2"]
    table = study(0.0, "lee", methods, replicates=99)
    bias = bias_in_mc_se(table)
    assert (bias.abs() < 3.5).all(), bias[bias.abs() >= 3.5]
    gaps = table[table["term"] == "mean_gap"].groupby("method")["covered"].mean()
    assert gaps[["uncorrected", "lee", "dmf0"]].between(0.90, 0.99).all(), gaps
    terms = table[~table["term"].isin([*COEFFICIENTS, "mean_gap"])]
    rejected = (terms["p_value"] < 0.05).groupby(terms["method"]).mean()
    assert set(rejected.index) == {"lee", "dmf", "dmf0", "dmf2"}
    assert rejected.between(0.02, 0.09).all(), rejected


@pytest.mark.slow  # a Monte Carlo study (~3 min on 2 cores)
@pytest.mark.parametrize(("structure", "method"), [("lee", "lee"), ("dmf", "dmf")])
def test_with_selection_the_uncorrected_equations_are_biased_and_the_corrected_ones_cover(structure, method):
    """rho = 0.6 (the structure each correction assumes), 200 samples of 2,000 units, B = 199: the
    uncorrected intercepts are biased (more than 5 Monte Carlo SEs) and their intervals cover less
    than half the time; the corrected coefficients' BC intervals cover the truth 93-97% of the time
    (1,200 intervals pooled; with 1,000 units the Lee ones covered 92%, the bootstrap of a two-step
    estimator needing the larger sample), and Lee's mean-gap interval at least 90% (DMF's gap is
    biased upward at this size, see the test above)."""
    table = study(0.6, structure, [None, method], replicates=199, n=2000)
    bias = bias_in_mc_se(table)
    assert (bias["uncorrected"].xs("Intercept", level="term").abs() > 5).all(), bias
    coefficients = table[table["term"].isin(COEFFICIENTS)]
    coverage = coefficients.groupby("method")["covered"].mean()
    assert coverage["uncorrected"] < 0.5, coverage
    assert 0.93 <= coverage[method] <= 0.97, coverage
    if method == "lee":
        gap = table[(table["term"] == "mean_gap") & (table["method"] == method)]["covered"].mean()
        assert gap >= 0.90, gap
