"""Tests of ``alliancegov.stats.survey``: Taylor-linearised design covariance and survey-weighted MNL.

Published reference: R ``survey`` on its ``apistrat`` data (stratified by ``stype``, weights ``pw``,
fpc ``fpc``), saved in ``tests/stats/data/apistrat.csv`` (exported from Debian's r-cran-survey
4.1-1, GPL-2+; see the file's header). The R numbers are copied from two public test files that
froze R's output:

* [LikeR] a Perl test ``svyglm() against survey::svyglm()`` whose ``%EXPECT`` is "frozen output of
  t/svyglm.R.R under R 4.6.1 with survey 4.5", designs "survey man/svyglm.Rd: the stratified sample
  (strata stype, fpc)": ``strat_api00`` (``svyglm(api00 ~ ell + meals + mobility, dstrat)``),
  ``strat_schwide`` (``svyglm(sch.wide ~ ell + meals + mobility, dstrat, family=quasibinomial())``),
  ``strat_nofpc`` and ``strat_nest`` (``api00 ~ ell + meals``, strata ``stype``, PSU ``dnum``,
  ``nest=TRUE``). The ``strat_api00`` standard errors are also printed by R, to 4 decimals
  (10.0777, 0.3920, 0.2839, 0.3932), in a public R tutorial ("Die Regression rechnen") running
  ``summary(svyglm(api00~ell+meals+mobility, design=dstrat))``.
* [svy] ``tests/svy/regression/test_glm_against_rsurvey.py`` of ``svy`` (the successor of samplics),
  "GLM tests against R's svyglm as the oracle" (R survey 4.5): logit of ``y_bin = api00 > 743`` on
  ``ell, meals, mobility`` with weights ``pw`` under four designs (weights only; PSU ``dnum``; strata
  ``stype``; strata ``stype`` + PSU ``dnum`` nested), no fpc.

All of these were re-run with R 4.2.2 and survey 4.1-1 (Debian bookworm packages r-base-core,
r-cran-survey) and agree to the printed digits. [local R] marks the few numbers that come only from
that run (lonely PSU), by this script on ``data(api)``::

    sub <- apistrat[!(apistrat$stype == "H" & apistrat$dnum != apistrat$dnum[apistrat$stype == "H"][1]), ]
    options(survey.lonely.psu = "adjust")    # then "certainty"
    dl <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = sub, nest = TRUE)
    SE(svyglm(api00 ~ ell + meals, design = dl))

R's ``svyglm`` evaluates the bread and the working weights of its scores at the penultimate IRLS
iterate, so its logit standard errors carry a convergence error of ~1e-5 relative (the coefficients
agree to ~1e-8): :func:`test_linearised_covariance_reproduces_r_irls_exactly` reproduces R's iteration
and matches to 1e-9; the fully converged :func:`fit_mnl_survey` is held to 2e-4.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alliancegov.stats import mnl
from alliancegov.stats.survey.design import (
    SurveyDesign,
    design_degrees_of_freedom,
    design_effects,
    linearised_covariance,
)
from alliancegov.stats.survey.mnl import SurveyFit, fit_mnl_survey

DATA = Path(__file__).resolve().parent / "data" / "apistrat.csv"


def simulate(n, k, J, seed, *, scale=0.5):
    """Constant first, then standard-normal regressors; outcomes drawn from an MNL."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    B = rng.normal(scale=scale, size=(k, J - 1))
    P = mnl.probabilities(X, B)
    y = (P.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    return X, y


def random_scores_and_bread(n, p, seed):
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(n, p)) + rng.normal(size=p)  # deliberately not centred
    M = rng.normal(size=(p, p))
    A = M @ M.T + p * np.eye(p)
    return U, A


# --------------------------------------------------------------------------------------------
# special cases that pin the formula
# --------------------------------------------------------------------------------------------

def test_no_strata_no_psu_unit_weights_is_stata_robust():
    X, y = simulate(300, 3, 4, seed=1)
    n = X.shape[0]
    for design in (SurveyDesign(), SurveyDesign(weights=np.ones(n))):
        fit = fit_mnl_survey(X, y, design)
        robust = mnl.sandwich_covariance(X, y, fit.params, kind="robust")
        np.testing.assert_allclose(fit.cov, robust, rtol=1e-9, atol=1e-14)
        # and explicitly: n/(n-1) times the plain (HC0) sandwich
        S = mnl.score_contributions(X, y, fit.params)
        bread = mnl.model_covariance(mnl.information(X, fit.params))
        np.testing.assert_allclose(fit.cov, n / (n - 1) * bread @ (S.T @ S) @ bread, rtol=1e-9, atol=1e-14)
        assert (fit.n, fit.n_psu, fit.n_strata, fit.design_df) == (n, n, 1, n - 1)


def test_no_strata_no_psu_sampling_weights_is_stata_robust_pweight():
    X, y = simulate(250, 3, 3, seed=2)
    w = np.random.default_rng(3).uniform(0.5, 4.0, X.shape[0])
    fit = fit_mnl_survey(X, y, SurveyDesign(weights=w))
    robust = mnl.sandwich_covariance(X, y, fit.params, kind="robust", weights=w, weight_type="sampling")
    np.testing.assert_allclose(fit.cov, robust, rtol=1e-9, atol=1e-14)
    # the point estimates are the weighted MLE
    np.testing.assert_allclose(fit.params, mnl.fit_mnl_newton(X, y, weights=w).params, rtol=1e-10, atol=1e-12)


def test_psu_without_strata_is_stata_cluster():
    X, y = simulate(320, 3, 3, seed=4)
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 23, X.shape[0])
    w = rng.uniform(1.0, 3.0, X.shape[0])
    fit = fit_mnl_survey(X, y, SurveyDesign(weights=w, psu=groups))
    cluster = mnl.sandwich_covariance(X, y, fit.params, kind="cluster", groups=groups, weights=w)
    np.testing.assert_allclose(fit.cov, cluster, rtol=1e-9, atol=1e-14)
    G = np.unique(groups).size
    assert (fit.n_psu, fit.n_strata, fit.design_df) == (G, 1, G - 1)


def hand_linearised(U, A, strata, psu, keep, lonely="error"):
    """Explicit loops over strata and PSUs; ``keep[h]`` is 1 - f_h."""
    p = U.shape[1]
    meat = np.zeros((p, p))
    all_totals = []
    by_stratum = {}
    for h in dict.fromkeys(strata):
        totals = []
        for c in dict.fromkeys(psu[strata == h]):
            z = np.zeros(p)
            for i in range(U.shape[0]):
                if strata[i] == h and psu[i] == c:
                    z += U[i]
            totals.append(z)
        by_stratum[h] = totals
        all_totals.extend(totals)
    grand = sum(all_totals) / len(all_totals)
    for h, totals in by_stratum.items():
        n_h = len(totals)
        if n_h == 1:
            if lonely == "adjust":
                d = totals[0] - grand
                meat += keep[h] * np.outer(d, d)
            continue  # certainty / remove: nothing
        zbar = sum(totals) / n_h
        for z in totals:
            meat += keep[h] * n_h / (n_h - 1) * np.outer(z - zbar, z - zbar)
    return A @ meat @ A


def tiny_design():
    """3 strata with 2, 3 and 4 PSUs of uneven sizes; PSU labels reused across strata (nested)."""
    strata = np.array(["a"] * 5 + ["b"] * 6 + ["c"] * 9)
    psu = np.array([1, 1, 1, 2, 2,
                    1, 2, 2, 3, 3, 3,
                    1, 1, 2, 3, 3, 3, 3, 4, 4])
    order = np.random.default_rng(11).permutation(strata.size)  # rows need not be sorted
    return strata[order], psu[order]


def test_hand_computation_three_strata_uneven_psus_with_fpc():
    strata, psu = tiny_design()
    U, A = random_scores_and_bread(strata.size, 3, seed=7)
    N = {"a": 10.0, "b": 7.0, "c": np.inf}  # population PSUs per stratum; c sampled with replacement
    n_h = {"a": 2, "b": 3, "c": 4}
    keep = {h: 1 - n_h[h] / N[h] for h in N}
    expected = hand_linearised(U, A, strata, psu, keep)

    pop = np.array([N[h] for h in strata])
    got = linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, fpc=pop))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)

    # the same fpc given as sampling fractions f_h = n_h / N_h
    frac = np.array([n_h[h] / N[h] for h in strata])
    got_frac = linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, fpc=frac))
    np.testing.assert_allclose(got_frac, expected, rtol=1e-12, atol=1e-14)

    # without fpc: every 1 - f_h = 1
    no_fpc = hand_linearised(U, A, strata, psu, dict.fromkeys(N, 1.0))
    np.testing.assert_allclose(linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu)), no_fpc,
                               rtol=1e-12, atol=1e-14)
    assert not np.allclose(no_fpc, expected)
    assert design_degrees_of_freedom(SurveyDesign(strata=strata, psu=psu), strata.size) == (9, 3, 6)


def test_census_stratum_contributes_nothing():
    strata, psu = tiny_design()
    U, A = random_scores_and_bread(strata.size, 2, seed=8)
    pop = np.array([{"a": 2.0, "b": 9.0, "c": 40.0}[h] for h in strata])  # stratum a fully sampled
    got = linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, fpc=pop))
    keep = {"a": 0.0, "b": 1 - 3 / 9, "c": 1 - 4 / 40}
    np.testing.assert_allclose(got, hand_linearised(U, A, strata, psu, keep), rtol=1e-12, atol=1e-14)


def test_mnl_fit_with_strata_psu_fpc_matches_hand_computation():
    """J = 4 outcomes: the fit wires weighted scores and the weighted bread into the formula."""
    strata, psu = tiny_design()
    strata, psu = np.tile(strata, 15), np.tile(psu, 15)  # 300 rows, same 9 PSUs in 3 strata
    X, y = simulate(strata.size, 3, 4, seed=16)
    w = np.random.default_rng(17).uniform(1, 5, strata.size)
    pop = np.array([{"a": 12.0, "b": 30.0, "c": 8.0}[h] for h in strata])
    fit = fit_mnl_survey(X, y, SurveyDesign(weights=w, strata=strata, psu=psu, fpc=pop))
    U = mnl.score_contributions(X, y, fit.params) * w[:, None]
    A = mnl.model_covariance(mnl.information(X, fit.params, weights=w))
    keep = {"a": 1 - 2 / 12, "b": 1 - 3 / 30, "c": 1 - 4 / 8}
    np.testing.assert_allclose(fit.cov, hand_linearised(U, A, strata, psu, keep), rtol=1e-8, atol=1e-14)
    assert fit.cov.shape == (9, 9) and fit.params.shape == (3, 3)
    # pseudo-likelihood: rescaling the sampling weights changes neither estimates nor covariance
    scaled = fit_mnl_survey(X, y, SurveyDesign(weights=7.5 * w, strata=strata, psu=psu, fpc=pop))
    np.testing.assert_allclose(scaled.params, fit.params, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(scaled.cov, fit.cov, rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(scaled.cov_srs, fit.cov_srs, rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(scaled.loglik, 7.5 * fit.loglik, rtol=1e-10)


def lonely_design():
    strata = np.array(["north"] * 4 + ["south"] * 3 + ["east"] * 5)
    psu = np.array([1, 1, 2, 2, 7, 7, 7, 1, 2, 2, 3, 3])  # "south" has a single PSU
    return strata, psu


def test_lonely_psu_error_names_the_stratum():
    strata, psu = lonely_design()
    U, A = random_scores_and_bread(strata.size, 2, seed=9)
    with pytest.raises(ValueError, match="south"):
        linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu))
    with pytest.raises(ValueError, match="lonely"):
        linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, lonely_psu="error"))


def test_lonely_psu_adjust_centres_at_grand_mean():
    strata, psu = lonely_design()
    U, A = random_scores_and_bread(strata.size, 3, seed=10)
    keep = {"north": 1.0, "south": 1.0, "east": 1.0}
    got = linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, lonely_psu="adjust"))
    expected = hand_linearised(U, A, strata, psu, keep, lonely="adjust")
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    # by hand for the lonely stratum alone: (z - grand mean)(z - grand mean)'
    z_south = U[strata == "south"].sum(axis=0)
    grand = U.sum(axis=0) / 6  # 2 + 1 + 3 PSUs
    certainty = linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, lonely_psu="certainty"))
    np.testing.assert_allclose(got - certainty, A @ np.outer(z_south - grand, z_south - grand) @ A,
                               rtol=1e-10, atol=1e-12)
    # with an fpc the lonely stratum's contribution is scaled by 1 - f_h
    pop = np.array([{"north": 20.0, "south": 4.0, "east": 30.0}[h] for h in strata])
    keep = {"north": 1 - 2 / 20, "south": 1 - 1 / 4, "east": 1 - 3 / 30}
    got = linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, fpc=pop, lonely_psu="adjust"))
    np.testing.assert_allclose(got, hand_linearised(U, A, strata, psu, keep, lonely="adjust"),
                               rtol=1e-12, atol=1e-14)


def test_lonely_psu_certainty_and_remove_drop_the_stratum():
    strata, psu = lonely_design()
    U, A = random_scores_and_bread(strata.size, 2, seed=12)
    expected = hand_linearised(U, A, strata, psu, dict.fromkeys(["north", "south", "east"], 1.0),
                               lonely="certainty")
    for policy in ("certainty", "remove"):
        got = linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, lonely_psu=policy))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    # a single-PSU stratum sampled in full (f_h = 1) is not lonely: no error
    pop = np.array([{"north": 9.0, "south": 1.0, "east": 9.0}[h] for h in strata])
    got = linearised_covariance(U, A, SurveyDesign(strata=strata, psu=psu, fpc=pop))
    keep = {"north": 1 - 2 / 9, "south": 0.0, "east": 1 - 3 / 9}
    np.testing.assert_allclose(got, hand_linearised(U, A, strata, psu, keep, lonely="certainty"),
                               rtol=1e-12, atol=1e-14)


def test_design_validation():
    U, A = random_scores_and_bread(6, 2, seed=13)
    with pytest.raises(ValueError, match="lonely_psu"):
        SurveyDesign(lonely_psu="scaled")
    with pytest.raises(ValueError, match="length"):
        SurveyDesign(strata=[1, 1, 2], psu=[1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        SurveyDesign(weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="7 observations"):
        linearised_covariance(U, A, SurveyDesign(psu=np.arange(7)))
    with pytest.raises(ValueError, match="varies within strata"):
        linearised_covariance(U, A, SurveyDesign(strata=[0, 0, 0, 1, 1, 1], fpc=[10, 10, 11, 9, 9, 9]))
    with pytest.raises(ValueError, match="mixes"):
        linearised_covariance(U, A, SurveyDesign(strata=[0, 0, 0, 1, 1, 1], fpc=[10, 10, 10, .5, .5, .5]))
    with pytest.raises(ValueError, match="below the number"):
        linearised_covariance(U, A, SurveyDesign(strata=[0, 0, 0, 1, 1, 1], fpc=[2, 2, 2, 9, 9, 9]))
    with pytest.raises(ValueError, match="missing"):
        linearised_covariance(U, A, SurveyDesign(strata=np.array([0, 0, 0, 1, 1, np.nan])))
    with pytest.raises(ValueError, match="bread"):
        linearised_covariance(U, np.eye(3), SurveyDesign())


def test_design_effects_and_t_intervals():
    V = np.diag([1.0, 4.0, 0.0])
    np.testing.assert_allclose(design_effects(2.5 * V + 0.1, V)[:2], [2.6, 2.5 + 0.1 / 4])
    assert np.isnan(design_effects(V, V)[2])
    with pytest.raises(ValueError):
        design_effects(np.eye(2), np.eye(3))

    X, y = simulate(200, 2, 3, seed=14)
    rng = np.random.default_rng(15)
    design = SurveyDesign(weights=rng.uniform(1, 2, 200), strata=np.repeat([0, 1], 100),
                          psu=np.repeat(np.arange(20), 10))
    fit = fit_mnl_survey(X, y, design)
    assert isinstance(fit, SurveyFit)
    assert (fit.n_psu, fit.n_strata, fit.design_df) == (20, 2, 18)
    lo, hi = fit.conf_int(0.9)
    q = stats.t.ppf(0.95, 18)
    np.testing.assert_allclose(hi - fit.params, q * fit.std_errors, rtol=1e-12)
    np.testing.assert_allclose(fit.params - lo, q * fit.std_errors, rtol=1e-12)
    np.testing.assert_allclose(fit.std_errors, np.sqrt(np.diag(fit.cov)).reshape(2, 2).T)
    deff = design_effects(fit.cov, fit.cov_srs)
    assert deff.shape == (4,) and np.all(deff > 0)


# --------------------------------------------------------------------------------------------
# published reference: R survey on apistrat
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def api():
    d = pd.read_csv(DATA, comment="#")
    X = np.column_stack([np.ones(len(d)), d[["ell", "meals", "mobility"]].to_numpy(float)])
    return d, X


# [LikeR] strat_schwide: svyglm(sch.wide ~ ell + meals + mobility, dstrat, family = quasibinomial())
SCHWIDE_COEF = [0.8358365250542884, -0.0024896357495189174, -0.003152365111503177, 0.060896778706658]
SCHWIDE_SE = [0.4556260955945678, 0.013252498611026018, 0.009199483717659164, 0.031935421453053614]


def test_logit_matches_r_svyglm_stratified_with_fpc(api):
    d, X = api
    y = (d["sch.wide"] == "Yes").to_numpy(int)
    fit = fit_mnl_survey(X, y, SurveyDesign(weights=d["pw"], strata=d["stype"], fpc=d["fpc"]))
    np.testing.assert_allclose(fit.params[:, 0], SCHWIDE_COEF, rtol=1e-7)
    np.testing.assert_allclose(fit.std_errors[:, 0], SCHWIDE_SE, rtol=2e-4)
    assert (fit.n, fit.n_psu, fit.n_strata, fit.design_df) == (200, 200, 3, 197)  # R: degf = 197


def test_linearised_covariance_reproduces_r_irls_exactly(api):
    """R's glm.fit IRLS with its stopping rule; bread and weights from the last WLS, as svyglm."""
    d, X = api
    y = (d["sch.wide"] == "Yes").to_numpy(float)
    w = d["pw"].to_numpy() / d["pw"].mean()
    mu = (w * y + 0.5) / (w + 1)
    eta = np.log(mu / (1 - mu))
    dev_old = None
    for _ in range(25):
        W = w * mu * (1 - mu)
        z = eta + (y - mu) / (mu * (1 - mu))
        XtW = X.T * W
        beta = np.linalg.solve(XtW @ X, XtW @ z)
        bread, W_last = np.linalg.inv(XtW @ X), W
        eta = X @ beta
        mu = 1 / (1 + np.exp(-eta))
        dev = -2 * np.sum(w * (y * np.log(mu) + (1 - y) * np.log(1 - mu)))
        if dev_old is not None and abs(dev - dev_old) / (abs(dev) + 0.1) < 1e-8:
            break
        dev_old = dev
    scores = X * (W_last * (y - mu) / (mu * (1 - mu)))[:, None]
    V = linearised_covariance(scores, bread, SurveyDesign(strata=d["stype"], fpc=d["fpc"]))
    np.testing.assert_allclose(np.sqrt(np.diag(V)), SCHWIDE_SE, rtol=1e-9)


# [svy] logit of api00 > 743 on ell, meals, mobility; R survey 4.5
YBIN_COEF = [2.66575599278362, -0.03703249576700, -0.08468787757247, -0.00442859225861]
YBIN_CASES = {
    # name: (design columns, R standard errors, R degf = residual df + 3)
    "weights_only": ({}, [0.4718196688815, 0.0336366431167, 0.0146021693674, 0.0147882129185], 199),
    "psu_only": ({"psu": "dnum"}, [0.4949505366073, 0.0318263271683, 0.0143857416874, 0.0153725477059], 134),
    "stratified": ({"strata": "stype"}, [0.4394318774792, 0.0336398300623, 0.0143310610689, 0.0148363068282],
                   197),
    "psu_stratified": ({"strata": "stype", "psu": "dnum"},
                       [0.4723878944699, 0.0324219677485, 0.0142841040197, 0.0154627861042], 159),
}


@pytest.mark.parametrize("case", list(YBIN_CASES))
def test_logit_matches_r_svyglm_four_designs(api, case):
    d, X = api
    columns, se, degf = YBIN_CASES[case]
    y = (d["api00"] > 743).to_numpy(int)
    design = SurveyDesign(weights=d["pw"], **{k: d[v] for k, v in columns.items()})
    fit = fit_mnl_survey(X, y, design)
    np.testing.assert_allclose(fit.params[:, 0], YBIN_COEF, rtol=1e-6)
    np.testing.assert_allclose(fit.std_errors[:, 0], se, rtol=2e-4)
    assert fit.design_df == degf


def wls_scores_and_bread(X, y, w):
    XtW = X.T * w
    beta = np.linalg.solve(XtW @ X, XtW @ y)
    return beta, X * (w * (y - X @ beta))[:, None], np.linalg.inv(XtW @ X)


def test_generic_linear_regression_matches_r_svyglm(api):
    """The generic function on a non-MNL M-estimator: weighted least squares (gaussian svyglm)."""
    d, X = api
    y, w = d["api00"].to_numpy(float), d["pw"].to_numpy()
    beta, U, A = wls_scores_and_bread(X, y, w)
    np.testing.assert_allclose(beta, [820.8873159056232, -0.4805866121719494, -3.1415353099845613,
                                      0.22571321022963628], rtol=1e-10)
    # [LikeR] strat_api00 (with fpc); R's printed output: 10.0777, 0.3920, 0.2839, 0.3932
    V = linearised_covariance(U, A, SurveyDesign(strata=d["stype"], fpc=d["fpc"]))
    np.testing.assert_allclose(np.sqrt(np.diag(V)), [10.077735949885389, 0.3919734032225283,
                                                     0.28394650641650143, 0.39321836202252897], rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(V)), [10.0777, 0.3920, 0.2839, 0.3932], atol=5e-5)
    # [LikeR] strat_nofpc
    V = linearised_covariance(U, A, SurveyDesign(strata=d["stype"]))
    np.testing.assert_allclose(np.sqrt(np.diag(V)), [10.256489937131112, 0.3977074728300146,
                                                     0.2883000540559524, 0.40269076251276187], rtol=1e-9)
    # [LikeR] strat_nest: api00 ~ ell + meals, strata stype, PSU dnum nested in strata
    beta, U, A = wls_scores_and_bread(X[:, :3], y, w)
    np.testing.assert_allclose(beta, [823.857925625165, -0.5057255519026618, -3.1106289944093177], rtol=1e-10)
    design = SurveyDesign(strata=d["stype"], psu=d["dnum"])
    V = linearised_covariance(U, A, design)
    np.testing.assert_allclose(np.sqrt(np.diag(V)), [8.595478228982207, 0.4099297273548257,
                                                     0.27046088407583585], rtol=1e-9)
    assert design_degrees_of_freedom(design, len(d)) == (162, 3, 159)  # R: df.residual 157 = 159 - 2


def test_lonely_psu_matches_r_survey(api):
    """[local R]: stratum H cut down to its first district's single school, a lonely PSU."""
    d, X = api
    first_h = d.loc[d["stype"] == "H", "dnum"].iloc[0]
    sub = d[~((d["stype"] == "H") & (d["dnum"] != first_h))]
    assert sub["stype"].value_counts().to_dict() == {"E": 100, "M": 50, "H": 1}
    Xs = np.column_stack([np.ones(len(sub)), sub[["ell", "meals"]].to_numpy(float)])
    _, U, A = wls_scores_and_bread(Xs, sub["api00"].to_numpy(float), sub["pw"].to_numpy())
    expected = {"adjust": [8.515367613139849, 0.386901819998203, 0.258896183599551],
                "certainty": [8.514716015724639, 0.386447722038415, 0.258874139839504]}
    for policy, se in expected.items():
        design = SurveyDesign(strata=sub["stype"], psu=sub["dnum"], lonely_psu=policy)
        np.testing.assert_allclose(np.sqrt(np.diag(linearised_covariance(U, A, design))), se, rtol=1e-9)
    with pytest.raises(ValueError, match=r"\['H'\]"):
        linearised_covariance(U, A, SurveyDesign(strata=sub["stype"], psu=sub["dnum"]))


# --------------------------------------------------------------------------------------------
# Monte Carlo: two-stage stratified sample from a finite population
# --------------------------------------------------------------------------------------------

def finite_population(seed, u_sd=1.2):
    """3 strata of clustered firms; x and the outcome utilities share PSU-level random effects."""
    rng = np.random.default_rng(seed)
    M = (150, 200, 250)
    rows = []
    for h, M_h in enumerate(M):
        for c in range(M_h):
            size = int(rng.integers(15, 60))
            a = rng.normal(0.4 * h, 1.0)
            u = rng.normal(0.0, u_sd, size=2)
            x = a + rng.normal(size=size)
            rows.append((h, c, x, u))
    B = np.array([[-0.3, 0.2], [0.6, -0.5]])  # (k=2, J-1=2): constant, x
    strata, psu, xs, ys = [], [], [], []
    for h, c, x, u in rows:
        eta = np.column_stack([np.zeros(x.size), B[0] + np.outer(x, B[1]) + u])
        P = np.exp(eta - eta.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        ys.append((P.cumsum(axis=1) > rng.random(x.size)[:, None]).argmax(axis=1))
        strata.append(np.full(x.size, h))
        psu.append(np.full(x.size, c))
        xs.append(x)
    return np.concatenate(strata), np.concatenate(psu), np.concatenate(xs), np.concatenate(ys), M


def test_monte_carlo_linearised_se_tracks_sampling_sd():
    """200 two-stage samples (SRSWOR of PSUs within strata, then of 10 firms per PSU): the linearised
    SEs match the empirical SD of the estimates, while the SRS (model) SEs clearly do not."""
    strata, psu, x, y, M = finite_population(seed=2024)
    m, units = (8, 10, 12), 10
    groups = {(h, c): np.flatnonzero((strata == h) & (psu == c)) for h in range(3) for c in range(M[h])}
    rng = np.random.default_rng(99)
    estimates, variances, srs_variances = [], [], []
    for _ in range(200):
        rows, weights, s_h, s_psu = [], [], [], []
        for h in range(3):
            for c in rng.choice(M[h], size=m[h], replace=False):
                members = groups[(h, c)]
                take = rng.choice(members, size=units, replace=False)
                rows.append(take)
                weights.append(np.full(units, M[h] / m[h] * members.size / units))
                s_h.append(np.full(units, h))
                s_psu.append(np.full(units, c))
        rows = np.concatenate(rows)
        X = np.column_stack([np.ones(rows.size), x[rows]])
        design = SurveyDesign(weights=np.concatenate(weights), strata=np.concatenate(s_h),
                              psu=np.concatenate(s_psu))
        fit = fit_mnl_survey(X, y[rows], design)
        assert fit.converged
        estimates.append(fit.params.T.ravel())
        variances.append(np.diag(fit.cov))
        srs_variances.append(np.diag(fit.cov_srs))
    assert fit.design_df == sum(m) - 3
    sd = np.std(estimates, axis=0, ddof=1)
    ratio = np.sqrt(np.mean(variances, axis=0)) / sd
    assert np.all((ratio > 0.75) & (ratio < 1.25)), ratio
    # the check has teeth: ignoring the clustering understates some SE by more than 25%
    srs_ratio = np.sqrt(np.mean(srs_variances, axis=0)) / sd
    assert srs_ratio.min() < 0.75, srs_ratio
    deff = design_effects(np.mean(variances, axis=0) * np.eye(4), np.mean(srs_variances, axis=0) * np.eye(4))
    assert deff.max() > 1.5, deff
