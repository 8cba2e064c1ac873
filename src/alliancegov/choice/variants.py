"""The choice model's companions: the ordered logit on the market → hierarchy scale, the binary
(equity) logit, the cross-validated predictive check, multiple imputation and alternative
specifications side by side.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from alliancegov.choice.design import ChoiceDesign, build_design
from alliancegov.choice.diagnostics import _attempt
from alliancegov.choice.model import ChoiceFit, _per_outcome, ame_table, coefficient_table, fit_mnl
from alliancegov.choice.spec import ChoiceSpec
from alliancegov.stats.tidy import tidy_coefficients


def ordered_tables(design: ChoiceDesign, categories: list[str], spec: ChoiceSpec
                   ) -> tuple[dict[str, pd.DataFrame], bool]:
    """Ordered logit on the codebook's order of the outcome: coefficients, AMEs, Brant test; and
    whether the fit converged (not when the data are separated).

    Parameters
    ----------
    design : ChoiceDesign
        The choice model's design; its intercept is left out (the cut points take its place).
    categories : list of str
        The outcome's categories in the codebook's order (market → hierarchy); those that occur
        form the ordered scale.
    spec : ChoiceSpec
        ``level`` of the intervals.

    Returns
    -------
    tables : dict of str to DataFrame
        ``choice_ordered``: slopes then cut points (``term, estimate, std_error, statistic,
        p_value, conf_low, conf_high, odds_ratio, or_conf_low, or_conf_high``, log-odds of a
        higher category; cut points named ``a|b``); ``choice_ordered_ame``: ``outcome, term,
        estimate, std_error, statistic, p_value, conf_low, conf_high``, the average marginal
        effects on each category's probability (unweighted); ``choice_ordered_brant``: the Brant
        test of proportional odds (``term, statistic, df, p_value``, first row ``all``), or one
        row saying why it was not computed.
    converged : bool
        Whether the ordered logit converged.
    """
    from alliancegov.stats.ordinal import brant_test, fit_ordered_logit, ordered_average_marginal_effects, tidy_ordered

    scale = [c for c in categories if c in design.levels]
    codes = pd.Categorical(np.asarray(design.levels, dtype=object)[design.y], categories=scale).codes
    slopes = [c for c in design.X.columns if c != "Intercept"]
    X = design.X[slopes]
    fit = fit_ordered_logit(X, codes)
    position = {name: i for i, name in enumerate(slopes)}
    continuous = [position[design.X.columns[c]] for c in design.continuous]
    discrete = {}
    for name, (_, columns) in design.discrete.items():
        key = design.X.columns[columns[0]] if len(columns) == 1 else name
        discrete[key] = [position[design.X.columns[c]] for c in columns]
    ames = ordered_average_marginal_effects(X, fit, continuous, discrete)
    ame = tidy_coefficients(ames["variable"], ames["estimate"], ames["std_error"], level=spec.level)
    ame.insert(0, "outcome", np.asarray(scale, dtype=object)[ames["outcome"].to_numpy(int)])
    return {"choice_ordered": tidy_ordered(fit, level=spec.level, outcome_labels=scale),
            "choice_ordered_ame": ame,
            "choice_ordered_brant": _attempt("brant", lambda: brant_test(X, codes))}, fit.converged


def binary_outcome(data: pd.DataFrame, expression: str, source: str = "choice.binary_outcome") -> pd.Series:
    """``yes``/``no`` from an expression; missing where a variable it uses is missing.

    Parameters
    ----------
    data : DataFrame
        The analysis frame.
    expression : str
        An expression of the project's grammar (:mod:`alliancegov.expressions`) over its columns,
        e.g. ``(equity_stake != 'none') | (new_legal_entity == 'yes')``.
    source : str
        Where the expression is written, for error messages.

    Returns
    -------
    Series
        ``yes`` where the expression is true, ``no`` where false, missing where any column named
        in the expression is missing; on ``data``'s index.
    """
    from alliancegov.expressions import check_expression, evaluate

    used = check_expression(expression, data.columns, source)
    value = evaluate(expression, data, source=source).astype(bool).map({True: "yes", False: "no"}).astype("str")
    return value.mask(data[used].isna().any(axis=1))


def binary_table(data: pd.DataFrame, spec: ChoiceSpec) -> pd.DataFrame:
    """Logit of ``binary_outcome`` (yes against no) on the choice regressors, as ``coefficient_table``.

    Parameters
    ----------
    data : DataFrame
        The analysis frame.
    spec : ChoiceSpec
        ``binary_outcome`` (the expression), ``binary_name`` and the choice model's regressors,
        covariance and weights.

    Returns
    -------
    DataFrame
        :func:`~alliancegov.choice.model.coefficient_table`'s columns, ``outcome`` set to
        ``binary_name`` and ``base`` to ``no``; log-odds of ``yes`` and odds ratios (``rrr``).
    """
    column = "binary_outcome"
    binary = replace(spec, outcome=column, base="no", binary_outcome=None)
    design = build_design(data.assign(**{column: binary_outcome(data, spec.binary_outcome)}), binary, ["no", "yes"],
                          model=f"the logit of {spec.binary_name}")
    table = coefficient_table(fit_mnl(design, binary), design, binary)
    table["outcome"] = spec.binary_name
    return table


def cross_validation_tables(design: ChoiceDesign, spec: ChoiceSpec) -> dict[str, pd.DataFrame]:
    """Stratified k-fold log-loss, accuracy and macro-F1 of the MNL and of the majority class.

    Parameters
    ----------
    design : ChoiceDesign
        The design matrix (with its intercept), outcome codes and levels.
    spec : ChoiceSpec
        ``cv_folds`` and ``seed`` (which shuffles the folds).

    Returns
    -------
    dict of str to DataFrame
        ``choice_cv``: ``model`` (``mnl``, ``majority_class``), ``metric`` (``log_loss``,
        ``accuracy``, ``macro_f1``), ``mean``, ``std`` over folds and ``fold_1..fold_k``;
        ``choice_cv_confusion``: the MNL's out-of-fold confusion matrix, ``observed`` then one count
        column per predicted outcome.
    """
    from alliancegov.stats.predictive import cross_validated_scores

    scores, confusion = cross_validated_scores(design.X.to_numpy(), design.y, folds=spec.cv_folds, seed=spec.seed,
                                               labels=design.levels)
    return {"choice_cv": scores, "choice_cv_confusion": confusion}


def imputed_tables(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str]) -> dict[str, pd.DataFrame]:
    """Coefficients and AMEs pooled by Rubin's rules over ``spec.imputations`` imputed datasets.

    The model's variables (outcome, regressors, weights) are imputed together; responses whose
    outcome was missing are left out of the analysis after imputation (von Hippel 2007).

    Parameters
    ----------
    data : DataFrame
        The analysis frame, with missing values.
    spec : ChoiceSpec
        The model, ``imputations``, ``imputation_iterations`` and ``seed``.
    categories : list of str
        The outcome's categories in the codebook's order.

    Returns
    -------
    dict of str to DataFrame
        ``choice_mnl`` and ``choice_ame``: tables as :func:`coefficient_table` and
        :func:`ame_table`, plus ``df`` and ``fmi`` (fraction of missing information) per row;
        ``choice_mnl`` also has ``estimator`` (``ml, <m> imputations``).
    """
    from alliancegov.expressions import formula_variables
    from alliancegov.stats.imputation.chained import impute_for_model
    from alliancegov.stats.imputation.rubin import pooled_tidy, rubin_pool

    variables = [spec.outcome, *formula_variables(spec.formula, data.columns),
                 *([spec.weights] if spec.weights else [])]
    observed_outcome = data[spec.outcome].notna()
    completed = impute_for_model(data, variables, spec.imputations, spec.seed, iterations=spec.imputation_iterations)
    coefficients, ames = [], []
    for frame in completed:
        design = build_design(frame[observed_outcome], spec, categories)
        fit = fit_mnl(design, spec)
        coefficients.append((fit.params.T.ravel(), fit.cov))
        ame = ame_table(fit, design, spec)
        ames.append((ame["estimate"].to_numpy(), np.diag(ame["std_error"].to_numpy() ** 2)))
    pooled_coefficients = pooled_tidy(rubin_pool(*map(np.array, zip(*coefficients))),
                                      list(design.X.columns) * (len(design.levels) - 1), level=spec.level)
    pooled_coefficients = _per_outcome(pooled_coefficients, design.levels, spec.base)
    for column, source in (("rrr", "estimate"), ("rrr_conf_low", "conf_low"), ("rrr_conf_high", "conf_high")):
        pooled_coefficients[column] = np.exp(pooled_coefficients[source])
    pooled_ames = pooled_tidy(rubin_pool(*map(np.array, zip(*ames))), ame["term"], level=spec.level)
    pooled_ames.insert(0, "outcome", ame["outcome"].to_numpy())
    return {"choice_mnl": pooled_coefficients.assign(estimator=f"ml, {spec.imputations} imputations"),
            "choice_ame": pooled_ames}


def _fit_rows(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """A model's N, log-likelihood, McFadden R², AIC and BIC as rows with ``outcome`` ``(fit)``."""
    from alliancegov.stats.mnl_tests import fit_statistics

    statistics = fit_statistics(design.y, fit.probabilities, fit.loglik, fit.params.size, weights=design.weights)
    statistics = statistics[statistics["statistic"].isin(["n_obs", "log_likelihood", "mcfadden_r2", "aic", "bic"])]
    return pd.DataFrame({"outcome": "(fit)", "base": spec.base, "term": statistics["statistic"],
                         "estimate": statistics["value"]})


def side_by_side(models: list[tuple[str, pd.DataFrame, ChoiceSpec]], categories: list[str],
                 described: dict[str, str] | None = None) -> pd.DataFrame:
    """Models as modelsummary/esttab columns, in long form: ``model`` then :func:`coefficient_table`'s
    columns, with each model's fit statistics as rows (``outcome`` ``(fit)``).

    Parameters
    ----------
    models : list of tuple of (str, DataFrame, ChoiceSpec)
        (name, rows to fit on, spec) triples.
    categories : list of str
        The outcome's categories in the codebook's order.
    described : dict of str to str, optional
        A model's name in messages by its name here; default "the choice model variant <name>".

    Returns
    -------
    DataFrame
        Each model's coefficient table, then its fit rows (``term`` ``n_obs``, ``log_likelihood``,
        ``mcfadden_r2``, ``aic``, ``bic`` with the value in ``estimate``), ``model`` first.
    """
    tables = []
    for name, frame, spec in models:
        design = build_design(frame, spec, categories,
                              model=(described or {}).get(name, f"the choice model variant {name}"))
        fit = fit_mnl(design, spec)
        tables.append(pd.concat([coefficient_table(fit, design, spec), _fit_rows(fit, design, spec)],
                                ignore_index=True).assign(model=name))
    table = pd.concat(tables, ignore_index=True)
    return table[["model", *[c for c in table.columns if c != "model"]]]


def variants_table(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str]) -> pd.DataFrame:
    """The main model and each variant side by side (see :func:`side_by_side`).

    Parameters
    ----------
    data : DataFrame
        The analysis frame; every model is fitted on it.
    spec : ChoiceSpec
        The main model (named ``main``) and its ``variants`` (other right-hand sides).
    categories : list of str
        The outcome's categories in the codebook's order.

    Returns
    -------
    DataFrame
        As :func:`side_by_side`.
    """
    return side_by_side([(name, data, replace(spec, formula=formula))
                         for name, formula in (("main", spec.formula), *spec.variants)], categories)
