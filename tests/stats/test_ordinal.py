"""Tests of alliancegov.stats.ordinal against published R / Stata output and hand implementations.

References reproduced
---------------------
* UCLA OARC ordered-logit example, ``apply ~ pared + public + gpa`` (400 rows; the data ship with
  statsmodels as ``miscmodels/tests/results/ologit_ucla.csv``):
  - R ``MASS::polr`` (statsmodels ``results_ordinal_model.py``; the full-precision ``coef(summary())``
    table incl. the intercepts' standard errors as printed on the UCLA R page
    https://stats.oarc.ucla.edu/r/dae/ordinal-logistic-regression/ and reproduced in
    https://onezero.blog/ordered-logistic-regression-in-r-research-oriented-modeling-and-interpretation/);
  - Stata ``ologit apply pared public gpa, or`` (log likelihood -358.51244, odds ratios, /cut1 /cut2
    with standard errors; the UCLA Stata page's output, as reproduced in a course do-file).
  polr's optim stops ~5e-4 short of the maximum (its cut points differ from Stata's in the 4th
  decimal); our Newton-Raphson fit equals Stata's to its printed precision.
* R ``brant::brant`` documentation example (https://rdrr.io/cran/brant/man/brant.html):
  ``polr(Smoke ~ Sex + Height, data = MASS::survey)`` (208 complete rows, embedded below from
  Rdatasets ``csv/MASS/survey.csv``): residual deviance 287.0276 and the Brant table
  Omnibus 3.28 (df 4, p 0.51), SexMale 1.58 (2, 0.45), Height 0.02 (2, 0.99).
* Frequency weights: ``polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)``, Venables &
  Ripley (2002), *Modern Applied Statistics with S*, 4th ed., §7.3 (``house.plr``), as printed by
  MASS's own ``?polr`` example in the package's check output ``tests/Examples/MASS-Ex.Rout.save``
  (MASS 7.3-65, https://github.com/cran/MASS): coefficients InflMedium 0.5663937, InflHigh
  1.2888191, TypeApartment -0.5723501, TypeAtrium -0.3661866, TypeTerrace -1.0910149, ContHigh
  0.3602841, intercepts Low|Medium -0.4961353, Medium|High 0.6907083, residual deviance 3479.149,
  AIC 3495.149; ``summary(house.plr, digits = 3)`` standard errors 0.1047, 0.1272, 0.1192, 0.1552,
  0.1515, 0.0955 (slopes, to 4 decimals) and 0.125, 0.125 (intercepts, to 3 decimals) with the
  intercepts' t values -3.974 and 5.505, which pin their standard errors down to about 2e-5
  (|value| / |t| over the t values' rounding interval). The 72-row table is MASS's ``housing``
  (Madsen 1976), embedded below in R's row order from Rdatasets ``csv/MASS/housing.csv`` (the same
  72 frequencies as ``MASS::housing$Freq``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from alliancegov.stats.ordinal import (
    OrderedFit,
    brant_test,
    fit_ordered_logit,
    ordered_average_marginal_effects,
    ordered_probabilities,
    tidy_ordered,
)

# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------

UCLA_LEVELS = ["unlikely", "somewhat likely", "very likely"]

# MASS::survey complete cases of (Sex, Smoke, Height): Sex F/M, Smoke code (0 Never, 1 Occas,
# 2 Regul, 3 Heavy), Height in cm, in the data's row order.
SURVEY = """
F0173 M2177.8 M0160 M0165 F0172.72 M0182.88 F0157 M0175 M0167 F0156.2 F0155 F0155 F0156 F0157
M0182.88 M0190.5 M0177 M0190.5 M0180.34 M0180.34 M0184 M0172.72 M0175.26 M0167 M0180 F3166.4 M0180
M1190 F0168 M0182.5 M0185 M1171 F0169 F0154.94 M0172 F0176.5 F0180.34 M0180.34 M2180 M0170 F1168
F0165 M0200 M0190 M0170.18 M0179 M2182 M0171 F0157.48 M0177.8 M1175.26 M0187 F0167.64 F0178 F0170
F0164 M0183 F0172 M0180 F0170 M3176 F0171 F0167.64 F0165 F3170 F0165 F3165.1 F0165.1 M0185.42
M0176.5 M0167.64 F0167 F0162.56 F0170 M0179 M0183 F0165 F0168 M3179 M2190 F0166.5 M0165 F0175.26
M0187 M0170 F0159 F0175 F3163 F0170 F1172 M0180 M2180.34 F0175 M0190.5 F0170.18 M0185 F0162.56 F0158
F0159 M3193.04 F0171 M3184 M1177 F0172 M0180 M0175.26 M0180.34 F0172.72 M2178.5 F0157 F0152 M0187.96
M0178 F1160.02 M0175.26 M2189 M0182.88 M0170 F0167 F0175 F0165 F0172.72 M0180 F0172 M0185 M2187.96
M0185.42 F0165 F0164 M0195 F0165 F2152.4 M0172.72 M0180.34 M0173 F0167.64 M0187.96 M2187 F0167 M0168
M0191.8 F1169.2 M0177 F0168 F0170 F2160.02 M0189 M0180.34 F0168 M1182.88 F0165 F0157.48 F0170
M2172.72 F0164 F0162.56 M1172 F1165.1 F0162.5 M0170 M0175 M0168 F0163 M0165 M0173 M0196 M0179.1
M0180 M1176 F0160.02 F0157.48 F0165 F0170.18 M0154.94 F1170 F0164 F1167 M0174 F0160 M2179.1 F1168
F0153.5 M0160 M0165 F0171.5 F0160 F0163 M0165 F0168.9 M0170 M0185 F0173 M0188 M3171 F0167.64
F0162.56 F0150 F3170.18 M0185 F2167 M1185 F0169 M0180.34 F0165.1 F0160 F0170 M0183 F0168.5
"""


# MASS::housing Freq, rows in R's order: Sat (Low, Medium, High) fastest, then Infl (Low, Medium,
# High), Type (Tower, Apartment, Atrium, Terrace), Cont (Low, High).
HOUSING_FREQ = [
    21, 21, 28, 34, 22, 36, 10, 11, 36, 61, 23, 17, 43, 35, 40, 26, 18, 54,
    13, 9, 10, 8, 8, 12, 6, 7, 9, 18, 6, 7, 15, 13, 13, 7, 5, 11,
    14, 19, 37, 17, 23, 40, 3, 5, 23, 78, 46, 43, 48, 45, 86, 15, 25, 62,
    20, 23, 20, 10, 22, 24, 7, 10, 21, 57, 23, 13, 31, 21, 13, 5, 6, 13,
]


def _ucla_path() -> Path:
    import statsmodels

    return Path(statsmodels.__file__).parent / "miscmodels" / "tests" / "results" / "ologit_ucla.csv"


@pytest.fixture(scope="module")
def ucla():
    path = _ucla_path()
    if not path.exists():
        pytest.skip("statsmodels' ologit_ucla.csv is not installed")
    df = pd.read_csv(path)
    y = df["apply"].map({level: code for code, level in enumerate(UCLA_LEVELS)}).to_numpy()
    X = df[["pared", "public", "gpa"]].astype(float)
    return X, y


@pytest.fixture(scope="module")
def ucla_fit(ucla):
    X, y = ucla
    return fit_ordered_logit(X, y)


@pytest.fixture(scope="module")
def survey():
    tokens = SURVEY.split()
    X = pd.DataFrame({"SexMale": [float(t[0] == "M") for t in tokens],
                      "Height": [float(t[2:]) for t in tokens]})
    y = np.array([int(t[1]) for t in tokens])
    return X, y


@pytest.fixture(scope="module")
def housing():
    """X (72, 6) treatment dummies as polr's, y (72,) Sat codes, Freq (72,) and the Type labels."""
    cells = [(sat, infl, kind, cont) for cont in range(2) for kind in range(4) for infl in range(3)
             for sat in range(3)]
    sat, infl, kind, cont = (np.array(v) for v in zip(*cells))
    X = pd.DataFrame({"InflMedium": infl == 1, "InflHigh": infl == 2, "TypeApartment": kind == 1,
                      "TypeAtrium": kind == 2, "TypeTerrace": kind == 3, "ContHigh": cont == 1}).astype(float)
    return X, sat, np.array(HOUSING_FREQ, dtype=float), kind


@pytest.fixture(scope="module")
def simulated():
    """Proportional-odds data: a continuous x, a binary dummy and a 3-level factor (2 dummies)."""
    rng = np.random.default_rng(20240611)
    n = 1500
    x = rng.normal(size=n)
    d = (rng.random(n) < 0.4).astype(float)
    g = rng.integers(0, 3, size=n)
    X = pd.DataFrame({"x": x, "d": d, "C(g)[T.b]": (g == 1).astype(float), "C(g)[T.c]": (g == 2).astype(float)})
    b = np.array([0.8, -0.6, 0.5, 1.1])
    latent = X.to_numpy() @ b + rng.logistic(size=n)
    y = np.digitize(latent, [-0.5, 0.6, 1.8])
    return X, y


@pytest.fixture(scope="module")
def simulated_fit(simulated):
    X, y = simulated
    return fit_ordered_logit(X, y)


# --------------------------------------------------------------------------------------------
# hand implementations used as references
# --------------------------------------------------------------------------------------------

def analytic_information_cov(X, y, slopes, cutpoints):
    """Inverse of minus the analytic Hessian of the log-likelihood in (slopes, cutpoints)."""
    X = np.asarray(X, float)
    n, k = X.shape
    m = len(cutpoints)
    padded = np.concatenate([[-np.inf], cutpoints, [np.inf]])
    eta = X @ slopes
    Fu, Fl = expit(padded[y + 1] - eta), expit(padded[y] - eta)
    fu, fl = Fu * (1 - Fu), Fl * (1 - Fl)
    fpu, fpl = fu * (1 - 2 * Fu), fl * (1 - 2 * Fl)
    P = Fu - Fl
    U = np.zeros((n, m))
    L = np.zeros((n, m))
    U[np.flatnonzero(y < m), y[y < m]] = 1.0
    L[np.flatnonzero(y > 0), y[y > 0] - 1] = 1.0
    grad = np.column_stack([-(fu - fl)[:, None] * X, fu[:, None] * U - fl[:, None] * L]) / P[:, None]
    B = (fpu[:, None] * U - fpl[:, None] * L) / P[:, None]
    hess = np.zeros((k + m, k + m))
    hess[:k, :k] = (X * ((fpu - fpl) / P)[:, None]).T @ X
    hess[:k, k:] = -X.T @ B
    hess[k:, :k] = hess[:k, k:].T
    hess[k:, k:] = np.diag(B.sum(axis=0))
    hess -= grad.T @ grad
    return np.linalg.inv(-hess), grad.sum(axis=0)


def brant_by_hand(X, y):
    """Literal port of R brant::brant / SPost brant.ado (dense diagonal weight matrices)."""
    import statsmodels.api as sm

    X = np.asarray(X, float)
    n, K = X.shape
    J = int(y.max()) + 1
    Xc = np.column_stack([np.ones(n), X])
    fits = [sm.Logit((y > m).astype(float), Xc).fit(disp=False, method="newton", tol=1e-12) for m in range(J - 1)]
    pi = [f.predict() for f in fits]
    V = np.zeros(((J - 1) * K, (J - 1) * K))
    for m in range(J - 1):
        V[m * K:(m + 1) * K, m * K:(m + 1) * K] = np.asarray(fits[m].cov_params())[1:, 1:]
        for l_ in range(m + 1, J - 1):
            Wml = np.diag(pi[l_] - pi[m] * pi[l_])
            Wm = np.diag(pi[m] - pi[m] ** 2)
            Wl = np.diag(pi[l_] - pi[l_] ** 2)
            block = (np.linalg.inv(Xc.T @ Wm @ Xc) @ (Xc.T @ Wml @ Xc) @ np.linalg.inv(Xc.T @ Wl @ Xc))[1:, 1:]
            V[m * K:(m + 1) * K, l_ * K:(l_ + 1) * K] = block
            V[l_ * K:(l_ + 1) * K, m * K:(m + 1) * K] = block.T
    beta = np.concatenate([np.asarray(f.params)[1:] for f in fits])
    rows = []
    for i in range(J - 2):
        blocks = [np.eye(K) if j == 0 else (-np.eye(K) if j == i + 1 else np.zeros((K, K))) for j in range(J - 1)]
        rows.append(np.hstack(blocks))
    D = np.vstack(rows)
    out = [float((D @ beta) @ np.linalg.inv(D @ V @ D.T) @ (D @ beta))]
    for k in range(K):
        s = np.arange(k, K * (J - 1), K)
        Ds = D[:, s]
        Ds = Ds[~np.all(Ds == 0, axis=1)]
        out.append(float((Ds @ beta[s]) @ np.linalg.inv(Ds @ V[np.ix_(s, s)] @ Ds.T) @ (Ds @ beta[s])))
    return np.array(out)


def ame_estimates(X, fit, continuous, discrete=None):
    return ordered_average_marginal_effects(X, fit, continuous, discrete)["estimate"].to_numpy()


def with_params(fit: OrderedFit, theta: np.ndarray) -> OrderedFit:
    k = fit.slopes.shape[0]
    return dataclasses.replace(fit, slopes=theta[:k].copy(), cutpoints=theta[k:].copy())


def threshold_jacobian(raw: np.ndarray, k: int) -> np.ndarray:
    """Jacobian d(slopes, cutpoints)/d(statsmodels params), (p, p).

    statsmodels' thresholds are ``(c_1, log(c_2 - c_1), ..., log(c_{J-1} - c_{J-2}))``, so
    ``c_j = c_1 + sum_{i=2..j} exp(raw_i)``: ``dc_j/draw_1 = 1`` and ``dc_j/draw_i = exp(raw_i)``
    for ``2 <= i <= j``.
    """
    p = raw.shape[0]
    m = p - k
    jac = np.zeros((p, p))
    jac[:k, :k] = np.eye(k)
    increments = np.concatenate([[1.0], np.exp(raw[k + 1:])])
    for j in range(m):
        jac[k + j, k:k + j + 1] = increments[:j + 1]
    return jac


def statsmodels_ordered_fit(X, y):
    """statsmodels ``OrderedModel(distr='logit')`` as the former fitter used it: BFGS, Newton polish
    (numerical Hessian), covariance mapped to the natural scale by the delta method.
    Returns (params (slopes, cutpoints), cov, loglik)."""
    import warnings

    from statsmodels.miscmodels.ordinal_model import OrderedModel

    X = np.asarray(X, float)
    k = X.shape[1]
    model = OrderedModel(y, X, distr="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = model.fit(method="bfgs", maxiter=2000, gtol=1e-8, disp=False)
        result = model.fit(method="newton", start_params=first.params, maxiter=100, tol=1e-12, disp=False)
    raw = np.asarray(result.params, float)
    jac = threshold_jacobian(raw, k)
    cov = jac @ np.asarray(result.cov_params(), float) @ jac.T
    natural = np.concatenate([raw[:k], np.asarray(model.transform_threshold_params(raw), float)[1:-1]])
    return natural, (cov + cov.T) / 2, float(result.llf)


def simulate_ordered(rng, n, slopes, cutpoints):
    """Proportional-odds data: x1 normal, x2 a 0/1 dummy, x3 normal with mean 2 and sd 1.5, x4 uniform."""
    X = np.column_stack([rng.normal(size=n), (rng.random(n) < 0.3).astype(float), rng.normal(2.0, 1.5, size=n),
                         rng.uniform(-1, 1, size=n)])[:, :len(slopes)]
    y = np.digitize(X @ np.asarray(slopes) + rng.logistic(size=n), cutpoints)
    return X, y


# --------------------------------------------------------------------------------------------
# fit: published references
# --------------------------------------------------------------------------------------------

def test_ucla_reproduces_polr(ucla_fit):
    """R MASS::polr, UCLA example (coef(summary(m)), residual deviance 717.0249)."""
    fit = ucla_fit
    assert fit.converged and fit.n == 400 and fit.n_categories == 3
    assert fit.names == ("pared", "public", "gpa")
    # polr's optim stops early: its estimates differ from the exact maximum by <= 2e-4 (slopes)
    # and <= 6e-4 (cut points); standard errors and deviance agree to 1e-4 / 1e-3.
    np.testing.assert_allclose(fit.slopes, [1.04769010, -0.05878572, 0.61594057], atol=2.5e-4)
    np.testing.assert_allclose(fit.cutpoints, [2.20391473, 4.29936315], atol=7e-4)
    np.testing.assert_allclose(fit.std_errors, [0.2657894, 0.2978614, 0.2606340, 0.7795455, 0.8043267], atol=1e-4)
    assert abs(-2 * fit.loglik - 717.0249) < 1e-3
    assert abs(fit.loglik - (-358.51245)) < 1e-3


def test_ucla_reproduces_stata_ologit(ucla_fit):
    """Stata `ologit apply pared public gpa, or`: the exact maximum, to Stata's printed digits."""
    fit = ucla_fit
    table = tidy_ordered(fit, ["pared", "public", "gpa"]).set_index("term")
    assert abs(fit.loglik - (-358.51244)) < 1e-5
    np.testing.assert_allclose(table.loc[["pared", "public", "gpa"], "odds_ratio"],
                               [2.850982, 0.9430059, 1.851037], rtol=2e-6)
    # Stata's OR standard errors are OR * SE(b)
    np.testing.assert_allclose(table.loc[["pared", "public", "gpa"], "odds_ratio"]
                               * table.loc[["pared", "public", "gpa"], "std_error"],
                               [0.7577601, 0.2808826, 0.4824377], rtol=2e-5)
    np.testing.assert_allclose(table.loc[["pared", "public", "gpa"], "or_conf_low"],
                               [1.69338, 0.5259888, 1.11062], rtol=2e-5)
    np.testing.assert_allclose(table.loc[["pared", "public", "gpa"], "or_conf_high"],
                               [4.799927, 1.690645, 3.085067], rtol=5e-6)
    np.testing.assert_allclose(table.loc[["cut1", "cut2"], "estimate"], [2.203323, 4.298767], atol=2e-6)
    np.testing.assert_allclose(table.loc[["cut1", "cut2"], "std_error"], [0.7795353, 0.8043147], atol=2e-6)
    np.testing.assert_allclose(table.loc[["cut1", "cut2"], "conf_low"], [0.6754621, 2.72234], atol=5e-6)
    np.testing.assert_allclose(table.loc[["cut1", "cut2"], "conf_high"], [3.731184, 5.875195], atol=5e-6)


def test_ucla_probabilities_match_polr_predictions(ucla):
    """polr's predict(type='probs') for the first 7 rows, at polr's own estimates."""
    X, _ = ucla
    probs = ordered_probabilities(X.iloc[:7], [1.04769011, -0.05878572, 0.61594057], [2.203915, 4.299363])
    expected = np.array([[0.5488310, 0.3593310, 0.09183798], [0.3055632, 0.4759496, 0.21848725],
                         [0.2293835, 0.4781951, 0.29242138], [0.6161224, 0.3126888, 0.07118879],
                         [0.6560149, 0.2833901, 0.06059505], [0.6609240, 0.2797117, 0.05936431],
                         [0.6518332, 0.2865114, 0.06165547]])
    np.testing.assert_allclose(probs, expected, atol=2e-7)
    np.testing.assert_allclose(ordered_probabilities(X, [1, 0, 0.5], [0, 1]).sum(axis=1), 1.0)


def test_survey_reproduces_polr_and_brant_package(survey):
    """brant::brant's documented example: polr(Smoke ~ Sex + Height, MASS::survey), J = 4."""
    X, y = survey
    fit = fit_ordered_logit(X, y)
    assert fit.converged and fit.n == 208
    assert abs(-2 * fit.loglik - 287.0276) < 1e-3
    np.testing.assert_allclose(fit.slopes, [0.09478, 0.02785], atol=2e-4)
    # polr's optim on this badly scaled problem (Height ~ 170 cm) stops ~1e-3 short on the cut points
    np.testing.assert_allclose(fit.cutpoints, [6.3113, 6.9224, 7.8802], atol=2e-3)
    # ... and its finite-difference Hessian is ~0.6 % off: polr prints SEs 0.4808, 0.0243, 4.0564,
    # 4.0619, 4.0732; the exact inverse information (checked analytically below) is 0.4810, 0.02417,
    # 4.0313, 4.0365, 4.0472.
    np.testing.assert_allclose(fit.std_errors, [0.4808, 0.0243, 4.0564, 4.0619, 4.0732], rtol=7e-3)
    exact, _ = analytic_information_cov(X.to_numpy(), y, fit.slopes, fit.cutpoints)
    np.testing.assert_allclose(fit.std_errors, np.sqrt(np.diag(exact)), rtol=1e-5)

    brant = brant_test(X, y)
    assert brant["term"].tolist() == ["all", "SexMale", "Height"]
    assert brant["df"].tolist() == [4, 2, 2]
    np.testing.assert_allclose(brant["statistic"].round(2), [3.28, 1.58, 0.02])
    np.testing.assert_allclose(brant["p_value"].round(2), [0.51, 0.45, 0.99])
    np.testing.assert_allclose(brant["statistic"], brant_by_hand(X, y), rtol=1e-8)


# --------------------------------------------------------------------------------------------
# fit: covariance on the natural scale
# --------------------------------------------------------------------------------------------

def test_covariance_equals_inverse_information(ucla, ucla_fit, simulated, simulated_fit):
    for (X, y), fit in [(ucla, ucla_fit), (simulated, simulated_fit)]:
        exact, score = analytic_information_cov(X.to_numpy(), y, fit.slopes, fit.cutpoints)
        assert np.max(np.abs(score)) < 1e-5  # at the maximum
        scale = np.sqrt(np.outer(np.diag(exact), np.diag(exact)))
        assert np.max(np.abs(fit.cov - exact) / scale) < 1e-4
        np.testing.assert_allclose(fit.cov, fit.cov.T)


def test_threshold_jacobian_matches_finite_differences():
    """The delta-method map of statsmodels' threshold covariance used by the reference fit below."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    rng = np.random.default_rng(3)
    model = OrderedModel(rng.integers(0, 4, 50), rng.normal(size=(50, 2)), distr="logit")
    raw = np.array([0.3, -0.2, -1.0, 0.4, -0.3])

    def natural(r):
        return np.concatenate([r[:2], model.transform_threshold_params(r)[1:-1]])

    h = 1e-6
    fd = np.column_stack([(natural(raw + h * e) - natural(raw - h * e)) / (2 * h) for e in np.eye(5)])
    np.testing.assert_allclose(threshold_jacobian(raw, 2), fd, atol=1e-8)


# --------------------------------------------------------------------------------------------
# fit: the Newton-Raphson against statsmodels, simulation, edge cases
# --------------------------------------------------------------------------------------------

def test_agrees_with_statsmodels_ordered_model():
    """5 categories, 4 regressors (one 0/1, one off-centre), 3000 rows: same maximum as OrderedModel."""
    X, y = simulate_ordered(np.random.default_rng(7), 3000, [0.7, -0.9, 0.25, 1.2], [-1.2, 0.0, 0.9, 2.1])
    fit = fit_ordered_logit(X, y)
    params, cov, loglik = statsmodels_ordered_fit(X, y)
    assert fit.converged and fit.n == 3000 and fit.n_categories == 5
    np.testing.assert_allclose(fit.params, params, rtol=0, atol=1e-6)
    assert abs(fit.loglik - loglik) <= 1e-8 * abs(loglik)
    assert fit.loglik >= loglik - 1e-9                      # nobody finds a higher point
    # statsmodels' covariance is a numerical Hessian (mapped by the delta method): agreement to its noise
    np.testing.assert_allclose(fit.std_errors, np.sqrt(np.diag(cov)), rtol=1e-4)
    exact, score = analytic_information_cov(X, y, fit.slopes, fit.cutpoints)
    np.testing.assert_allclose(fit.cov, exact, rtol=1e-8, atol=1e-12)
    assert np.max(np.abs(score)) < 1e-8


def test_loglik_derivatives_match_finite_differences_and_stay_finite_in_the_tails():
    from alliancegov.stats.ordinal.likelihood import _loglik_derivatives, _sorted_by_category

    rng = np.random.default_rng(5)
    X, y = simulate_ordered(rng, 400, [0.5, -0.4, 0.3], [-1.0, 0.2, 1.0, 2.0])
    Xs, bounds, _ = _sorted_by_category(X, y, 5)
    theta = np.array([0.3, -0.8, 0.1, -0.9, 0.1, 0.8, 2.5])   # away from the maximum
    _, grad, hess = _loglik_derivatives(Xs, bounds, theta[:3], theta[3:])
    h = 1e-5

    def at(t):
        return _loglik_derivatives(Xs, bounds, t[:3], t[3:])

    fd_grad = np.array([(at(theta + h * e)[0] - at(theta - h * e)[0]) / (2 * h) for e in np.eye(7)])
    fd_hess = np.column_stack([(at(theta + h * e)[1] - at(theta - h * e)[1]) / (2 * h) for e in np.eye(7)])
    np.testing.assert_allclose(grad, fd_grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(hess, fd_hess, rtol=1e-6, atol=1e-5)
    assert np.all(np.linalg.eigvalsh(-hess) > 0)           # concave (Pratt 1981)

    # a middle-category row 40 logits above both its cut points (eta = -40, cuts -1 and 0):
    # P = F(40) - F(39) cancels to 0 in double precision; log F(u) + log F(-l) + log(1 - e^(l-u)) does not
    ll, grad, hess = _loglik_derivatives(np.array([[1.0]]), np.array([0, 0, 0, 1, 1]), np.array([-40.0]),
                                         np.array([-2.0, -1.0, 0.0]))
    assert expit(40.0) - expit(39.0) == 0.0
    expected = np.log(expit(40.0)) + np.log(expit(-39.0)) + np.log1p(-np.exp(-1.0))
    assert abs(ll - expected) < 1e-13 * abs(expected)
    # in the tail P ~ e^eta (e^-l' ...): d log P / d eta = 1, d/dc_upper = 1/(e - 1), d/dc_lower = -e/(e - 1)
    e = np.e
    np.testing.assert_allclose(grad, [1.0, 0.0, -e / (e - 1), 1 / (e - 1)], rtol=1e-12, atol=1e-15)
    assert np.all(np.isfinite(hess))


def test_recovers_true_parameters_on_a_large_sample():
    truth = np.array([0.6, -0.8, 0.3, -1.5, -0.4, 0.5, 1.6])
    X, y = simulate_ordered(np.random.default_rng(2024), 200_000, truth[:3], truth[3:])
    fit = fit_ordered_logit(X, y, names=["a", "b", "c"])
    assert fit.converged and fit.n == 200_000 and fit.names == ("a", "b", "c")
    assert np.all(np.abs(fit.params - truth) < 4 * fit.std_errors)
    assert np.all(fit.std_errors < 0.02)


def test_separation_returns_not_converged_with_a_warning():
    rng = np.random.default_rng(8)
    n = 2000
    x, w = rng.normal(size=n), rng.normal(size=n)
    complete = (np.column_stack([x, w]), np.digitize(x, [-1.0, 0.0, 1.0]))      # x orders y perfectly
    d = (rng.random(n) < 0.1).astype(float)
    y = np.digitize(0.5 * w + rng.logistic(size=n), [-1.0, 0.0, 1.0])
    top = (np.column_stack([d, w]), np.where(d == 1, 3, y))                       # d = 1 predicts the top
    bottom = (np.column_stack([d, w]), np.where(d == 1, 0, y))                    # ... or the bottom category
    binary = (np.column_stack([x, w]), (x > 0).astype(int))
    for X, yy in [complete, top, bottom, binary]:
        with pytest.warns(RuntimeWarning, match="did not converge"):
            fit = fit_ordered_logit(X, yy)
        assert not fit.converged
        assert np.isfinite(fit.loglik) and np.all(np.isfinite(fit.params))
        assert np.all(np.diff(fit.cutpoints) > 0)
    # quasi-complete separation: the separated slope runs off, the others stay at their ML values
    with pytest.warns(RuntimeWarning):
        fit = fit_ordered_logit(*top)
    assert fit.slopes[0] > 20
    overlap = d == 0
    fit_overlap = fit_ordered_logit(w[overlap, None], y[overlap])
    np.testing.assert_allclose(fit.slopes[1], fit_overlap.slopes[0], atol=1e-6)


def test_binary_outcome_equals_logit_with_constant():
    import statsmodels.api as sm

    X, y = simulate_ordered(np.random.default_rng(9), 1500, [0.8, -0.5, 0.3], [0.4])
    assert set(np.unique(y)) == {0, 1}
    fit = fit_ordered_logit(X, y)
    logit = sm.Logit(y, sm.add_constant(X)).fit(method="newton", maxiter=100, tol=1e-12, disp=False)
    assert fit.converged and fit.n_categories == 2
    np.testing.assert_allclose(fit.slopes, logit.params[1:], rtol=0, atol=1e-9)
    np.testing.assert_allclose(fit.cutpoints, [-logit.params[0]], rtol=0, atol=1e-9)
    assert abs(fit.loglik - logit.llf) <= 1e-12 * abs(logit.llf)
    # cov of (slopes, -intercept): flip the sign of the constant's row and column
    sign = np.concatenate([np.ones(3), [-1.0]])
    reordered = np.asarray(logit.cov_params())[np.ix_([1, 2, 3, 0], [1, 2, 3, 0])] * np.outer(sign, sign)
    np.testing.assert_allclose(fit.cov, reordered, rtol=1e-8)


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------

def test_constant_column_raises(ucla):
    X, y = ucla
    with pytest.raises(ValueError, match="constant"):
        fit_ordered_logit(X.assign(const=1.0), y)
    full_dummies = pd.DataFrame({"a": X["pared"], "b": 1.0 - X["pared"], "gpa": X["gpa"]})
    with pytest.raises(ValueError, match="span a constant"):
        fit_ordered_logit(full_dummies, y)
    with pytest.raises(ValueError, match="constant"):
        brant_test(np.column_stack([np.ones(len(y)), X]), y)


def test_bad_outcomes_raise(ucla):
    X, y = ucla
    with pytest.raises(ValueError, match="never occur"):
        fit_ordered_logit(X, np.where(y == 1, 2, y))
    with pytest.raises(ValueError, match="integer"):
        fit_ordered_logit(X, y + 0.5)
    with pytest.raises(ValueError, match="at least three"):
        brant_test(X, (y > 0).astype(int))


# --------------------------------------------------------------------------------------------
# tidy table
# --------------------------------------------------------------------------------------------

def test_tidy_table(ucla_fit):
    table = tidy_ordered(ucla_fit, ["pared", "public", "gpa"])
    assert table.columns.tolist() == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                      "conf_high", "odds_ratio", "or_conf_low", "or_conf_high"]
    assert table["term"].tolist() == ["pared", "public", "gpa", "cut1", "cut2"]
    np.testing.assert_allclose(table["estimate"], ucla_fit.params)
    np.testing.assert_allclose(table["odds_ratio"][:3], np.exp(ucla_fit.slopes))
    np.testing.assert_allclose(table["or_conf_low"][:3], np.exp(table["conf_low"][:3]))
    assert table[["odds_ratio", "or_conf_low", "or_conf_high"]].iloc[3:].isna().all().all()
    # polr-style labels and the p-values polr's table reports (z reference)
    labelled = tidy_ordered(ucla_fit, None, outcome_labels=UCLA_LEVELS)
    assert labelled["term"].tolist()[3:] == ["unlikely|somewhat likely", "somewhat likely|very likely"]
    np.testing.assert_allclose(labelled["p_value"][:3], [8.087070e-05, 8.435464e-01, 1.811594e-02], rtol=3e-3)
    narrow = tidy_ordered(ucla_fit, None, level=0.5)
    assert (narrow["conf_high"] - narrow["conf_low"] < table["conf_high"] - table["conf_low"]).all()


# --------------------------------------------------------------------------------------------
# average marginal effects
# --------------------------------------------------------------------------------------------

def test_ame_layout_and_sum_to_zero(simulated, simulated_fit):
    X, _ = simulated
    ame = ordered_average_marginal_effects(X, simulated_fit, [0], {"d": [1], "g": [2, 3]})
    assert ame.columns.tolist() == ["variable", "outcome", "estimate", "std_error"]
    assert ame["variable"].unique().tolist() == ["x", "d", "g[b]", "g[c]"]
    assert ame["outcome"].tolist() == [0, 1, 2, 3] * 4
    sums = ame.groupby("variable", sort=False)["estimate"].sum()
    np.testing.assert_allclose(sums, 0.0, atol=1e-14)
    assert (ame["std_error"] > 0).all()
    # a positive slope moves mass from the lowest to the highest category
    assert ame.loc[(ame.variable == "x") & (ame.outcome == 0), "estimate"].item() < 0
    assert ame.loc[(ame.variable == "x") & (ame.outcome == 3), "estimate"].item() > 0


def test_ame_continuous_equals_finite_difference_of_average_probability(ucla, ucla_fit, simulated, simulated_fit):
    for (X, _), fit, cols in [(ucla, ucla_fit, [0, 1, 2]), (simulated, simulated_fit, [0, 1, 2, 3])]:
        Xa = X.to_numpy()
        ame = ame_estimates(X, fit, cols).reshape(len(cols), -1)
        h = 1e-6
        for row, c in enumerate(cols):
            up, down = Xa.copy(), Xa.copy()
            up[:, c] += h
            down[:, c] -= h
            fd = (ordered_probabilities(up, fit.slopes, fit.cutpoints).mean(axis=0)
                  - ordered_probabilities(down, fit.slopes, fit.cutpoints).mean(axis=0)) / (2 * h)
            np.testing.assert_allclose(ame[row], fd, atol=1e-8)


def test_ame_discrete_is_average_discrete_change(simulated, simulated_fit):
    X, _ = simulated
    fit = simulated_fit
    Xa = X.to_numpy()
    ame = ame_estimates(X, fit, [], {"d": [1], "g": [2, 3]}).reshape(3, -1)

    def average(assign):
        Z = Xa.copy()
        for col, value in assign.items():
            Z[:, col] = value
        return ordered_probabilities(Z, fit.slopes, fit.cutpoints).mean(axis=0)

    np.testing.assert_allclose(ame[0], average({1: 1}) - average({1: 0}), atol=1e-14)
    np.testing.assert_allclose(ame[1], average({2: 1, 3: 0}) - average({2: 0, 3: 0}), atol=1e-14)
    np.testing.assert_allclose(ame[2], average({2: 0, 3: 1}) - average({2: 0, 3: 0}), atol=1e-14)


def test_ame_delta_standard_errors_equal_finite_difference_jacobian(ucla, ucla_fit, simulated, simulated_fit):
    cases = [(ucla, ucla_fit, [2], {"pared": [0], "public": [1]}),
             (simulated, simulated_fit, [0], {"d": [1], "g": [2, 3]})]
    for (X, _), fit, cont, disc in cases:
        theta = fit.params
        h = 1e-6
        jac = np.column_stack([
            (ame_estimates(X, with_params(fit, theta + h * e), cont, disc)
             - ame_estimates(X, with_params(fit, theta - h * e), cont, disc)) / (2 * h)
            for e in np.eye(theta.size)])
        se_fd = np.sqrt(np.einsum("ap,pq,aq->a", jac, fit.cov, jac))
        se = ordered_average_marginal_effects(X, fit, cont, disc)["std_error"].to_numpy()
        np.testing.assert_allclose(se, se_fd, rtol=1e-6)


def test_ame_chunking_does_not_change_results(simulated, simulated_fit):
    X, _ = simulated
    whole = ordered_average_marginal_effects(X, simulated_fit, [0], {"d": [1], "g": [2, 3]})
    chunked = ordered_average_marginal_effects(X, simulated_fit, [0], {"d": [1], "g": [2, 3]}, chunk_rows=37)
    np.testing.assert_allclose(chunked["estimate"], whole["estimate"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(chunked["std_error"], whole["std_error"], rtol=1e-10)


def test_ame_input_checks(simulated, simulated_fit):
    X, _ = simulated
    with pytest.raises(ValueError, match="more than once"):
        ordered_average_marginal_effects(X, simulated_fit, [1], {"d": [1]})
    with pytest.raises(ValueError, match="0/1"):
        ordered_average_marginal_effects(X, simulated_fit, [], {"x": [0]})
    with pytest.raises(ValueError, match="columns"):
        ordered_average_marginal_effects(X.iloc[:, :2], simulated_fit, [0])


# --------------------------------------------------------------------------------------------
# Brant test
# --------------------------------------------------------------------------------------------

def test_brant_matches_hand_implementation_on_ucla(ucla):
    X, y = ucla
    brant = brant_test(X, y)
    assert brant["term"].tolist() == ["all", "pared", "public", "gpa"]
    assert brant["df"].tolist() == [3, 1, 1, 1]
    np.testing.assert_allclose(brant["statistic"], brant_by_hand(X, y), rtol=1e-8)
    # pinned output of this implementation at SPost's display precision (%10.2f, %9.3f)
    np.testing.assert_allclose(brant["statistic"].round(2), [4.34, 0.13, 3.44, 0.18])
    np.testing.assert_allclose(brant["p_value"].round(3), [0.227, 0.716, 0.064, 0.672])


def test_brant_does_not_reject_proportional_odds_data(simulated):
    X, y = simulated
    brant = brant_test(X, y)
    assert brant["df"].tolist() == [8, 2, 2, 2, 2]
    assert (brant["p_value"] > 0.01).all()


def test_brant_rejects_non_parallel_slopes():
    rng = np.random.default_rng(11)
    n = 3000
    x = rng.normal(size=n)
    w = rng.normal(size=n)
    # latent scale depends on x: the cumulative logits of x are not parallel
    latent = 0.5 * w + 0.3 * x + rng.logistic(size=n) * np.exp(0.6 * x)
    y = np.digitize(latent, [-1.0, 0.0, 1.0])
    brant = brant_test(np.column_stack([x, w]), y, names=["x", "w"]).set_index("term")
    assert brant.loc["all", "p_value"] < 1e-3
    assert brant.loc["x", "p_value"] < 1e-3


# --------------------------------------------------------------------------------------------
# weights
# --------------------------------------------------------------------------------------------

def expand(X, y, freq, *more):
    """Rows repeated freq times (freq integer)."""
    rows = np.repeat(np.arange(len(y)), np.asarray(freq, int))
    return (np.asarray(X, float)[rows], np.asarray(y)[rows], *(np.asarray(m)[rows] for m in more))


def row_scores_by_differences(X, y, theta, k):
    """(n, p) per-row scores d log P_i / d theta by central differences of ordered_probabilities."""
    X = np.asarray(X, float)
    h = 1e-6

    def logp(t):
        return np.log(ordered_probabilities(X, t[:k], t[k:])[np.arange(len(y)), y])

    return np.column_stack([(logp(theta + h * e) - logp(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])


def test_housing_frequency_weights_reproduce_polr(housing):
    """MASS::polr's house.plr (V&R 2002 §7.3) as MASS-Ex.Rout.save prints it (see the module docstring):
    coefficients and cut points to 1e-4, standard errors to 1e-4, log-likelihood to 1e-3."""
    X, y, freq, _ = housing
    fit = fit_ordered_logit(X, y, weights=freq)
    assert fit.converged and fit.n == 1681 and fit.weight_type == "frequency" and fit.cov_type == "oim"
    np.testing.assert_allclose(fit.slopes, [0.5663937, 1.2888191, -0.5723501, -0.3661866, -1.0910149, 0.3602841],
                               atol=1e-4)
    np.testing.assert_allclose(fit.cutpoints, [-0.4961353, 0.6907083], atol=1e-4)
    # summary(house.plr, digits = 3): the slopes' standard errors to their 4 printed decimals ...
    np.testing.assert_allclose(fit.std_errors[:6], [0.1047, 0.1272, 0.1192, 0.1552, 0.1515, 0.0955], atol=5e-5 + 1e-12)
    # ... and the cut points' from their printed values over their printed t values (-3.974, 5.505)
    for se, value, t in zip(fit.std_errors[6:], [-0.4961353, 0.6907083], [-3.974, 5.505]):
        low, high = sorted(abs(value) / (abs(t) + side * 5e-4) for side in (-1, 1))
        assert low - 1e-6 <= se <= high + 1e-6
        assert abs(se - abs(value / t)) < 1e-4
    assert abs(-2 * fit.loglik - 3479.149) < 2 * 1e-3
    assert abs(fit.loglik - (-3479.149 / 2)) < 1e-3
    assert abs(fit.aic - 3495.149) < 1e-3


def test_housing_header_statistics(housing):
    """Stata's ologit header: the null model in closed form from the weighted category shares."""
    X, y, freq, _ = housing
    fit = fit_ordered_logit(X, y, weights=freq)
    totals = np.bincount(y, weights=freq)
    assert totals.tolist() == [567, 446, 668]
    # the cut-points-only model at its MLE (logits of the cumulative shares), evaluated directly
    cuts = np.log(np.cumsum(totals)[:-1] / (1681 - np.cumsum(totals)[:-1]))
    null = ordered_probabilities(X, np.zeros(6), cuts)[np.arange(72), y]
    assert fit.loglik_null == pytest.approx(float(freq @ np.log(null)), abs=1e-9)
    stats = fit.fit_statistics().set_index("statistic")["value"]
    assert stats["n_obs"] == 1681 and stats["df"] == 6
    assert stats["lr_chi2"] == pytest.approx(2 * (fit.loglik - fit.loglik_null))
    assert stats["lr_chi2"] == pytest.approx(169.728, abs=2e-3)
    assert stats["pseudo_r2"] == pytest.approx(1 - fit.loglik / fit.loglik_null)
    assert stats["bic"] == pytest.approx(3479.149 + 8 * np.log(1681), abs=1e-3)
    assert "wald_chi2" not in stats.index


def test_frequency_weights_equal_row_expansion(housing):
    X, y, freq, _ = housing
    fit = fit_ordered_logit(X, y, weights=freq)
    Xe, ye = expand(X, y, freq)
    expanded = fit_ordered_logit(pd.DataFrame(Xe, columns=X.columns), ye)
    assert expanded.n == fit.n == 1681
    np.testing.assert_allclose(fit.params, expanded.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fit.cov, expanded.cov, rtol=1e-8, atol=1e-14)
    assert fit.loglik == pytest.approx(expanded.loglik, rel=1e-12)
    assert fit.loglik_null == pytest.approx(expanded.loglik_null, rel=1e-12)
    pd.testing.assert_frame_equal(fit.fit_statistics(), expanded.fit_statistics(), rtol=1e-9)

    # zero weights drop rows
    keep = np.arange(72) % 5 != 0
    dropped = fit_ordered_logit(X, y, weights=np.where(keep, freq, 0.0))
    subset = fit_ordered_logit(X[keep], y[keep], weights=freq[keep])
    np.testing.assert_allclose(dropped.params, subset.params, rtol=1e-10)
    np.testing.assert_allclose(dropped.cov, subset.cov, rtol=1e-8)

    # weighted AMEs (estimates and delta-method SEs) equal those on the expanded rows
    discrete = {"Infl": [0, 1], "Type": [2, 3, 4], "ContHigh": [5]}
    weighted = ordered_average_marginal_effects(X, fit, [], discrete, weights=freq)
    plain = ordered_average_marginal_effects(pd.DataFrame(Xe, columns=X.columns), expanded, [], discrete)
    np.testing.assert_allclose(weighted["estimate"], plain["estimate"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted["std_error"], plain["std_error"], rtol=1e-7)
    unweighted = ordered_average_marginal_effects(X, fit, [], discrete)
    assert np.max(np.abs(unweighted["estimate"] - weighted["estimate"])) > 1e-3   # the weights matter


def test_weighted_continuous_ame_equals_expansion(simulated):
    X, y = simulated
    freq = np.random.default_rng(1).integers(1, 4, size=len(y)).astype(float)
    fit = fit_ordered_logit(X, y, weights=freq)
    Xe, ye = expand(X, y, freq)
    expanded = fit_ordered_logit(Xe, ye)
    weighted = ordered_average_marginal_effects(X, fit, [0], {"d": [1]}, weights=freq, chunk_rows=333)
    plain = ordered_average_marginal_effects(Xe, expanded, [0], {"d": [1]})
    np.testing.assert_allclose(weighted["estimate"], plain["estimate"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(weighted["std_error"], plain["std_error"], rtol=1e-6)


def test_probability_weights_same_estimates_with_sandwich(simulated):
    X, y = simulated
    w = np.random.default_rng(2).uniform(0.2, 3.0, size=len(y))
    freq = fit_ordered_logit(X, y, weights=w)
    prob = fit_ordered_logit(X, y, weights=w, weight_type="probability")
    np.testing.assert_allclose(prob.params, freq.params, rtol=0, atol=0)
    assert prob.cov_type == "robust" and prob.n == len(y) and prob.loglik == freq.loglik
    # sandwich by hand: per-row scores by finite differences, Stata's N/(N-1)
    S = row_scores_by_differences(X, y, prob.params, 4) * w[:, None]
    n = len(y)
    hand = n / (n - 1) * freq.cov @ (S.T @ S) @ freq.cov
    np.testing.assert_allclose(prob.cov, hand, rtol=1e-5, atol=1e-10)
    # rescaling probability weights changes nothing; for frequency weights it shrinks the SEs
    scaled = fit_ordered_logit(X, y, weights=10 * w, weight_type="probability")
    np.testing.assert_allclose(scaled.cov, prob.cov, rtol=1e-7)
    # the header: Wald chi-square instead of LR; no AIC/BIC for a pseudo-likelihood
    stats = prob.fit_statistics().set_index("statistic")["value"]
    assert np.isnan(prob.lr_chi2) and np.isnan(stats["aic"]) and np.isnan(stats["bic"])
    b = prob.slopes
    assert stats["wald_chi2"] == pytest.approx(b @ np.linalg.solve(prob.cov[:4, :4], b))
    assert stats["pseudo_r2"] == pytest.approx(1 - prob.loglik / prob.loglik_null)


def test_cluster_robust_covariance(housing):
    """Clusters = dwelling Type (G = 4), frequency weights: G/(G-1) A (sum_g S_g S_g') A by hand on the
    expanded rows, equal to the weighted fit's."""
    X, y, freq, kind = housing
    fit = fit_ordered_logit(X, y, weights=freq, groups=kind)
    assert fit.cov_type == "cluster" and fit.n_clusters == 4 and np.isnan(fit.lr_chi2)
    Xe, ye, ge = expand(X, y, freq, kind)
    expanded = fit_ordered_logit(Xe, ye, groups=ge)
    np.testing.assert_allclose(fit.cov, expanded.cov, rtol=1e-7)
    S = row_scores_by_differences(Xe, ye, fit.params, 6)
    sums = np.vstack([S[ge == g].sum(axis=0) for g in range(4)])
    model = fit_ordered_logit(X, y, weights=freq).cov
    hand = 4 / 3 * model @ (sums.T @ sums) @ model
    np.testing.assert_allclose(fit.cov, hand, rtol=1e-5, atol=1e-12)
    # probability weights with clusters: the weights multiply the scores before summing
    prob = fit_ordered_logit(X, y, weights=freq, weight_type="probability", groups=kind)
    np.testing.assert_allclose(prob.cov, fit.cov, rtol=1e-10)


def test_weight_input_checks(simulated):
    X, y = simulated
    with pytest.raises(ValueError, match="needs weights"):
        fit_ordered_logit(X, y, weight_type="probability")
    with pytest.raises(ValueError, match="weight_type"):
        fit_ordered_logit(X, y, weights=np.ones(len(y)), weight_type="analytic")
    with pytest.raises(ValueError, match="non-negative"):
        fit_ordered_logit(X, y, weights=-np.ones(len(y)))
    with pytest.raises(ValueError, match="never occur"):
        fit_ordered_logit(X, y, weights=np.where(y == 0, 0.0, 1.0))


def brant_weighted_by_hand(X, y, w, robust):
    """Weighted Brant statistic from statsmodels GLM binomial fits with dense matrices."""
    import statsmodels.api as sm

    X = np.asarray(X, float)
    n, K = X.shape
    J = int(y.max()) + 1
    Xc = np.column_stack([np.ones(n), X])
    fits = [sm.GLM((y > m).astype(float), Xc, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-12)
            for m in range(J - 1)]
    pi = [f.predict() for f in fits]
    A = [np.linalg.inv(Xc.T @ np.diag(w * p * (1 - p)) @ Xc) for p in pi]
    V = np.zeros(((J - 1) * K, (J - 1) * K))
    for m in range(J - 1):
        for q in range(J - 1):
            lo, hi = min(m, q), max(m, q)
            if robust:
                r = [(y > j) - pi[j] for j in (m, q)]
                middle = n / (n - 1) * Xc.T @ np.diag(w ** 2 * r[0] * r[1]) @ Xc
            else:
                middle = Xc.T @ np.diag(w * (pi[hi] - pi[lo] * pi[hi])) @ Xc
            V[m * K:(m + 1) * K, q * K:(q + 1) * K] = (A[m] @ middle @ A[q])[1:, 1:]
    beta = np.concatenate([np.asarray(f.params)[1:] for f in fits])
    D = np.hstack([np.tile(np.eye(K), (J - 2, 1)), -np.eye((J - 2) * K)])
    return float((D @ beta) @ np.linalg.solve(D @ V @ D.T, D @ beta))


def test_weighted_brant(simulated):
    X, y = simulated
    freq = np.random.default_rng(3).integers(1, 4, size=len(y)).astype(float)
    weighted = brant_test(X, y, weights=freq)
    Xe, ye = expand(X, y, freq)
    np.testing.assert_allclose(weighted["statistic"], brant_test(Xe, ye)["statistic"], rtol=1e-7)
    assert weighted["statistic"].iloc[0] == pytest.approx(brant_weighted_by_hand(X, y, freq, False), rel=1e-6)

    w = np.random.default_rng(4).uniform(0.2, 3.0, size=len(y))
    robust = brant_test(X, y, weights=w, weight_type="probability")
    assert robust["statistic"].iloc[0] == pytest.approx(brant_weighted_by_hand(X, y, w, True), rel=1e-6)
    np.testing.assert_allclose(brant_test(X, y, weights=7 * w, weight_type="probability")["statistic"],
                               robust["statistic"], rtol=1e-8)
    assert robust["df"].tolist() == weighted["df"].tolist() == [8, 2, 2, 2, 2]


def test_robust_sandwich_without_probability_weights(simulated):
    """``robust=True``: Stata's ``ologit, vce(robust)``, N/(N-1) A (sum_i s_i s_i') A; with frequency
    weights it equals the robust fit of the expanded rows."""
    X, y = simulated
    fit = fit_ordered_logit(X, y, robust=True)
    model = fit_ordered_logit(X, y)
    assert fit.cov_type == "robust" and np.isnan(fit.lr_chi2) and not np.isnan(fit.aic)
    S = row_scores_by_differences(X, y, fit.params, 4)
    n = len(y)
    np.testing.assert_allclose(fit.cov, n / (n - 1) * model.cov @ (S.T @ S) @ model.cov, rtol=1e-5, atol=1e-10)
    freq = np.random.default_rng(11).integers(1, 4, size=n).astype(float)
    Xe, ye = expand(X, y, freq)
    np.testing.assert_allclose(fit_ordered_logit(X, y, weights=freq, robust=True).cov,
                               fit_ordered_logit(Xe, ye, robust=True).cov, rtol=1e-8)


def test_survey_design_is_the_cluster_sandwich_with_psus_as_clusters(simulated):
    """A design of PSUs alone, no strata, unit weights: the linearised covariance is Stata's vce(cluster)
    (G/(G-1)); the header reports the adjusted Wald F on G - 1 design df, no AIC/BIC (pseudo-likelihood),
    and the tidy table t intervals on those df."""
    from scipy import stats

    from alliancegov.stats.survey.design import SurveyDesign

    X, y = simulated
    psu = np.arange(len(y)) % 40
    clustered = fit_ordered_logit(X, y, groups=psu)
    design = fit_ordered_logit(X, y, design=SurveyDesign(psu=psu))
    np.testing.assert_allclose(design.params, clustered.params, rtol=1e-12)
    np.testing.assert_allclose(design.cov, clustered.cov, rtol=1e-8)
    assert design.cov_type == "design" and design.design_df == 39 and design.n_clusters == 40
    header = design.fit_statistics().set_index("statistic")["value"]
    assert header["wald_f"] == pytest.approx((39 - 4 + 1) / (39 * 4) * design.wald_chi2)
    assert header["df_denominator"] == 36 and header["p_value"] == pytest.approx(stats.f.sf(header["wald_f"], 4, 36))
    assert np.isnan(header["aic"]) and np.isnan(header["bic"])
    table = tidy_ordered(design)
    t = stats.t.ppf(0.975, 39)
    np.testing.assert_allclose(table["conf_high"] - table["estimate"], t * design.std_errors, rtol=1e-10)
    # sampling weights in the design: the estimates are the weighted fit's
    w = np.random.default_rng(12).uniform(0.5, 2.0, size=len(y))
    weighted = fit_ordered_logit(X, y, design=SurveyDesign(weights=w, psu=psu))
    np.testing.assert_allclose(weighted.params, fit_ordered_logit(X, y, weights=w).params, rtol=1e-10)
    np.testing.assert_allclose(weighted.cov, fit_ordered_logit(X, y, weights=w, weight_type="probability",
                                                               groups=psu).cov, rtol=1e-8)
    with pytest.raises(ValueError, match="survey design"):
        fit_ordered_logit(X, y, weights=w, design=SurveyDesign(psu=psu))


def brant_clustered_by_hand(X, y, groups, w=None):
    """Cluster-robust Brant statistic: statsmodels GLM fits, dense stacked sandwich, G/(G-1)."""
    import statsmodels.api as sm

    X = np.asarray(X, float)
    n, K = X.shape
    w = np.ones(n) if w is None else w
    J = int(y.max()) + 1
    Xc = np.column_stack([np.ones(n), X])
    fits = [sm.GLM((y > m).astype(float), Xc, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-12)
            for m in range(J - 1)]
    bread = [np.linalg.inv(Xc.T @ np.diag(w * f.predict() * (1 - f.predict())) @ Xc) for f in fits]
    U = np.hstack([(w * ((y > m) - f.predict()))[:, None] * Xc for m, f in enumerate(fits)])
    S = np.vstack([U[groups == g].sum(axis=0) for g in np.unique(groups)])
    G = len(np.unique(groups))
    from scipy.linalg import block_diag

    A = block_diag(*bread)
    V = G / (G - 1) * A @ S.T @ S @ A
    keep = np.flatnonzero(np.arange(V.shape[0]) % (K + 1) != 0)
    V = V[np.ix_(keep, keep)]
    beta = np.concatenate([np.asarray(f.params)[1:] for f in fits])
    D = np.hstack([np.tile(np.eye(K), (J - 2, 1)), -np.eye((J - 2) * K)])
    return float((D @ beta) @ np.linalg.solve(D @ V @ D.T, D @ beta))


def test_brant_with_clusters_and_a_survey_design(simulated):
    from alliancegov.stats.survey.design import SurveyDesign

    X, y = simulated
    groups = np.arange(len(y)) % 50
    clustered = brant_test(X, y, groups=groups)
    assert clustered["statistic"].iloc[0] == pytest.approx(brant_clustered_by_hand(X, y, groups), rel=1e-6)
    assert clustered["statistic"].iloc[0] != pytest.approx(brant_test(X, y)["statistic"].iloc[0], rel=1e-3)
    freq = np.random.default_rng(13).integers(1, 4, size=len(y)).astype(float)
    Xe, ye, ge = expand(X, y, freq, groups)
    np.testing.assert_allclose(brant_test(X, y, weights=freq, groups=groups)["statistic"],
                               brant_test(Xe, ye, groups=ge)["statistic"], rtol=1e-7)
    np.testing.assert_allclose(brant_test(X, y, design=SurveyDesign(psu=groups))["statistic"],
                               clustered["statistic"], rtol=1e-8)


def test_robust_brant_equals_expanded_rows_with_frequency_weights(simulated):
    X, y = simulated
    freq = np.random.default_rng(14).integers(1, 4, size=len(y)).astype(float)
    Xe, ye = expand(X, y, freq)
    np.testing.assert_allclose(brant_test(X, y, weights=freq, robust=True)["statistic"],
                               brant_test(Xe, ye, robust=True)["statistic"], rtol=1e-7)
    # unweighted, robust is the clustered test with every row its own cluster (n/(n-1) either way)
    np.testing.assert_allclose(brant_test(X, y, robust=True)["statistic"],
                               brant_test(X, y, groups=np.arange(len(y)))["statistic"], rtol=1e-8)
