"""Alliance performance regressed on the governance form and controls (OLS, robust SEs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import tidy_coefficients

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")


@dataclass(frozen=True)
class PerformanceSpec:
    """``performance`` in the config: outcome, right-hand side (patsy), covariance type.

    ``imputations`` > 0 imputes the model's variables by chained equations (seeded by ``seed``)
    and pools the coefficients by Rubin's rules with Barnard–Rubin degrees of freedom.
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
        """From the config's ``performance`` section and its ``missing_data`` section."""
        values = dict(section)
        missing_data = missing_data or {}
        if missing_data.get("method", "listwise") == "mice":
            values |= {"imputations": missing_data.get("imputations", 20),
                       "imputation_iterations": missing_data.get("iterations", 10),
                       "seed": missing_data.get("seed", cls.seed)}
        return cls(**values)

    def __post_init__(self) -> None:
        if self.cov_type not in COV_TYPES:
            raise ValueError(f"cov_type must be one of {COV_TYPES}, not {self.cov_type!r}")
        if self.cov_type == "cluster" and not self.cluster:
            raise ValueError("cov_type 'cluster' needs a cluster variable")


@dataclass
class PerformanceFit:
    coefficients: pd.DataFrame
    fit: pd.DataFrame
    result: object


def fit_ols(data: pd.DataFrame, spec: PerformanceSpec) -> PerformanceFit:
    """OLS of ``spec.outcome`` on ``spec.formula``; t-based CIs with the residual df.

    Rows missing any model variable are not used; their number is ``n_missing`` in the fit table.
    """
    import patsy
    import statsmodels.api as sm

    y, design = patsy.dmatrices(f"{spec.outcome} ~ {spec.formula}", data, return_type="dataframe", NA_action="drop")
    kwargs = {"cov_type": spec.cov_type}
    if spec.cov_type == "cluster":
        keep = data.loc[design.index, spec.cluster].notna()
        y, design = y[keep], design[keep]
        kwargs["cov_kwds"] = {"groups": pd.factorize(data.loc[design.index, spec.cluster])[0]}
    result = sm.OLS(y.iloc[:, 0], design).fit(**kwargs)
    coefficients = tidy_coefficients(design.columns, result.params, result.bse,
                                     df_resid=result.df_resid, level=spec.level)
    fit = pd.DataFrame({
        "statistic": ["n", "n_missing", "r2", "adj_r2", "rmse", "df_resid"],
        "value": [float(result.nobs), float(len(data) - result.nobs), result.rsquared, result.rsquared_adj,
                  float(np.sqrt(result.mse_resid)), result.df_resid],
    })
    return PerformanceFit(coefficients, fit, result)


def fit_ols_imputed(data: pd.DataFrame, spec: PerformanceSpec) -> PerformanceFit:
    """:func:`fit_ols` on ``spec.imputations`` imputed datasets, pooled by Rubin's rules.

    Responses whose outcome was missing are left out after imputation (von Hippel 2007). The
    coefficient table gains ``df`` (Barnard–Rubin, complete-data df = n − k) and ``fmi``; the fit
    table reports the mean R² over imputations.
    """
    from alliancegov.stats.imputation import formula_variables, impute_for_model, pooled_tidy, rubin_pool

    variables = formula_variables(f"{spec.outcome} {spec.formula} {spec.cluster or ''}", data.columns)
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
