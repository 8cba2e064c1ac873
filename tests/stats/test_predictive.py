import numpy as np
import pytest

from alliancegov.stats import predictive
from alliancegov.stats.predictive import cross_validated_scores, grouped_stratified_folds, stratified_subsample


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


def test_a_group_never_straddles_a_training_and_a_test_fold(monkeypatch):
    """A firm in several waves: its rows all land in one fold, so no fold is scored on a firm it was trained on.
    The last column carries each row's group, so the folds' rows say which groups each side saw."""
    X, y = simulate(900, 1.0, 4)
    groups = np.random.default_rng(5).integers(0, 250, len(y))
    X = np.column_stack([X, groups / 1000.0])
    seen = []
    fit, predict = predictive._NewtonMNL.fit, predictive._NewtonMNL.predict_proba
    monkeypatch.setattr(predictive._NewtonMNL, "fit",
                        lambda self, X, y: (seen.append(("train", set(X[:, -1]))), fit(self, X, y))[1])
    monkeypatch.setattr(predictive._NewtonMNL, "predict_proba",
                        lambda self, X: (seen.append(("test", set(X[:, -1]))), predict(self, X))[1])
    cross_validated_scores(X, y, folds=4, seed=1, groups=groups)
    pairs = list(zip(seen[::2], seen[1::2]))
    assert len(pairs) == 4 and all(train[0] == "train" and test[0] == "test" for train, test in pairs)
    assert all(not train[1] & test[1] for train, test in pairs)
    # without the groups the same rows straddle the folds
    seen.clear()
    cross_validated_scores(X, y, folds=4, seed=1)
    assert any(train[1] & test[1] for train, test in zip(seen[::2], seen[1::2]))


def test_a_warm_start_reaches_the_same_scores():
    from alliancegov.stats.mnl import fit_mnl_newton

    X, y = simulate(1200, 1.0, 6)
    start = fit_mnl_newton(X, y).params
    cold, _ = cross_validated_scores(X, y, folds=3, seed=2)
    warm, _ = cross_validated_scores(X, y, folds=3, seed=2, start=start)
    np.testing.assert_allclose(warm.filter(like="fold_").to_numpy(), cold.filter(like="fold_").to_numpy(), atol=1e-9)


def test_the_subsample_keeps_each_outcome_share_and_is_seeded():
    _, y = simulate(20_000, 1.0, 7)
    kept = stratified_subsample(y, 5_000, seed=3)
    assert len(kept) == 5_000 == len(np.unique(kept)) and (np.diff(kept) > 0).all()
    np.testing.assert_allclose(np.bincount(y[kept]) / 5_000, np.bincount(y) / len(y), atol=1 / 5_000)
    assert (stratified_subsample(y, 5_000, seed=3) == kept).all()
    assert not (stratified_subsample(y, 5_000, seed=4) == kept).all()
    assert (stratified_subsample(y, 30_000, seed=3) == np.arange(len(y))).all()


def test_grouped_folds_keep_each_group_whole_and_the_outcome_shares():
    _, y = simulate(30_000, 1.0, 8)
    groups = np.random.default_rng(9).integers(0, 12_000, len(y))
    fold = grouped_stratified_folds(y, groups, folds=5, seed=1)
    assert set(np.unique(fold)) == set(range(5))
    assert all(len(np.unique(fold[groups == g])) == 1 for g in np.unique(groups)[:500])
    shares = np.array([np.bincount(y[fold == f], minlength=4) / (fold == f).sum() for f in range(5)])
    np.testing.assert_allclose(shares, np.tile(np.bincount(y) / len(y), (5, 1)), atol=0.01)
    assert (np.abs(np.bincount(fold) - len(y) / 5) < 0.03 * len(y) / 5).all()
    assert (grouped_stratified_folds(y, groups, folds=5, seed=1) == fold).all()
