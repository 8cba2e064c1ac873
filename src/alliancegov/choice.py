"""Governance-form choice: a multinomial logit on transaction-cost variables.

statsmodels' ``MNLogit`` does the fitting. It takes the first sorted outcome level as base and
drops labels, so the outcome is coded here with the configured base as 0 and the other forms
in codebook order, and every table row carries its outcome and base names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import tidy_coefficients

COV_TYPES = ("nonrobust", "HC0", "cluster")


@dataclass(frozen=True)
class ChoiceSpec:
    """What to fit (``choice`` in the config).

    ``formula`` is the right-hand side in patsy syntax, e.g.
    ``asset_specificity + trust + C(sector, Treatment('services'))``. ``cov_type`` is
    ``nonrobust`` (inverse Hessian), ``HC0`` (sandwich) or ``cluster`` (by ``cluster``).
    """

    outcome: str
    base: str
    formula: str
    cov_type: str = "cluster"
    cluster: str | None = "firm_key"
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.cov_type not in COV_TYPES:
            raise ValueError(f"cov_type must be one of {COV_TYPES}, not {self.cov_type!r}")
        if self.cov_type == "cluster" and not self.cluster:
            raise ValueError("cov_type 'cluster' needs a cluster variable")


@dataclass
class ChoiceFit:
    coefficients: pd.DataFrame    # outcome, base, term, estimate, std_error, statistic, p_value, conf_low, conf_high
    fit: pd.DataFrame             # statistic, value
    probabilities: pd.DataFrame   # predicted probability of each category, rows used in the fit
    result: object                # the statsmodels results object


def outcome_levels(data: pd.Series, base: str, categories: list[str]) -> list[str]:
    """Observed categories with ``base`` first, the others in ``categories`` order."""
    observed = set(data.dropna())
    unknown = observed - set(categories)
    if unknown:
        raise ValueError(f"outcome values not in the codebook: {sorted(unknown)}")
    if base not in observed:
        raise ValueError(f"base category {base!r} does not occur in the data")
    return [base] + [c for c in categories if c in observed and c != base]


def fit_mnl(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str]) -> ChoiceFit:
    """Fit the multinomial logit of ``spec.outcome`` on ``spec.formula`` (listwise deletion).

    Rows missing the outcome or any regressor are not used; their number is reported as
    ``n_missing`` in the fit table.
    """
    import patsy
    import statsmodels.api as sm
    from threadpoolctl import threadpool_limits

    usable = data[data[spec.outcome].notna()]
    design = patsy.dmatrix(spec.formula, usable, return_type="dataframe", NA_action="drop")
    if spec.cov_type == "cluster":
        design = design[usable.loc[design.index, spec.cluster].notna()]
    levels = outcome_levels(usable.loc[design.index, spec.outcome], spec.base, categories)
    codes = pd.Categorical(usable.loc[design.index, spec.outcome], categories=levels).codes
    fit_kwargs = {"method": "newton", "maxiter": 100, "disp": 0}
    if spec.cov_type == "cluster":
        groups = pd.factorize(usable.loc[design.index, spec.cluster])[0]
        fit_kwargs |= {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    elif spec.cov_type == "HC0":
        fit_kwargs |= {"cov_type": "HC0"}
    with threadpool_limits(1):  # one BLAS thread: measured faster than two on this workload
        result = sm.MNLogit(codes, design).fit(**fit_kwargs)

    params = np.asarray(result.params)
    bse = np.asarray(result.bse)
    tables = []
    for j, outcome in enumerate(levels[1:]):
        table = tidy_coefficients(design.columns, params[:, j], bse[:, j], level=spec.level)
        table.insert(0, "outcome", outcome)
        table.insert(1, "base", spec.base)
        tables.append(table)
    coefficients = pd.concat(tables, ignore_index=True)

    counts = np.bincount(codes, minlength=len(levels))
    n = int(len(codes))
    loglik_null = float(np.sum(counts[counts > 0] * np.log(counts[counts > 0] / n)))  # exact for an MNL with intercept
    n_params = params.size
    n_clusters = len(np.unique(fit_kwargs["cov_kwds"]["groups"])) if spec.cov_type == "cluster" else np.nan
    fit = pd.DataFrame({
        "statistic": ["n", "n_missing", "n_clusters", "log_likelihood", "log_likelihood_null",
                      "mcfadden_r2", "aic", "bic", "n_parameters", "converged"],
        "value": [n, int(len(data) - n), float(n_clusters),
                  float(result.llf), loglik_null, 1 - float(result.llf) / loglik_null,
                  -2 * float(result.llf) + 2 * n_params, -2 * float(result.llf) + np.log(n) * n_params,
                  n_params, float(bool(result.mle_retvals.get("converged", False)))],
    })
    probabilities = pd.DataFrame(np.asarray(result.predict(design)), index=design.index, columns=levels)
    return ChoiceFit(coefficients, fit, probabilities, result)
