import numpy as np
import pytest

from alliancegov.stats.collinearity import LinearDependency, linear_dependencies


@pytest.fixture
def columns():
    rng = np.random.default_rng(0)
    n = 60
    trust, asset = rng.normal(size=n), rng.normal(size=n)
    sector = rng.integers(0, 3, n)
    return {"Intercept": np.ones(n), "trust": trust, "asset": asset, "trust_copy": 2 * trust,
            "s[a]": (sector == 0) * 1.0, "s[b]": (sector == 1) * 1.0, "s[c]": (sector == 2) * 1.0,
            "zero": np.zeros(n), "asset_shifted": 3 + 0.5 * asset}


def design(columns, names):
    return np.column_stack([columns[name] for name in names]), names


def test_a_full_rank_design_has_no_dependency(columns):
    assert linear_dependencies(*design(columns, ["Intercept", "trust", "asset", "s[b]", "s[c]"])) == []


def test_each_relation_is_named_and_written_as_an_equation(columns):
    found = linear_dependencies(*design(columns, list(columns)))
    assert [d.columns for d in found] == [
        ("trust", "trust_copy"), ("Intercept", "s[a]", "s[b]", "s[c]"), ("zero",),
        ("Intercept", "asset", "asset_shifted")]
    assert [d.equation(constant="Intercept") for d in found] == [
        "trust_copy = 2·trust", "s[c] = 1 − s[a] − s[b]", "zero = 0", "asset_shifted = 3 + 0.5·asset"]
    X, names = design(columns, list(columns))
    for dependency in found:
        positions = [names.index(c) for c in dependency.columns]
        np.testing.assert_allclose(X[:, positions] @ np.array(dependency.weights), 0, atol=1e-10)
        assert dependency.weights[-1] == 1.0


def test_units_do_not_matter_and_near_collinearity_needs_a_looser_tolerance(columns):
    X, names = design(columns, ["Intercept", "trust", "asset"])
    noisy = np.column_stack([X, 1e6 * columns["trust"] + 1e-3 * np.random.default_rng(1).normal(size=len(X))])
    assert linear_dependencies(noisy * [1, 1e-9, 1e9, 1], [*names, "trust_big"]) == []
    loose = linear_dependencies(noisy, [*names, "trust_big"], rtol=1e-7)
    assert [d.columns for d in loose] == [("trust", "trust_big")]


def test_fewer_rows_than_columns_and_the_screen_on_large_designs():
    rng = np.random.default_rng(2)
    wide = rng.normal(size=(3, 5))
    assert sum(1 for _ in linear_dependencies(wide, list("abcde"))) == 2
    tall = rng.normal(size=(200_000, 6))
    assert linear_dependencies(tall, list("abcdef")) == []
    tall[:, 5] = tall[:, 0] - tall[:, 1]
    assert [d.equation() for d in linear_dependencies(tall, list("abcdef"))] == ["f = a − b"]


def test_equation_signs_and_digits():
    assert LinearDependency(("a", "b", "c"), (0.25, -1.0, 1.0)).equation() == "c = −0.25·a + b"
    assert LinearDependency(("k", "b"), (-1 / 3, 1.0)).equation(constant="k", digits=2) == "b = 0.33"
    with pytest.raises(ValueError, match="3 columns but 2 names"):
        linear_dependencies(np.ones((4, 3)), ["a", "b"])
