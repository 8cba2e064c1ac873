"""Reproducible, parallel, failure-counting bootstrap."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alliancegov.stats.bootstrap import BootstrapResult, bootstrap_estimates, percentile_intervals, resample_indices


def mean_and_sd(values):
    """fit_function over ``values``; defined in a closure so loky pickles it by value."""
    def fit(indices):
        sample = values[indices]
        return np.array([sample.mean(), sample.std()])
    return fit


def test_identical_for_one_and_two_workers():
    values = np.random.default_rng(0).normal(size=300)
    serial = bootstrap_estimates(mean_and_sd(values), 300, n_boot=60, seed=11, n_jobs=1)
    parallel = bootstrap_estimates(mean_and_sd(values), 300, n_boot=60, seed=11, n_jobs=2)
    np.testing.assert_array_equal(serial.estimates, parallel.estimates)
    np.testing.assert_array_equal(serial.ok, parallel.ok)
    assert serial.estimates.shape == (60, 2) and serial.n_ok == 60
    other = bootstrap_estimates(mean_and_sd(values), 300, n_boot=60, seed=12, n_jobs=1)
    assert not np.array_equal(serial.estimates, other.estimates)


def test_resamples_follow_the_seed():
    first = resample_indices(50, 5, seed=3)
    np.testing.assert_array_equal(np.vstack(first), np.vstack(resample_indices(50, 5, seed=3)))
    expected = [np.random.default_rng([3, b]).integers(0, 50, size=50) for b in range(5)]
    np.testing.assert_array_equal(np.vstack(first), np.vstack(expected))
    assert not np.array_equal(first[0], first[1])


def test_a_scattered_bootstrap_gathers_to_the_whole_one():
    """Parts computed by separate jobs (through their tables) give exactly the one-job result,
    failures included, with replicate numbers as keys."""
    from alliancegov.stats.bootstrap import combine_results, result_frame, result_from_frames

    values = np.random.default_rng(8).normal(size=120)

    def fit(idx):
        if idx[0] % 7 == 0:
            raise ValueError("planted failure")
        return np.array([values[idx].mean(), values[idx].std()])

    whole = bootstrap_estimates(fit, 120, n_boot=40, seed=4, n_jobs=1)
    parts = [range(0, 13), range(13, 27), range(27, 40)]
    results = [bootstrap_estimates(fit, 120, n_boot=40, seed=4, n_jobs=1, replicates=part) for part in parts]
    for gathered in (combine_results(results),
                     result_from_frames([result_frame(r, part) for r, part in zip(results, parts)])):
        np.testing.assert_array_equal(gathered.ok, whole.ok)
        np.testing.assert_array_equal(gathered.estimates, whole.estimates)
        assert gathered.failures == whole.failures and whole.failures
    with pytest.raises(ValueError, match="outside"):
        bootstrap_estimates(fit, 120, n_boot=40, seed=4, replicates=range(30, 45))


def test_percentile_interval_covers_the_mean_of_normal_data():
    """Mean of n = 50 N(μ, 1) draws: the percentile CI should cover μ about 95 % of the time."""
    rng = np.random.default_rng(2024)
    mu, n, n_data_sets = 1.5, 50, 400
    covered, ses = [], []
    for _ in range(n_data_sets):
        values = rng.normal(mu, 1.0, size=n)
        result = bootstrap_estimates(lambda idx, v=values: np.array([v[idx].mean()]), n, n_boot=200,
                                     seed=int(rng.integers(2**31)), n_jobs=1)
        table = percentile_intervals(result, level=0.95)
        covered.append(table.loc[0, "conf_low"] <= mu <= table.loc[0, "conf_high"])
        ses.append(table.loc[0, "std_error"])
    coverage = np.mean(covered)
    # binomial SD of the coverage ≈ 0.011; percentile CIs of a mean undercover slightly at n = 50
    assert 0.91 <= coverage <= 0.975
    assert np.mean(ses) == pytest.approx(np.sqrt((n - 1) / n) / np.sqrt(n), rel=0.05)


def test_interval_table_columns_and_quantiles():
    estimates = np.column_stack([np.arange(101.0), -np.arange(101.0)])
    result = BootstrapResult(estimates=estimates, ok=np.ones(101, bool))
    table = percentile_intervals(result, level=0.9, names=["a", "b"])
    assert list(table.columns) == ["estimate_index", "term", "conf_low", "conf_high", "std_error", "n_ok",
                                   "share_failed"]
    np.testing.assert_allclose(table[["conf_low", "conf_high"]].to_numpy(), [[5, 95], [-95, -5]])
    np.testing.assert_allclose(table["std_error"], stats.tstd(np.arange(101.0)))


def test_failures_are_counted_not_hidden():
    values = np.arange(40.0)

    def flaky(indices):
        kind = min(int(indices[0]) % 8, 4)       # 0-3: one way of failing each; 4 (half): fine
        if kind == 0:
            raise RuntimeError("no convergence")
        if kind == 1:
            return None
        if kind == 2:
            return np.array([np.nan, 1.0])
        if kind == 3:
            return np.array([1.0])
        return np.array([values[indices].mean(), 1.0])

    samples = resample_indices(40, 100, seed=5)
    kinds = np.minimum(np.array([int(s[0]) % 8 for s in samples]), 4)
    assert set(kinds) == {0, 1, 2, 3, 4}
    expected_ok = kinds == 4
    for n_jobs in (1, 2):
        result = bootstrap_estimates(flaky, 40, n_boot=100, seed=5, n_jobs=n_jobs)
        assert result.estimates.shape == (100, 2)           # the commonest finite length fixes p = 2
        np.testing.assert_array_equal(result.ok, expected_ok)
        assert result.n_ok == expected_ok.sum()
        assert result.share_failed == pytest.approx(1 - expected_ok.mean())
        assert np.isnan(result.estimates[~expected_ok]).all()
        reasons = pd.Series(result.failures)
        assert set(reasons.index) == set(np.flatnonzero(~expected_ok))
        assert (reasons[kinds[reasons.index] == 0] == "RuntimeError: no convergence").all()
        assert (reasons[kinds[reasons.index] == 1] == "returned None").all()
        assert (reasons[kinds[reasons.index] == 2] == "non-finite estimates").all()
        assert (reasons[kinds[reasons.index] == 3] == "returned 1 values, expected 2").all()
        table = percentile_intervals(result)
        assert (table["n_ok"] == expected_ok.sum()).all()
        assert table["share_failed"].iloc[0] == pytest.approx(1 - expected_ok.mean())


def test_clusters_are_resampled_whole():
    sizes = [1, 2, 3, 4, 5, 6]
    cluster_ids = np.repeat(np.array(list("abcdef")), sizes)
    rows_of = {c: set(np.flatnonzero(cluster_ids == c)) for c in "abcdef"}
    for indices in resample_indices(len(cluster_ids), 50, seed=9, cluster_ids=cluster_ids):
        drawn = pd.Series(indices).value_counts()
        per_cluster = pd.Series(cluster_ids[indices]).value_counts()
        assert per_cluster.sum() == len(indices)
        for cluster, count in per_cluster.items():
            rows = rows_of[cluster]
            assert count % len(rows) == 0                       # whole copies only
            copies = count // len(rows)
            assert all(drawn.get(row, 0) == copies for row in rows)
        assert sum(per_cluster[c] // len(rows_of[c]) for c in per_cluster.index) == 6   # G clusters drawn

    def n_rows(indices):
        return np.array([len(indices)])

    result = bootstrap_estimates(n_rows, len(cluster_ids), n_boot=30, seed=9, n_jobs=1, cluster_ids=cluster_ids)
    assert len(np.unique(result.estimates)) > 1                 # sizes vary with the clusters drawn
    with pytest.raises(ValueError, match="cluster_ids"):
        bootstrap_estimates(n_rows, 5, n_boot=3, seed=0, cluster_ids=cluster_ids)


def test_cluster_resample_gathers_each_drawn_cluster_in_draw_order():
    # interleaved, unsorted cluster labels: the rows of each drawn cluster must come out whole,
    # in the order the clusters were drawn, exactly as concatenating them one by one would
    rng = np.random.default_rng(4)
    cluster_ids = rng.choice(np.array(["x", "y", "z", "w", "v"]), size=40)
    first_seen = pd.unique(cluster_ids)
    members = [np.flatnonzero(cluster_ids == c) for c in first_seen]
    for b, indices in enumerate(resample_indices(len(cluster_ids), 20, seed=3, cluster_ids=cluster_ids)):
        drawn = np.random.default_rng([3, b]).integers(0, len(members), size=len(members))
        np.testing.assert_array_equal(indices, np.concatenate([members[c] for c in drawn]))


# ---- p-values and BCa intervals -------------------------------------------------------------------------

def test_a_bootstrap_p_value_is_never_zero_and_agrees_with_the_percentile_interval():
    from alliancegov.stats.bootstrap import bootstrap_p_values

    rng = np.random.default_rng(5)
    all_positive = rng.uniform(0.1, 1.0, size=(999, 1))
    assert bootstrap_p_values(all_positive)[0] == pytest.approx(2 / 1000)
    centred = rng.normal(size=(999, 300)) + rng.uniform(-3, 3, size=300)
    p = bootstrap_p_values(centred)
    low, high = np.quantile(centred, [0.025, 0.975], axis=0)
    excludes = (low > 0) | (high < 0)
    # the +1 correction moves the boundary by at most one resample in a tail
    clear = np.abs(p - 0.05) > 3 / 1000
    assert np.array_equal(excludes[clear], (p < 0.05)[clear])
    assert (p > 0).all() and (p <= 1).all()


def jackknife_influence(x: np.ndarray) -> np.ndarray:
    """θ̄_(.) − θ_(i) for the mean, the jackknife influence scipy's BCa uses."""
    leave_one_out = (x.sum() - x) / (len(x) - 1)
    return (leave_one_out.mean() - leave_one_out)[:, None]


def test_bca_intervals_match_scipy_on_a_skewed_statistic():
    """scipy.stats.bootstrap(method="BCa") on the mean of skewed data, 40 000 resamples each:
    the bounds agree within Monte Carlo error (a few hundredths of a standard error)."""
    from scipy import stats

    from alliancegov.stats.bootstrap import acceleration, bca_intervals

    rng = np.random.default_rng(11)
    x = rng.exponential(2.0, size=30)
    B = 40_000
    replicates = x[rng.integers(0, len(x), size=(B, len(x)))].mean(axis=1)[:, None]
    low, high = bca_intervals(replicates, np.array([x.mean()]), 0.95, acceleration(jackknife_influence(x)))
    reference = stats.bootstrap((x,), np.mean, n_resamples=B, method="BCa", random_state=12).confidence_interval
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert abs(low[0] - reference.low) < 0.06 * se
    assert abs(high[0] - reference.high) < 0.06 * se
    percentile = np.quantile(replicates[:, 0], [0.025, 0.975])
    assert high[0] > percentile[1]   # right-skewed: BCa reaches further right than the percentile interval


def test_bca_with_no_bias_and_no_acceleration_is_the_percentile_interval():
    from alliancegov.stats.bootstrap import bca_intervals

    rng = np.random.default_rng(3)
    replicates = rng.normal(size=(2001, 1))
    replicates -= np.median(replicates)    # z0 = 0 at an estimate of 0
    low, high = bca_intervals(replicates, np.zeros(1), 0.9)
    assert (low[0], high[0]) == pytest.approx(tuple(np.quantile(replicates[:, 0], [0.05, 0.95])), abs=1e-9)


@pytest.mark.parametrize("B", [199, 1999])
def test_bca_p_values_agree_with_bca_intervals_and_the_statistic_with_the_p_value(B):
    """The interval excludes 0 exactly when p < 0.05, also at a small B (a count-based tail
    probability once disagreed with the interpolated quantiles by up to 0.01 at B = 199)."""
    from alliancegov.stats.bootstrap import bca_intervals, bca_p_values, normal_equivalent

    rng = np.random.default_rng(8)
    p = 2000
    shift = rng.uniform(-3, 3, size=p)
    replicates = rng.gamma(4.0, 0.5, size=(B, p)) - 2.0 + shift
    estimates = np.median(replicates, axis=0) + rng.normal(0, 0.2, size=p)
    accelerations = rng.uniform(-0.05, 0.05, size=p)
    values = bca_p_values(replicates, estimates, 0.0, accelerations)
    low, high = bca_intervals(replicates, estimates, 0.95, accelerations)
    excludes = (low > 0) | (high < 0)
    near = np.abs(values - 0.05) < 0.01
    assert near.sum() > 20                                  # the comparison is made where it is close
    np.testing.assert_array_equal(excludes, values < 0.05)
    assert values.min() >= 2 / (B + 1) - 1e-12
    z = normal_equivalent(values, estimates)
    from scipy import stats
    np.testing.assert_allclose(2 * stats.norm.sf(np.abs(z)), values)
    assert np.array_equal(np.sign(z), np.sign(estimates))


def test_weighted_acceleration_equals_the_acceleration_of_the_repeated_rows():
    from alliancegov.stats.bootstrap import acceleration

    rng = np.random.default_rng(5)
    influence = rng.exponential(size=(12, 2))
    counts = rng.integers(1, 4, size=12)
    expanded = np.repeat(influence, counts, axis=0)
    np.testing.assert_allclose(acceleration(influence, counts), acceleration(expanded))
    assert not np.allclose(acceleration(influence), acceleration(expanded))


def test_frequency_weighted_resamples_draw_units_not_rows():
    """A row with frequency weight w stands for w units: without clusters a resample draws N = sum w
    units (row i's count multinomial with probability w_i / N); with clusters, clusters whole with all
    their units. The resample of the weighted rows is then the resample of the expanded data."""
    from alliancegov.stats.bootstrap import Resampler

    w = np.array([1, 4, 2, 0, 3])
    draws = np.array([np.bincount(Resampler(5, 3, frequency_weights=w)(b), minlength=5) for b in range(4000)])
    assert (draws.sum(axis=1) == 10).all() and (draws[:, 3] == 0).all()
    np.testing.assert_allclose(draws.mean(axis=0), w, atol=0.1)            # E = N w / N = w
    np.testing.assert_allclose(draws.var(axis=0), 10 * w / 10 * (1 - w / 10), rtol=0.1, atol=0.01)
    clusters = np.array([0, 0, 1, 1, 2])
    for b in range(20):
        units = Resampler(5, 3, cluster_ids=clusters, frequency_weights=w)(b)
        rows = Resampler(5, 3, cluster_ids=clusters)(b)
        np.testing.assert_array_equal(np.bincount(units, minlength=5), np.bincount(rows, minlength=5) * w)
    with pytest.raises(ValueError, match="whole non-negative"):
        Resampler(5, 3, frequency_weights=w + 0.5)


@pytest.mark.slow  # a Monte Carlo comparison, seeded
def test_weighted_bootstrap_matches_the_bootstrap_of_the_expanded_data():
    """The standard error of a weighted mean: the bootstrap of the weighted rows (units drawn) agrees
    with the bootstrap of the expanded rows within Monte Carlo error (B = 3000 each: the SE of a
    bootstrap SE is about SE / sqrt(2B), 1.3%); resampling the weighted rows as rows does not."""
    from alliancegov.stats.bootstrap import bootstrap_estimates

    rng = np.random.default_rng(5)
    x = rng.normal(size=300)
    w = rng.integers(1, 9, size=300).astype(float)
    expanded = np.repeat(x, w.astype(int))

    def weighted_mean(units):
        rows, drawn = np.unique(units, return_counts=True)
        return np.array([np.average(x[rows], weights=drawn)])

    def as_rows(rows):
        return np.array([np.average(x[rows], weights=w[rows])])

    B = 3000
    units = bootstrap_estimates(weighted_mean, 300, B, 11, n_jobs=1, frequency_weights=w).std_error[0]
    reference = bootstrap_estimates(lambda r: np.array([expanded[r].mean()]), expanded.size, B, 12,
                                    n_jobs=1).std_error[0]
    naive = bootstrap_estimates(as_rows, 300, B, 13, n_jobs=1).std_error[0]
    mc = reference / np.sqrt(2 * B)
    assert abs(units - reference) < 3 * np.sqrt(2) * mc
    assert abs(naive - reference) > 3 * np.sqrt(2) * mc      # rows as units: the wrong SE, and detectably so
