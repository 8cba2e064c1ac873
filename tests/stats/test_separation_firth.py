"""Separation checks and Firth's bias-reduced multinomial logit.

No published data set is shipped: the classic references (``logistf``'s ``sex2`` example, from
Cytel's LogXact manual, and the endometrial data of Heinze & Schemper 2002) come with GPL or
unstated licences. The Firth fit is instead checked against (1) a separate binary Firth
implementation following Heinze & Schemper's (2002) iteration with hat-matrix-adjusted
responses, (2) closed forms that follow from the Jeffreys prior (a saturated model gives each
cell count + ½), (3) finite differences of the penalised log-likelihood. (Checked once by hand,
not here: logistf's published fit on ``sex2``, coefficients to 2e-7 and penalised log-likelihood
−132.5394.)
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from alliancegov.stats import separation
from alliancegov.stats.firth import _indicator_matrix, _modified_score, _penalised_state, fit_firth_mnl
from alliancegov.stats.separation import (
    binary_separation,
    detect_mnl_separation,
    detect_separation,
    events_per_parameter,
)

TRUE_ETA = [(0.2, 0.5, 0.0), (-0.1, 0.0, 0.3), (0.0, 0.4, -0.4)]  # (const, x1, x2) per non-base outcome


def simulate_mnl(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Design (n, 3) = [1, x1, x2] and outcome codes 0..3 from a well-behaved MNL."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    eta = np.column_stack([np.zeros(n), X @ np.array(TRUE_ETA).T])
    prob = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    return X, y


def separated_sample(n: int = 200, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Well-behaved MNL plus a dummy ``d`` (~10 % of rows) whose firms all choose outcome 2."""
    X, y = simulate_mnl(n, seed)
    d = (np.random.default_rng(seed + 100).random(n) < 0.1).astype(float)
    y = np.where(d == 1, 2, y)
    return np.column_stack([X, d]), y


def binary_firth_heinze_schemper(X, y, tol=1e-10, maxiter=100):
    """Binary Firth logistic regression as in Heinze & Schemper (2002), written independently.

    β ← β + (X'WX)⁻¹ X'(y - π + h(½ - π)), h the diagonal of W^½ X (X'WX)⁻¹ X' W^½.
    """
    beta = np.zeros(X.shape[1])
    for _ in range(maxiter):
        pi = 1 / (1 + np.exp(-X @ beta))
        w = pi * (1 - pi)
        xtwx_inv = np.linalg.inv(X.T @ (w[:, None] * X))
        h = w * np.einsum("ip,pq,iq->i", X, xtwx_inv, X)
        step = xtwx_inv @ (X.T @ (y - pi + h * (0.5 - pi)))
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta, xtwx_inv
    raise AssertionError("reference Firth iteration did not converge")


def statsmodels_mnl(X, y):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.MNLogit(y, X).fit(method="newton", maxiter=100, disp=0)
    return np.asarray(result.params), np.asarray(result.bse), float(result.llf)


# --- Firth: correctness ---------------------------------------------------------------------

def test_binary_case_matches_heinze_schemper_iteration():
    rng = np.random.default_rng(3)
    n = 40
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + 1.2 * X[:, 1] - 0.8 * X[:, 2])))).astype(int)
    fit = fit_firth_mnl(X, y)
    beta, cov = binary_firth_heinze_schemper(X, y)
    assert fit.converged
    assert fit.params.shape == (3, 1)
    np.testing.assert_allclose(fit.params[:, 0], beta, atol=1e-7)
    np.testing.assert_allclose(fit.cov, cov, rtol=1e-6)


def test_binary_two_by_two_table_adds_a_half_to_each_cell():
    """Saturated binary logit: Firth = ML on counts + ½ (Heinze & Schemper 2002), even with a zero cell."""
    # group 0: 7 failures, 3 successes; group 1: 0 failures, 6 successes
    g = np.repeat([0, 0, 1], [7, 3, 6])
    y = np.repeat([0, 1, 1], [7, 3, 6])
    X = np.column_stack([np.ones_like(g), g]).astype(float)
    fit = fit_firth_mnl(X, y)
    intercept = np.log(3.5 / 7.5)
    np.testing.assert_allclose(fit.params[:, 0], [intercept, np.log(6.5 / 0.5) - intercept], atol=1e-7)


def test_saturated_multinomial_adds_a_half_to_each_cell():
    """Jeffreys prior of a multinomial: π_gj = (n_gj + ½) / (n_g + J/2) in every group g (zero cells too)."""
    counts = np.array([[6, 4, 0, 3],    # group 0 (reference): outcome counts 0..3
                       [2, 0, 5, 1],
                       [0, 3, 3, 4]])
    g = np.concatenate([np.repeat(group, counts[group].sum()) for group in range(3)])
    y = np.concatenate([np.repeat(np.arange(4), row) for row in counts])
    X = np.column_stack([np.ones(g.size), g == 1, g == 2]).astype(float)
    fit = fit_firth_mnl(X, y)
    logits = np.log((counts[:, 1:] + 0.5) / (counts[:, [0]] + 0.5))     # (groups, J-1)
    expected = np.vstack([logits[0], logits[1] - logits[0], logits[2] - logits[0]])
    np.testing.assert_allclose(fit.params, expected, atol=1e-7)
    assert fit.converged


def test_modified_score_is_the_gradient_of_the_penalised_loglik():
    X, y = simulate_mnl(60, seed=5)
    Y = _indicator_matrix(y, 4)
    theta = np.random.default_rng(0).normal(scale=0.3, size=9)

    def penalised(t):
        return _penalised_state(X, Y, t.reshape(3, 3).T)["penalised"]

    eps = 1e-6
    numeric = np.array([(penalised(theta + eps * e) - penalised(theta - eps * e)) / (2 * eps) for e in np.eye(9)])
    analytic = _modified_score(X, Y, _penalised_state(X, Y, theta.reshape(3, 3).T))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


def test_penalised_loglik_is_maximised_and_consistent():
    X, y = simulate_mnl(80, seed=8)
    fit = fit_firth_mnl(X, y)
    Y = _indicator_matrix(y, 4)
    state = _penalised_state(X, Y, fit.params)
    assert np.max(np.abs(_modified_score(X, Y, state))) < 1e-6
    assert fit.penalised_loglik == pytest.approx(state["penalised"])
    assert fit.loglik == pytest.approx(state["loglik"])
    for direction in np.random.default_rng(1).normal(size=(5, 9)):
        moved = fit.params + 0.05 * direction.reshape(3, 3).T
        assert _penalised_state(X, Y, moved)["penalised"] < fit.penalised_loglik
    np.testing.assert_allclose(fit.cov, fit.cov.T)
    np.testing.assert_allclose(fit.std_errors[:, 1], np.sqrt(np.diag(fit.cov))[3:6])


# --- separation ----------------------------------------------------------------------------

def test_separated_sample_ml_diverges_detection_flags_it_and_firth_is_finite():
    X, y = separated_sample()
    names = ["const", "x1", "x2", "d"]
    ml, ml_se, _ = statsmodels_mnl(X, y)
    assert abs(ml[3, 1]) > 10 or ml_se[3, 1] > 100

    table = detect_separation(X, y, names)
    assert table["separated"].tolist() == [False, True, False]
    flagged = table.set_index("outcome").loc[2]
    assert flagged["kind"] == "quasi-complete"
    assert flagged["implicated"] == ("d",)
    assert flagged["direction"] == (1,)
    assert flagged["n_separated_rows"] == int(X[:, 3].sum())

    joint = detect_mnl_separation(X, y, names)
    assert joint["separated"] and joint["kind"] == "quasi-complete"
    assert joint["direction"].loc["d"].tolist() == [-1, 1, -1]
    assert not joint["direction"].drop(index="d").to_numpy().any()

    fit = fit_firth_mnl(X, y)
    assert fit.converged
    assert np.all(np.isfinite(fit.params)) and np.all(np.isfinite(fit.std_errors))
    assert np.max(np.abs(fit.params)) < 10
    assert np.max(fit.std_errors) < 10
    assert fit.params[3, 1] > 1                       # still points the way the data do


def test_complete_and_no_separation():
    rng = np.random.default_rng(2)
    x = rng.normal(size=50)
    X = np.column_stack([np.ones(50), x])
    y = np.where(x > 0.1, 1, 0)                       # x separates completely
    table = detect_separation(X, y, ["const", "x"])
    assert table.loc[0, "kind"] == "complete"
    assert table.loc[0, "n_separated_rows"] == 50
    assert "x" in table.loc[0, "implicated"]
    assert dict(zip(table.loc[0, "implicated"], table.loc[0, "direction"]))["x"] == 1

    X, y = simulate_mnl(200, seed=4)
    table = detect_separation(X, y)
    assert not table["separated"].any() and (table["kind"] == "none").all()
    assert table["implicated"].tolist() == [(), (), ()]
    assert not detect_mnl_separation(X, y)["separated"]


def test_base_vs_j_separation_alone_does_not_imply_divergence():
    """{0, 2} separated by x1 while outcomes 1 and 3 overlap it: the MNL estimate is still finite."""
    X, y = simulate_mnl(200, seed=1)
    y = np.where((y == 2) & (X[:, 1] < 0), 0, np.where((y == 0) & (X[:, 1] > 0), 2, y))
    assert detect_separation(X, y).set_index("outcome").loc[2, "separated"]
    assert not detect_mnl_separation(X, y)["separated"]
    ml, ml_se, _ = statsmodels_mnl(X, y)
    assert np.max(np.abs(ml)) < 5 and np.max(ml_se) < 1


def test_events_per_parameter():
    y = np.repeat([0, 1, 2, 3], [40, 12, 55, 6])
    table = events_per_parameter(y, 4)
    assert list(table.columns) == ["outcome", "events", "parameters", "events_per_parameter"]
    assert table["outcome"].tolist() == [1, 2, 3]
    assert table["events"].tolist() == [12, 40, 6]
    assert table["parameters"].tolist() == [4, 4, 4]
    assert table["events_per_parameter"].tolist() == [3.0, 10.0, 1.5]


# --- separation on large data: overlap certified on a subset -------------------------------

def simulate_large_mnl(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Design (n, 6) = [1, 3 normals, 2 dummies] and codes 0..3 from a well-behaved MNL."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3)), rng.random((n, 2)) < 0.3]).astype(float)
    eta = np.column_stack([np.zeros(n), X @ rng.normal(scale=0.4, size=(6, 3))])
    prob = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    return X, y


@pytest.fixture
def lp_rows(monkeypatch):
    """Row counts of the constraint matrices the LPs are solved on, in call order."""
    rows = []
    solve = separation._lp_classify

    def recording(signed, tol):
        rows.append(signed.shape[0])
        return solve(signed, tol)

    monkeypatch.setattr(separation, "_lp_classify", recording)
    return rows


def full_lp_results(monkeypatch, X, y, names=None):
    """detect_mnl_separation and detect_separation forced onto the LPs on all rows."""
    with monkeypatch.context() as patch:
        patch.setattr(separation, "SUBSET_PER_CLASS", X.shape[0])
        return detect_mnl_separation(X, y, names), detect_separation(X, y, names)


def assert_same_results(got, expected):
    (mnl, table), (mnl_expected, table_expected) = got, expected
    assert (mnl["separated"], mnl["kind"]) == (mnl_expected["separated"], mnl_expected["kind"])
    pd.testing.assert_frame_equal(mnl["direction"], mnl_expected["direction"])
    pd.testing.assert_frame_equal(table, table_expected)


def test_large_overlapping_design_is_certified_without_the_full_lps(monkeypatch):
    X, y = simulate_large_mnl(50_000, seed=11)
    solve = separation._lp_classify

    def subset_only(signed, tol):
        if signed.shape[0] > 4 * separation.SUBSET_PER_CLASS * 3:
            raise AssertionError(f"LPs run on {signed.shape[0]} constraint rows")
        return solve(signed, tol)

    monkeypatch.setattr(separation, "_lp_classify", subset_only)
    joint = detect_mnl_separation(X, y)
    assert not joint["separated"] and joint["kind"] == "none"
    assert joint["direction"].shape == (6, 3) and not joint["direction"].to_numpy().any()
    table = detect_separation(X, y)
    assert not table["separated"].any() and (table["kind"] == "none").all()
    assert table["n_separated_rows"].tolist() == [0, 0, 0]
    assert table["n_rows"].tolist() == [int(((y == 0) | (y == j)).sum()) for j in (1, 2, 3)]


def planted(kind: str, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    X, y = simulate_large_mnl(n, seed=12)
    if kind == "quasi-complete":                      # dummy 1 only for (some) rows of outcome 2
        d = (np.random.default_rng(13).random(n) < 0.1).astype(float)
        return np.column_stack([X, d]), np.where(d == 1, 2, y)
    cuts = np.quantile(X[:, 1], [0.25, 0.5, 0.75])      # outcome ordered by x1: complete separation
    return X, np.searchsorted(cuts, X[:, 1])


@pytest.mark.parametrize("kind", ["quasi-complete", "complete"])
def test_planted_separation_falls_back_to_the_full_lps(monkeypatch, lp_rows, kind):
    X, y = planted(kind)
    names = [f"c{p}" for p in range(X.shape[1])]
    expected = full_lp_results(monkeypatch, X, y, names)
    assert lp_rows == [X.shape[0] * 3] + [int(((y == 0) | (y == j)).sum()) for j in (1, 2, 3)]
    del lp_rows[:]
    monkeypatch.setattr(separation, "SUBSET_PER_CLASS", 100)
    got = detect_mnl_separation(X, y, names), detect_separation(X, y, names)
    assert_same_results(got, expected)
    assert got[0]["separated"] and got[0]["kind"] == kind
    assert X.shape[0] * 3 in lp_rows and 4 * 100 * 3 in lp_rows       # tried on the subset first
    if kind == "quasi-complete":
        assert got[0]["direction"].loc["c6"].tolist() == [-1, 1, -1]
        flagged = got[1].set_index("outcome").loc[2]
        assert flagged["implicated"] == ("c6",) and flagged["direction"] == (1,)
        assert flagged["n_separated_rows"] == int(X[:, 6].sum())


@pytest.mark.parametrize("rare_outcomes", [[2, 2, 2, 2, 2], [0, 1, 2, 3, 2]])
def test_rank_deficient_subset_falls_back_to_the_full_lps(monkeypatch, lp_rows, rare_outcomes):
    """A rare dummy that is 0 on the whole subset: the subset LPs cannot see it, so no certificate."""
    X, y = simulate_large_mnl(4000, seed=14)
    monkeypatch.setattr(separation, "SUBSET_PER_CLASS", 100)
    outside = np.setdiff1d(np.arange(y.size), separation._subset(y, 100))
    rare = [outside[y[outside] == outcome][i] for i, outcome in enumerate(rare_outcomes)]
    X = np.column_stack([X, np.isin(np.arange(y.size), rare)]).astype(float)

    joint = detect_mnl_separation(X, y)
    assert lp_rows == [X.shape[0] * 3]                # rank-deficient subset: straight to all rows
    expected, _ = full_lp_results(monkeypatch, X, y)
    assert joint["separated"] == expected["separated"] == (set(rare_outcomes) == {2})
    assert joint["kind"] == expected["kind"]
    pd.testing.assert_frame_equal(joint["direction"], expected["direction"])
    if joint["separated"]:
        assert joint["kind"] == "quasi-complete"
        assert joint["direction"].loc["x6"].tolist() == [-1, 1, -1]

    z = (y == 2).astype(int)                          # binary: 5 events outside its own subset
    rare = np.setdiff1d(np.flatnonzero(z), separation._subset(z, 100))[:5]
    del lp_rows[:]
    check = binary_separation(np.column_stack([X[:, :6], np.isin(np.arange(z.size), rare)]), z)
    assert 2 * 100 not in lp_rows and lp_rows[-1] == z.size    # no LP on the rank-deficient subset
    assert check["separated"] and check["kind"] == "quasi-complete"
    assert check["direction"][6] > 0 and not check["direction"][:6].any()
    assert check["n_separated_rows"] == 5


def test_separation_checks_are_deterministic(monkeypatch):
    monkeypatch.setattr(separation, "SUBSET_PER_CLASS", 100)
    y = np.random.default_rng(15).integers(0, 4, 3000)
    y[:30] = 4                                         # a rare outcome is kept whole
    first = separation._subset(y, 100)
    np.testing.assert_array_equal(first, separation._subset(y, 100))
    assert np.bincount(y[first]).tolist() == [100, 100, 100, 100, 30]
    for X, y in [simulate_large_mnl(3000, seed=16), planted("quasi-complete", 3000)]:
        assert_same_results((detect_mnl_separation(X, y), detect_separation(X, y)),
                            (detect_mnl_separation(X, y), detect_separation(X, y)))


# --- Firth vs ML on well-behaved data ------------------------------------------------------

def test_firth_is_close_to_ml_and_shrinks_slightly():
    X, y = simulate_mnl(300, seed=0)
    ml, ml_se, ml_loglik = statsmodels_mnl(X, y)
    fit = fit_firth_mnl(X, y)
    assert np.max(np.abs(fit.params - ml) / ml_se) < 0.25
    assert 0 < np.max(np.abs(fit.params - ml))
    assert np.linalg.norm(fit.params[1:]) < np.linalg.norm(ml[1:])
    assert np.all(np.abs(fit.params[1:]) <= np.abs(ml[1:]))
    assert fit.loglik <= ml_loglik
    np.testing.assert_allclose(fit.std_errors, ml_se, rtol=0.1)


def test_tidy_table_and_bad_design():
    X, y = simulate_mnl(100, seed=2)
    fit = fit_firth_mnl(X, y)
    table = fit.tidy(names=["const", "x1", "x2"], outcomes=["a", "b", "c"])
    assert table.shape == (9, 8)
    assert table["outcome"].tolist() == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    np.testing.assert_allclose(table["estimate"], fit.params.T.ravel())
    with pytest.raises(ValueError, match="full column rank"):
        fit_firth_mnl(np.column_stack([X, X[:, 1]]), y)
