"""Tests for alliancegov.stats.selection: MNL-based selection-correction terms (Lee, DMF, DMF2, Dahl)."""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from alliancegov.stats.selection import (
    FirstStageTest,
    bfg_dmf2_terms,
    dahl_terms,
    dmf2_mean,
    dubin_mcfadden_terms,
    excluded_indices,
    first_stage_strength,
    lee_term,
    selection_terms,
)

# 3 alternatives, 4 rows
P = np.array([
    [0.2, 0.3, 0.5],
    [0.6, 0.3, 0.1],
    [0.25, 0.25, 0.5],
    [0.1, 0.7, 0.2],
])
CHOSEN = np.array([2, 0, 1, 1])


def _m_reference(p: float) -> float:
    """BFG's m(P) = int Phi^-1(G(v - ln P)) g(v) dv by adaptive quadrature over the Gumbel density."""
    def integrand(v):
        return special.ndtri_exp(-p * math.exp(-v)) * math.exp(-v - math.exp(-v))

    return integrate.quad(integrand, -6.0, 60.0, epsabs=1e-14, epsrel=1e-13, limit=1000,
                          points=[math.log(p), 0.0])[0]


# ---------------------------------------------------------------------------------------------
# hand computations
# ---------------------------------------------------------------------------------------------


def test_lee_by_hand_with_selmlogs_sign():
    # selmlog.ado (v13), method lee: gen _m = -normd(invnorm(P_selected)) / P_selected
    nd = NormalDist()
    expected = [-nd.pdf(nd.inv_cdf(p)) / p for p in (0.5, 0.6, 0.25, 0.7)]
    np.testing.assert_allclose(lee_term(P, CHOSEN), expected, rtol=1e-12)


def test_dmf_by_hand():
    def other(p):
        return p * math.log(p) / (1 - p)

    expected = np.array([
        [other(0.2), other(0.3), -math.log(0.5)],
        [-math.log(0.6), other(0.3), other(0.1)],
        [other(0.25), -math.log(0.25), other(0.5)],
        [other(0.1), -math.log(0.7), other(0.2)],
    ])
    np.testing.assert_allclose(dubin_mcfadden_terms(P, CHOSEN), expected, rtol=1e-13)


def test_restricted_dmf_by_hand():
    # original Dubin-McFadden: P_j ln P_j / (1 - P_j) + ln P_s for j != s, chosen column zero
    first_row = [0.2 * math.log(0.2) / 0.8 + math.log(0.5), 0.3 * math.log(0.3) / 0.7 + math.log(0.5), 0.0]
    out = dubin_mcfadden_terms(P, CHOSEN, restricted=True)
    np.testing.assert_allclose(out[0], first_row, rtol=1e-13)
    assert np.all(out[np.arange(4), CHOSEN] == 0.0)


def test_dmf2_by_hand():
    expected = np.empty_like(P)
    for i in range(4):
        for j in range(3):
            m = _m_reference(P[i, j])
            expected[i, j] = m if j == CHOSEN[i] else m * P[i, j] / (P[i, j] - 1)
    np.testing.assert_allclose(bfg_dmf2_terms(P, CHOSEN), expected, rtol=1e-10, atol=1e-13)


def test_dmf2_mean_closed_forms():
    # m(1/k) = E[max of k iid N(0,1)]: 1/sqrt(pi) for k = 2, 3/(2 sqrt(pi)) for k = 3, and 0 for k = 1
    got = dmf2_mean([1.0, 0.5, 1.0 / 3.0])
    np.testing.assert_allclose(got, [0.0, 1 / math.sqrt(math.pi), 1.5 / math.sqrt(math.pi)], atol=1e-13)


@pytest.mark.parametrize("p", [1e-6, 1e-3, 0.05, 0.4, 0.9, 0.999, 1 - 1e-6])
def test_dmf2_mean_matches_adaptive_quadrature(p):
    assert dmf2_mean(p) == pytest.approx(_m_reference(p), abs=1e-12)


def test_selmlog_quadrature_reproduces_the_ado_table():
    # nodes and weights of selmlog.ado's glquad (Fournier & Gurgand, selmlog v13), typed from the file
    x = [.093307812017, .492691740302, 1.215595412071, 2.269949526204, 3.667622721751, 5.425336627414,
         7.565916226613, 10.1220228568019, 13.130282482176, 16.654407708330, 20.776478899449, 25.623894226729,
         31.407519169754, 38.530683306486, 48.026085572686]
    w = [.218234885940, .342210177923, .263027577942, .126425818106, .402068649210e-1, .856387780361e-2,
         .121243614721e-2, .111674392344e-3, .645992676202e-5, .222631690710e-6, .422743038498e-8,
         .392189726704e-10, .145651526407e-12, .148302705111e-15, .160059490621e-19]
    nd = NormalDist()
    for p in (0.05, 0.3, 0.8):
        stata = sum(wi * nd.inv_cdf(math.exp(-p * xi)) for xi, wi in zip(x, w))
        # (the ado file types the nodes to 12 significant digits, hence the tolerance)
        assert dmf2_mean(p, quadrature="selmlog") == pytest.approx(stata, abs=1e-7)
        # and that rule is visibly (about 0.01) below the exact integral
        assert 0.005 < dmf2_mean(p) - stata < 0.02


def test_dahl_by_hand():
    own = np.array([0.5, 0.6, 0.25, 0.7])
    np.testing.assert_allclose(dahl_terms(P, CHOSEN, degree=3), np.column_stack([own, own**2, own**3]))
    assert dahl_terms(P, CHOSEN, degree=1).shape == (4, 1)


def test_terms_are_the_mnl_conditional_expectations():
    """Monte Carlo: E[eta_j - Euler | s], E[Phi^-1(G(eta_j)) | s] and Lee's E[eps*_s | s] match the formulas."""
    rng = np.random.default_rng(20240611)
    V = np.array([0.0, 0.7, -0.4])
    probs = np.exp(V) / np.exp(V).sum()
    eta = rng.gumbel(size=(400_000, 3))
    choice = np.argmax(V + eta, axis=1)
    normal = special.ndtri(np.exp(-np.exp(-eta)))
    for s in range(3):
        rows = choice == s
        row_p = probs[None, :]
        np.testing.assert_allclose((eta[rows] - np.euler_gamma).mean(axis=0),
                                   dubin_mcfadden_terms(row_p, [s])[0], atol=0.012)
        np.testing.assert_allclose(normal[rows].mean(axis=0), bfg_dmf2_terms(row_p, [s])[0], atol=0.01)
        others = [j for j in range(3) if j != s]
        eps = (V[others] + eta[:, others]).max(axis=1) - eta[:, s]
        eps_star = special.ndtri(special.expit(eps - np.log(np.exp(V[others]).sum())))  # Phi^-1(F_s(eps))
        assert eps_star[rows].mean() == pytest.approx(lee_term(row_p, [s])[0], abs=0.01)


# ---------------------------------------------------------------------------------------------
# the DataFrame front end
# ---------------------------------------------------------------------------------------------


def test_selection_terms_names_and_index():
    frame = pd.DataFrame(P, columns=["equity", "contract", "jv"], index=[10, 11, 12, 13])
    lee = selection_terms(frame, CHOSEN, "lee")
    assert list(lee.columns) == ["lee"] and list(lee.index) == [10, 11, 12, 13]
    dmf = selection_terms(frame, CHOSEN, "dmf")
    assert list(dmf.columns) == ["dmf[equity]", "dmf[contract]", "dmf[jv]"]
    np.testing.assert_allclose(dmf.to_numpy(), dubin_mcfadden_terms(P, CHOSEN))
    assert list(selection_terms(P, CHOSEN, "dmf2").columns) == ["dmf2[0]", "dmf2[1]", "dmf2[2]"]
    assert list(selection_terms(P, CHOSEN, "dmf0", labels=list("abc")).columns) == ["dmf0[a]", "dmf0[b]", "dmf0[c]"]
    assert list(selection_terms(P, CHOSEN, "dahl", degree=3).columns) == ["dahl[1]", "dahl[2]", "dahl[3]"]
    np.testing.assert_allclose(selection_terms(P, CHOSEN, "dmf2", quadrature="selmlog").to_numpy(),
                               bfg_dmf2_terms(P, CHOSEN, quadrature="selmlog"))


def test_chosen_accepts_integer_valued_floats_and_series():
    np.testing.assert_allclose(lee_term(P, pd.Series(CHOSEN.astype(float))), lee_term(P, CHOSEN))


# ---------------------------------------------------------------------------------------------
# bounds and bad input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [lee_term, dubin_mcfadden_terms, bfg_dmf2_terms, dahl_terms])
def test_probability_zero_or_one_is_rejected(func):
    zero = np.array([[0.0, 0.4, 0.6], [0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match=r"strictly inside \(0, 1\)"):
        func(zero, [1, 2])
    one = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match=r"strictly inside \(0, 1\)"):
        func(one, [0, 2])


def test_rows_not_summing_to_one_are_rejected():
    with pytest.raises(ValueError, match="sum to 1"):
        lee_term(np.array([[0.2, 0.3, 0.4], [0.2, 0.3, 0.5]]), [0, 1])


@pytest.mark.parametrize("bad", [[0, 3, 1, 1], [0, -1, 1, 1], [0.5, 1, 1, 1], [0, 1, 1], [0, 1, np.nan, 1]])
def test_bad_chosen_codes_are_rejected(bad):
    with pytest.raises(ValueError, match="chosen"):
        dubin_mcfadden_terms(P, bad)


def test_other_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        lee_term(P[0], [0])
    with pytest.raises(ValueError, match="at least 2"):
        lee_term(np.full((3, 1), 0.5), [0, 0, 0])
    with pytest.raises(ValueError, match="finite"):
        lee_term(np.array([[np.nan, 0.5], [0.5, 0.5]]), [0, 1])
    with pytest.raises(ValueError, match="method"):
        selection_terms(P, CHOSEN, "heckman")
    with pytest.raises(ValueError, match="degree"):
        dahl_terms(P, CHOSEN, degree=0)
    with pytest.raises(ValueError, match="labels"):
        selection_terms(P, CHOSEN, "dmf", labels=["a", "b"])
    with pytest.raises(ValueError, match="quadrature"):
        dmf2_mean(0.5, quadrature="gauss")


# ---------------------------------------------------------------------------------------------
# first-stage strength
# ---------------------------------------------------------------------------------------------


def test_lr_first_stage_by_hand():
    out = first_stage_strength(llf_full=-100.0, llf_restricted=-110.0, df=4)
    assert isinstance(out, FirstStageTest) and out.test == "LR" and out.df == 4
    assert out.statistic == pytest.approx(20.0)
    assert out.p_value == pytest.approx(math.exp(-10.0) * (1 + 10.0), rel=1e-12)  # chi2(4) tail: e^{-x/2}(1 + x/2)


def test_wald_first_stage_by_hand():
    out = first_stage_strength(params=np.array([1.0, 2.0, 3.0]), cov=np.diag([1.0, 4.0, 9.0]), indices=[1, 2])
    assert (out.statistic, out.df, out.test) == (pytest.approx(2.0), 2, "Wald")
    assert out.p_value == pytest.approx(math.exp(-1.0), rel=1e-12)  # chi2(2) tail: e^{-x/2}


def test_excluded_indices_equation_major():
    np.testing.assert_array_equal(excluded_indices(["const", "x", "z"], ["z"], 3), [2, 5])
    np.testing.assert_array_equal(excluded_indices(["const", "x", "z", "w"], ["z", "w"], 3), [2, 3, 6, 7])
    with pytest.raises(ValueError, match="not among"):
        excluded_indices(["const", "x"], ["z"], 3)


def test_first_stage_against_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    n = 3000
    x, z = rng.normal(size=n), rng.normal(size=n)
    V = np.column_stack([np.zeros(n), 0.2 + 0.5 * x + 0.5 * z, -0.1 - 0.4 * x - 0.4 * z])
    y = np.argmax(V + rng.gumbel(size=(n, 3)), axis=1)
    full = sm.MNLogit(y, np.column_stack([np.ones(n), x, z])).fit(disp=0)
    restricted = sm.MNLogit(y, np.column_stack([np.ones(n), x])).fit(disp=0)
    idx = excluded_indices(["const", "x", "z"], ["z"], 3)
    wald = first_stage_strength(params=full.params, cov=full.cov_params(), indices=idx)
    R = np.zeros((2, 6))
    R[[0, 1], idx] = 1.0
    reference = full.wald_test(R, scalar=True)
    assert wald.statistic == pytest.approx(float(reference.statistic), rel=1e-10)
    assert wald.p_value == pytest.approx(float(reference.pvalue), rel=1e-8)
    lr = first_stage_strength(llf_full=full.llf, llf_restricted=restricted.llf, df=2)
    assert lr.df == wald.df == 2
    assert lr.statistic == pytest.approx(2 * (full.llf - restricted.llf))
    assert lr.p_value < 1e-10 and wald.p_value < 1e-10  # z is a strong instrument here


def test_first_stage_bad_input():
    with pytest.raises(ValueError, match="either"):
        first_stage_strength()
    with pytest.raises(ValueError, match="either"):
        first_stage_strength(llf_full=-1.0, llf_restricted=-2.0, df=1, params=[1.0], cov=[[1.0]], indices=[0])
    with pytest.raises(ValueError, match="nested"):
        first_stage_strength(llf_full=-120.0, llf_restricted=-110.0, df=2)
    with pytest.raises(ValueError, match="df"):
        first_stage_strength(llf_full=-100.0, llf_restricted=-110.0, df=0)
    with pytest.raises(ValueError, match="indices"):
        first_stage_strength(params=[1.0, 2.0], cov=np.eye(2), indices=[2])


# ---------------------------------------------------------------------------------------------
# a selection model where the correction matters
# ---------------------------------------------------------------------------------------------


def _simulate(structure: str, seed: int, n: int = 20_000):
    """MNL choice among 3 forms; the outcome of form 0 has an error tied to the choice errors."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)  # z: excluded instrument
    V = np.column_stack([np.zeros(n), 0.3 + 1.0 * x + 1.0 * z, -0.2 - 0.8 * x + 0.8 * z])
    eta = rng.gumbel(size=(n, 3))
    choice = np.argmax(V + eta, axis=1)
    noise = rng.normal(size=n)
    if structure == "dmf":  # E[u | eta] linear in the Gumbel errors (Dubin-McFadden)
        u = (eta - np.euler_gamma) @ np.array([-0.8, 0.6, 0.3]) + 0.5 * noise
    elif structure == "dmf2":  # linear in the normal transforms of the Gumbel errors (BFG)
        u = special.ndtri(np.exp(-np.exp(-eta))) @ np.array([-0.7, 0.5, 0.2]) + 0.5 * noise
    else:  # Lee: bivariate normal in the normalised selection index of form 0
        others = V[:, 1:] + eta[:, 1:]
        eps = others.max(axis=1) - eta[:, 0]
        eps_star = special.ndtri(special.expit(eps - np.log(np.exp(V[:, 1:]).sum(axis=1))))
        u = 0.95 * eps_star + 0.3 * noise
    outcome = 1.0 + 1.0 * x + u  # true slope 1
    return x, z, choice, outcome


@pytest.mark.parametrize(("structure", "method", "kwargs"), [
    ("dmf", "dmf", {}),
    ("dmf2", "dmf2", {}),
    ("lee", "lee", {}),
    ("lee", "dahl", {"degree": 3}),
])
def test_correction_removes_selection_bias(structure, method, kwargs):
    import statsmodels.api as sm

    x, z, choice, outcome = _simulate(structure, seed=0)
    design = np.column_stack([np.ones_like(x), x, z])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probs = sm.MNLogit(choice, design).fit(disp=0).predict(design)
    keep = choice == 0
    naive = sm.OLS(outcome[keep], sm.add_constant(x[keep])).fit(cov_type="HC1")
    terms = selection_terms(probs[keep], choice[keep], method, **kwargs).to_numpy()
    corrected = sm.OLS(outcome[keep], np.column_stack([np.ones(keep.sum()), x[keep], terms])).fit(cov_type="HC1")
    naive_t = (naive.params[1] - 1.0) / naive.bse[1]
    corrected_t = (corrected.params[1] - 1.0) / corrected.bse[1]
    assert abs(naive_t) > 4.0, f"no selection bias to correct (t = {naive_t:.2f})"
    assert abs(corrected_t) < 2.0, f"corrected slope {corrected.params[1]:.3f} is {corrected_t:.2f} SE from 1"
    assert stats.norm.sf(abs(corrected_t)) > 0.02


def test_dmf2_mean_interpolant_matches_its_quadrature_rule_everywhere():
    """m(P) is interpolated (Chebyshev pieces in log(1 - log P)) for speed: within 5e-15 of the tanh-sinh
    rule it interpolates, from P = 1 down to the smallest probabilities, which go through the rule itself."""
    from alliancegov.stats.selection.terms import _dmf2_mean_tanh_sinh

    rng = np.random.default_rng(5)
    p = np.concatenate([rng.uniform(0.0, 1.0, 20_000), 10 ** rng.uniform(-30.0, 0.0, 20_000),
                        1.0 - 10 ** rng.uniform(-16.0, -1.0, 5_000), [1.0, 0.5, np.exp(-60.0), 1e-300]])
    p = p[p > 0]
    rule = _dmf2_mean_tanh_sinh(p)
    error = np.abs(dmf2_mean(p) - rule) / np.maximum(1.0, np.abs(rule))
    assert error.max() < 5e-15
    assert dmf2_mean(p.reshape(-1, 1)).shape == (p.size, 1)
