"""The choice model's companions: the binary (equity) logit, the cross-validated predictive check,
multiple imputation and alternative specifications side by side.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from alliancegov.choice.design import ChoiceDesign, build_design
from alliancegov.choice.model import ChoiceFit, _per_outcome, ame_table, coefficient_table, fit_mnl
from alliancegov.choice.spec import ChoiceSpec


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


def binary_table(data: pd.DataFrame, spec: ChoiceSpec) -> dict[str, pd.DataFrame]:
    """Logit of ``binary_outcome`` (yes against no) on the choice regressors, and its margins.

    The choice model's frequency weights, covariance (clusters, robust) or survey design apply.

    Parameters
    ----------
    data : DataFrame
        The analysis frame.
    spec : ChoiceSpec
        ``binary_outcome`` (the expression), ``binary_name`` and the choice model's regressors,
        covariance and weights.

    Returns
    -------
    dict of str to DataFrame
        ``choice_equity``: :func:`~alliancegov.choice.model.coefficient_table`'s columns, ``outcome``
        set to ``binary_name`` and ``base`` to ``no``; log-odds of ``yes`` and odds ratios (``rrr``),
        and ``note`` (which says when separated data made them Firth's penalised estimates).
        ``choice_equity_ame``: the average marginal effects on the probability of ``yes``
        (:func:`~alliancegov.choice.model.ame_table`, probability units, delta-method SEs, weighted
        averages under weights), with ``note``.
    """
    from alliancegov.choice.notes import inference_note
    from alliancegov.choice.separation import FIRTH_ERRORS, fit_choice, separation

    column = "binary_outcome"
    # the logit is the two-category multinomial logit, also when the config fits no multinomial logit of its own
    binary = replace(spec, outcome=column, base="no", binary_outcome=None, multinomial=True)
    design = build_design(data.assign(**{column: binary_outcome(data, spec.binary_outcome)}), binary, ["no", "yes"],
                          model=f"the logit of {spec.binary_name}")
    fitted = fit_choice(design, binary)   # Firth's estimates when the data are separated, as the main model's
    fit = fitted.fit
    note = (f"Firth's penalised estimates (the data are separated: {separation(fitted.small, binary)}); "
            f"{FIRTH_ERRORS}; z statistics, normal p-values and {spec.level:.0%} Wald intervals"
            if fitted.separated else inference_note(spec, design, fit.df_resid))
    table = coefficient_table(fit, design, binary).assign(note=note)
    table["outcome"] = spec.binary_name
    ame = ame_table(fit, design, binary)
    ame = ame[ame["outcome"] == "yes"].reset_index(drop=True).assign(
        outcome=spec.binary_name, note=note + "; delta-method standard errors, probability units")
    return {"choice_equity": table, "choice_equity_ame": ame}


def cross_validation_tables(design: ChoiceDesign, spec: ChoiceSpec,
                            start: np.ndarray | None = None) -> dict[str, pd.DataFrame]:
    """Stratified k-fold log-loss, accuracy and macro-F1 of the MNL and of the majority class.

    With frequency weights the folds split the firms the rows stand for (each row repeated its
    weight's times), so every firm counts once in the scores. With clusters (a firm in several
    waves) each cluster stays within one fold. Above ``spec.cv_max_rows`` rows the check runs on a
    seeded stratified random subsample of that many rows: it is purely predictive, and the model
    and its inference use every row.

    Parameters
    ----------
    design : ChoiceDesign
        The design matrix (with its intercept), outcome codes, levels, clusters and frequency weights.
    spec : ChoiceSpec
        ``cv_folds``, ``cv_max_rows`` and ``seed`` (which draws the subsample and shuffles the folds).
    start : ndarray of shape (k, J-1), optional
        The full-sample estimates, each fold's starting point.

    Returns
    -------
    dict of str to DataFrame
        ``choice_cv``: ``model`` (``mnl``, ``majority_class``), ``metric`` (``log_loss``,
        ``accuracy``, ``macro_f1``), ``mean``, ``std`` over folds, ``fold_1..fold_k``, ``n_rows``
        (the rows the folds split) and ``note``; ``choice_cv_confusion``: the MNL's out-of-fold
        confusion matrix, ``observed`` then one count column per predicted outcome.

    Raises
    ------
    ValueError
        Under a survey design, naming ``choice.cov_type`` and this table: cross-validated scores of
        a complex sample are not defined here.
    """
    from alliancegov.choice.notes import refuse
    from alliancegov.stats.predictive import cross_validated_scores, stratified_subsample

    if design.survey is not None:
        raise refuse("choice.cov_type: design", "the cross-validated predictive check (choice_cv)",
                     "its folds and scores treat the rows as independent and equally weighted; set choice.cv_folds: 0")
    X, y, groups = design.units()   # frequency weights: the firms the rows stand for are split into folds
    note = f"{spec.cv_folds}-fold stratified cross-validation"
    note += "; each cluster's rows within one fold" if groups is not None else "; rows treated as independent"
    if len(y) > spec.cv_max_rows:
        kept = stratified_subsample(y, spec.cv_max_rows, spec.seed)
        note += (f"; on a stratified random subsample of {len(kept):,} of the {len(y):,} rows (choice.cv_max_rows), "
                 "the model itself fitted on every row")
        X, y, groups = X[kept], y[kept], None if groups is None else groups[kept]
    scores, confusion = cross_validated_scores(X, y, folds=spec.cv_folds, seed=spec.seed, labels=design.levels,
                                               groups=groups, start=start)
    return {"choice_cv": scores.assign(n_rows=len(y), note=note), "choice_cv_confusion": confusion}


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
        ``mcfadden_r2``, ``aic``, ``bic`` with the value in ``estimate``), ``model`` first, and
        ``estimator``: ``ml``, or ``firth`` for a model whose data are separated, fitted as the choice
        stage fits its main model (:func:`~alliancegov.choice.separation.fit_choice`).
    """
    from alliancegov.choice.separation import fit_choice

    tables = []
    for name, frame, spec in models:
        design = build_design(frame, spec, categories,
                              model=(described or {}).get(name, f"the choice model variant {name}"))
        fitted = fit_choice(design, spec)
        tables.append(pd.concat([coefficient_table(fitted.fit, design, spec), _fit_rows(fitted.fit, design, spec)],
                                ignore_index=True).assign(model=name, estimator=fitted.estimator))
    table = pd.concat(tables, ignore_index=True)
    return table[["model", *[c for c in table.columns if c != "model"]]]


def variants_table(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str]) -> pd.DataFrame:
    """The main model and each variant side by side (see :func:`side_by_side`), on a common sample.

    Every model is fitted on the same rows, those complete on the variables of every model (and on
    the weight, cluster and survey-design columns), so their log-likelihoods, AIC and BIC compare:
    models fitted on different rows have likelihoods of different data.

    Parameters
    ----------
    data : DataFrame
        The analysis frame.
    spec : ChoiceSpec
        The main model (named ``main``) and its ``variants`` (other right-hand sides).
    categories : list of str
        The outcome's categories in the codebook's order.

    Returns
    -------
    DataFrame
        As :func:`side_by_side` (fit rows ``n_obs``, the common N, per model; under a survey design
        no AIC or BIC, a pseudo-likelihood having none), with ``note``: the coefficients' standard
        errors and tests, and on the fit rows that the sample is common and how many rows it left out.
    """
    from alliancegov.choice.notes import inference_note
    from alliancegov.expressions import formula_variables

    models = [("main", spec.formula), *spec.variants]
    needed = [spec.outcome, *[c for c in (spec.weights, spec.cluster if spec.cov_type == "cluster" else None) if c],
              *spec.design_columns]
    for name, formula in models:
        needed += formula_variables(formula, data.columns, source=f"choice.variants.{name}")
    common = data.dropna(subset=list(dict.fromkeys(needed)))
    table = side_by_side([(name, common, replace(spec, formula=formula)) for name, formula in models], categories)
    if spec.cov_type == "design":
        table = table[~((table["outcome"] == "(fit)") & table["term"].isin(["aic", "bic"]))].reset_index(drop=True)
    design = build_design(common, spec, categories)
    design_df = None
    if design.survey is not None:
        from alliancegov.stats.survey.design import design_degrees_of_freedom

        design_df = float(design_degrees_of_freedom(design.survey, len(design.y))[2])
    fit_rows = table["outcome"] == "(fit)"
    table["note"] = inference_note(spec, design, design_df)
    table.loc[fit_rows, "note"] = (f"common sample: every model fitted on the same {len(common)} rows, those complete "
                                   f"for all of them ({len(data) - len(common)} of {len(data)} left out), so the "
                                   "log-likelihoods, AIC and BIC compare")
    return table
