"""Governance-form choice: a multinomial logit on transaction-cost variables, at the standard of
Stata's ``mlogit`` + ``margins`` + SPost's ``mlogtest``.

The package's vectorised Newton fit (``stats.mnl.fit_mnl_newton``) estimates the model; it is
held in the tests to statsmodels' ``MNLogit`` and to Stata's published results (see
:func:`fit_mnl` for why it, not ``MNLogit``, runs here). The outcome is coded with the
configured base as 0 and the other forms in codebook order, and every table row carries outcome
and base names (statsmodels would take the first sorted level as base and drop the labels).

Standard errors (``cov_type``): ``model`` (inverse information, Stata's default ``oim``),
``robust`` (sandwich × N/(N−1), Stata's ``vce(robust)``) or ``cluster`` (sandwich of cluster
score sums × G/(G−1), Stata's ``vce(cluster)``; statsmodels' own cluster option also multiplies
by (N−1)/(N−K), which Stata does not) or ``design`` (a survey design: sampling weights, strata,
PSUs and a finite population correction give pseudo-likelihood estimates with Taylor-linearised
standard errors and t intervals on the design degrees of freedom, as Stata's ``svy: mlogit``).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import readable_term, tidy_coefficients

COV_TYPES = ("model", "robust", "cluster", "design")
FIRTH_POLICIES = ("auto", "always", "never")
SMALL_EVENTS_PER_PARAMETER = 10  # Peduzzi et al. (1996)'s rule of thumb, reported per equation


@dataclass(frozen=True)
class ChoiceSpec:
    """What to fit (``choice`` in the config).

    ``formula`` is the right-hand side in patsy syntax, e.g.
    ``asset_specificity + trust + C(sector, Treatment('services'))``. ``weights`` names a column
    of frequency weights. ``profiles`` are continuous regressors over which predicted
    probabilities are traced (``profile_points`` values from their observed minimum to maximum),
    separately for each level of the categorical regressor ``profile_by``. ``firth``: ``auto``
    fits Firth's penalised MNL when separation is detected, ``always`` or ``never``.
    ``bootstrap_replicates`` > 0 adds percentile bootstrap CIs (resampling clusters when
    ``cov_type`` is ``cluster``), seeded by ``seed``. ``ordered`` adds the ordered logit of the
    outcome on the codebook's order of categories (market → hierarchy). ``binary_outcome`` is a
    pandas expression (e.g. ``(equity_stake != 'none') | (new_legal_entity == 'yes')``) whose
    logit on the same regressors is fitted too (``yes`` against ``no``, labelled ``binary_name``
    in the table). ``cv_folds`` ≥ 2 adds
    the stratified k-fold predictive check. ``imputations`` > 0 imputes the model's variables by
    chained equations that many times (seeded by ``seed``) and pools the coefficients and AMEs by
    Rubin's rules; the other tables then use the complete cases. ``variants`` are alternative
    right-hand sides (name, formula) fitted like the main model and shown side by side.
    """

    outcome: str
    base: str
    formula: str
    cov_type: str = "cluster"
    cluster: str | None = "firm_key"
    weights: str | None = None
    level: float = 0.95
    profiles: tuple[str, ...] = ()
    profile_by: str | None = None
    profile_points: int = 9
    firth: str = "auto"
    bootstrap_replicates: int = 0
    seed: int = 20261127
    ordered: bool = True
    binary_outcome: str | None = None
    binary_name: str = "binary_outcome"
    cv_folds: int = 5
    sampling_weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: str = "error"
    imputations: int = 0
    imputation_iterations: int = 10
    variants: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.cov_type not in COV_TYPES:
            raise ValueError(f"cov_type must be one of {COV_TYPES}, not {self.cov_type!r}")
        if self.cov_type == "cluster" and not self.cluster:
            raise ValueError("cov_type 'cluster' needs a cluster variable")
        if self.cov_type == "design" and not (self.sampling_weights or self.strata or self.psu):
            raise ValueError("cov_type 'design' needs sampling_weights, strata or psu")
        if self.weights and self.cov_type == "design":
            raise ValueError("frequency weights and a survey design cannot be combined; "
                             "give the design's weights as sampling_weights")
        if self.firth not in FIRTH_POLICIES:
            raise ValueError(f"firth must be one of {FIRTH_POLICIES}, not {self.firth!r}")

    @property
    def design_columns(self) -> list[str]:
        return [c for c in (self.sampling_weights, self.strata, self.psu, self.fpc) if c] \
            if self.cov_type == "design" else []

    @classmethod
    def from_config(cls, section: dict, missing_data: dict | None = None) -> ChoiceSpec:
        """From the config's ``choice`` section and its ``missing_data`` section."""
        values = dict(section)
        values.pop("bootstrap_jobs", None)  # how the workflow splits the bootstrap, not part of the model
        values["profiles"] = tuple(values.get("profiles", ()))
        values["variants"] = tuple((values.get("variants") or {}).items())
        missing_data = missing_data or {}
        if missing_data.get("method", "listwise") == "mice":
            values["imputations"] = missing_data.get("imputations", 20)
            values["imputation_iterations"] = missing_data.get("iterations", 10)
        return cls(**values)


@dataclass
class ChoiceDesign:
    """The rows used, the design matrix with readable column names, and the coded outcome."""

    data: pd.DataFrame            # rows used (listwise complete), original columns
    X: pd.DataFrame               # (n, k) design, columns named as in the tables (``sector[textile]``)
    y: np.ndarray                 # (n,) outcome codes, 0 = base
    levels: list[str]             # outcome names, base first
    weights: np.ndarray | None    # (n,) frequency weights
    groups: np.ndarray | None     # (n,) cluster codes
    design_info: object           # patsy DesignInfo, to rebuild X for counterfactual profiles
    terms: dict[str, list[str]]   # model term → its design columns (all dummies of a factor)
    continuous: list[int]         # column indices of numeric regressors
    discrete: dict[str, tuple[None, list[int]]] = field(default_factory=dict)  # factor → dummy columns
    n_missing: int = 0            # rows left out for a missing outcome, regressor, cluster or weight
    survey: object | None = None  # stats.survey.SurveyDesign when cov_type is "design"

    @property
    def averaging_weights(self) -> np.ndarray | None:
        """Weights of averages over firms (AMEs, predictions): frequency or sampling weights."""
        return self.weights if self.survey is None else self.survey.weights


@dataclass
class ChoiceFit:
    params: np.ndarray            # (k, J−1), statsmodels' layout
    cov: np.ndarray               # (k(J−1), k(J−1)), equation-major
    loglik: float
    probabilities: np.ndarray     # (n, J)
    converged: bool
    model_cov: np.ndarray         # inverse information, for tests that need it
    df_resid: float | None = None  # design degrees of freedom (t intervals) under a survey design


def outcome_levels(data: pd.Series, base: str, categories: list[str]) -> list[str]:
    """Observed categories with ``base`` first, the others in ``categories`` order."""
    observed = set(data.dropna())
    unknown = observed - set(categories)
    if unknown:
        raise ValueError(f"outcome values not in the codebook: {sorted(unknown)}")
    if base not in observed:
        raise ValueError(f"base category {base!r} does not occur in the data")
    return [base] + [c for c in categories if c in observed and c != base]


def _factor_name(code: str) -> str:
    match = re.match(r"C\((\w+)", code)
    return match.group(1) if match else code


def build_design(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str]) -> ChoiceDesign:
    """Listwise-complete rows, the patsy design and the coded outcome (base = 0)."""
    import patsy

    needed = [c for c in (spec.outcome, spec.weights, spec.cluster if spec.cov_type == "cluster" else None) if c]
    needed += spec.design_columns
    usable = data.dropna(subset=needed)
    matrix = patsy.dmatrix(spec.formula, usable, return_type="dataframe", NA_action="drop")
    info = matrix.design_info
    rows = usable.loc[matrix.index]
    names = [readable_term(c) for c in matrix.columns]
    X = pd.DataFrame(matrix.to_numpy(float), columns=names)
    terms, continuous, discrete = {}, [], {}
    for term in info.terms:
        columns = list(range(*info.slice(term).indices(len(names))))
        if not columns:
            continue
        categorical = [f for f in term.factors if info.factor_infos[f].type == "categorical"]
        label = ":".join(_factor_name(f.code) for f in term.factors) or "Intercept"
        terms[label] = [names[c] for c in columns]
        if label == "Intercept":
            continue
        if categorical and len(term.factors) == 1:
            discrete[label] = (None, columns)
        elif not categorical:
            continuous.extend(columns)
    levels = outcome_levels(rows[spec.outcome], spec.base, categories)
    codes = pd.Categorical(rows[spec.outcome], categories=levels).codes.astype(int)
    survey = None
    if spec.cov_type == "design":
        from alliancegov.stats.survey import SurveyDesign

        def column(name: str | None, dtype=None) -> np.ndarray | None:
            return rows[name].to_numpy(dtype) if name else None

        survey = SurveyDesign(weights=column(spec.sampling_weights, float), strata=column(spec.strata),
                              psu=column(spec.psu), fpc=column(spec.fpc, float), lonely_psu=spec.lonely_psu)
    return ChoiceDesign(
        data=rows.reset_index(drop=True), X=X, y=codes, levels=levels,
        weights=rows[spec.weights].to_numpy(float) if spec.weights else None,
        groups=pd.factorize(rows[spec.cluster])[0] if spec.cov_type == "cluster" else None,
        design_info=info, terms=terms, continuous=continuous, discrete=discrete,
        n_missing=int(len(data) - len(rows)), survey=survey,
    )


def fit_mnl(design: ChoiceDesign, spec: ChoiceSpec) -> ChoiceFit:
    """ML fit and the configured covariance.

    The fit is the package's vectorised Newton–Raphson (``stats.mnl.fit_mnl_newton``) rather
    than statsmodels' ``MNLogit``: the tests hold it to statsmodels' estimates (1e-8) and to
    Stata's published ANES and Star98 results, it takes frequency weights (which ``MNLogit``
    ignores), and at 1,000,000 rows ``MNLogit`` made the stage 4.7× a plain Newton fit against
    a target of 3× (``bench/choice_scale.py``).
    """
    from threadpoolctl import threadpool_limits

    from alliancegov.stats.mnl import fit_mnl_newton, model_covariance, probabilities, sandwich_covariance

    X = design.X.to_numpy()
    if design.survey is not None:
        from alliancegov.stats.survey import fit_mnl_survey

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
        warnings.warn("the multinomial logit did not converge", RuntimeWarning, stacklevel=2)
    return ChoiceFit(params, cov, loglik, probabilities(X, params), converged, model_cov)


def _per_outcome(table: pd.DataFrame, levels: list[str], base: str) -> pd.DataFrame:
    table.insert(0, "outcome", np.repeat(levels[1:], len(table) // (len(levels) - 1)))
    table.insert(1, "base", base)
    return table


def coefficient_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Tidy coefficients per non-base outcome, with relative-risk ratios and their CIs."""
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
    """Average marginal effects on every outcome's probability (delta-method SEs), tidy."""
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


def scenario_matrix(design: ChoiceDesign, values: dict) -> np.ndarray:
    """``design.X`` (n, k) as it would be with ``values`` (variable → value) set for every firm.

    Terms that use none of the variables are copied; terms that use only them are the same for
    every firm, built on one row and broadcast; only terms mixing them with other variables are
    rebuilt over the firms. patsy walks text factors value by value, so rebuilding the whole
    design for each of the 54 scenarios took most of the choice stage at 10^5 firms.
    """
    import patsy

    from alliancegov.stats.formulas import formula_variables

    X = design.X.to_numpy(dtype=float, copy=True)
    info = design.design_info
    everyone = None
    for term, columns in info.term_slices.items():
        used = {v for factor in term.factors for v in formula_variables(factor.code, design.data.columns)}
        if not used & values.keys():
            continue
        if used <= values.keys():
            rows = design.data.iloc[:1].assign(**values)
        else:
            everyone = design.data.assign(**values) if everyone is None else everyone
            rows = everyone
        (part,) = patsy.build_design_matrices([info.subset([term])], rows)
        X[:, columns] = np.asarray(part)
    return X


def prediction_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Average predicted probabilities with delta-method CIs over each profile variable.

    As Stata's ``margins, at(x = (grid)) at(by = level)``: every firm's ``x`` (and ``profile_by``)
    set to the value, the predicted probabilities averaged over firms. Columns: ``variable,
    value, by, outcome, estimate, std_error, conf_low, conf_high``.
    """
    from alliancegov.stats.mnl import average_predicted_probabilities

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


TEST_COLUMNS = ["test", "hypothesis", "df", "statistic", "p_value", "note"]


def _attempt(test: str, compute) -> pd.DataFrame:
    """Run one family of tests; a numerical failure becomes a row saying so, never a silent gap."""
    try:
        return compute()
    except (np.linalg.LinAlgError, ValueError, RuntimeError) as error:
        return pd.DataFrame([{"test": test, "hypothesis": "", "df": np.nan, "statistic": np.nan,
                              "p_value": np.nan, "note": f"not computed: {type(error).__name__}: {error}"}])


def test_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Tests as SPost's ``mlogtest``: Wald and LR per term, combining outcomes, IIA.

    Columns: ``test, hypothesis, df, statistic, p_value, note``. Wald tests use the configured
    covariance; LR and IIA tests refit the model by maximum likelihood, so they are left out
    with frequency weights or a survey design.
    """
    from alliancegov.stats.mnl_tests import combine_outcomes_tests, iia_tests, lr_test_terms, wald_test_terms

    X, names = design.X.to_numpy(), list(design.X.columns)
    terms = {term: columns for term, columns in design.terms.items() if term != "Intercept"}
    fitted = SimpleNamespace(params=fit.params, cov_params=lambda: fit.cov)
    likelihood_tests = design.weights is None and design.survey is None

    def term_tests(kind: str, compute):
        return lambda: compute().assign(test=kind).rename(columns={"term": "hypothesis"})

    def combine():
        table = combine_outcomes_tests(design.y, X, fitted, cov=fit.cov, labels=design.levels,
                                       tests=("wald", "lr") if likelihood_tests else ("wald",))
        table["hypothesis"] = table["outcome_a"].astype(str) + " = " + table["outcome_b"].astype(str)
        return table.assign(test="combine_" + table["test"])

    def iia():
        table = iia_tests(design.y, X, spec.seed, labels=design.levels)
        table["hypothesis"] = "omitting " + table["omitted"].astype(str)
        return table.assign(test="iia_" + table["test"].astype(str))

    parts = [_attempt("wald_term", term_tests("wald_term", lambda: wald_test_terms(fitted, names, terms, cov=fit.cov))),
             _attempt("combine", combine)]
    if likelihood_tests:
        parts += [_attempt("lr_term", term_tests("lr_term", lambda: lr_test_terms(design.y, X, names, terms))),
                  _attempt("iia", iia)]
    table = pd.concat(parts, ignore_index=True)
    table["note"] = table["note"].fillna("") if "note" in table else ""
    return table[TEST_COLUMNS]


def fit_table(fit: ChoiceFit, design: ChoiceDesign, spec: ChoiceSpec) -> pd.DataFrame:
    """Fit statistics (SPost ``fitstat``) plus rows used, rows left out, clusters, convergence."""
    from alliancegov.stats.mnl_tests import fit_statistics

    table = fit_statistics(design.y, fit.probabilities, fit.loglik, fit.params.size, weights=design.weights)
    if design.survey is not None:  # a pseudo-likelihood: likelihood-based statistics do not apply
        table = table[~table["statistic"].isin(["lr_chi2", "lr_df", "lr_p_value", "aic", "bic", "aic_per_obs",
                                                "bic_prime"])]
    extra = pd.DataFrame({
        "statistic": ["n_missing", "n_clusters", "converged"],
        "value": [float(design.n_missing),
                  float(len(np.unique(design.groups))) if design.groups is not None else np.nan,
                  float(fit.converged)],
    })
    return pd.concat([table, extra], ignore_index=True)


def classification(fit: ChoiceFit, design: ChoiceDesign) -> pd.DataFrame:
    """Observed × predicted (highest probability) counts with margins."""
    from alliancegov.stats.mnl_tests import classification_table

    table = classification_table(design.y, fit.probabilities, labels=design.levels)
    return table.rename_axis(index="observed", columns=None).reset_index()


def small_sample_table(design: ChoiceDesign) -> pd.DataFrame:
    """Per non-base outcome: events per parameter and separation in the base-vs-outcome problem."""
    from alliancegov.stats.separation import detect_separation, events_per_parameter

    epp = events_per_parameter(design.y, design.X.shape[1])
    separation = detect_separation(design.X.to_numpy(), design.y, names=list(design.X.columns))
    table = epp.merge(separation[["outcome", "separated", "kind", "implicated"]], on="outcome", how="left")
    table["implicated"] = table["implicated"].map(lambda cols: " ".join(cols) if isinstance(cols, tuple) else "")
    table["outcome"] = np.asarray(design.levels, dtype=object)[table["outcome"].to_numpy(int)]
    table["few_events"] = table["events_per_parameter"] < SMALL_EVENTS_PER_PARAMETER
    return table


def model_separated(design: ChoiceDesign) -> bool:
    """Whether the multinomial ML estimate does not exist (Albert & Anderson 1984)."""
    from alliancegov.stats.separation import detect_mnl_separation

    return bool(detect_mnl_separation(design.X.to_numpy(), design.y)["separated"])


def fit_firth(design: ChoiceDesign) -> ChoiceFit:
    """Firth's penalised (Jeffreys-prior) MNL, with its model-based covariance."""
    from alliancegov.stats.firth import fit_firth_mnl
    from alliancegov.stats.mnl import probabilities

    X = design.X.to_numpy()
    firth = fit_firth_mnl(X, design.y)
    return ChoiceFit(firth.params, firth.cov, firth.loglik, probabilities(X, firth.params), firth.converged, firth.cov)


def bootstrap_table(design: ChoiceDesign, spec: ChoiceSpec, n_jobs: int = 1) -> pd.DataFrame:
    """Percentile bootstrap CIs of the coefficients (clusters resampled whole when clustered)."""
    return bootstrap_intervals(design, spec, _bootstrap(design, spec, range(spec.bootstrap_replicates), n_jobs))


def bootstrap_part(design: ChoiceDesign, spec: ChoiceSpec, part: int, n_parts: int, n_jobs: int = 1) -> pd.DataFrame:
    """Scatter job ``part`` (0-based) of ``n_parts``: its share of the bootstrap resamples, as a
    table for :func:`bootstrap_table_from_parts` (``stats.bootstrap.result_frame``). The parts
    together give exactly :func:`bootstrap_table`'s result."""
    from alliancegov.stats.bootstrap import part_replicates, result_frame

    replicates = part_replicates(spec.bootstrap_replicates, part, n_parts)
    return result_frame(_bootstrap(design, spec, replicates, n_jobs), replicates)


def bootstrap_table_from_parts(design: ChoiceDesign, spec: ChoiceSpec, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Gather the scatter jobs' :func:`bootstrap_part` tables into :func:`bootstrap_table`'s result."""
    from alliancegov.stats.bootstrap import result_from_frames

    result = result_from_frames(parts, seed=spec.seed)
    if result.ok.size != spec.bootstrap_replicates:
        raise ValueError(f"the bootstrap parts hold {result.ok.size} resamples, not {spec.bootstrap_replicates}")
    return bootstrap_intervals(design, spec, result)


def _bootstrap(design: ChoiceDesign, spec: ChoiceSpec, replicates: range, n_jobs: int):
    from alliancegov.stats.bootstrap import bootstrap_estimates
    from alliancegov.stats.mnl import fit_mnl_newton

    X = design.X.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # no convergence: refits start from scratch
        full = fit_mnl_newton(X, design.y, weights=design.weights)
    fit_function = _BootstrapFit(X, design.y, design.weights, len(design.levels),
                                 start=full.params if full.converged else None)
    return bootstrap_estimates(fit_function, len(design.y), spec.bootstrap_replicates, spec.seed,
                               n_jobs=n_jobs, cluster_ids=design.groups, replicates=replicates)


def bootstrap_intervals(design: ChoiceDesign, spec: ChoiceSpec, result) -> pd.DataFrame:
    """The coefficient table's percentile intervals from a ``stats.bootstrap.BootstrapResult``."""
    from alliancegov.stats.bootstrap import percentile_intervals

    terms = list(design.X.columns) * (len(design.levels) - 1)
    table = percentile_intervals(result, level=spec.level, names=terms).drop(columns=["estimate_index"])
    return _per_outcome(table, design.levels, spec.base)


class _BootstrapFit:
    """Refit on resampled rows, from the full sample's estimates ``start`` (k, J-1) if given;
    a resample missing an outcome counts as a failure."""

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None, n_levels: int,
                 start: np.ndarray | None = None):
        self.X, self.y, self.weights, self.n_levels, self.start = X, y, weights, n_levels, start

    def __call__(self, rows: np.ndarray) -> np.ndarray | None:
        from alliancegov.stats.mnl import fit_mnl_newton

        y = self.y[rows]
        if len(np.unique(y)) < self.n_levels:
            return None
        weights = None if self.weights is None else self.weights[rows]
        fit = fit_mnl_newton(self.X[rows], y, weights=weights, start=self.start)
        return fit.params.T.ravel() if fit.converged else None


def ordered_tables(design: ChoiceDesign, categories: list[str], spec: ChoiceSpec
                   ) -> tuple[dict[str, pd.DataFrame], bool]:
    """Ordered logit on the codebook's order of the outcome: coefficients, AMEs, Brant test; and
    whether the fit converged (not when the data are separated)."""
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


def binary_outcome(data: pd.DataFrame, expression: str) -> pd.Series:
    """``yes``/``no`` from a pandas expression; missing where a variable it uses is missing."""
    import re as regex

    used = [name for name in regex.findall(r"[A-Za-z_]\w*", expression) if name in data.columns]
    value = data.eval(expression).astype(bool).map({True: "yes", False: "no"}).astype("str")
    return value.mask(data[used].isna().any(axis=1))


def binary_table(data: pd.DataFrame, spec: ChoiceSpec) -> pd.DataFrame:
    """Logit of ``binary_outcome`` (yes against no) on the choice regressors, as ``coefficient_table``."""
    column = "binary_outcome"
    binary = replace(spec, outcome=column, base="no", binary_outcome=None)
    design = build_design(data.assign(**{column: binary_outcome(data, spec.binary_outcome)}), binary, ["no", "yes"])
    table = coefficient_table(fit_mnl(design, binary), design, binary)
    table["outcome"] = spec.binary_name
    return table


def cross_validation_tables(design: ChoiceDesign, spec: ChoiceSpec) -> dict[str, pd.DataFrame]:
    from alliancegov.stats.predictive import cross_validated_scores

    scores, confusion = cross_validated_scores(design.X.to_numpy(), design.y, folds=spec.cv_folds, seed=spec.seed,
                                               labels=design.levels)
    return {"choice_cv": scores, "choice_cv_confusion": confusion}


def imputed_tables(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str]) -> dict[str, pd.DataFrame]:
    """Coefficients and AMEs pooled by Rubin's rules over ``spec.imputations`` imputed datasets.

    The model's variables (outcome, regressors, weights) are imputed together; responses whose
    outcome was missing are left out of the analysis after imputation (von Hippel 2007).
    Tables as :func:`coefficient_table` and :func:`ame_table`, plus ``df`` and ``fmi``
    (fraction of missing information) per row.
    """
    from alliancegov.stats.formulas import formula_variables
    from alliancegov.stats.imputation import impute_for_model, pooled_tidy, rubin_pool

    variables = formula_variables(" ".join(filter(None, [spec.outcome, spec.formula, spec.weights])), data.columns)
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


def side_by_side(models: list[tuple[str, pd.DataFrame, ChoiceSpec]], categories: list[str]) -> pd.DataFrame:
    """Models as modelsummary/esttab columns, in long form: ``model`` then :func:`coefficient_table`'s
    columns, with each model's fit statistics as rows (``outcome`` ``(fit)``).

    ``models``: (name, rows to fit on, spec) triples.
    """
    tables = []
    for name, frame, spec in models:
        design = build_design(frame, spec, categories)
        fit = fit_mnl(design, spec)
        tables.append(pd.concat([coefficient_table(fit, design, spec), _fit_rows(fit, design, spec)],
                                ignore_index=True).assign(model=name))
    table = pd.concat(tables, ignore_index=True)
    return table[["model", *[c for c in table.columns if c != "model"]]]


def variants_table(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str]) -> pd.DataFrame:
    """The main model and each variant side by side (see :func:`side_by_side`)."""
    return side_by_side([(name, data, replace(spec, formula=formula))
                         for name, formula in (("main", spec.formula), *spec.variants)], categories)


POOLED_WAVES_MODEL = "pooled_wave_fe"


def _wave_factor(wave: str, waves: list[str]) -> str:
    return f"C({wave}, Treatment({waves[0]!r}))"


def wave_tables(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str],
                wave: str = "wave") -> dict[str, pd.DataFrame]:
    """The choice model across survey waves, as a user would check it with Stata's ``i.wave``,
    ``by wave: mlogit`` and ``lrtest``.

    ``choice_waves``: the pooled model with wave fixed effects (``model`` ``pooled_wave_fe``, wave
    dummies against the first wave in ``data``'s order) beside one model per wave (``model`` = the
    wave), in :func:`side_by_side`'s layout. ``choice_stability``: tests that the coefficients
    other than the intercepts are the same in every wave (``TEST_COLUMNS``):

    - ``lr``: 2 (Σ per-wave log-likelihoods − pooled-with-wave-FE log-likelihood), df = the extra
      parameters. It assumes independent observations, which firms re-interviewed across waves
      break; hence also
    - ``wald_cluster``: the pooled model with every regressor interacted with the wave, fitted
      with the configured covariance (clustered by firm by default), Wald test that all the
      interactions are 0 — robust to the repeated firms, as Stata's ``suest`` would be.

    With one wave both tables are empty (with their columns).
    """
    waves = list(pd.unique(data[wave].dropna()))
    if len(waves) < 2:
        empty = side_by_side([(POOLED_WAVES_MODEL, data, spec)], categories).iloc[:0]
        return {"choice_waves": empty, "choice_stability": pd.DataFrame(columns=TEST_COLUMNS)}
    factor = _wave_factor(wave, waves)
    pooled_spec = replace(spec, formula=f"{spec.formula} + {factor}")
    models = [(POOLED_WAVES_MODEL, data, pooled_spec)] + [(w, data[data[wave] == w], spec) for w in waves]
    return {"choice_waves": side_by_side(models, categories),
            "choice_stability": stability_tests(data, spec, categories, wave, waves)}


def stability_tests(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str], wave: str,
                    waves: list[str]) -> pd.DataFrame:
    """LR and cluster-robust Wald tests of equal slopes across waves (see :func:`wave_tables`)."""
    from scipy import stats

    from alliancegov.stats.mnl_tests import equal_coefficients_test, wald_test_terms

    factor = _wave_factor(wave, waves)
    ml = replace(spec, cov_type="model", weights=None)
    pooled = build_design(data, replace(ml, formula=f"{spec.formula} + {factor}"), categories)
    hypothesis = f"same coefficients in the {len(waves)} waves (intercepts free)"
    wald_name = f"wald_{spec.cov_type}"
    per_wave = [build_design(data[data[wave] == w], ml, categories) for w in waves]
    incomplete = [w for w, design in zip(waves, per_wave) if design.levels != pooled.levels]
    if incomplete:
        # wave-specific intercepts of a form nobody chose in a wave are infinite: neither test exists
        reason = f"not computed: not every form is chosen in wave(s) {', '.join(incomplete)}"
        return pd.DataFrame([(test, hypothesis, np.nan, np.nan, np.nan, reason) for test in ("lr", wald_name)],
                            columns=TEST_COLUMNS)
    if spec.weights or spec.cov_type == "design":
        rows = [("lr", hypothesis, np.nan, np.nan, np.nan, "not computed: needs unweighted maximum likelihood")]
        # the interacted model itself, fitted as configured (weights, survey design)
        interacted = replace(spec, formula=f"({spec.formula}) * {factor}")
        design = build_design(data, interacted, categories)
        fit = fit_mnl(design, interacted)
        interactions = [column for term, columns in design.terms.items()
                        if ":" in term and wave in term.split(":") for column in columns]
        wald = wald_test_terms(SimpleNamespace(params=fit.params), list(design.X.columns), {hypothesis: interactions},
                               cov=fit.cov)
        rows.append((wald_name, hypothesis, *wald.loc[0, ["df", "statistic", "p_value"]],
                     f"{spec.cov_type} covariance"))
        return pd.DataFrame(rows, columns=TEST_COLUMNS)
    fits = [fit_mnl(design, ml) for design in per_wave]
    restricted = fit_mnl(pooled, ml).loglik
    n_equations = len(pooled.levels) - 1
    df = (sum(design.X.shape[1] for design in per_wave) - pooled.X.shape[1]) * n_equations
    statistic = 2 * (sum(fit.loglik for fit in fits) - restricted)
    rows = [("lr", hypothesis, df, statistic, float(stats.chi2.sf(statistic, df)),
             "assumes independent observations across waves")]
    # The interacted model's estimates are the per-wave fits: its Wald test comes from their joint
    # (suest) covariance, without its (n, waves × k) design (6 GB at 10^6 firms in 10 waves).
    samples = [(design.X.to_numpy(), design.y, fit.params,
                design.data[spec.cluster].to_numpy() if spec.cov_type == "cluster" else None)
               for design, fit in zip(per_wave, fits)]
    slopes = [column for column in per_wave[0].X.columns if column != "Intercept"]
    wald = equal_coefficients_test(samples, [list(design.X.columns) for design in per_wave], slopes,
                                   kind=spec.cov_type)
    rows.append((wald_name, hypothesis, wald.df, wald.statistic, wald.p_value, f"{spec.cov_type} covariance"))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


@dataclass(frozen=True)
class DesignBuilder:
    """The choice model's design for any frame (the first stage of the performance models);
    picklable, so bootstrap workers can rebuild it on resampled firms."""

    spec: ChoiceSpec
    categories: tuple[str, ...]

    def __call__(self, frame: pd.DataFrame) -> ChoiceDesign:
        return build_design(frame, replace(self.spec, cov_type="model", weights=None), list(self.categories))


@dataclass
class ChoiceResults:
    """Every table of the choice stage, keyed as the output files are named."""

    tables: dict[str, pd.DataFrame]
    warnings: list[str]
    fit: ChoiceFit
    design: ChoiceDesign


def analyse_choice(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str], n_jobs: int = 1,
                   bootstrap: bool = True) -> ChoiceResults:
    """Fit the MNL and compute every table: coefficients, AMEs, predictions, tests, fit, small-sample checks.

    ``bootstrap=False`` leaves the bootstrap out, for a workflow that scatters it over jobs
    (:func:`bootstrap_part`, :func:`bootstrap_table_from_parts`).
    """
    design = build_design(data, spec, categories)
    notes = []
    small = small_sample_table(design)
    separated = model_separated(design)
    firth = fit_firth(design) if spec.firth == "always" or (spec.firth == "auto" and separated) else None
    if separated and firth is None:
        raise ValueError("separation: the maximum-likelihood estimates do not exist (Albert & Anderson 1984) and "
                         "choice.firth is 'never'; allow Firth's penalised estimates or change the model")
    if separated:
        # Every table then rests on Firth's estimates; choice_mnl.csv says so in its estimator column.
        fit = firth
        notes.append("separation: the maximum-likelihood estimates do not exist (Albert & Anderson 1984); "
                     f"sub-problems flagged: {', '.join(small.loc[small['separated'], 'outcome']) or 'none'}; "
                     "all choice tables use Firth's penalised estimates")
    else:
        fit = fit_mnl(design, spec)
    if small["few_events"].any():
        notes.append(f"fewer than {SMALL_EVENTS_PER_PARAMETER} events per parameter for: "
                     + ", ".join(small.loc[small["few_events"], "outcome"]))
    if not fit.converged:
        notes.append("the multinomial logit did not converge")
    tables = {
        "choice_mnl": coefficient_table(fit, design, spec).assign(estimator="firth" if separated else "ml"),
        "choice_ame": ame_table(fit, design, spec),
        "choice_predictions": prediction_table(fit, design, spec),
        "choice_tests": test_table(fit, design, spec),
        "choice_fit": fit_table(fit, design, spec),
        "choice_classification": classification(fit, design),
        "choice_small_sample": small,
        "choice_firth": coefficient_table(firth, design, spec) if firth is not None
        else pd.DataFrame(columns=["outcome", "base", "term", "estimate", "std_error", "statistic", "p_value",
                                   "conf_low", "conf_high", "rrr", "rrr_conf_low", "rrr_conf_high"]),
    }
    if spec.bootstrap_replicates > 0 and design.survey is None:
        if bootstrap:
            tables["choice_bootstrap"] = bootstrap_table(design, spec, n_jobs=n_jobs)
    elif spec.bootstrap_replicates > 0:
        notes.append("bootstrap not run: resampling a complex survey design needs replicate weights")
    if spec.ordered:
        ordered, converged = ordered_tables(design, categories, spec)
        tables |= ordered
        if not converged:
            notes.append("the ordered logit did not converge (separation?): choice_ordered*.csv do not hold "
                         "maximum-likelihood estimates")
    if spec.binary_outcome:
        tables["choice_equity"] = binary_table(data, spec)
    if spec.cv_folds >= 2:
        tables |= cross_validation_tables(design, spec)
    if spec.variants:
        tables["choice_variants"] = variants_table(data, spec, categories)
    if spec.imputations > 0:
        tables |= imputed_tables(data, spec, categories)
        notes.append(f"missing data: coefficients and AMEs pool {spec.imputations} chained-equation imputations "
                     "by Rubin's rules; the other choice tables use the complete cases")
    return ChoiceResults(tables, notes, fit, design)
