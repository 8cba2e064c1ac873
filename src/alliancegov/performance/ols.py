"""Performance regressed on the governance form and controls by OLS, with firm-clustered or
heteroskedasticity-robust standard errors, multiple imputations pooled by Rubin's rules, and
contrasts between forms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
    centre : tuple of str
        Covariates centred at their mean over the rows each fit uses (the intercept is then the
        outcome at the average covariates).

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
    centre: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, section: dict, missing_data: dict | None = None) -> PerformanceSpec:
        """From the config's ``performance`` section and its ``missing_data`` section.

        Parameters
        ----------
        section : dict
            The spec's keys of the ``performance`` section: ``outcome``, ``formula`` and
            optionally ``cov_type``, ``cluster``, ``level``, ``seed``, ``centre``; any other key
            raises TypeError.
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
        values["centre"] = tuple(values.get("centre", ()))
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
    number is ``n_missing`` in the fit table. The covariates of ``spec.centre`` that the formula
    uses are centred at their mean over the rows used.

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
    from alliancegov.stats.centring import centre_columns
    from alliancegov.stats.formulas import text_as_categories

    formula = f"{spec.outcome} ~ {spec.formula}"
    model = f"the performance model of {spec.outcome}"
    variables = formula_variables(formula, data.columns)
    used = complete_rows(data, variables + ([spec.cluster] if spec.cov_type == "cluster" else []), model)
    used, _ = centre_columns(used, [c for c in spec.centre if c in variables])
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
    from alliancegov.stats.imputation.chained import impute_for_model
    from alliancegov.stats.imputation.rubin import pooled_tidy, rubin_pool

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
