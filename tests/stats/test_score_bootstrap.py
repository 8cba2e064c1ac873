"""Bootstraps without refits: k Newton steps on each resample, and the score (wild) bootstrap."""

import numpy as np
import pytest

from alliancegov.stats.bootstrap import (
    LinearScores,
    Resampler,
    RowMultipliers,
    bca_p_values,
    bootstrap_estimates,
    newton_step_bootstrap,
)


def clustered_regression(n_clusters=150, seed=0):
    """Least squares with cluster-correlated, skewed errors and uneven cluster sizes (1–6 rows)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 7, size=n_clusters)
    clusters = np.repeat(np.arange(n_clusters), sizes)
    n = clusters.size
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    errors = rng.exponential(size=n_clusters)[clusters] + rng.exponential(size=n) - 2
    y = X @ np.array([1.0, 0.5, -0.3]) + errors
    return X, y, clusters


class LeastSquaresGradient:
    """Gradient of −½ Σ m_i (y_i − x_i'θ)² (a maximised objective), reweighted rows ``m``."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __call__(self, theta, row_weights):
        return self.X.T @ (row_weights * (self.y - self.X @ theta))


def least_squares(X, y, weights):
    root = np.sqrt(weights)
    return np.linalg.lstsq(X * root[:, None], y * root, rcond=None)[0]


def test_newton_steps_reach_each_resample_s_own_refit():
    """With the full-sample Hessian fixed the steps converge (linearly) to the resample's optimum:
    run to a tight tolerance they give, resample by resample, the weighted least-squares refit on
    the rows the refitting bootstrap draws with the same seed (clusters whole)."""
    X, y, clusters = clustered_regression()
    theta = least_squares(X, y, np.ones(len(y)))
    bread = np.linalg.inv(X.T @ X)
    steps = newton_step_bootstrap(LeastSquaresGradient(X, y), bread, theta, len(y), 30, seed=4, steps=200,
                                  tolerance=1e-12, cluster_ids=clusters)
    refits = bootstrap_estimates(lambda rows: least_squares(X[rows], y[rows], np.ones(rows.size)), len(y), 30,
                                 seed=4, n_jobs=1, cluster_ids=clusters)
    assert steps.n_ok == 30
    np.testing.assert_allclose(steps.estimates, refits.estimates, rtol=0, atol=1e-9)
    one_step = newton_step_bootstrap(LeastSquaresGradient(X, y), bread, theta, len(y), 30, seed=4, steps=1,
                                     cluster_ids=clusters)
    assert np.abs(one_step.estimates - refits.estimates).max() > 1e-4     # one step alone is not the refit


def test_frequency_weighted_steps_draw_the_units():
    """With frequency weights the multipliers count the units drawn from each row, as the refitting
    bootstrap's unit indices do; the converged steps equal those refits."""
    X, y, _ = clustered_regression(60, seed=1)
    units = np.random.default_rng(2).integers(1, 4, size=len(y)).astype(float)
    theta = least_squares(X, y, units)
    bread = np.linalg.inv(X.T @ (units[:, None] * X))
    steps = newton_step_bootstrap(LeastSquaresGradient(X, y), bread, theta, len(y), 10, seed=9, steps=300,
                                  tolerance=1e-12, frequency_weights=units)
    resampler = Resampler(len(y), 9, frequency_weights=units)
    for b in range(10):
        counts = np.bincount(resampler(b), minlength=len(y)).astype(float)
        np.testing.assert_allclose(steps.estimates[b], least_squares(X, y, counts), atol=1e-9)


def test_the_cluster_version_moves_clusters_scores_whole():
    """Resampling multipliers are the count of each drawn cluster on every one of its rows, and a
    single step from per-row scores is θ̂ + A Σ_g m_g S_g over the clusters' summed scores."""
    X, y, clusters = clustered_regression(40, seed=3)
    theta = least_squares(X, y, np.ones(len(y)))
    scores = X * (y - X @ theta)[:, None]
    bread = np.linalg.inv(X.T @ X)
    draw = RowMultipliers(len(y), 7, "resample", clusters)
    sums = np.vstack([scores[clusters == g].sum(axis=0) for g in range(40)])
    result = newton_step_bootstrap(LinearScores(scores, theta), bread, theta, len(y), 5, seed=7, steps=1,
                                   cluster_ids=clusters)
    for b in range(5):
        m = draw(b)
        per_cluster = np.array([np.unique(m[clusters == g]) for g in range(40)])
        assert per_cluster.shape == (40, 1)                          # one multiplier per cluster
        drawn = np.bincount(np.random.default_rng([7, b]).integers(0, 40, size=40), minlength=40)
        np.testing.assert_array_equal(per_cluster[:, 0], drawn)      # clusters numbered in order here
        np.testing.assert_allclose(result.estimates[b], theta + bread @ (drawn @ sums), atol=1e-12)
    twice = newton_step_bootstrap(LinearScores(scores, theta), bread, theta, len(y), 1, seed=7, steps=2)
    assert "one step" in twice.failures[0]


@pytest.mark.parametrize("kind, values", [("rademacher", (0.0, 2.0)),
                                          ("mammen", ((3 - np.sqrt(5)) / 2, (3 + np.sqrt(5)) / 2))])
def test_wild_multipliers_are_one_per_cluster_with_their_moments(kind, values):
    """``1 + v`` with one v per cluster; v has mean 0, variance 1 and third moment 0 (Rademacher)
    or 1 (Mammen). 200,000 clusters: the moments' Monte Carlo SDs are at most 0.0045, the
    tolerance 0.02."""
    clusters = np.repeat(np.arange(200_000), 2)
    m = RowMultipliers(clusters.size, 5, kind, clusters)(0)
    np.testing.assert_array_equal(m[0::2], m[1::2])
    np.testing.assert_allclose(np.unique(m), values)
    v = m[0::2] - 1
    third = 0.0 if kind == "rademacher" else 1.0
    np.testing.assert_allclose([v.mean(), v.var(), (v ** 3).mean()], [0.0, 1.0, third], atol=0.02)
    with pytest.raises(ValueError, match="need clusters"):
        RowMultipliers(4, 5, kind, frequency_weights=np.ones(4))


def test_the_score_bootstrap_s_covariance_is_the_cluster_sandwich():
    """Kline & Santos's score bootstrap of an MNL, θ̂ + A Σ_g v_g S_g: its draws' covariance is the
    cluster sandwich without Stata's G/(G−1), A (Σ_g S_g S_g') A (exactly, in expectation, for
    Rademacher v). B = 4,000: each variance is off by at most sqrt(2/B) ≈ 2.2% (one SD) by chance,
    the tolerance is 8%; the draws are centred at θ̂ within 4 Monte Carlo SEs."""
    from alliancegov.stats.mnl import fit_mnl_newton, sandwich_covariance, score_contributions

    rng = np.random.default_rng(8)
    clusters = np.repeat(np.arange(400), rng.integers(1, 5, size=400))
    n = clusters.size
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=(n,)) + rng.normal(size=400)[clusters]])
    utilities = np.column_stack([np.zeros(n), X @ np.array([[0.2, -0.3], [0.5, 0.1], [0.0, 0.6]])])
    y = (np.exp(utilities) / np.exp(utilities).sum(axis=1, keepdims=True)).cumsum(axis=1) > rng.random((n, 1))
    y = y.argmax(axis=1)
    fit = fit_mnl_newton(X, y)
    theta = fit.params.T.ravel()
    result = newton_step_bootstrap(LinearScores(score_contributions(X, y, fit.params), theta), fit.cov, theta, n, 4000,
                                   seed=1, steps=1, multipliers="rademacher", cluster_ids=clusters)
    G = 400
    sandwich = sandwich_covariance(X, y, fit.params, kind="cluster", groups=clusters) * (G - 1) / G
    draws = result.estimates
    np.testing.assert_allclose(np.cov(draws.T).diagonal(), sandwich.diagonal(), rtol=0.08)
    assert np.all(np.abs(draws.mean(axis=0) - theta) < 4 * np.sqrt(sandwich.diagonal() / 4000))


def test_reproducible_by_seed_and_whatever_the_split():
    X, y, clusters = clustered_regression(50, seed=5)
    theta = least_squares(X, y, np.ones(len(y)))
    bread = np.linalg.inv(X.T @ X)

    def run(seed, replicates=None, multipliers="resample"):
        return newton_step_bootstrap(LeastSquaresGradient(X, y), bread, theta, len(y), 12, seed, steps=3,
                                     multipliers=multipliers, cluster_ids=clusters, replicates=replicates)

    for kind in ("resample", "mammen"):
        whole = run(3, multipliers=kind)
        np.testing.assert_array_equal(whole.estimates, run(3, multipliers=kind).estimates)
        parts = np.vstack([run(3, range(0, 5), kind).estimates, run(3, range(5, 12), kind).estimates])
        np.testing.assert_array_equal(whole.estimates, parts)
        assert not np.allclose(whole.estimates, run(4, multipliers=kind).estimates)


def test_failed_replicates_are_counted_with_their_reasons_and_p_values_are_never_0():
    X, y, clusters = clustered_regression(50, seed=6)
    theta = least_squares(X, y, np.ones(len(y)))
    bread = np.linalg.inv(X.T @ X)
    gradient = LeastSquaresGradient(X, y)

    def sometimes_undefined(theta, row_weights):
        return None if row_weights[0] == 0 else gradient(theta, row_weights)

    result = newton_step_bootstrap(sometimes_undefined, bread, theta, len(y), 40, seed=2, steps=2)
    missing = [b for b in range(40) if np.bincount(Resampler(len(y), 2)(b), minlength=len(y))[0] == 0]
    assert missing and sorted(result.failures) == missing and set(result.failures.values()) == {"returned None"}
    assert np.isnan(result.estimates[missing]).all() and result.n_ok == 40 - len(missing)
    slow = newton_step_bootstrap(gradient, bread, theta, len(y), 5, seed=2, steps=1, tolerance=1e-12)
    assert slow.n_ok == 0 and "after 1 Newton steps" in slow.failures[0]
    shifted = result.estimates[result.ok] + 10                      # every draw far above the null
    assert (bca_p_values(shifted, theta + 10) >= 2 / (result.n_ok + 1)).all()
    with pytest.raises(ValueError, match="bread"):
        newton_step_bootstrap(gradient, bread[:2, :2], theta, len(y), 5, seed=2)
