"""Tests for alliancegov.stats.importance: Shapley / dominance decomposition of an OLS R-squared."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from alliancegov.stats.importance import MAX_GROUPS, dominance, shapley_r2, subset_r2

# R's datasets::mtcars (Henderson & Velleman 1981, from Motor Trend 1974), the columns used below
MTCARS = pd.read_csv(io.StringIO("""mpg,cyl,wt,am,carb
21,6,2.62,1,4
21,6,2.875,1,4
22.8,4,2.32,1,1
21.4,6,3.215,0,1
18.7,8,3.44,0,2
18.1,6,3.46,0,1
14.3,8,3.57,0,4
24.4,4,3.19,0,2
22.8,4,3.15,0,2
19.2,6,3.44,0,4
17.8,6,3.44,0,4
16.4,8,4.07,0,3
17.3,8,3.73,0,3
15.2,8,3.78,0,3
10.4,8,5.25,0,4
10.4,8,5.424,0,4
14.7,8,5.345,0,4
32.4,4,2.2,1,1
30.4,4,1.615,1,2
33.9,4,1.835,1,1
21.5,4,2.465,0,1
15.5,8,3.52,0,2
15.2,8,3.435,0,2
13.3,8,3.84,0,4
19.2,8,3.845,0,2
27.3,4,1.935,1,1
26,4,2.14,1,2
30.4,4,1.513,1,2
15.8,8,3.17,1,4
19.7,6,2.77,1,6
15,8,3.57,1,8
21.4,4,2.78,1,2
"""))


def _r2(y, columns, weights=None) -> float:
    """Independent reference: R2 of a (weighted) least-squares fit with intercept."""
    n = len(y)
    X = np.column_stack([np.ones(n)] + [np.asarray(c, dtype=float).reshape(n, -1) for c in columns])
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    sw = np.sqrt(w)
    beta = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
    resid = y - X @ beta
    ybar = np.average(y, weights=w)
    return 1.0 - (w @ resid**2) / (w @ (y - ybar) ** 2)


def _data(seed=0, n=300):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 2))
    b = 0.6 * a[:, :1] + rng.normal(size=(n, 1))
    c = rng.normal(size=(n, 3)) + 0.3 * b
    d = rng.normal(size=n)
    y = a @ [0.5, -0.3] + 0.8 * b[:, 0] + c @ [0.2, 0.0, -0.4] + 0.1 * d + rng.normal(size=n)
    return y, {"a": a, "b": b, "c": pd.DataFrame(c, columns=["c1", "c2", "c3"]), "d": d}


def test_published_mtcars_general_and_conditional_dominance():
    # domir (R) values as quoted in DominanceAnalysis.jl's test-suite: lm(mpg ~ am + cyl + carb)
    out = shapley_r2(MTCARS.mpg, {"am": MTCARS.am, "cyl": MTCARS.cyl, "carb": MTCARS.carb}, conditional=True)
    assert out.attrs["r2_full"] == pytest.approx(0.8113023, abs=5e-8)
    np.testing.assert_allclose(out.shapley_r2, [0.2156848, 0.4173094, 0.1783081], atol=5e-8)
    np.testing.assert_allclose(out.conditional_2, [0.07076149, 0.10762967, 0.05228872], atol=5e-9)


def test_published_mtcars_with_a_set_of_variables():
    # Stata domin values (same source): mpg on am, cyl and the set {carb, wt}, reported to 4 decimals
    out = shapley_r2(MTCARS.mpg, {"am": MTCARS.am, "cyl": MTCARS.cyl, "set": MTCARS[["carb", "wt"]]},
                     conditional=True)
    assert out.attrs["r2_full"] == pytest.approx(0.8502, abs=5e-5)
    np.testing.assert_allclose(out.shapley_r2, [0.1307, 0.3308, 0.3887], atol=5e-5)
    np.testing.assert_allclose(out.conditional_2, [0.0077, 0.0417, 0.0912], atol=5e-5)
    assert list(out.n_columns) == [1, 1, 2]


def test_contributions_sum_to_full_r2_and_shares_to_one():
    y, groups = _data()
    out = shapley_r2(y, groups)
    full = _r2(y, list(groups.values()))
    assert out.attrs["r2_full"] == pytest.approx(full, abs=1e-12)
    assert out.shapley_r2.sum() == pytest.approx(full, abs=1e-12)
    assert out.share.sum() == pytest.approx(1.0, abs=1e-12)
    assert (out.shapley_r2 >= 0).all()
    assert list(out.group) == ["a", "b", "c", "d"]


def test_orthogonal_predictors_get_their_own_r2():
    x1 = np.array([1, -1, 1, -1, 1, -1, 1, -1], dtype=float)
    x2 = np.array([1, 1, -1, -1, 1, 1, -1, -1], dtype=float)  # centred and orthogonal to x1
    y = np.array([3.0, 1.0, 0.5, -2.0, 2.5, 0.0, 1.0, -1.5])
    out = shapley_r2(y, {"x1": x1, "x2": x2})
    np.testing.assert_allclose(out.shapley_r2, [_r2(y, [x1]), _r2(y, [x2])], atol=1e-14)


def test_subset_formula_equals_average_over_all_orderings():
    y, groups = _data(seed=1)
    names = list(groups)
    table = subset_r2(y, groups)
    value = {frozenset(key): r2 for key, r2 in table.items()}
    brute = dict.fromkeys(names, 0.0)
    orders = list(itertools.permutations(names))
    for order in orders:
        included: set[str] = set()
        for name in order:
            brute[name] += value[frozenset(included | {name})] - value[frozenset(included)]
            included.add(name)
    out = shapley_r2(y, groups).set_index("group").shapley_r2
    for name in names:
        assert out[name] == pytest.approx(brute[name] / len(orders), abs=1e-14)
    assert len(orders) == math.factorial(4)


def test_subset_r2_matches_direct_regressions():
    y, groups = _data(seed=2)
    table = subset_r2(y, groups)
    assert len(table) == 16 and table[()] == 0.0
    for key, r2 in table.items():
        assert r2 == pytest.approx(_r2(y, [groups[name] for name in key]) if key else 0.0, abs=1e-12)


def test_controls_are_always_in_and_not_decomposed():
    y, groups = _data(seed=3)
    controls = groups.pop("d")
    out = shapley_r2(y, groups, controls=controls)
    assert out.attrs["r2_controls"] == pytest.approx(_r2(y, [controls]), abs=1e-12)
    assert out.attrs["r2_full"] == pytest.approx(_r2(y, list(groups.values()) + [controls]), abs=1e-12)
    assert out.shapley_r2.sum() == pytest.approx(out.attrs["r2_full"] - out.attrs["r2_controls"], abs=1e-12)
    assert out.share.sum() == pytest.approx(1.0)
    # with controls the one-group increments are over the controls-only model
    single = shapley_r2(y, {"a": groups["a"]}, controls=controls)
    assert single.shapley_r2.iloc[0] == pytest.approx(_r2(y, [groups["a"], controls]) - _r2(y, [controls]))


def test_weights_equal_repeated_rows():
    y, groups = _data(seed=4, n=60)
    freq = np.random.default_rng(9).integers(1, 4, size=60)
    weighted = shapley_r2(y, groups, weights=freq)
    rep = np.repeat(np.arange(60), freq)
    expanded = shapley_r2(y[rep], {k: np.asarray(v)[rep] for k, v in groups.items()})
    np.testing.assert_allclose(weighted.shapley_r2, expanded.shapley_r2, atol=1e-12)
    assert weighted.attrs["r2_full"] == pytest.approx(_r2(y, list(groups.values()), weights=freq), abs=1e-12)


def test_collinear_columns_inside_a_group_are_harmless():
    y, groups = _data(seed=5)
    dummies = np.eye(3)[np.random.default_rng(1).integers(0, 3, size=len(y))]  # all levels: sum = intercept
    groups["cat"] = dummies
    out = shapley_r2(y, groups)
    assert out.attrs["r2_full"] == pytest.approx(_r2(y, list(groups.values())), abs=1e-10)
    assert out.shapley_r2.sum() == pytest.approx(out.attrs["r2_full"], abs=1e-12)


def test_conditional_columns_average_to_shapley():
    y, groups = _data(seed=6)
    out = shapley_r2(y, groups, conditional=True)
    cond = out[[f"conditional_{k}" for k in range(4)]].to_numpy()
    np.testing.assert_allclose(cond.mean(axis=1), out.shapley_r2, atol=1e-14)
    np.testing.assert_allclose(out.conditional_0, [_r2(y, [groups[g]]) for g in groups], atol=1e-12)


def test_dominance_matrices_mtcars():
    dom = dominance(MTCARS.mpg, {"am": MTCARS.am, "cyl": MTCARS.cyl, "carb": MTCARS.carb})
    # cyl > am > carb in every sense for these data (see the R2 of every subset)
    expected = pd.DataFrame([[np.nan, 0.0, 1.0], [1.0, np.nan, 1.0], [0.0, 0.0, np.nan]],
                            index=["am", "cyl", "carb"], columns=["am", "cyl", "carb"])
    for kind in ("complete", "conditional", "general"):
        pd.testing.assert_frame_equal(dom[kind], expected)


def test_dominance_undetermined_case():
    # x1 adds more alone, x2 adds more once x3 is in: no complete dominance, general dominance decides
    rng = np.random.default_rng(11)
    n = 400
    x3 = rng.normal(size=n)
    x1 = 0.9 * x3 + 0.3 * rng.normal(size=n)
    x2 = rng.normal(size=n) * 0.6
    y = x3 + 0.6 * x2 + 0.2 * rng.normal(size=n)
    groups = {"x1": x1, "x2": x2, "x3": x3}
    table = subset_r2(y, groups)
    dom = dominance(y, groups)
    alone = table[("x1",)] > table[("x2",)]
    with_x3 = table[("x1", "x3")] > table[("x2", "x3")]
    assert alone != with_x3
    assert dom["complete"].loc["x1", "x2"] == 0.5 == dom["complete"].loc["x2", "x1"]
    general = shapley_r2(y, groups).set_index("group").shapley_r2
    assert dom["general"].loc["x1", "x2"] == (1.0 if general["x1"] > general["x2"] else 0.0)
    assert dom["general"].loc["x2", "x1"] == 1.0 - dom["general"].loc["x1", "x2"]


def test_bad_input():
    y, groups = _data()
    with pytest.raises(ValueError, match="non-empty"):
        shapley_r2(y, {})
    with pytest.raises(ValueError, match="rows"):
        shapley_r2(y, {"a": groups["a"][:10]})
    bad = groups["d"].copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        shapley_r2(y, {"d": bad})
    with pytest.raises(ValueError, match="constant"):
        shapley_r2(np.ones_like(y), groups)
    with pytest.raises(ValueError, match="weights"):
        shapley_r2(y, groups, weights=-np.ones_like(y))
    with pytest.raises(ValueError, match="at most"):
        shapley_r2(y, {f"g{i}": groups["d"] for i in range(MAX_GROUPS + 1)})
    with pytest.raises(ValueError, match="at least 2"):
        dominance(y, {"a": groups["a"]})


# ---- inference on the shares ------------------------------------------------------------------------------

def share_data(n, coefficients, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(coefficients)))
    y = X @ np.asarray(coefficients, float) + rng.normal(size=n)
    return y, {f"g{j}": X[:, j] for j in range(len(coefficients))}


def test_share_inference_rows_and_point_estimates():
    from alliancegov.stats.importance import shapley_r2
    from alliancegov.stats.importance_inference import SHARE_COLUMNS, shapley_share_inference

    y, groups = share_data(400, [1.0, 0.5, 0.2], seed=1)
    table = shapley_share_inference(y, groups, n_boot=199, seed=3)
    assert list(table.columns) == SHARE_COLUMNS
    assert table["kind"].value_counts().to_dict() == {"share": 3, "difference": 3, "largest": 3}
    shares = table[table["kind"] == "share"].set_index("group")["estimate"]
    np.testing.assert_allclose(shares.to_numpy(), shapley_r2(y, groups)["share"].to_numpy())
    difference = table[(table["kind"] == "difference") & (table["group"] == "g0") & (table["other"] == "g1")].iloc[0]
    assert difference["estimate"] == pytest.approx(shares["g0"] - shares["g1"])
    assert difference["conf_low"] < difference["estimate"] < difference["conf_high"]
    two_sided, one_sided = (table[table["kind"] == kind]["p_value"] for kind in ("difference", "largest"))
    assert (two_sided >= 2 / 200 - 1e-12).all() and (one_sided >= 1 / 200 - 1e-12).all()   # never 0
    assert (table[table["kind"] != "share"]["p_value"] <= 1).all()
    largest = table[table["kind"] == "largest"].set_index("group")
    assert largest.loc["g0", "p_value"] < 0.05 < largest.loc["g2", "p_value"]
    # the statistic is the one-sided normal quantile of p: finite, and large where p is small
    assert np.isfinite(largest["statistic"]).all()
    assert largest.loc["g0", "statistic"] > 1.64 > largest.loc["g2", "statistic"]
    assert largest.loc["g2", "statistic"] < 0 and largest.loc["g2", "estimate"] < 0
    assert table["note"].str.contains("never 0|not tested|intersection-union").all()


def test_the_largest_share_test_holds_its_level_when_two_groups_tie():
    """Two groups with equal true shares: claiming one is the largest is rejected (p < .05) in at
    most about 5% of samples (the intersection–union test is conservative at the boundary)."""
    from alliancegov.stats.importance_inference import shapley_share_inference

    claims = 0
    for seed in range(40):
        y, groups = share_data(300, [0.6, 0.6, 0.1], seed=100 + seed)
        table = shapley_share_inference(y, groups, n_boot=199, seed=seed)
        claims += table[(table["kind"] == "largest") & (table["group"] == "g0")]["p_value"].iloc[0] < 0.05
    assert claims <= 5


def test_clusters_are_resampled_whole():
    """Each firm appearing twice: the cluster bootstrap's spread equals the spread of the firms
    counted once, whereas treating the copies as independent understates it by about 1/sqrt(2)."""
    from alliancegov.stats.importance_inference import shapley_share_inference

    y, groups = share_data(300, [1.0, 0.5], seed=7)
    doubled_y = np.concatenate([y, y])
    doubled = {name: np.concatenate([values, values]) for name, values in groups.items()}
    firms = np.concatenate([np.arange(300), np.arange(300)])
    once = shapley_share_inference(y, groups, n_boot=599, seed=5)
    clustered = shapley_share_inference(doubled_y, doubled, n_boot=599, seed=5, cluster_ids=firms)
    naive = shapley_share_inference(doubled_y, doubled, n_boot=599, seed=5)
    se = {name: frame[frame["kind"] == "share"]["std_error"].iloc[0]
          for name, frame in (("once", once), ("clustered", clustered), ("naive", naive))}
    assert se["clustered"] == pytest.approx(se["once"], rel=0.15)
    assert se["naive"] == pytest.approx(se["once"] / np.sqrt(2), rel=0.15)


def test_resampled_shares_equal_the_decomposition_of_the_copied_rows():
    """The bootstrap's shortcut (each row weighted by the times it was drawn, no copy) gives the shares
    of the resampled rows themselves, with weights, with a factor's dummies in one group, and when a
    resample has no row of one level (that dummy is constant there and adds nothing)."""
    from alliancegov.stats.importance import resampled_shares
    from alliancegov.stats.subset_regressions import stack_design

    rng = np.random.default_rng(11)
    n = 300
    level = rng.integers(0, 3, n)
    dummies = np.column_stack([level == 1, level == 2]).astype(float)
    x = rng.normal(size=(n, 2))
    y = x @ [1.0, 0.4] + dummies @ [0.5, -0.3] + rng.normal(size=n)
    weights = rng.uniform(0.5, 2.0, n)
    groups = {"x0": x[:, 0], "x1": x[:, 1], "level": dummies}
    design = stack_design(y, groups, weights=weights)
    without_level_2 = np.flatnonzero(level != 2)
    for rows in (rng.integers(0, n, n), rng.choice(without_level_2, n)):
        copied = shapley_r2(y[rows], {name: values[rows] for name, values in groups.items()}, weights=weights[rows])
        shares = resampled_shares(design, np.bincount(rows, minlength=n))
        np.testing.assert_allclose(shares, copied["share"].to_numpy(), rtol=1e-9, atol=1e-12)


def test_a_dummy_absent_from_a_resample_adds_nothing_to_it():
    """Under the resample's weights its centred cross-products are rounding error (up to about 3e-8 of its
    scale in these samples, not 0); it must still get no share, and the others all of it."""
    from alliancegov.stats.importance import resampled_shares
    from alliancegov.stats.subset_regressions import stack_design

    for seed in range(30):
        rng = np.random.default_rng(seed)
        n = 300
        level = rng.integers(0, 3, n)
        x = rng.normal(size=(n, 2))
        y = x @ [1.0, 0.4] + (level == 2) * 0.5 + 3.7 + rng.normal(size=n)
        weights = rng.uniform(0.5, 2.0, n)
        design = stack_design(y, {"x0": x[:, 0], "x1": x[:, 1], "level_2": (level == 2).astype(float)},
                              weights=weights)
        rows = rng.choice(np.flatnonzero(level != 2), n)
        shares = resampled_shares(design, np.bincount(rows, minlength=n))
        assert abs(shares[2]) < 1e-12, seed
        assert shares[:2].sum() == pytest.approx(1.0, abs=1e-12)
