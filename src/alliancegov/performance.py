"""Alliance performance regressed on the governance form and controls (OLS, robust SEs)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from alliancegov.stats.tidy import readable_term, tidy_coefficients

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

    from alliancegov.stats.formulas import text_as_categories

    formula = f"{spec.outcome} ~ {spec.formula}"
    y, design = patsy.dmatrices(formula, text_as_categories(data, formula), return_type="dataframe",
                                NA_action="drop")
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
    from alliancegov.stats.formulas import formula_variables
    from alliancegov.stats.imputation import impute_for_model, pooled_tidy, rubin_pool

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


# ---- the performance stage: outcomes, models by form, contrasts ----------------------------------

def derive_variables(data: pd.DataFrame, definitions: dict[str, str]) -> pd.DataFrame:
    """Add variables defined as pandas expressions (``log(employees_now / employees_start)``)."""
    out = data.copy()
    for name, expression in definitions.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            value = out.eval(expression, engine="python")
        out[name] = pd.Series(value, index=out.index, dtype=float).replace([np.inf, -np.inf], np.nan)
    return out


def composite_index(data: pd.DataFrame, components: list[str], min_components: int) -> pd.Series:
    """Mean of the components' z-scores (pooled sample), where at least ``min_components`` are known.

    Each component is standardised to mean 0 and SD 1 over the responses that have it, so the index
    is in SD units and every part weighs the same; a response with fewer known parts is missing.
    """
    parts = data[components].astype(float)
    z = (parts - parts.mean()) / parts.std(ddof=1)
    return z.mean(axis=1).where(z.notna().sum(axis=1) >= min_components)


def ols_table(data: pd.DataFrame, spec: PerformanceSpec, model: str) -> pd.DataFrame:
    """Tidy OLS coefficients with ``outcome``, ``model`` and ``se_type`` first."""
    fit = fit_ols_imputed(data, spec) if spec.imputations > 0 else fit_ols(data, spec)
    table = fit.coefficients
    table.insert(0, "outcome", spec.outcome)
    table.insert(1, "model", model)
    table.insert(2, "se_type", spec.cov_type)
    return table


def form_contrasts(data: pd.DataFrame, spec: PerformanceSpec, form: str, forms: list[str]) -> pd.DataFrame:
    """Every pairwise difference between forms in ``spec.outcome``, adjusted for the controls, with
    Holm-adjusted p-values (``contrast, estimate, std_error, statistic, p_value, p_holm, conf_low,
    conf_high``). The form enters ``spec.formula`` as ``C(form, Treatment(base))``."""
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
    coefficients with odds ratios and cut points, and AMEs on each category's probability."""
    import patsy

    from alliancegov.stats.ordinal import fit_ordered_logit, ordered_average_marginal_effects, tidy_ordered

    rows = data[data[outcome].notna()]
    X = patsy.dmatrix(formula, rows, return_type="dataframe", NA_action="drop")
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


# ---- misalignment (Masten 1993; Sampson 2004) with multinomial selection correction ---------------

def misalignment_measures(probabilities: np.ndarray, chosen: np.ndarray, scale_rank: np.ndarray) -> pd.DataFrame:
    """Misalignment of each firm's chosen form from the first stage's predicted probabilities.

    ``probabilities`` (n, J) and ``chosen`` (n,) codes from the choice model; ``scale_rank`` (J,)
    each form's position on the market → hierarchy scale. The aligned form is the one of highest
    predicted probability. Columns: ``aligned`` (code), ``misaligned`` (0/1, modal mismatch),
    ``excess_hierarchy`` and ``insufficient_hierarchy`` (0/1, the chosen form above or below the
    aligned one on the scale), ``misfit`` (1 − predicted probability of the chosen form).
    """
    aligned = probabilities.argmax(axis=1)
    gap = scale_rank[chosen] - scale_rank[aligned]
    return pd.DataFrame({
        "aligned": aligned,
        "misaligned": (chosen != aligned).astype(float),
        "excess_hierarchy": (gap > 0).astype(float),
        "insufficient_hierarchy": (gap < 0).astype(float),
        "misfit": 1 - probabilities[np.arange(len(chosen)), chosen],
    })


@dataclass(frozen=True)
class MisalignmentSpec:
    """``misalignment`` in the config: the performance outcome, the second stage's controls (patsy),
    selection-correction methods (``lee``, ``dmf``, ``dahl``) and the two-stage bootstrap."""

    outcome: str
    controls: str
    selection: tuple[str, ...] = ("lee", "dmf")
    bootstrap_replicates: int = 200
    seed: int = 20261127
    level: float = 0.95

    @classmethod
    def from_config(cls, section: dict) -> MisalignmentSpec:
        """From the config's ``misalignment`` section (``bootstrap_jobs`` is the workflow's, not the model's)."""
        return cls(selection=tuple(section.get("selection", ("lee", "dmf"))),
                   **{k: v for k, v in section.items() if k not in ("selection", "bootstrap_jobs")})


@dataclass
class TwoStageData:
    """Both stages' matrices, built once so that bootstrap resamples only index rows.

    Rows are the firms complete for the first stage, the outcome and the controls.
    """

    first_stage: np.ndarray     # (n, k) choice-model design
    first_stage_names: tuple[str, ...]
    chosen: np.ndarray          # (n,) form codes
    controls: pd.DataFrame      # (n, c) second-stage controls, intercept included
    outcome: np.ndarray         # (n,)
    scale_rank: np.ndarray      # (J,) position of each form on the market → hierarchy scale
    selection: tuple[str, ...]

    @classmethod
    def build(cls, frame: pd.DataFrame, choice_design_builder, spec: MisalignmentSpec,
              scale_rank: np.ndarray) -> tuple[TwoStageData, pd.DataFrame]:
        """The matrices and the rows they hold (the first stage's rows, filtered)."""
        import patsy

        design = choice_design_builder(frame)
        rows = design.data
        controls = patsy.dmatrix(spec.controls, rows, return_type="dataframe", NA_action="drop")
        keep = np.zeros(len(rows), dtype=bool)
        keep[controls.index] = True
        keep &= rows[spec.outcome].notna().to_numpy()
        controls = controls.loc[keep[controls.index]]
        controls.columns = [readable_term(c) for c in controls.columns]
        data = cls(design.X.to_numpy()[keep], tuple(design.X.columns), design.y[keep], controls.reset_index(drop=True),
                   rows.loc[keep, spec.outcome].to_numpy(float), scale_rank, spec.selection)
        return data, rows.loc[keep].reset_index(drop=True)

    def first_stage_probabilities(self, rows: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        """The choice model fitted on ``rows`` (Newton from ``start`` (k, J-1) if given): predicted
        probabilities of each form, (len(rows), J)."""
        from alliancegov.stats.mnl import fit_mnl_newton, probabilities

        X = self.first_stage[rows]
        return probabilities(X, fit_mnl_newton(X, self.chosen[rows], start=start).params)

    def estimates(self, rows: np.ndarray | None = None, start: np.ndarray | None = None) -> dict[str, pd.Series]:
        """Both stages on ``rows`` (all when None): model → second-stage coefficients; the first
        stage's Newton starts from ``start`` (k, J-1) if given (a bootstrap refit from the full fit).

        Models: ``uncorrected`` (misaligned), ``direction`` (excess and insufficient hierarchy),
        ``misfit`` (continuous), and ``corrected_<method>`` (misaligned + selection terms).
        """
        from alliancegov.stats.selection import selection_terms

        rows = np.arange(len(self.chosen)) if rows is None else rows
        chosen, y = self.chosen[rows], self.outcome[rows]
        P = self.first_stage_probabilities(rows, start)
        measures = misalignment_measures(P, chosen, self.scale_rank)
        controls = self.controls.iloc[rows].reset_index(drop=True)
        models = {"uncorrected": (["misaligned"], None),
                  "direction": (["excess_hierarchy", "insufficient_hierarchy"], None),
                  "misfit": (["misfit"], None)}
        for method in self.selection:
            models[f"corrected_{method}"] = (["misaligned"], selection_terms(P, chosen, method))
        estimates = {}
        for name, (regressors, terms) in models.items():
            parts = [controls, measures[regressors]] + ([terms.reset_index(drop=True)] if terms is not None else [])
            design = pd.concat(parts, axis=1)
            estimates[name] = pd.Series(least_squares(design.to_numpy(float), y), index=design.columns)
        return estimates


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS coefficients (k,) of ``y`` (n,) on ``X`` (n, k): the normal equations with equilibrated
    columns, solved by Cholesky, 15× faster than ``lstsq``'s SVD at 10^5 rows (the two-stage
    bootstrap solves five of them per resample); the SVD's minimum-norm solution when the scaled
    cross-product's condition number passes 1e8 (about 8 digits would be lost) or a column is 0."""
    from scipy import linalg

    gram = X.T @ X
    scale = np.sqrt(np.diag(gram))
    if np.all(scale > 0):
        scaled = gram / np.outer(scale, scale)
        if np.linalg.cond(scaled) < 1e8:
            return linalg.solve(scaled, (X.T @ y) / scale, assume_a="pos") / scale
    return np.linalg.lstsq(X, y, rcond=None)[0]


def percentile_p_values(replicates: np.ndarray) -> np.ndarray:
    """Two-sided percentile-bootstrap p-values of H0: coefficient = 0, per column of the
    (B, p) successful replicates: twice the smaller share of replicates on either side of 0
    (the smallest level at which the percentile interval excludes 0), capped at 1."""
    below = (replicates <= 0).mean(axis=0)
    above = (replicates >= 0).mean(axis=0)
    return np.minimum(1.0, 2 * np.minimum(below, above))


class _TwoStageRefit:
    """Resampled firms → both stages refitted, the first from the full fit's estimates ``start``
    (picklable for the bootstrap workers)."""

    def __init__(self, data: TwoStageData, layout, start: np.ndarray):
        self.data, self.layout, self.start = data, layout, start

    def __call__(self, rows: np.ndarray) -> np.ndarray | None:
        estimates = self.data.estimates(rows, self.start)
        flat = np.concatenate([estimates[model].reindex(terms).to_numpy() for model, terms in self.layout])
        return flat if np.isfinite(flat).all() else None


def _full_sample(data: TwoStageData) -> tuple[dict[str, pd.Series], np.ndarray]:
    """Both stages on every firm, and the first stage's estimates (k, J-1)."""
    from alliancegov.stats.mnl import fit_mnl_newton

    start = fit_mnl_newton(data.first_stage, data.chosen).params
    return data.estimates(start=start), start   # Newton from its own optimum stops at once


def misalignment_bootstrap(data: TwoStageData, spec: MisalignmentSpec, clusters: np.ndarray | None = None,
                           replicates: range | None = None, n_jobs: int = 1):
    """The two-stage bootstrap's resamples ``replicates`` (default all ``spec.bootstrap_replicates``;
    a scatter job's share, see ``stats.bootstrap.part_replicates``): firms resampled by cluster,
    both stages refitted; a ``stats.bootstrap.BootstrapResult`` whose columns follow
    :func:`misalignment_intervals`' rows."""
    from alliancegov.stats.bootstrap import bootstrap_estimates

    point, start = _full_sample(data)
    layout = [(model, list(series.index)) for model, series in point.items()]
    return bootstrap_estimates(_TwoStageRefit(data, layout, start), len(data.chosen), spec.bootstrap_replicates,
                               spec.seed, n_jobs=n_jobs, cluster_ids=clusters, replicates=replicates)


def misalignment_intervals(data: TwoStageData, spec: MisalignmentSpec, result) -> pd.DataFrame:
    """Second-stage estimates of every model with SEs and percentile CIs from the two-stage
    bootstrap ``result`` (all resamples, :func:`misalignment_bootstrap`), corrected and uncorrected
    side by side.

    Columns: ``model, outcome, term, estimate, std_error, statistic, p_value, conf_low,
    conf_high, n_ok, share_failed``; ``statistic`` is the estimate over the bootstrap SE; the
    p-value is the percentile bootstrap's, consistent with the interval (see
    :func:`percentile_p_values`): small samples give a few wild resamples that inflate the
    bootstrap SE but not the percentiles.
    """
    from alliancegov.stats.bootstrap import percentile_intervals

    if result.n_boot != spec.bootstrap_replicates:
        raise ValueError(f"the bootstrap holds {result.n_boot} resamples, not {spec.bootstrap_replicates}")
    point, _ = _full_sample(data)
    layout = [(model, list(series.index)) for model, series in point.items()]
    intervals = percentile_intervals(result, level=spec.level)
    table = pd.DataFrame([(model, term) for model, terms in layout for term in terms], columns=["model", "term"])
    table["estimate"] = np.concatenate([point[model].to_numpy() for model, _ in layout])
    table["std_error"] = intervals["std_error"].to_numpy()
    table["statistic"] = table["estimate"] / table["std_error"]
    table["p_value"] = percentile_p_values(result.estimates[result.ok])
    for column in ("conf_low", "conf_high", "n_ok", "share_failed"):
        table[column] = intervals[column].to_numpy()
    table.insert(1, "outcome", spec.outcome)
    return table


def misalignment_table(data: TwoStageData, spec: MisalignmentSpec, clusters: np.ndarray | None = None,
                       n_jobs: int = 1) -> pd.DataFrame:
    """:func:`misalignment_intervals` from the whole bootstrap run here (``n_jobs`` workers)."""
    return misalignment_intervals(data, spec, misalignment_bootstrap(data, spec, clusters, n_jobs=n_jobs))


def first_stage_strength(data: TwoStageData) -> pd.DataFrame:
    """LR test that the choice regressors left out of the performance equation (the exclusion
    restrictions: first-stage columns not among the second stage's controls) jointly matter in
    the first stage: the MNL with and without them."""
    from alliancegov.stats.mnl import fit_mnl_newton
    from alliancegov.stats.selection import first_stage_strength as lr_test

    names = list(data.first_stage_names)
    excluded = [i for i, name in enumerate(names) if name not in set(data.controls.columns)]
    kept = [i for i in range(len(names)) if i not in excluded]
    full = fit_mnl_newton(data.first_stage, data.chosen)
    restricted = fit_mnl_newton(data.first_stage[:, kept], data.chosen)
    test = lr_test(llf_full=full.loglik, llf_restricted=restricted.loglik,
                   df=len(excluded) * (full.params.shape[1]))
    return pd.DataFrame({"test": ["lr_excluded_variables"], "variables": [" ".join(names[i] for i in excluded)],
                         "df": [test.df], "statistic": [test.statistic], "p_value": [test.p_value]})


def importance_table(frame: pd.DataFrame, outcome: str, groups: dict[str, str]) -> pd.DataFrame:
    """Shapley (general dominance) decomposition of the R² of ``outcome`` on groups of regressors,
    each group a patsy fragment (``misaligned``, ``C(sector)``), over the complete rows."""
    import patsy

    from alliancegov.stats.importance import shapley_r2

    matrices = {name: patsy.dmatrix(f"{fragment} - 1", frame, return_type="dataframe", NA_action="drop")
                for name, fragment in groups.items()}
    rows = frame.index[frame[outcome].notna()]
    for matrix in matrices.values():
        rows = rows.intersection(matrix.index)
    return shapley_r2(frame.loc[rows, outcome].to_numpy(float),
                      {name: matrix.loc[rows].to_numpy(float) for name, matrix in matrices.items()})


def misalignment_inputs(frame: pd.DataFrame, settings: dict, choice_design_builder, scale: list[str]
                        ) -> tuple[TwoStageData, MisalignmentSpec, np.ndarray | None, pd.DataFrame]:
    """The two-stage data of an analysis frame with the derived outcomes (the frame
    :func:`analyse_performance` returns, or the one it builds): both stages' matrices, the
    ``misalignment`` settings as a spec, the firms' cluster codes (n,) (None when the
    performance section names no cluster) and the rows used."""
    spec = MisalignmentSpec.from_config(settings["misalignment"])
    data, rows = TwoStageData.build(frame, choice_design_builder, spec, np.arange(len(scale)))
    cluster = settings["performance"].get("cluster")
    clusters = pd.factorize(rows[cluster])[0] if cluster else None
    return data, spec, clusters, rows


def analyse_performance(data: pd.DataFrame, settings: dict, choice_design_builder, scale: list[str], *,
                        missing_data: dict | None = None, n_jobs: int = 1,
                        bootstrap: bool = True) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every performance table, and the analysis frame with the derived outcomes and misalignment.

    ``settings`` holds the config's ``performance``, ``misalignment`` and ``importance`` sections;
    ``choice_design_builder(frame)`` builds the first stage's design (the choice model);
    ``scale`` lists the forms from market to hierarchy. ``bootstrap=False`` leaves out the
    ``misalignment`` table, for a workflow that scatters its bootstrap over jobs
    (:func:`misalignment_inputs` on the returned frame, :func:`misalignment_bootstrap`,
    :func:`misalignment_intervals`).
    """
    section = settings["performance"]
    frame = derive_variables(data, section.get("derived", {}))
    index = section.get("index")
    if index:
        frame[index["name"]] = composite_index(frame, index["components"], index["min_components"])
    base = {k: section[k] for k in ("formula", "cov_type", "cluster", "level") if k in section}
    tables = {"performance_ols": [], "performance_ordered": [], "performance_ordered_ame": []}
    for outcome in [section["outcome"], *section.get("parts", [])]:
        spec = PerformanceSpec.from_config({**base, "outcome": outcome}, missing_data)
        tables["performance_ols"].append(ols_table(frame, spec, "by_form"))
        if section.get("cluster") and spec.cov_type != "cluster":
            tables["performance_ols"].append(ols_table(frame, replace(spec, cov_type="cluster"), "by_form"))
    main = PerformanceSpec.from_config({**base, "outcome": section["outcome"]}, missing_data)
    if section.get("interaction"):
        tables["performance_ols"].append(ols_table(frame, replace(main, formula=section["interaction"]), "interaction"))
    fit = fit_ols(frame, main)
    for outcome in section.get("ordinal", []):
        answers = scale_of(frame, outcome, section)
        coefficients, ame = ordered_outcome_tables(frame, outcome, section["formula"], answers)
        tables["performance_ordered"].append(coefficients)
        tables["performance_ordered_ame"].append(ame)
    empty = pd.DataFrame(columns=["outcome", "term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                  "conf_high"])   # no ordinal outcome configured
    tables = {name: pd.concat(parts, ignore_index=True) if parts else empty for name, parts in tables.items()}
    tables["performance_fit"] = fit.fit
    tables["performance_contrasts"] = form_contrasts(frame, main, section["form"], scale)

    two_stage, mis, clusters, rows = misalignment_inputs(frame, settings, choice_design_builder, scale)
    everyone = np.arange(len(two_stage.chosen))
    measures = misalignment_measures(two_stage.first_stage_probabilities(everyone), two_stage.chosen,
                                     two_stage.scale_rank)
    enriched = pd.concat([rows, measures], axis=1)
    enriched["aligned_form"] = np.asarray(scale, dtype=object)[measures["aligned"].to_numpy()]
    if bootstrap:
        tables["misalignment"] = misalignment_table(two_stage, mis, clusters=clusters, n_jobs=n_jobs)
    tables["misalignment_first_stage"] = first_stage_strength(two_stage)
    groups = settings.get("importance", {}).get("groups")
    if groups:
        tables["importance"] = importance_table(enriched, mis.outcome, groups)
    return tables, enriched


def scale_of(frame: pd.DataFrame, variable: str, section: dict) -> list[str]:
    """An ordinal answer's categories in order: from the config (``scales``) or by their codes."""
    if variable in section.get("scales", {}):
        return list(section["scales"][variable])
    codes = frame[[variable, f"{variable}__code"]].dropna().drop_duplicates().sort_values(f"{variable}__code")
    return codes[variable].tolist()
