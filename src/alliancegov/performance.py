"""Alliance performance regressed on the governance form and controls (OLS, robust SEs): the
performance stage (rule ``performance``), which also hands the misalignment stage its analysis
frame with the derived outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from alliancegov.misalignment import (
    FIRST_STAGE,
    first_stage_strength,
    misalignment_inputs,
    misalignment_measures,
    misalignment_table,
)
from alliancegov.stats.tidy import readable_term, tidy_coefficients

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")


@dataclass(frozen=True)
class PerformanceSpec:
    """``performance`` in the config: outcome, right-hand side (patsy), covariance type.

    ``imputations`` > 0 imputes the model's variables by chained equations (seeded by ``seed``)
    and pools the coefficients by Rubin's rules with Barnard–Rubin degrees of freedom.

    Attributes
    ----------
    outcome : str
        The performance outcome, a column of the analysis frame.
    formula : str
        The right-hand side (patsy).
    cov_type : str
        One of :data:`COV_TYPES`, statsmodels' OLS covariance types.
    cluster : str or None
        The cluster variable, required by ``cov_type`` "cluster".
    level : float
        Confidence level of the intervals.
    imputations : int
        Number of imputed datasets; 0 fits the listwise-complete rows.
    imputation_iterations : int
        Iterations of the chained equations.
    seed : int
        Seed of the imputations.

    Raises
    ------
    ValueError
        If ``cov_type`` is not in :data:`COV_TYPES`, or is "cluster" without a ``cluster``.
    """

    outcome: str
    formula: str
    cov_type: str = "HC3"
    cluster: str | None = None
    level: float = 0.95
    imputations: int = 0
    imputation_iterations: int = 10
    seed: int = 20261127

    @classmethod
    def from_config(cls, section: dict, missing_data: dict | None = None) -> PerformanceSpec:
        """From the config's ``performance`` section and its ``missing_data`` section.

        Parameters
        ----------
        section : dict
            The spec's keys of the ``performance`` section: ``outcome``, ``formula`` and
            optionally ``cov_type``, ``cluster``, ``level``, ``seed``; any other key raises
            TypeError.
        missing_data : dict, optional
            The config's ``missing_data`` section. ``method: mice`` sets ``imputations`` (its
            ``imputations``, default 20) and ``imputation_iterations`` (its ``iterations``,
            default 10); ``listwise`` (the default) leaves ``imputations`` at 0.

        Returns
        -------
        PerformanceSpec
            The spec.
        """
        values = dict(section)
        missing_data = missing_data or {}
        if missing_data.get("method", "listwise") == "mice":
            values |= {"imputations": missing_data.get("imputations", 20),
                       "imputation_iterations": missing_data.get("iterations", 10)}
        return cls(**values)

    def __post_init__(self) -> None:
        if self.cov_type not in COV_TYPES:
            raise ValueError(f"cov_type must be one of {COV_TYPES}, not {self.cov_type!r}")
        if self.cov_type == "cluster" and not self.cluster:
            raise ValueError("cov_type 'cluster' needs a cluster variable")


@dataclass
class PerformanceFit:
    """A fitted performance model: its tidy tables and the statsmodels result.

    Attributes
    ----------
    coefficients : DataFrame
        ``term, estimate, std_error, statistic, p_value, conf_low, conf_high`` (``df`` and
        ``fmi`` added when imputed), estimates in outcome units.
    fit : DataFrame
        ``statistic, value``: sample size and fit statistics (see :func:`fit_ols` and
        :func:`fit_ols_imputed`).
    result : object
        statsmodels' OLS results (of the first imputed dataset when imputed).
    """

    coefficients: pd.DataFrame
    fit: pd.DataFrame
    result: object


def fit_ols(data: pd.DataFrame, spec: PerformanceSpec) -> PerformanceFit:
    """OLS of ``spec.outcome`` on ``spec.formula``; t-based CIs with the residual df.

    Rows missing any model variable (or the cluster, for clustered SEs) are not used; their
    number is ``n_missing`` in the fit table.

    Parameters
    ----------
    data : DataFrame
        One row per firm with the model's variables; text columns enter as categories.
    spec : PerformanceSpec
        Outcome, right-hand side, covariance type and confidence level.

    Returns
    -------
    PerformanceFit
        ``coefficients`` (tidy, standard errors of ``spec.cov_type``, t reference with the
        residual df, or with G − 1 df for clustered SEs as Stata's ``regress``); ``fit`` with the
        statistics ``n, n_missing, n_clusters`` (NaN unless clustered), ``r2, adj_r2, rmse``
        (outcome units), ``df_resid`` and the F test that every slope is 0 with the same
        covariance (``f_statistic, f_df_model, f_df_resid, f_p_value``: a Wald F on G − 1
        denominator df when clustered); the statsmodels result.

    Raises
    ------
    ModelSpecificationError
        A ``ValueError`` naming the variable (and the wave) when the rows cannot identify the model:
        a variable missing for every firm (of a wave), a regressor with a single value, no more
        firms than coefficients, or collinear design columns (:mod:`alliancegov.model_checks`).
    """
    import statsmodels.api as sm

    from alliancegov.expressions import design_matrices, formula_variables
    from alliancegov.model_checks import check_parameters, check_rank, check_varying, complete_rows
    from alliancegov.stats.formulas import text_as_categories

    formula = f"{spec.outcome} ~ {spec.formula}"
    model = f"the performance model of {spec.outcome}"
    variables = formula_variables(formula, data.columns)
    used = complete_rows(data, variables + ([spec.cluster] if spec.cov_type == "cluster" else []), model)
    check_varying(used, formula_variables(spec.formula, data.columns), model)
    # The rows used, not all of data: a text level seen only in rows left out would be a column of zeros.
    y, design = design_matrices(formula, text_as_categories(used, variables), source=f"performance model of "
                                f"{spec.outcome}", NA_action="drop")
    check_parameters(len(design), design.columns, model)
    check_rank(design.rename(columns=readable_term), model)
    kwargs = {"cov_type": spec.cov_type}
    n_clusters = np.nan
    if spec.cov_type == "cluster":
        groups = pd.factorize(data.loc[design.index, spec.cluster])[0]
        kwargs["cov_kwds"] = {"groups": groups}
        n_clusters = float(groups.max() + 1)
    result = sm.OLS(y.iloc[:, 0], design).fit(**kwargs)
    # Stata's regress: t intervals on G - 1 degrees of freedom with clustered SEs, n - k otherwise.
    df = n_clusters - 1 if spec.cov_type == "cluster" else result.df_resid
    coefficients = tidy_coefficients(design.columns, result.params, result.bse, df_resid=df, level=spec.level)
    slopes = np.eye(len(design.columns))[[i for i, name in enumerate(design.columns) if name != "Intercept"]]
    f_test = result.wald_test(slopes, scalar=True, use_f=True) if len(slopes) else None
    fit = pd.DataFrame({
        "statistic": ["n", "n_missing", "n_clusters", "r2", "adj_r2", "rmse", "df_resid", "f_statistic", "f_df_model",
                      "f_df_resid", "f_p_value"],
        "value": [float(result.nobs), float(len(data) - result.nobs), n_clusters, result.rsquared,
                  result.rsquared_adj, float(np.sqrt(result.mse_resid)), result.df_resid,
                  *((float(f_test.statistic), float(len(slopes)), float(f_test.df_denom), float(f_test.pvalue))
                    if f_test is not None else (np.nan,) * 4)],
    })
    return PerformanceFit(coefficients, fit, result)


def fit_ols_imputed(data: pd.DataFrame, spec: PerformanceSpec) -> PerformanceFit:
    """:func:`fit_ols` on ``spec.imputations`` imputed datasets, pooled by Rubin's rules.

    Responses whose outcome was missing are left out after imputation (von Hippel 2007).

    Parameters
    ----------
    data : DataFrame
        One row per firm; the variables of the outcome, formula and cluster are imputed.
    spec : PerformanceSpec
        The model, with ``imputations`` (at least 2), ``imputation_iterations`` and ``seed``.

    Returns
    -------
    PerformanceFit
        The coefficient table gains ``df`` (Barnard–Rubin, complete-data df = n − k) and
        ``fmi`` (fraction of missing information); the fit table has ``n`` (responses with an
        observed outcome), ``n_missing`` (responses without), ``imputations``, ``r2_mean`` (the
        mean R² over imputations) and ``df_complete``; ``result`` is the first imputation's fit.

    References
    ----------
    .. [1] von Hippel, P. T. (2007). Regression with missing Ys: an improved strategy for
       analyzing multiply imputed data. Sociological Methodology, 37(1), 83–117.
    .. [2] Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
       imputation. Biometrika, 86(4), 948–955.
    """
    from alliancegov.expressions import formula_variables
    from alliancegov.stats.imputation import impute_for_model, pooled_tidy, rubin_pool

    variables = [spec.outcome, *formula_variables(spec.formula, data.columns),
                 *([spec.cluster] if spec.cluster else [])]
    observed = data[spec.outcome].notna()
    fits = [fit_ols(frame[observed], spec)
            for frame in impute_for_model(data, variables, spec.imputations, spec.seed,
                                          iterations=spec.imputation_iterations)]
    df_complete = float(fits[0].result.df_resid)
    pooled = rubin_pool(np.array([f.result.params.to_numpy() for f in fits]),
                        np.array([np.asarray(f.result.cov_params()) for f in fits]), df_complete=df_complete)
    coefficients = pooled_tidy(pooled, fits[0].result.params.index, level=spec.level)
    fit = pd.DataFrame({
        "statistic": ["n", "n_missing", "imputations", "r2_mean", "df_complete"],
        "value": [float(fits[0].result.nobs), float(len(data) - observed.sum()), float(spec.imputations),
                  float(np.mean([f.result.rsquared for f in fits])), df_complete],
    })
    return PerformanceFit(coefficients, fit, fits[0].result)


def derive_variables(data: pd.DataFrame, definitions: dict[str, str]) -> pd.DataFrame:
    """Add variables defined as expressions (``log(employees_now / employees_start)``).

    Parameters
    ----------
    data : DataFrame
        The analysis frame.
    definitions : dict of str to str
        New column name → an expression of the project's grammar (:mod:`alliancegov.expressions`)
        over the columns, evaluated in order, so a definition may use an earlier one.

    Returns
    -------
    DataFrame
        A copy of ``data`` with one float column per definition; infinite values (a division by
        zero, the log of 0) are missing.
    """
    from alliancegov.expressions import evaluate

    out = data.copy()
    for name, expression in definitions.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            value = evaluate(expression, out, source=f"performance.derived.{name}")
        out[name] = pd.Series(value, index=out.index, dtype=float).replace([np.inf, -np.inf], np.nan)
    return out


def composite_index(data: pd.DataFrame, components: list[str], min_components: int) -> pd.Series:
    """Mean of the components' z-scores (pooled sample), where at least ``min_components`` are known.

    Each component is standardised to mean 0 and SD 1 over the responses that have it, so the index
    is in SD units and every part weighs the same; a response with fewer known parts is missing.

    Parameters
    ----------
    data : DataFrame
        One row per response with the numeric components.
    components : list of str
        The columns averaged.
    min_components : int
        The fewest known components for an index value.

    Returns
    -------
    Series
        Index of ``data``: the mean of the known components' z-scores (SD units, ddof = 1), NaN
        where fewer than ``min_components`` are known.
    """
    parts = data[components].astype(float)
    z = (parts - parts.mean()) / parts.std(ddof=1)
    return z.mean(axis=1).where(z.notna().sum(axis=1) >= min_components)


def outcome_frame(data: pd.DataFrame, section: dict) -> pd.DataFrame:
    """``data`` with the performance outcomes the config derives: its ``derived`` variables, then
    its composite ``index``.

    Parameters
    ----------
    data : DataFrame
        The analysis frame, one row per firm.
    section : dict
        The config's ``performance`` section.

    Returns
    -------
    DataFrame
        A copy of ``data`` with one more column per derived variable and for the index.
    """
    frame = derive_variables(data, section.get("derived", {}))
    index = section.get("index")
    if index:
        frame[index["name"]] = composite_index(frame, index["components"], index["min_components"])
    return frame


def alternative_cov_type(section: dict, cov_type: str) -> str | None:
    """The standard errors reported beside the main ones in the performance tables.

    Parameters
    ----------
    section : dict
        The config's ``performance`` section (``alternative_cov_type``, ``cluster``).
    cov_type : str
        The main covariance type.

    Returns
    -------
    str or None
        ``alternative_cov_type`` when the section sets it (``none``: no second set); else HC3
        beside clustered standard errors, and clustered ones beside any other when a ``cluster``
        is set; else None.
    """
    chosen = section.get("alternative_cov_type")
    if chosen is not None:
        return None if chosen == "none" else chosen
    if cov_type == "cluster":
        return "HC3"
    return "cluster" if section.get("cluster") else None


def ols_table(data: pd.DataFrame, spec: PerformanceSpec, model: str) -> pd.DataFrame:
    """Tidy OLS coefficients with ``outcome``, ``model`` and ``se_type`` first.

    Parameters
    ----------
    data : DataFrame
        One row per firm with the model's variables.
    spec : PerformanceSpec
        The model; imputed (:func:`fit_ols_imputed`) when ``spec.imputations`` > 0, else
        :func:`fit_ols`.
    model : str
        The model's name in the table (``by_form``, ``interaction``).

    Returns
    -------
    DataFrame
        ``outcome, model, se_type`` (``spec.cov_type``), then the fit's coefficient table.
    """
    fit = fit_ols_imputed(data, spec) if spec.imputations > 0 else fit_ols(data, spec)
    table = fit.coefficients
    table.insert(0, "outcome", spec.outcome)
    table.insert(1, "model", model)
    table.insert(2, "se_type", spec.cov_type)
    return table


def form_contrasts(data: pd.DataFrame, spec: PerformanceSpec, form: str, forms: list[str]) -> pd.DataFrame:
    """Every pairwise difference between forms in ``spec.outcome``, adjusted for the controls, with
    Holm-adjusted p-values (``contrast, estimate, std_error, statistic, p_value, p_holm, conf_low,
    conf_high``). The form enters ``spec.formula`` as ``C(form, Treatment(base))``.

    Parameters
    ----------
    data : DataFrame
        One row per firm with the model's variables.
    spec : PerformanceSpec
        The model, fitted by :func:`fit_ols` (listwise, whatever ``spec.imputations``).
    form : str
        The form column, as named in ``spec.formula``.
    forms : list of str
        The forms in order; a form without a coefficient (the base) counts as 0.

    Returns
    -------
    DataFrame
        One row per pair ``a`` before ``b`` in ``forms``: ``outcome``, ``contrast`` ("b - a"),
        ``estimate`` (outcome units), ``std_error``, ``statistic`` (t), ``p_value``, ``p_holm``
        (Holm over all pairs), ``conf_low, conf_high`` at ``spec.level``.
    """
    from statsmodels.stats.multitest import multipletests

    result = fit_ols(data, spec).result
    names = list(result.params.index)
    column = {f: next((n for n in names if n.endswith(f"[T.{f}]") and n.startswith(f"C({form}")), None) for f in forms}
    rows = []
    for i, a in enumerate(forms):
        for b in forms[i + 1:]:
            vector = np.zeros(len(names))
            if column[b]:
                vector[names.index(column[b])] += 1
            if column[a]:
                vector[names.index(column[a])] -= 1
            test = result.t_test(vector)
            rows.append((f"{b} - {a}", float(np.squeeze(test.effect)), float(np.squeeze(test.sd)),
                         float(np.squeeze(test.tvalue)), float(np.squeeze(test.pvalue)),
                         *np.asarray(test.conf_int(alpha=1 - spec.level)).ravel()))
    table = pd.DataFrame(rows, columns=["contrast", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                        "conf_high"])
    table.insert(5, "p_holm", multipletests(table["p_value"], method="holm")[1])
    table.insert(0, "outcome", spec.outcome)
    return table


def ordered_outcome_tables(data: pd.DataFrame, outcome: str, formula: str, scale: list[str],
                           level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ordered logit of an ordinal answer (``scale``: its answers in order) on ``formula``:
    coefficients with odds ratios and cut points, and AMEs on each category's probability.

    Parameters
    ----------
    data : DataFrame
        One row per firm; rows missing the outcome or a regressor are left out.
    outcome : str
        The ordinal answer's column.
    formula : str
        The right-hand side (patsy); the intercept is dropped, the cut points play it.
    scale : list of str
        The answers in order; those nobody in the sample gave are left out.
    level : float
        Confidence level.

    Returns
    -------
    coefficients : DataFrame
        ``outcome`` then :func:`~alliancegov.stats.ordinal.tidy_ordered`'s columns: slopes in
        log-odds with ``odds_ratio, or_conf_low, or_conf_high``, then cut points named "a|b".
    ame : DataFrame
        ``outcome, category``, then ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``: average marginal effects on the probability of each category (probability
        units, 0–1), delta-method SEs. A dummy's effect is the average change of its value from
        0 to 1 with every other column as observed, including the other dummies of its factor
        (Stata's ``i.`` margins set those to 0: the two agree for a two-level factor).
    """
    from alliancegov.expressions import design_matrix
    from alliancegov.stats.ordinal import fit_ordered_logit, ordered_average_marginal_effects, tidy_ordered

    rows = data[data[outcome].notna()]
    X = design_matrix(formula, rows, source=f"ordered logit of {outcome}", NA_action="drop")
    X = X.drop(columns="Intercept")   # the cut points play the intercept
    names = [readable_term(c) for c in X.columns]
    X.columns = names
    present = [s for s in scale if s in set(rows.loc[X.index, outcome])]
    codes = pd.Categorical(rows.loc[X.index, outcome], categories=present).codes
    fit = fit_ordered_logit(X, codes)
    dummies = [i for i, n in enumerate(names) if "[" in n]
    ames = ordered_average_marginal_effects(X, fit, [i for i in range(len(names)) if i not in dummies],
                                            {names[i]: [i] for i in dummies})
    ame = tidy_coefficients(ames["variable"], ames["estimate"], ames["std_error"], level=level)
    ame.insert(0, "category", np.asarray(present, dtype=object)[ames["outcome"].to_numpy(int)])
    coefficients = tidy_ordered(fit, level=level, outcome_labels=present)
    for table in (coefficients, ame):
        table.insert(0, "outcome", outcome)
    return coefficients, ame


def means_by_form(frame: pd.DataFrame, outcome: str, form: str, forms: list[str], level: float = 0.95) -> pd.DataFrame:
    """Mean of ``outcome`` by governance form with a t-based confidence interval.

    Parameters
    ----------
    frame : DataFrame
        One row per firm, with the numeric ``outcome`` and the form column ``form``.
    outcome, form : str
        The outcome's and the form's columns.
    forms : list of str
        The forms in codebook order; each gets a row (an empty one with ``n`` = 0).
    level : float
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        ``outcome, <form>, n, estimate`` (the mean), ``conf_low, conf_high``: mean ± t(level, n − 1)
        · sd / √n, NaN when ``n`` < 2.
    """
    from alliancegov.descriptives import mean_confidence_intervals

    means = mean_confidence_intervals(frame[outcome], pd.Series(pd.Categorical(frame[form], categories=forms),
                                                                index=frame.index), level)
    means = means.rename(columns={"group": form, "mean": "estimate"}).astype({form: str})
    means.insert(0, "outcome", outcome)
    return means


def importance_table(frame: pd.DataFrame, outcome: str, groups: dict[str, str], *, n_boot: int, seed: int,
                     cluster: str | None = None, n_jobs: int = 1) -> pd.DataFrame:
    """Shapley (general dominance) decomposition of the R² of ``outcome`` on groups of regressors,
    each group a fragment of the expression grammar (``misaligned``, ``C(sector)``), over the
    complete rows, with bootstrap intervals of the shares and tests of their differences.

    Parameters
    ----------
    frame : DataFrame
        One row per firm-wave.
    outcome : str
        The outcome's column.
    groups : dict of str to str
        Group name → fragment (expanded without intercept).
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resamples.
    cluster : str, optional
        Column whose values are resampled whole (the firm, when firms repeat across waves).
    n_jobs : int
        Worker processes of the bootstrap.

    Returns
    -------
    DataFrame
        :func:`~alliancegov.stats.importance.shapley_share_inference`'s table (columns
        ``SHARE_COLUMNS``: one ``share`` row per group, a ``difference`` row per pair, a
        ``largest`` row per group) over the rows complete in the outcome, every group and the
        cluster, with the number of rows ``n`` and of clusters ``n_clusters``.
    """
    from alliancegov.expressions import design_matrix
    from alliancegov.stats.importance import shapley_share_inference

    matrices = {name: design_matrix(f"{fragment} - 1", frame, source=f"importance.groups.{name}",
                                    NA_action="drop")
                for name, fragment in groups.items()}
    complete = frame[outcome].notna() & (frame[cluster].notna() if cluster else True)
    rows = frame.index[complete]
    for matrix in matrices.values():
        rows = rows.intersection(matrix.index)
    cluster_ids = pd.factorize(frame.loc[rows, cluster])[0] if cluster else None
    table = shapley_share_inference(frame.loc[rows, outcome].to_numpy(float),
                                    {name: matrix.loc[rows].to_numpy(float) for name, matrix in matrices.items()},
                                    n_boot=n_boot, seed=seed, cluster_ids=cluster_ids, n_jobs=n_jobs)
    return table.assign(n=len(rows), n_clusters=len(np.unique(cluster_ids)) if cluster else len(rows))


def analyse_performance(data: pd.DataFrame, settings: dict, choice_design_builder, scale: list[str], *,
                        missing_data: dict | None = None, n_jobs: int = 1,
                        bootstrap: bool = True) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every performance table, and the analysis frame with the derived outcomes and misalignment.

    Parameters
    ----------
    data : DataFrame
        The analysis frame, one row per firm.
    settings : dict
        The config's ``performance``, ``misalignment`` and ``importance`` sections.
    choice_design_builder : callable
        ``choice_design_builder(frame)`` builds the first stage's design (the choice model).
    scale : list of str
        The forms from market to hierarchy.
    missing_data : dict, optional
        The config's ``missing_data`` section (see :meth:`PerformanceSpec.from_config`).
    n_jobs : int
        Worker processes of the misalignment bootstrap.
    bootstrap : bool
        False leaves out the ``misalignment`` table, for a workflow that scatters its bootstrap
        over jobs (:func:`misalignment_inputs` on the returned frame,
        :func:`misalignment_bootstrap`, :func:`misalignment_intervals`).

    Returns
    -------
    tables : dict of str to DataFrame
        ``performance_ols`` (:func:`ols_table` of the outcome and its ``parts``, model
        ``by_form``, again with clustered SEs when a ``cluster`` is set, and the ``interaction``
        model if configured), ``performance_ordered`` and ``performance_ordered_ame``
        (:func:`ordered_outcome_tables` of each ``ordinal`` outcome), ``performance_fit``
        (:func:`fit_ols` of the outcome), ``performance_contrasts`` (:func:`form_contrasts`),
        ``performance_by_form`` (:func:`means_by_form`), ``misalignment`` (when ``bootstrap``),
        ``misalignment_first_stage`` (:func:`first_stage_strength`) and, when the ``importance``
        section has ``groups``, ``importance`` (:func:`importance_table`).
    enriched : DataFrame
        The rows of the two-stage model (firms complete for the first stage, the misalignment
        outcome and controls) with the derived outcomes, the misalignment measures
        (:func:`misalignment_measures`) and ``aligned_form``.
    """
    section = settings["performance"]
    frame = outcome_frame(data, section)
    base = {k: section[k] for k in ("formula", "cov_type", "cluster", "level") if k in section}
    main = PerformanceSpec.from_config({**base, "outcome": section["outcome"]}, missing_data)
    alternative = alternative_cov_type(section, main.cov_type)
    tables = {"performance_ols": [], "performance_ordered": [], "performance_ordered_ame": []}
    fits = []
    for outcome in [section["outcome"], *section.get("parts", [])]:
        spec = replace(main, outcome=outcome)
        tables["performance_ols"].append(ols_table(frame, spec, "by_form"))
        if alternative:
            tables["performance_ols"].append(ols_table(frame, replace(spec, cov_type=alternative), "by_form"))
        fit = fit_ols_imputed(frame, spec) if spec.imputations > 0 else fit_ols(frame, spec)
        fits.append(fit.fit.assign(outcome=outcome, se_type=spec.cov_type)[["outcome", "se_type", "statistic",
                                                                             "value"]])
    if section.get("interaction"):
        tables["performance_ols"].append(ols_table(frame, replace(main, formula=section["interaction"]), "interaction"))
    for outcome in section.get("ordinal", []):
        answers = scale_of(frame, outcome, section)
        coefficients, ame = ordered_outcome_tables(frame, outcome, section["formula"], answers)
        tables["performance_ordered"].append(coefficients)
        tables["performance_ordered_ame"].append(ame)
    empty = pd.DataFrame(columns=["outcome", "term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                  "conf_high"])   # no ordinal outcome configured
    tables = {name: pd.concat(parts, ignore_index=True) if parts else empty for name, parts in tables.items()}
    tables["performance_fit"] = pd.concat(fits, ignore_index=True)
    tables["performance_contrasts"] = form_contrasts(frame, main, section["form"], scale)

    two_stage, mis, clusters, rows = misalignment_inputs(frame, settings, choice_design_builder, scale)
    everyone = np.arange(len(two_stage.chosen))
    measures = misalignment_measures(two_stage.first_stage_probabilities(everyone), two_stage.chosen,
                                     two_stage.scale_rank)
    enriched = pd.concat([rows, measures], axis=1)
    enriched["aligned_form"] = np.asarray(scale, dtype=object)[measures["aligned"].to_numpy()]
    tables["performance_by_form"] = means_by_form(enriched, section["outcome"], section["form"], scale)
    if bootstrap:
        tables["misalignment"] = misalignment_table(two_stage, mis, clusters=clusters, n_jobs=n_jobs)
    tables["misalignment_first_stage"] = first_stage_strength(two_stage)
    importance = settings.get("importance", {})
    if importance.get("groups"):
        tables["importance"] = importance_table(enriched, mis.outcome, importance["groups"],
                                                n_boot=importance.get("bootstrap_replicates", 999),
                                                seed=importance.get("seed", 20261127),
                                                cluster=section.get("cluster"), n_jobs=n_jobs)
    return tables, enriched


def scale_of(frame: pd.DataFrame, variable: str, section: dict) -> list[str]:
    """An ordinal answer's categories in order: from the config (``scales``) or by their codes.

    Parameters
    ----------
    frame : DataFrame
        The analysis frame, with ``<variable>__code`` when ``section`` gives no scale.
    variable : str
        The ordinal answer.
    section : dict
        The config's ``performance`` section (its ``scales``: variable → answers in order).

    Returns
    -------
    list of str
        The configured answers, or the answers present in ``frame`` sorted by their codebook
        code.
    """
    if variable in section.get("scales", {}):
        return list(section["scales"][variable])
    codes = frame[[variable, f"{variable}__code"]].dropna().drop_duplicates().sort_values(f"{variable}__code")
    return codes[variable].tolist()


def run(*, data: str, codebook: Sequence[str], outputs: dict[str, str], settings: dict, choice: dict,
        missing_data: dict, threads: int = 1) -> None:
    """The performance rule: every performance table but the bootstrapped misalignment models
    (rules ``misalignment_bootstrap_part`` and ``misalignment``), and the frame they start from.

    Parameters
    ----------
    data : str
        Parquet file of the analysis frame.
    codebook : sequence of str
        The codebook's three files (the forms in order, market → hierarchy).
    outputs : dict of str to str
        A CSV path per table and ``data``, the Parquet file of the analysis frame with the
        derived outcomes and the misalignment measures.
    settings : dict
        The config's ``performance``, ``misalignment`` and ``importance`` sections.
    choice, missing_data : dict
        The config's ``choice`` (the first stage) and ``missing_data`` sections.
    threads : int
        Worker processes.
    """
    import logging

    from alliancegov.choice.design import DesignBuilder
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.codebook import Codebook
    from alliancegov.safe_output import write_csv

    first_stage = ChoiceSpec.from_config(choice)
    scale = Codebook.from_files(codebook).answer_names(first_stage.outcome)   # codebook order: market → hierarchy
    builder = DesignBuilder(first_stage, tuple(scale), model=FIRST_STAGE)
    tables, enriched = analyse_performance(pd.read_parquet(data), settings, builder, scale, missing_data=missing_data,
                                           n_jobs=threads, bootstrap=False)
    for name, table in tables.items():
        write_csv(table, outputs[name])
    enriched.to_parquet(outputs["data"], index=False)
    logging.getLogger("alliancegov").info("\n%s", tables["performance_ols"].to_string(index=False))
