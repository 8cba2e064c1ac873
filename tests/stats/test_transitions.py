"""Markov transition tables (alliancegov.stats.transitions) against statsmodels/scipy references
and against simulated chains with a known transition matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.proportion import (
    multinomial_proportions_confint,
    proportion_confint,
)

from alliancegov.stats.deepening import DEEPENING_COLUMNS, deepening_test
from alliancegov.stats.transitions import (
    COUNT_COLUMNS,
    HOMOGENEITY_COLUMNS,
    PAIR_COLUMNS,
    PERIOD_COLUMNS,
    PROBABILITY_COLUMNS,
    homogeneity_test,
    score_interval,
    transition_counts,
    transition_pairs,
    transition_probabilities,
)

STATES = ["low", "middle", "high"]
TRUE_P = np.array([[0.70, 0.25, 0.05],
                   [0.10, 0.75, 0.15],
                   [0.02, 0.08, 0.90]])


def simulate_chain(rng: np.random.Generator, n_units: int, n_periods: int, matrix: np.ndarray = TRUE_P,
                   later: np.ndarray | None = None) -> pd.DataFrame:
    """A long panel of ``n_units`` independent chains over ``n_periods``, uniform start; steps
    after the first follow ``later`` when given."""
    states = np.empty((n_periods, n_units), dtype=int)
    states[0] = rng.integers(0, len(matrix), n_units)
    for t in range(1, n_periods):
        step = matrix if later is None or t == 1 else later
        states[t] = (step[states[t - 1]].cumsum(axis=1) > rng.random((n_units, 1))).argmax(axis=1)
    return pd.DataFrame({
        "unit": np.tile(np.arange(n_units), n_periods),
        "period": np.repeat(np.arange(n_periods), n_units),
        "state": np.asarray(STATES, dtype=object)[states.ravel()],
    })


def pairs_of(panel: pd.DataFrame, **options) -> pd.DataFrame:
    return transition_pairs(panel["unit"], panel["period"], panel["state"], states=STATES, **options)


@pytest.fixture(scope="module")
def chain_pairs() -> pd.DataFrame:
    return pairs_of(simulate_chain(np.random.default_rng(1), 60, 4))


# ---- pairs --------------------------------------------------------------------------------------

def test_pairs_link_only_adjacent_periods():
    pairs = transition_pairs(
        unit=["a", "a", "a", "b", "b", "c", "c", "d", "e", "e"],
        period=[2020, 2021, 2022, 2020, 2022, 2021, 2022, 2020, 2020, 2021],
        state=["x", "y", "y", "x", "x", "y", "x", "x", "y", None],
    )
    assert list(pairs.columns) == PAIR_COLUMNS
    # b skips 2021: no 2020 -> 2022 pair; e's 2021 state is unknown: no pair; d is seen once.
    assert list(pairs.itertuples(index=False, name=None)) == [
        ("a", 2020, 2021, "x", "y"), ("a", 2021, 2022, "y", "y"), ("c", 2021, 2022, "y", "x")]
    assert pairs["from_period"].cat.ordered and list(pairs["from_state"].cat.categories) == ["x", "y"]


def test_a_listed_period_nobody_answered_still_breaks_chains():
    unit, period, state = ["a", "a"], ["p1", "p3"], ["x", "y"]
    assert len(transition_pairs(unit, period, state)) == 1
    assert transition_pairs(unit, period, state, periods=["p1", "p2", "p3"]).empty


def test_period_order_comes_from_the_given_order_or_a_categorical():
    unit, state = ["a", "a"], ["x", "y"]
    period = pd.Series(pd.Categorical(["spring", "autumn"], categories=["spring", "autumn"]))
    pairs = transition_pairs(unit, period, state)
    assert (pairs["from_period"].astype(str).tolist(), pairs["from_state"].astype(str).tolist()) == (["spring"], ["x"])
    reversed_pairs = transition_pairs(unit, ["spring", "autumn"], state, periods=["autumn", "spring"])
    assert reversed_pairs["from_state"].astype(str).tolist() == ["y"]


@pytest.mark.parametrize("unit, period, state, options, message", [
    (["a", "a"], [1, 1], ["x", "y"], {}, "share a unit and a period"),
    (["a", "a"], [1, 2], ["x", "z"], {"states": ["x", "y"]}, "state values not in the given order"),
    (["a", "a"], [1, 3], ["x", "y"], {"periods": [1, 2]}, "period values not in the given order"),
    (["a", "a"], [1, 2], ["x"], {}, "same length"),
])
def test_pairs_reject_inputs_they_cannot_read(unit, period, state, options, message):
    with pytest.raises(ValueError, match=message):
        transition_pairs(unit, period, state, **options)


# ---- counts -----------------------------------------------------------------------------------

def test_counts_by_period_add_up_to_the_pooled_counts(chain_pairs):
    pooled = transition_counts(chain_pairs)
    by_period = transition_counts(chain_pairs, by_period=True)
    assert list(pooled.columns) == COUNT_COLUMNS and list(by_period.columns) == PERIOD_COLUMNS + COUNT_COLUMNS
    assert len(pooled) == 9 and len(by_period) == 3 * 9
    summed = by_period.groupby(["from_state", "to_state"], sort=False)["n"].sum().to_numpy()
    assert (summed == pooled["n"].to_numpy()).all() and pooled["n"].sum() == 60 * 3
    assert_allclose(pooled.groupby("from_state")["row_share"].sum(), 1.0)
    crosstab = pd.crosstab(chain_pairs["from_state"], chain_pairs["to_state"]).to_numpy().ravel()
    assert (pooled["n"].to_numpy() == crosstab).all()


# ---- intervals against references ----------------------------------------------------------------

def test_wilson_and_goodman_intervals_match_statsmodels(chain_pairs):
    wilson = transition_probabilities(chain_pairs, level=0.9, method="wilson")
    goodman = transition_probabilities(chain_pairs, level=0.9, method="goodman")
    assert list(wilson.columns) == PROBABILITY_COLUMNS
    low, high = proportion_confint(wilson["n"], wilson["row_total"], alpha=0.1, method="wilson")
    assert_allclose(wilson["conf_low"], low, atol=1e-12)
    assert_allclose(wilson["conf_high"], high, atol=1e-12)
    for state in STATES:
        row = goodman[goodman["from_state"] == state]
        reference = multinomial_proportions_confint(row["n"].to_numpy(), alpha=0.1, method="goodman")
        assert_allclose(row[["conf_low", "conf_high"]].to_numpy(), reference, atol=1e-12)
    # Simultaneous intervals are wider than pointwise ones at the same level.
    assert (goodman["conf_high"] - goodman["conf_low"] > wilson["conf_high"] - wilson["conf_low"]).all()
    assert_allclose(wilson["estimate"], wilson["n"] / wilson["row_total"])


def test_score_interval_handles_zero_and_full_counts():
    low, high = score_interval([0, 7, 7, 0], [7, 7, 20, 0], stats.norm.ppf(0.975))
    reference = proportion_confint(np.array([0, 7, 7]), np.array([7, 7, 20]), alpha=0.05, method="wilson")
    assert_allclose(low[:3], reference[0], atol=1e-12)
    assert_allclose(high[:3], reference[1], atol=1e-12)
    assert low[0] == 0 and high[1] == 1 and np.isnan(low[3]) and np.isnan(high[3])


def test_deepening_tests_are_clustered_by_unit(chain_pairs):
    """Each row's SE is statsmodels' cluster sandwich by unit (G/(G − 1), t on G − 1 df)."""
    import statsmodels.api as sm

    table = deepening_test(chain_pairs, level=0.95)
    assert list(table.columns) == DEEPENING_COLUMNS
    counts = pd.crosstab(chain_pairs["from_state"], chain_pairs["to_state"]).reindex(
        index=STATES, columns=STATES).to_numpy()
    share = table.iloc[0]
    ups, downs = np.triu(counts, 1).sum(), np.tril(counts, -1).sum()
    assert (share["term"], share["count_up"], share["count_down"]) == ("upward_share", ups, downs)
    assert share["estimate"] == pytest.approx(ups / (ups + downs))
    origin = chain_pairs["from_state"].cat.codes.to_numpy()
    destination = chain_pairs["to_state"].cat.codes.to_numpy()
    changed = origin != destination
    fit = sm.OLS((destination > origin)[changed].astype(float), np.ones(changed.sum())).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(chain_pairs["unit"][changed])[0]}, use_t=True)
    assert share["std_error"] == pytest.approx(fit.bse[0], rel=1e-10) and share["df"] == fit.df_resid_inference
    pairwise = table.iloc[1:].set_index(["from_state", "to_state"])
    assert list(pairwise.index) == [("low", "middle"), ("low", "high"), ("middle", "high")]
    for (a, b), row in pairwise.iterrows():
        i, j = STATES.index(a), STATES.index(b)
        assert row["estimate"] == pytest.approx(counts[i, j] / counts[i].sum() - counts[j, i] / counts[j].sum())
        assert (row["count_up"], row["total_up"]) == (counts[i, j], counts[i].sum())
        assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(row["statistic"]), row["df"]))
        assert row["conf_low"] < row["estimate"] < row["conf_high"]


def test_a_unit_counted_twice_is_one_cluster(chain_pairs):
    """Every unit's transitions duplicated (as a unit interviewed twice per pair would be if counted
    twice): clustered by unit, the estimates and SEs do not move but for the (N − 1)/(N − 2) factor of
    the pairwise rows' two-column OLS (G/(G − 1) is the same)."""
    doubled = pd.concat([chain_pairs, chain_pairs], ignore_index=True)
    single, twice = deepening_test(chain_pairs), deepening_test(doubled)
    assert_allclose(twice["estimate"], single["estimate"], rtol=1e-12)
    assert twice["std_error"].iloc[0] == pytest.approx(single["std_error"].iloc[0], rel=1e-9)
    rows = (single["total_up"] + single["total_down"]).to_numpy(float)[1:]
    factor = np.sqrt((2 * rows - 1) / (2 * rows - 2) / ((rows - 1) / (rows - 2)))
    assert_allclose(twice["std_error"].to_numpy()[1:], single["std_error"].to_numpy()[1:] * factor, rtol=1e-9)
    assert (twice["count_up"] == 2 * single["count_up"]).all() and (twice["n_units"] == single["n_units"]).all()


@pytest.mark.parametrize("periods", [4, 16])   # 16: cell numbers beyond the int8 of categorical codes
def test_homogeneity_statistic_is_the_g_test_of_each_row(periods):
    panel = simulate_chain(np.random.default_rng(5), 80 if periods == 4 else 300, periods)
    pairs = pairs_of(panel)
    table = homogeneity_test(pairs)
    assert list(table.columns) == HOMOGENEITY_COLUMNS and table["from_state"].tolist() == [*STATES, "all"]
    for state, row in table.set_index("from_state").drop("all").iterrows():
        part = pairs[pairs["from_state"] == state]
        observed = pd.crosstab(part["from_period"], part["to_state"]).to_numpy()
        g2, p_value, df, _ = stats.chi2_contingency(observed, correction=False, lambda_="log-likelihood")
        assert (row["statistic"], row["df"], row["p_value"]) == (pytest.approx(g2), df, pytest.approx(p_value))
    overall = table.set_index("from_state").loc["all"]
    assert overall["statistic"] == pytest.approx(table["statistic"].iloc[:3].sum())
    assert overall["df"] == table["df"].iloc[:3].sum() == 3 * (periods - 2) * 2


def test_homogeneity_test_detects_a_matrix_that_changes():
    rng = np.random.default_rng(8)
    changing = pairs_of(simulate_chain(rng, 800, 3, later=TRUE_P[:, ::-1]))
    assert homogeneity_test(changing).set_index("from_state").at["all", "p_value"] < 1e-6
    steady = pairs_of(simulate_chain(rng, 800, 3))
    assert homogeneity_test(steady).set_index("from_state").at["all", "p_value"] > 0.001


# ---- recovery of a known chain -------------------------------------------------------------------

def test_known_chain_is_recovered_at_the_nominal_rate():
    rng = np.random.default_rng(2026)
    inside = {"wilson": [], "goodman": []}
    for _ in range(300):
        pairs = pairs_of(simulate_chain(rng, 50, 4))
        for method, covered in inside.items():
            table = transition_probabilities(pairs, method=method)
            covered.append(((table["conf_low"] <= TRUE_P.ravel()) & (TRUE_P.ravel() <= table["conf_high"])).to_numpy())
    # 2,700 pointwise Wilson intervals at 95 %: the Monte Carlo SE of their coverage is about 0.005.
    assert 0.93 <= np.mean(inside["wilson"]) <= 0.97
    # Goodman's cover a whole row at once (Bonferroni over its cells, so conservatively).
    goodman_rows = np.array(inside["goodman"]).reshape(-1, 3, 3).all(axis=2)
    assert goodman_rows.mean() >= 0.93 and np.mean(inside["goodman"]) > 0.97


def test_estimates_converge_to_the_true_matrix():
    table = transition_probabilities(pairs_of(simulate_chain(np.random.default_rng(3), 20_000, 3)))
    assert_allclose(table["estimate"], TRUE_P.ravel(), atol=0.01)
    assert (table["std_error"] < 0.005).all()


def test_unit_bootstrap_covers_the_truth_and_is_reproducible():
    rng = np.random.default_rng(11)
    covered = []
    for _ in range(60):
        table = transition_probabilities(pairs_of(simulate_chain(rng, 80, 4)), method="bootstrap", n_boot=300,
                                         seed=4)
        covered.append(((table["conf_low"] <= TRUE_P.ravel()) & (TRUE_P.ravel() <= table["conf_high"])).to_numpy())
    # Percentile intervals run a little short in small samples; 540 intervals, Monte Carlo SE ≈ 0.01.
    assert 0.88 <= np.mean(covered) <= 0.98
    pairs = pairs_of(simulate_chain(np.random.default_rng(12), 40, 3))
    first = transition_probabilities(pairs, method="bootstrap", n_boot=200, seed=9)
    pd.testing.assert_frame_equal(first, transition_probabilities(pairs, method="bootstrap", n_boot=200, seed=9))
    wilson = transition_probabilities(pairs)
    assert_allclose(first["std_error"], wilson["std_error"], rtol=0.35, atol=0.02)


def test_unit_bootstrap_widens_intervals_when_units_differ():
    """Stayers and movers: a unit's transitions are correlated, which only the unit bootstrap sees."""
    rng = np.random.default_rng(21)
    stayers = simulate_chain(rng, 300, 6, matrix=np.full((3, 3), 0.01) + np.eye(3) * 0.97)
    movers = simulate_chain(rng, 300, 6, matrix=np.full((3, 3), 1 / 3))
    movers["unit"] += 300
    pairs = pairs_of(pd.concat([stayers, movers], ignore_index=True))
    multinomial = transition_probabilities(pairs)
    bootstrap = transition_probabilities(pairs, method="bootstrap", n_boot=400, seed=1)
    ratio = (bootstrap["std_error"] / multinomial["std_error"]).to_numpy().reshape(3, 3)
    # Staying put is what stayers and movers disagree on most: its SE is understated by a third.
    assert (np.diag(ratio) > 1.25).all() and ratio.mean() > 1.1


# ---- edge cases ---------------------------------------------------------------------------------

def test_a_single_period_gives_empty_tables_with_their_columns():
    pairs = transition_pairs(["a", "b"], [1, 1], ["x", "y"])
    assert pairs.empty and list(pairs.columns) == PAIR_COLUMNS
    expected = {
        "counts": (transition_counts(pairs), COUNT_COLUMNS),
        "by_period": (transition_counts(pairs, by_period=True), PERIOD_COLUMNS + COUNT_COLUMNS),
        "probabilities": (transition_probabilities(pairs), PROBABILITY_COLUMNS),
        "bootstrap": (transition_probabilities(pairs, method="bootstrap"), PROBABILITY_COLUMNS),
        "deepening": (deepening_test(pairs), DEEPENING_COLUMNS),
        "homogeneity": (homogeneity_test(pairs), HOMOGENEITY_COLUMNS),
    }
    for name, (table, columns) in expected.items():
        assert table.empty and list(table.columns) == columns, name


def test_a_state_never_left_and_a_state_never_started_from():
    pairs = transition_pairs(
        unit=np.repeat(np.arange(8), 2), period=np.tile([1, 2], 8),
        state=["high", "high"] * 4 + ["low", "middle"] * 3 + ["low", "low"], states=STATES,
    )
    for method in ("wilson", "goodman", "bootstrap"):
        table = transition_probabilities(pairs, method=method, n_boot=100).set_index("term")
        stay = table.loc["high->high"]
        assert stay["estimate"] == 1 and stay["conf_high"] == 1
        assert table.loc["high->low", "estimate"] == 0
        if method != "bootstrap":
            assert stay["conf_low"] < 1 and table.loc["high->low", "conf_high"] > 0
        never = table[table["from_state"] == "middle"]
        assert never[["estimate", "conf_low", "conf_high"]].isna().all().all()
        assert (never["row_total"] == 0).all()
    deepening = deepening_test(pairs).set_index("term")
    assert deepening.loc["upward_share", "estimate"] == 1
    assert np.isnan(deepening.loc["middle->high vs high->middle", "p_value"])


def test_no_change_at_all_leaves_the_upward_share_undefined():
    pairs = transition_pairs(["a", "a", "b", "b"], [1, 2, 1, 2], ["x", "x", "y", "y"])
    table = deepening_test(pairs).set_index("term")
    assert np.isnan(table.loc["upward_share", "estimate"]) and table.loc["upward_share", "total_up"] == 0
    assert table.loc["x->y vs y->x", "estimate"] == 0 and table.loc["x->y vs y->x", "p_value"] == 1
    assert np.isnan(table.loc["upward_share", "p_value"])


def test_deepening_order_can_differ_from_the_table_order(chain_pairs):
    reversed_order = deepening_test(chain_pairs, order=STATES[::-1]).set_index("term")
    forward = deepening_test(chain_pairs).set_index("term")
    assert reversed_order.loc["upward_share", "estimate"] == pytest.approx(
        1 - forward.loc["upward_share", "estimate"])
    assert reversed_order.loc["high->low vs low->high", "estimate"] == pytest.approx(
        -forward.loc["low->high vs high->low", "estimate"])
    with pytest.raises(ValueError, match="must hold each state"):
        deepening_test(chain_pairs, order=["low", "high"])


def test_unknown_interval_method_is_refused(chain_pairs):
    with pytest.raises(ValueError, match="method must be one of"):
        transition_probabilities(chain_pairs, method="wald")
    with pytest.raises(ValueError, match="at least 2 resamples"):
        transition_probabilities(chain_pairs, method="bootstrap", n_boot=1)
