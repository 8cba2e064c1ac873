"""Performance regressed on the governance form and controls by OLS, with firm-clustered or
heteroskedasticity-robust standard errors, and multiple imputations pooled by Rubin's rules
(contrasts between forms: :mod:`alliancegov.performance.contrasts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import readable_term, tidy_coefficients

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "design")
WEIGHT_TYPES = ("frequency", "sampling")


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
        Covariates centred at their mean over the rows each fit uses (weighted by ``weights`` if
        set; the intercept is then the outcome at the average covariates).
    weights : str or None
        A column of weights: ``frequency`` (a row stands for that many firms, whole numbers: the fit
        is OLS on the rows repeated) or ``sampling`` (WLS point estimates, a pseudo-likelihood whose
        standard errors must be robust, clustered or the design's).
    weight_type : {"frequency", "sampling"}
        What ``weights`` are.
    strata, psu, fpc : str or None
        The survey design's columns for ``cov_type`` "design" (with ``weights`` as its sampling
        weights): Taylor-linearised standard errors and t on the design's degrees of freedom.

    Raises
    ------
    ValueError
        If ``cov_type`` is not in :data:`COV_TYPES`, is "cluster" without a ``cluster`` or "design"
        without sampling weights, strata or PSUs, or ``weight_type`` is unknown.
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
    weights: str | None = None
    weight_type: str = "frequency"
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None

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
        if self.weight_type not in WEIGHT_TYPES:
            raise ValueError(f"weight_type must be one of {WEIGHT_TYPES}, not {self.weight_type!r}")
        if self.cov_type == "design" and not ((self.weights and self.weight_type == "sampling") or self.strata
                                              or self.psu):
            raise ValueError("cov_type 'design' needs sampling weights, strata or psu")


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

    Rows missing any model variable (or the cluster, weight or design column in use) are not used;
    their number is ``n_missing`` in the fit table. Weights are honoured, never ignored: frequency
    weights fit OLS on the rows repeated (a row stands for that many firms, so N is their sum and
    every covariance is the expanded data's); sampling weights give WLS point estimates with HC,
    clustered or survey-design standard errors (Stata ``regress [pw=w]``, ``svy: regress``) and are
    refused with non-robust ones. The covariates of ``spec.centre`` that
    the formula uses are centred at their (weighted) mean over the rows used.

    Parameters
    ----------
    data : DataFrame
        One row per firm with the model's variables; text columns enter as categories.
    spec : PerformanceSpec
        Outcome, right-hand side, covariance type, weights, survey design and confidence level.

    Returns
    -------
    PerformanceFit
        ``coefficients`` (tidy, standard errors of ``spec.cov_type``, t reference with the
        residual df, with G − 1 df for clustered SEs as Stata's ``regress``, or with the design's
        df); ``fit`` with the statistics ``n, n_missing, n_clusters`` (NaN unless clustered; the
        PSUs of a design), ``r2, adj_r2, rmse`` (outcome units; weighted under weights),
        ``df_resid`` and the F test that every slope is 0 with the same covariance
        (``f_statistic, f_df_model, f_df_resid, f_p_value``: a Wald F on G − 1 denominator df when
        clustered, the adjusted Wald F of a design); the statsmodels result (its covariance the
        design's under a design).

    Raises
    ------
    ModelSpecificationError
        A ``ValueError`` naming the variable (and the wave) when the rows cannot identify the model:
        a variable missing for every firm (of a wave), a regressor with a single value, no more
        firms than coefficients, or collinear design columns (:mod:`alliancegov.model_checks`).
    ValueError
        If frequency weights are not whole numbers, or sampling weights come with ``nonrobust``
        standard errors (naming the option and the model).
    """
    import statsmodels.api as sm

    from alliancegov.expressions import design_matrices, formula_variables
    from alliancegov.model_checks import check_parameters, check_rank, check_varying, complete_rows
    from alliancegov.stats.centring import centre_columns
    from alliancegov.stats.formulas import text_as_categories

    formula = f"{spec.outcome} ~ {spec.formula}"
    model = f"the performance model of {spec.outcome}"
    variables = formula_variables(formula, data.columns)
    extra = [c for c in (spec.cluster if spec.cov_type == "cluster" else None, spec.weights,
                         *((spec.strata, spec.psu, spec.fpc) if spec.cov_type == "design" else ())) if c]
    used = complete_rows(data, variables + extra, model)
    used, _ = centre_columns(used, [c for c in spec.centre if c in variables], weights=spec.weights)
    check_varying(used, formula_variables(spec.formula, data.columns), model)
    # The rows used, not all of data: a text level seen only in rows left out would be a column of zeros.
    y, design = design_matrices(formula, text_as_categories(used, variables), source=f"performance model of "
                                f"{spec.outcome}", NA_action="drop")
    check_parameters(len(design), design.columns, model)
    check_rank(design.rename(columns=readable_term), model)
    rows, n_rows = data.loc[design.index], len(design)
    weights = rows[spec.weights].to_numpy(float) if spec.weights else None
    if weights is not None and spec.weight_type == "frequency":
        if np.any(weights != np.round(weights)) or np.any(weights < 0):
            raise ValueError(f"performance weights {spec.weights} are frequency weights (a row stands for that many "
                             f"observations) but not whole numbers, in {model}; give sampling weights as weight_type: "
                             "sampling")
        repeat = np.repeat(np.arange(n_rows), weights.astype(np.int64))
        y, design, rows, weights = y.iloc[repeat], design.iloc[repeat], rows.iloc[repeat], None
    if weights is not None and spec.cov_type == "nonrobust":
        raise ValueError(f"performance weights {spec.weights} are sampling weights, which need robust (HC), clustered "
                         f"or design standard errors; cov_type nonrobust cannot honour them in {model}")
    n_clusters = np.nan
    ols = sm.OLS(y.iloc[:, 0], design) if weights is None else sm.WLS(y.iloc[:, 0], design, weights=weights)
    if spec.cov_type == "design":
        result, n_clusters = _design_result(ols, rows, weights, spec)
        df = result.df_resid
    else:
        kwargs = {"cov_type": spec.cov_type}
        if spec.cov_type == "cluster":
            groups = pd.factorize(rows[spec.cluster])[0]
            kwargs["cov_kwds"] = {"groups": groups}
            n_clusters = float(groups.max() + 1)
        result = ols.fit(**kwargs)
        # Stata's regress: t intervals on G - 1 degrees of freedom with clustered SEs, n - k otherwise.
        df = n_clusters - 1 if spec.cov_type == "cluster" else result.df_resid
    coefficients = tidy_coefficients(design.columns, result.params, result.bse, df_resid=df, level=spec.level)
    slopes = np.eye(len(design.columns))[[i for i, name in enumerate(design.columns) if name != "Intercept"]]
    f_test = _model_f_test(result, slopes, spec) if len(slopes) else None
    fit = pd.DataFrame({
        "statistic": ["n", "n_missing", "n_clusters", "r2", "adj_r2", "rmse", "df_resid", "f_statistic", "f_df_model",
                      "f_df_resid", "f_p_value"],
        "value": [float(result.nobs), float(len(data) - n_rows), n_clusters, result.rsquared,
                  result.rsquared_adj, float(np.sqrt(result.mse_resid)), result.df_resid,
                  *(f_test if f_test is not None else (np.nan,) * 4)],
    })
    return PerformanceFit(coefficients, fit, result)


def _design_result(ols, rows: pd.DataFrame, weights: np.ndarray | None, spec: PerformanceSpec):
    """(WLS result whose covariance is the survey design's Taylor linearisation and whose residual df
    are the design's, number of PSUs): Stata's ``svy: regress``."""
    from statsmodels.regression.linear_model import RegressionResults

    from alliancegov.stats.survey.design import SurveyDesign, design_degrees_of_freedom, linearised_covariance

    def column(name):
        return rows[name].to_numpy() if name else None

    survey = SurveyDesign(weights=weights, strata=column(spec.strata), psu=column(spec.psu),
                          fpc=None if spec.fpc is None else rows[spec.fpc].to_numpy(float))
    plain = ols.fit()
    X = np.asarray(ols.exog)
    w = np.ones(len(X)) if weights is None else weights
    bread = np.linalg.inv(X.T @ (X * w[:, None]))
    cov = linearised_covariance(X * (w * np.asarray(plain.resid))[:, None], bread, survey)
    n_psu, _, design_df = design_degrees_of_freedom(survey, len(X))
    ols.df_resid = float(design_df)          # t tests and intervals of the result on the design's df
    # a fixed scale of 1 on the linearised covariance: statsmodels' own way to carry a given covariance
    result = RegressionResults(ols, plain.params, normalized_cov_params=cov, cov_type="fixed scale",
                               cov_kwds={"scale": 1.0}, use_t=True)
    return result, float(n_psu)


def _model_f_test(result, slopes: np.ndarray, spec: PerformanceSpec) -> tuple[float, float, float, float]:
    """The F test that every slope is 0 with the fit's covariance: statistic, numerator and
    denominator df, p-value (the adjusted Wald F of a survey design)."""
    if spec.cov_type == "design":
        from alliancegov.stats.mnl_tests import design_adjusted_f

        b = slopes @ np.asarray(result.params)
        chi2 = float(b @ np.linalg.solve(slopes @ np.asarray(result.cov_params()) @ slopes.T, b))
        f, denominator, p_value = design_adjusted_f(chi2, len(slopes), result.df_resid)
        return f, float(len(slopes)), float(denominator), p_value
    test = result.wald_test(slopes, scalar=True, use_f=True)
    return float(test.statistic), float(len(slopes)), float(test.df_denom), float(test.pvalue)


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
