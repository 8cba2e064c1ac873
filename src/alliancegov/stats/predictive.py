"""Out-of-sample check of a multinomial model with scikit-learn's cross-validation tools.

scikit-learn supplies the folds, the metrics and an unpenalised multinomial logistic regression
(the same model as the MNL, fitted by lbfgs); what it lacks is the comparison an analyst wants
in one table: the model against the majority-class baseline, fold by fold and on average.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cross_validated_scores(X: np.ndarray, y: np.ndarray, *, folds: int = 5, seed: int = 0,
                           labels: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified k-fold log-loss, accuracy and macro-F1 of the MNL and of the majority class.

    ``X``: (n, k) design including its intercept column (dropped here: scikit-learn fits its own);
    ``y``: (n,) outcome codes. Returns the scores (``model, metric, mean, std, fold_1..fold_k``)
    and the out-of-fold confusion matrix of the MNL (``observed`` × predicted labels).
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss
    from sklearn.model_selection import StratifiedKFold

    constant = np.all(X == X[:1], axis=0)
    features = X[:, ~constant]
    classes = np.unique(y)
    labels = labels or [str(c) for c in classes]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    models = {"mnl": lambda: LogisticRegression(C=np.inf, max_iter=5000, tol=1e-8),
              "majority_class": lambda: DummyClassifier(strategy="prior")}
    scores = {(name, metric): [] for name in models for metric in ("log_loss", "accuracy", "macro_f1")}
    predicted = np.empty_like(y)
    for train, test in splitter.split(features, y):
        for name, make in models.items():
            model = make().fit(features[train], y[train])
            probabilities = model.predict_proba(features[test])
            guess = model.classes_[probabilities.argmax(axis=1)]
            scores[name, "log_loss"].append(log_loss(y[test], probabilities, labels=model.classes_))
            scores[name, "accuracy"].append(accuracy_score(y[test], guess))
            scores[name, "macro_f1"].append(f1_score(y[test], guess, average="macro", labels=classes,
                                                     zero_division=0))
            if name == "mnl":
                predicted[test] = guess
    rows = []
    for (name, metric), values in scores.items():
        rows.append({"model": name, "metric": metric, "mean": float(np.mean(values)),
                     "std": float(np.std(values, ddof=1)),
                     **{f"fold_{i + 1}": v for i, v in enumerate(values)}})
    confusion = pd.DataFrame(confusion_matrix(y, predicted, labels=classes), columns=labels)
    confusion.insert(0, "observed", labels)
    return pd.DataFrame(rows), confusion
