import numpy as np
import pytest

from alliancegov.stats.predictive import cross_validated_scores


def simulate(n, signal, seed):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    beta = signal * np.array([[0.0, 0.5, -0.3], [1.0, -1.0, 0.8], [-0.5, 1.2, 1.0]]).T
    eta = np.column_stack([np.zeros(n), X @ beta])
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return X, y


def test_informative_model_beats_the_majority_class():
    X, y = simulate(1500, 1.0, 0)
    scores, confusion = cross_validated_scores(X, y, folds=5, seed=1, labels=["a", "b", "c", "d"])
    table = scores.set_index(["model", "metric"])["mean"]
    assert table["mnl", "log_loss"] < table["majority_class", "log_loss"] - 0.1
    assert table["mnl", "accuracy"] > table["majority_class", "accuracy"]
    assert table["mnl", "macro_f1"] > table["majority_class", "macro_f1"]
    assert confusion[["a", "b", "c", "d"]].to_numpy().sum() == len(y)
    assert list(confusion["observed"]) == ["a", "b", "c", "d"]


def test_uninformative_model_does_not_beat_the_baseline_by_much():
    X, y = simulate(1500, 0.0, 2)
    table = cross_validated_scores(X, y, folds=5, seed=1)[0].set_index(["model", "metric"])["mean"]
    assert table["mnl", "log_loss"] == pytest.approx(table["majority_class", "log_loss"], abs=0.02)


def test_folds_are_reproducible():
    X, y = simulate(300, 1.0, 3)
    first, _ = cross_validated_scores(X, y, folds=4, seed=9)
    second, _ = cross_validated_scores(X, y, folds=4, seed=9)
    assert first.equals(second) and {"fold_1", "fold_4"} <= set(first.columns)
