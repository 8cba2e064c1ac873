"""What the misalignment stage's first stage (the choice model) can bear: the joint strength of the
excluded variables that identify the switching regressions, and the accuracy of the modal
prediction that the 0/1 mismatch rests on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.misalignment.two_stage import TwoStageData, first_stage_fit

CV_FOLDS = 5


def first_stage_strength(data: TwoStageData, clusters: np.ndarray | None = None, seed: int = 20261127
                         ) -> pd.DataFrame:
    """The first stage's checks: the Wald test of the exclusion restrictions, the count R² and
    the cross-validated accuracy of the modal prediction against the majority class.

    Parameters
    ----------
    data : TwoStageData
        Both stages' matrices (its ``excluded`` first-stage columns).
    clusters : ndarray of shape (n,), optional
        The firms' cluster codes: the Wald test's covariance is clustered (Stata's ``mlogit,
        vce(cluster)``); None gives the robust one (``vce(robust)``).
    seed : int
        Seed of the cross-validation folds.

    Returns
    -------
    DataFrame
        Columns ``test, variables, df, statistic, p_value, note``; rows
        ``wald_excluded_variables`` (the excluded columns, chi-square on ``len × (J − 1)`` df;
        only when some variable is excluded), ``count_r2`` (share of firms in their modal
        predicted form), ``cv_accuracy`` and ``majority_class_accuracy`` (means over
        stratified folds, out of sample).
    """
    from alliancegov.stats.mnl import probabilities, sandwich_covariance
    from alliancegov.stats.predictive import cross_validated_scores
    from alliancegov.stats.selection import excluded_indices
    from alliancegov.stats.selection import first_stage_strength as wald_test

    names = list(data.first_stage_names)
    fit = first_stage_fit(data.first_stage, data.chosen, names)
    J = fit.params.shape[1] + 1
    rows = []
    if data.excluded:
        kind = "cluster" if clusters is not None else "robust"
        cov = sandwich_covariance(data.first_stage, data.chosen, fit.params, kind=kind, groups=clusters,
                                  information=fit.information)
        test = wald_test(params=fit.params, cov=cov, indices=excluded_indices(names, data.excluded, J))
        rows.append({"test": "wald_excluded_variables", "variables": " ".join(data.excluded), "df": test.df,
                     "statistic": test.statistic, "p_value": test.p_value,
                     "note": (f"joint Wald chi-square that the variables excluded from the per-form performance "
                              f"equations are 0 in every equation of the choice model; covariance "
                              f"{'clustered by firm' if kind == 'cluster' else 'robust'} (Stata mlogit's scaling)")})
    correct = probabilities(data.first_stage, fit.params).argmax(axis=1) == data.chosen
    scores, _ = cross_validated_scores(data.first_stage, data.chosen, folds=CV_FOLDS, seed=seed)
    accuracy = scores[scores["metric"] == "accuracy"].set_index("model")["mean"]
    out_of_sample = f"mean over {CV_FOLDS} stratified folds, out of sample"
    rows += [{"test": "count_r2", "statistic": float(correct.mean()),
              "note": "share of firms whose chosen form is the one of highest predicted probability (in sample)"},
             {"test": "cv_accuracy", "statistic": float(accuracy["mnl"]), "note": out_of_sample},
             {"test": "majority_class_accuracy", "statistic": float(accuracy["majority_class"]),
              "note": f"{out_of_sample}: always predicting the most frequent form"}]
    return pd.DataFrame(rows, columns=["test", "variables", "df", "statistic", "p_value", "note"])


def accuracy_sentence(strength: pd.DataFrame) -> str:
    """The accuracy the 0/1 mismatch rests on, in a sentence for the tables' notes.

    Parameters
    ----------
    strength : DataFrame
        :func:`first_stage_strength`'s table.

    Returns
    -------
    str
        E.g. "the modal prediction it rests on has a count R² of 0.51 and a cross-validated
        accuracy of 0.50 against 0.41 for the majority class".
    """
    value = strength.set_index("test")["statistic"]
    return (f"the modal prediction it rests on has a count R² of {value['count_r2']:.2f} and a cross-validated "
            f"accuracy of {value['cv_accuracy']:.2f} against {value['majority_class_accuracy']:.2f} for the "
            "majority class")
