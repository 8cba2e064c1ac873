"""Alliance performance regressed on the governance form and controls (OLS, robust SEs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import tidy_coefficients

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")


@dataclass(frozen=True)
class PerformanceSpec:
    """``performance`` in the config: outcome, right-hand side (patsy), covariance type."""

    outcome: str
    formula: str
    cov_type: str = "HC3"
    cluster: str | None = None
    level: float = 0.95

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
