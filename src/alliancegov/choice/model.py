"""The multinomial logit fitted, and its coefficient, marginal-effect and prediction tables.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.choice.design import ChoiceDesign, scenario_matrix
from alliancegov.choice.spec import ChoiceSpec
from alliancegov.stats.tidy import tidy_coefficients


@dataclass
class ChoiceFit:
    """A fitted multinomial logit: estimates, covariance, log-likelihood and fitted probabilities.

    ``k`` is the number of design columns, ``J`` of outcomes (base first), ``n`` of rows.
    """

    params: np.ndarray            # (k, J−1), statsmodels' layout
    cov: np.ndarray               # (k(J−1), k(J−1)), equation-major
    loglik: float
    probabilities: np.ndarray     # (n, J)
    converged: bool
    model_cov: np.ndarray         # inverse information, for tests that need it
    df_resid: float | None = None  # design degrees of freedom (t intervals) under a survey design


def fit_mnl(design: ChoiceDesign, spec: ChoiceSpec) -> ChoiceFit:
    """ML fit and the configured covariance.

    Parameters
    ----------
    design : ChoiceDesign
        The rows, design matrix, outcome codes, frequency weights, clusters or survey design.
    spec : ChoiceSpec
        ``cov_type`` chooses the covariance (``model``, ``robust``, ``cluster``; under ``design``
        the survey fit's Taylor-linearised covariance).

    Returns
    -------
    ChoiceFit
        Coefficients (k, J−1), covariance (k(J−1), k(J−1)) and fitted probabilities (n, J); under a
        survey design the pseudo-likelihood estimates, with ``model_cov`` the simple-random-sampling
        covariance and ``df_resid`` the design degrees of freedom.

    Raises
    ------
    ModelSpecificationError
        If the information matrix proves singular, naming the columns collinear to within rounding
        or, failing any, the separation that makes it so (``design.model`` names the model).

    Warns
    -----
    RuntimeWarning
        If the Newton fit did not converge (not checked under a survey design).

    Notes
    -----
    The fit is the package's vectorised Newton–Raphson (``stats.mnl.fit_mnl_newton``) rather
    than statsmodels' ``MNLogit``: the tests hold it to statsmodels' estimates (1e-8) and to
    Stata's published ANES and Star98 results, it takes frequency weights (which ``MNLogit``
    ignores), and at 1,000,000 rows ``MNLogit`` made the stage 4.7× a plain Newton fit against
    a target of 3× (``bench/choice_scale.py``).
    """
    from alliancegov.model_checks import singular_information

    try:
        return _fit_mnl(design, spec)
    except np.linalg.LinAlgError as error:
        raise singular_information(design.X, design.model) from error


def _fit_mnl(design: ChoiceDesign, spec: ChoiceSpec) -> ChoiceFit:
    from threadpoolctl import threadpool_limits

    from alliancegov.stats.mnl import fit_mnl_newton, model_covariance, probabilities, sandwich_covariance

    X = design.X.to_numpy()
    if design.survey is not None:
        from alliancegov.stats.survey.mnl import fit_mnl_survey

        with threadpool_limits(1, user_api="blas"):
            survey = fit_mnl_survey(X, design.y, design.survey)
        return ChoiceFit(survey.params, survey.cov, survey.loglik, probabilities(X, survey.params), survey.converged,
                         survey.cov_srs, df_resid=float(survey.design_df))
    with threadpool_limits(1, user_api="blas"):  # one BLAS thread: measured faster than two here
        newton = fit_mnl_newton(X, design.y, weights=design.weights)
        params, loglik, converged = newton.params, newton.loglik, newton.converged
        model_cov = model_covariance(newton.information)
        if spec.cov_type == "model":
            cov = model_cov
        else:
            cov = sandwich_covariance(X, design.y, params, kind=spec.cov_type, groups=design.groups,
                                      weights=design.weights, weight_type="frequency")
    if not converged:
        warnings.warn(f"the multinomial logit did not converge ({design.model})", RuntimeWarning, stacklevel=3)
    return ChoiceFit(params, cov, loglik, probabilities(X, params), converged, model_cov)


def _per_outcome(table: pd.DataFrame, levels: list[str], base: str) -> pd.DataFrame:
    table.insert(0, "outcome", np.repeat(levels[1:], len(table) // (len(levels) - 1)))
    table.insert(1, "base", base)
    return table


def coefficient_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Tidy coefficients per non-base outcome, with relative-risk ratios and their CIs.

    Parameters
    ----------
    fit : ChoiceFit
        The fitted model.
    design : ChoiceDesign
        Its design (column names, outcome levels).
    spec : ChoiceSpec
        ``level`` of the intervals, ``base``.

    Returns
    -------
    DataFrame
        k × (J−1) rows, one per term and non-base outcome: ``outcome, base, term, estimate,
        std_error, statistic, p_value, conf_low, conf_high`` (log-odds of the outcome against the
        base; z statistics, or t on the design degrees of freedom under a survey design) and
        ``rrr, rrr_conf_low, rrr_conf_high``, their exponentials (relative-risk ratios).
    """
    k = design.X.shape[1]
    terms = list(design.X.columns) * (len(design.levels) - 1)
    table = tidy_coefficients(terms, fit.params.T.ravel(), np.sqrt(np.diag(fit.cov)), df_resid=fit.df_resid,
                              level=spec.level)
    table = _per_outcome(table, design.levels, spec.base)
    table["rrr"] = np.exp(table["estimate"])
    table["rrr_conf_low"] = np.exp(table["conf_low"])
    table["rrr_conf_high"] = np.exp(table["conf_high"])
    assert len(table) == k * (len(design.levels) - 1)
    return table


def ame_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Average marginal effects on every outcome's probability (delta-method SEs), tidy.

    Parameters
    ----------
    fit : ChoiceFit
        The fitted model.
    design : ChoiceDesign
        Its design; averages are over its firms, with the frequency or sampling weights.
    spec : ChoiceSpec
        ``level`` of the intervals.

    Returns
    -------
    DataFrame
        One row per regressor (continuous columns, then each factor level against its reference;
        a single-dummy factor keeps its full column name) and outcome, the base included:
        ``outcome, term, estimate, std_error, statistic, p_value, conf_low, conf_high``, in
        probability (0–1) per unit of a continuous regressor, or the discrete change of a level.
    """
    from alliancegov.stats.mnl import average_marginal_effects

    discrete = {}
    for name, (_, columns) in design.discrete.items():
        # a single-dummy factor keeps its full column name (``sector[textile]``) as its label
        discrete[design.X.columns[columns[0]] if len(columns) == 1 else name] = (None, columns)
    ames = average_marginal_effects(design.X, fit.params, fit.cov, continuous=design.continuous,
                                    discrete=discrete, weights=design.averaging_weights)
    table = tidy_coefficients(ames["variable"], ames["estimate"], ames["std_error"], level=spec.level)
    table.insert(0, "outcome", np.asarray(design.levels, dtype=object)[ames["outcome"].to_numpy(int)])
    return table


def prediction_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Average predicted probabilities with delta-method CIs over each profile variable.

    As Stata's ``margins, at(x = (grid)) at(by = level)``: every firm's ``x`` (and ``profile_by``)
    set to the value, the predicted probabilities averaged over firms.

    Parameters
    ----------
    fit : ChoiceFit
        The fitted model.
    design : ChoiceDesign
        Its design; averages are over its firms, with the frequency or sampling weights.
    spec : ChoiceSpec
        ``profiles`` (each traced over ``profile_points`` values from its observed minimum to
        maximum), ``profile_by`` and ``level``.

    Returns
    -------
    DataFrame
        Columns ``variable, value, by, outcome, estimate, std_error, conf_low, conf_high``: one row
        per profile variable, grid value, level of ``profile_by`` (empty text without it) and
        outcome; probabilities in 0–1 with Wald intervals. No rows without profiles.

    Raises
    ------
    ValueError
        If a profile variable is not numeric (a categorical regressor has no range to trace: it can
        be ``profile_by``).
    """
    from alliancegov.stats.mnl import average_predicted_probabilities

    categorical = [variable for variable in spec.profiles
                   if not pd.api.types.is_numeric_dtype(design.data[variable])]
    if categorical:
        raise ValueError(f"choice.profiles: {', '.join(categorical)} {'is' if len(categorical) == 1 else 'are'} "
                         "categorical; a profile traces a numeric regressor from its minimum to its maximum. Leave "
                         "it out of choice.profiles (a categorical regressor can be choice.profile_by)")
    by_levels = sorted(design.data[spec.profile_by].dropna().unique()) if spec.profile_by else [None]
    tables = []
    for variable in spec.profiles:
        grid = np.linspace(design.data[variable].min(), design.data[variable].max(), spec.profile_points)
        for by in by_levels:
            for value in grid:
                X = scenario_matrix(design, {variable: value} | ({spec.profile_by: by} if by is not None else {}))
                table = average_predicted_probabilities(X, fit.params, fit.cov,
                                                        weights=design.averaging_weights, level=spec.level)
                table.insert(0, "variable", variable)
                table.insert(1, "value", value)
                table.insert(2, "by", by if by is not None else "")
                table["outcome"] = np.asarray(design.levels, dtype=object)[table["outcome"].to_numpy(int)]
                tables.append(table)
    columns = ["variable", "value", "by", "outcome", "estimate", "std_error", "conf_low", "conf_high"]
    return pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)


def model_separated(design: ChoiceDesign) -> bool:
    """Whether the multinomial ML estimate does not exist (Albert & Anderson 1984).

    Parameters
    ----------
    design : ChoiceDesign
        The design matrix and outcome codes.

    Returns
    -------
    bool
        True if the data are completely or quasi-completely separated.
    """
    from alliancegov.stats.separation import detect_mnl_separation

    return bool(detect_mnl_separation(design.X.to_numpy(), design.y)["separated"])


def fit_firth(design: ChoiceDesign) -> ChoiceFit:
    """Firth's penalised (Jeffreys-prior) MNL, with its model-based covariance.

    Parameters
    ----------
    design : ChoiceDesign
        The design matrix and outcome codes (weights and clusters are not used).

    Returns
    -------
    ChoiceFit
        The penalised estimates; ``cov`` and ``model_cov`` are both the model-based covariance.
    """
    from alliancegov.stats.firth import fit_firth_mnl
    from alliancegov.stats.mnl import probabilities

    X = design.X.to_numpy()
    firth = fit_firth_mnl(X, design.y)
    return ChoiceFit(firth.params, firth.cov, firth.loglik, probabilities(X, firth.params), firth.converged, firth.cov)
