"""The checks computed on the analysis frame: means, proportions, logits, ordered logits, exact tests.

Firms repeat across waves, so every test but the exact one is clustered by firm
(:class:`~alliancegov.hypotheses.checks.Inference`; the estimators in
:mod:`alliancegov.stats.cluster_tests` and :mod:`alliancegov.stats.ordinal`); the exact test keeps one
response per firm instead. Frequency weights are honoured by all of them. A check's ``subset``
(an expression of the project's grammar) restricts it to some rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.hypotheses.checks import Inference, table_row

SOURCE = "hypotheses register: {kind} check, {field}"


def check_rows(frame: pd.DataFrame, check: dict, needed: list[str]) -> pd.DataFrame:
    """The rows a check uses: those of its ``subset``, complete on ``needed`` columns.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame.
    check : dict
        The check (``test``, optional ``subset``: an expression of the project's grammar).
    needed : list of str
        Columns the check needs known.

    Returns
    -------
    DataFrame

    Raises
    ------
    ValueError
        If no row is left.
    """
    from alliancegov.expressions import check_expression, evaluate

    kind = check["test"]
    if check.get("subset"):
        source = SOURCE.format(kind=kind, field="subset")
        known = frame.dropna(subset=check_expression(check["subset"], frame.columns, source))
        frame = known[evaluate(check["subset"], known, source=source).astype(bool).to_numpy()]
    rows = frame.dropna(subset=needed)
    if rows.empty:
        raise ValueError(f"no row for the {kind} check")
    return rows


def _condition(rows: pd.DataFrame, check: dict, field: str = "expression") -> tuple[pd.DataFrame, np.ndarray]:
    """Rows complete on an expression's columns, and the expression's 0/1 value on them."""
    from alliancegov.expressions import check_expression, evaluate

    source = SOURCE.format(kind=check["test"], field=field)
    known = rows.dropna(subset=check_expression(check[field], rows.columns, source))
    return known, evaluate(check[field], known, source=source).astype(bool).to_numpy().astype(float)


def _mean(frame: pd.DataFrame, check: dict, inference: Inference) -> dict:
    from alliancegov.stats.cluster_tests import mean_test

    rows = check_rows(frame, check, [check["variable"], *inference.columns()])
    groups, weights = inference.arrays(rows)
    test = mean_test(rows[check["variable"]].to_numpy(float), check["value"], groups=groups, weights=weights,
                     level=inference.level)
    return {**test, "reference": check["value"], "effect_measure": "Cohen's d", "effect": test["d"],
            "effect_low": test["d_conf_low"], "effect_high": test["d_conf_high"],
            "inference": inference.describe(test["n_clusters"], test["df"])}


def _proportion(frame: pd.DataFrame, check: dict, inference: Inference) -> dict:
    from alliancegov.stats.cluster_tests import proportion_test

    rows, hits = _condition(check_rows(frame, check, inference.columns()), check)
    groups, weights = inference.arrays(rows)
    test = proportion_test(hits, check["value"], groups=groups, weights=weights, level=inference.level)
    return {**test, "reference": check["value"], "effect_measure": "Cohen's h", "effect": test["h"],
            "effect_low": test["h_conf_low"], "effect_high": test["h_conf_high"],
            "inference": inference.describe(test["n_clusters"], test["df"]) + " on the logit scale"}


def check_design(rows: pd.DataFrame, formula: str, kind: str) -> pd.DataFrame:
    """A check's design matrix through the checked grammar, with readable column names.

    Parameters
    ----------
    rows : DataFrame
        Rows complete on the formula's variables.
    formula : str
        The right-hand side.
    kind : str
        The check type, for messages.

    Returns
    -------
    DataFrame of shape (n, k)
        With the ``Intercept`` column.
    """
    from alliancegov.expressions import design_matrix
    from alliancegov.stats.tidy import readable_term

    X = design_matrix(formula, rows, source=SOURCE.format(kind=kind, field="formula"), NA_action="raise")
    X.columns = [readable_term(c) for c in X.columns]
    return X


def _formula_rows(frame: pd.DataFrame, check: dict, inference: Inference, outcome: list[str]) -> pd.DataFrame:
    from alliancegov.expressions import check_formula

    variables = check_formula(check["formula"], frame.columns, SOURCE.format(kind=check["test"], field="formula"))
    return check_rows(frame, check, [*variables, *outcome, *inference.columns()])


def _logit(frame: pd.DataFrame, check: dict, inference: Inference) -> dict:
    from alliancegov.stats.cluster_tests import logit_coefficients

    rows, outcome = _condition(_formula_rows(frame, check, inference, []), check)
    groups, weights = inference.arrays(rows)
    table = logit_coefficients(outcome, check_design(rows, check["formula"], "logit"), groups=groups, weights=weights,
                               level=inference.level)
    row = table_row(table, {"term": check["term"]})
    return {**row[["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]].to_dict(),
            "n": float(len(rows) if weights is None else weights.sum()), "n_clusters": row["n_clusters"],
            "effect_measure": "odds ratio", "effect": row["odds_ratio"], "effect_low": row["or_conf_low"],
            "effect_high": row["or_conf_high"],
            "inference": inference.describe(row["n_clusters"], None, "z") + " (Stata logit, vce(cluster))"}


def _ordered_logit(frame: pd.DataFrame, check: dict, inference: Inference) -> dict:
    from alliancegov.performance.outcomes import scale_of
    from alliancegov.stats.ordinal import fit_ordered_logit, tidy_ordered

    rows = _formula_rows(frame, check, inference, [check["outcome"]])
    groups, weights = inference.arrays(rows)
    X = check_design(rows, check["formula"], "ordered_logit").drop(columns="Intercept")   # the cut points play it
    scale = [level for level in scale_of(frame, check["outcome"], {}) if level in set(rows[check["outcome"]])]
    codes = pd.Categorical(rows[check["outcome"]], categories=scale).codes
    fit = fit_ordered_logit(X, codes, weights=weights, weight_type="frequency", groups=groups)
    row = table_row(tidy_ordered(fit, level=inference.level, outcome_labels=scale), {"term": check["term"]})
    clusters = float(fit.n_clusters) if fit.n_clusters else np.nan
    return {**row[["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]].to_dict(),
            "n": fit.n, "n_clusters": clusters, "effect_measure": "odds ratio", "effect": row["odds_ratio"],
            "effect_low": row["or_conf_low"], "effect_high": row["or_conf_high"],
            "inference": inference.describe(clusters, None, "z") + " (Stata ologit, vce(cluster))",
            "note": "" if fit.converged else "the ordered logit did not converge (separation?)"}


def _exact_odds_ratio(frame: pd.DataFrame, check: dict, inference: Inference) -> dict:
    """Fisher's exact test and the conditional ML odds ratio of a 2 × 2 table, one response per firm."""
    from scipy import stats
    from scipy.stats.contingency import odds_ratio

    rows, outcome = _condition(check_rows(frame, check, inference.columns()), check)
    rows, exposed = _condition(rows.assign(_outcome=outcome), check, "exposure")
    kept = "every response"
    if inference.cluster:   # the exact test needs independent rows: each firm's latest response
        order = [c for c in ("survey_year", "wave") if c in rows.columns]
        latest = rows.sort_values(order, kind="stable") if order else rows
        rows = latest[~latest[inference.cluster].duplicated(keep="last")]
        exposed = _condition(rows, check, "exposure")[1]
        kept = f"one response per {inference.cluster} (its latest)"
    weights = np.ones(len(rows)) if inference.weights is None else rows[inference.weights].to_numpy(float)
    if not np.all(weights == np.round(weights)):
        raise ValueError(f"the exact test needs whole frequency weights; {inference.weights} has fractions")
    outcome = rows["_outcome"].to_numpy()
    table = np.array([[weights[(exposed == e) & (outcome == o)].sum() for o in (1, 0)] for e in (1, 0)]).astype(int)
    ratio = odds_ratio(table, kind="conditional")
    interval = ratio.confidence_interval(confidence_level=inference.level)
    return {"estimate": float(ratio.statistic), "p_value": float(stats.fisher_exact(table).pvalue),
            "conf_low": float(interval.low), "conf_high": float(interval.high), "reference": 1.0,
            "n": float(table.sum()), "effect_measure": "odds ratio (conditional ML)",
            "effect": float(ratio.statistic), "effect_low": float(interval.low), "effect_high": float(interval.high),
            "inference": f"Fisher's exact test and exact (conditional) interval on {kept}",
            "note": "an exact test stays valid when cells of the 2 × 2 table are near empty (separation), where "
                    "a logit's odds ratio runs off"}


FRAME_CHECKS = {"mean": _mean, "proportion": _proportion, "logit": _logit, "ordered_logit": _ordered_logit,
                "exact_odds_ratio": _exact_odds_ratio}
