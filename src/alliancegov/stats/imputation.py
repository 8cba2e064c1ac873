"""Multiple imputation by chained equations (MICE) and Rubin's rules, generic over models.

``impute_chained`` returns ``m`` completed copies of a data frame, in the spirit of R's
``mice(data, m, maxit)`` and Stata's ``mi impute chained``:

* each imputation is its own chain (as in R ``mice``): starting values, then ``iterations``
  cycles over the incomplete variables (fewest missing first), each variable imputed from all
  the other ``columns`` with their current values;
* numeric columns: statsmodels' ``MICEData`` machinery, i.e. an OLS imputation model whose
  coefficients are drawn from their normal approximation, then predictive mean matching (PMM):
  each missing cell takes the observed value of one of the ``donors`` observed cases whose
  predicted means are closest (so imputations are always values that occur in the data);
* categorical columns (strings, ``category``, booleans): a multinomial logit draw (like R
  ``mice``'s ``polyreg`` / Stata's ``mi impute mlogit``). The logit has a weak ridge penalty
  (as scikit-learn's ``LogisticRegression(C=1)`` on standardised predictors, fitted here by
  Newton steps) so that sparse cells and separation do not break it, and is fitted on a
  bootstrap resample of the observed cases (the parameter draw that makes the imputation
  "proper"); each missing cell is then drawn from its predicted category probabilities. Only
  categories observed in the column can be drawn (not PMM on integer codes, which would
  impose an order on unordered categories). Categorical columns enter the other variables'
  imputation models as treatment dummies.

Seeding: ``numpy.random.SeedSequence(seed).spawn(m)`` gives one independent stream per
imputation, and each chain uses only its own ``numpy.random.Generator`` (statsmodels >= 0.15
``MICEData`` draws from its ``rng`` attribute, never from numpy's global RNG). So the same seed
gives identical imputations, imputation ``j`` does not depend on ``m``, and numpy's global
random state is neither used nor changed. With an older statsmodels whose ``MICEData`` draws
from the global RNG, the chain runs inside ``seeded_global_numpy`` (seeded from the same
stream, previous global state restored afterwards).

``rubin_pool`` pools any per-imputation (estimate vector, covariance) pairs by Rubin's rules
with Barnard–Rubin (1999) degrees of freedom, reproducing R ``mice::pool`` (checked against
mice 3.15's ``pool.scalar``); ``pooled_tidy`` turns the result into the project's tidy table.

References: Rubin (1987) *Multiple Imputation for Nonresponse in Surveys*; Barnard & Rubin
(1999) Biometrika 86:948–955; van Buuren (2018) *Flexible Imputation of Missing Data*, 2nd ed.,
§2.3–2.4 and §5.2.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Ridge penalty of the multinomial-logit imputation model on standardised predictors
#: (scikit-learn's ``C = 1 / CATEGORICAL_RIDGE``): weak, but keeps the fit finite under separation.
CATEGORICAL_RIDGE = 1.0
_KEEP_ROWS = "keep_rows_"  # fully observed helper column: stops MICEData dropping all-missing rows


# --------------------------------------------------------------------------------------------
# Imputation
# --------------------------------------------------------------------------------------------

def impute_chained(frame: pd.DataFrame, columns: list[str], m: int, seed: int, *,
                   categorical: Sequence[str] = (), iterations: int = 10,
                   donors: int = 5) -> list[pd.DataFrame]:
    """``m`` completed copies of ``frame`` by chained equations.

    Parameters
    ----------
    frame : DataFrame
        The data, with missing cells. Columns outside ``columns`` are copied untouched.
    columns : list of str
        The variables of the imputation model: each one with missing values is imputed from all
        the others (include the analysis model's outcome and regressors).
    m : int
        Number of imputations (completed copies).
    seed : int
        Seed of ``numpy.random.SeedSequence``; one independent stream per imputation (see the
        module docstring).
    categorical : sequence of str, default ()
        A subset of ``columns`` imputed by a multinomial-logit draw and used as dummies; the
        other ``columns`` must be numeric and are imputed by predictive mean matching.
    iterations : int, default 10
        Cycles per chain, one chain per imputation.
    donors : int, default 5
        Candidate donors of predictive mean matching (R ``mice``'s default 5).

    Returns
    -------
    list of DataFrame
        ``m`` data frames with ``frame``'s index, columns and dtypes and all its rows; only the
        missing cells of ``columns`` differ from ``frame``.

    Raises
    ------
    ValueError
        For an entirely missing column (naming it), a non-numeric (or boolean) column not
        declared categorical, or bad arguments.
    """
    columns, categorical = _check_request(frame, columns, m, categorical, iterations, donors)
    targets = [c for c in columns if frame[c].isna().any()]
    if not targets:
        return [frame.copy() for _ in range(m)]
    work, levels = _working_frame(frame, columns, categorical)
    streams = np.random.SeedSequence(seed).spawn(m)
    completed = []
    for stream in streams:
        chain = _run_chain(work, levels, iterations, donors, stream)
        completed.append(_completed_copy(frame, columns, chain, levels))
    return completed


def _check_request(frame, columns, m, categorical, iterations, donors) -> tuple[list[str], set[str]]:
    """Validate the arguments; returns (columns as a list, categorical as a set)."""
    columns = list(columns)
    categorical = set(categorical)
    if not columns or len(set(columns)) != len(columns):
        raise ValueError("columns must be a non-empty list of distinct column names")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"columns not in frame: {absent}")
    if not categorical <= set(columns):
        raise ValueError(f"categorical columns not among columns: {sorted(categorical - set(columns))}")
    if len(frame) == 0:
        raise ValueError("frame has no rows")
    if int(m) != m or m < 1 or int(iterations) != iterations or iterations < 1 or donors < 1:
        raise ValueError("m, iterations and donors must be positive integers")
    for column in columns:
        if frame[column].isna().all():
            raise ValueError(f"column {column!r} is entirely missing: nothing to impute it from")
        series = frame[column]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if column not in categorical and not numeric:
            raise ValueError(f"column {column!r} is not numeric ({series.dtype}); "
                             "list it in categorical= to impute it as categories")
    return columns, categorical


def _observed_levels(series: pd.Series) -> list:
    """Categories observed in ``series``, in the dtype's order for ``category``, else sorted."""
    observed = pd.unique(series.dropna())
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(observed)
        return [level for level in series.dtype.categories if level in present]
    try:
        return sorted(observed.tolist())
    except TypeError:
        return list(observed)


def _working_frame(frame, columns, categorical) -> tuple[pd.DataFrame, dict[str, list]]:
    """Float frame for ``MICEData`` with safe names ``v0, v1, …`` and a RangeIndex.

    Categorical columns become float codes (NaN for missing) into their observed levels.
    Returns (work frame with the helper column ``keep_rows_``, {safe name: levels} for the
    categorical columns).
    """
    work, levels = {}, {}
    for position, column in enumerate(columns):
        name, series = f"v{position}", frame[column]
        if column in categorical:
            levels[name] = _observed_levels(series)
            codes = pd.Index(levels[name]).get_indexer(series.astype(object))
            work[name] = np.where(codes < 0, np.nan, codes).astype(float)
        else:
            work[name] = series.to_numpy(dtype=float, na_value=np.nan)
    work[_KEEP_ROWS] = np.arange(len(frame), dtype=float)
    return pd.DataFrame(work), levels


def _completed_copy(frame, columns, chain: pd.DataFrame, levels) -> pd.DataFrame:
    """``frame`` with the missing cells of ``columns`` filled from the final ``chain`` state."""
    completed = frame.copy()
    for position, column in enumerate(columns):
        name = f"v{position}"
        missing = np.flatnonzero(frame[column].isna().to_numpy())
        if missing.size == 0:
            continue
        values = chain[name].to_numpy()[missing]
        if name in levels:
            values = pd.Series(levels[name], dtype=frame[column].dtype).to_numpy()[values.astype(int)]
        series = completed[column].copy()
        series.iloc[missing] = values
        completed[column] = series
    return completed


def _predictor_names(target: str, names: list[str], constant: set[str]) -> list[str]:
    """Predictors of ``target``: every other variable of the imputation model that varies."""
    return [name for name in names if name not in (target, _KEEP_ROWS) and name not in constant]


def _design_matrix(data: pd.DataFrame, predictors: list[str], levels: dict[str, list]) -> np.ndarray:
    """Intercept, numeric predictors as they are, categorical ones as treatment dummies; (n, k).

    Built in numpy rather than through a formula engine: the same design as ``1 + x + C(g)``
    with the first observed level as reference, at a fraction of patsy's cost per update.
    """
    parts = [np.ones((len(data), 1))]
    for name in predictors:
        values = data[name].to_numpy()
        if name in levels:
            parts.append((values[:, None] == np.arange(1, len(levels[name]))[None, :]).astype(float))
        else:
            parts.append(values[:, None])
    return np.hstack(parts)


def _run_chain(work: pd.DataFrame, levels, iterations: int, donors: int,
               stream: np.random.SeedSequence) -> pd.DataFrame:
    """One MICE chain on ``work`` (see ``_working_frame``); returns its final completed state."""
    rng = np.random.default_rng(stream)
    legacy = not _micedata_takes_rng()
    context = seeded_global_numpy(int(stream.generate_state(1)[0])) if legacy else contextlib.nullcontext()
    with context:
        data = _chained_data_class()(work, levels=levels, donors=donors, rng=rng)
        data.update_all(iterations)
    return data.data


def _micedata_takes_rng() -> bool:
    """True when statsmodels' ``MICEData`` draws from its own ``rng`` (statsmodels >= 0.15)."""
    from statsmodels.imputation.mice import MICEData

    return "rng" in inspect.signature(MICEData.__init__).parameters


@contextlib.contextmanager
def seeded_global_numpy(seed: int) -> Iterator[None]:
    """Seed numpy's legacy global RNG for the block and restore its previous state afterwards.

    A context manager: ``with seeded_global_numpy(seed): ...``.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.seed``.

    Yields
    ------
    None
        Control returns to the block with the global RNG seeded.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _integers(rng, high: int, size: int) -> np.ndarray:
    """``size`` integers in [0, high) from a Generator or a RandomState."""
    if isinstance(rng, np.random.RandomState):
        return rng.randint(0, high, size)
    return rng.integers(0, high, size=size)


def _multinomial_probabilities(x_fit: np.ndarray, y_fit: np.ndarray, x_new: np.ndarray,
                               n_levels: int) -> np.ndarray:
    """Category probabilities (n_new, n_levels) from a ridge multinomial logit of y_fit on x_fit.

    ``x_fit`` (n, k) and ``x_new`` (n_new, k) may hold an intercept or other constant columns
    (dropped: the model has its own unpenalised intercepts); the others are standardised with
    ``x_fit``'s mean and SD. ``y_fit`` (n,) integer codes in [0, n_levels); categories absent
    from ``y_fit`` get probability 0.
    """
    from scipy.special import softmax

    probabilities = np.zeros((x_new.shape[0], n_levels))
    present, y_present = np.unique(y_fit, return_inverse=True)
    spread = x_fit.std(axis=0)
    keep = spread > 0
    centre = x_fit[:, keep].mean(axis=0)
    z_fit = (x_fit[:, keep] - centre) / spread[keep]
    z_new = (x_new[:, keep] - centre) / spread[keep]
    weights = ridge_multinomial_logit(z_fit, y_present, present.size, CATEGORICAL_RIDGE)
    probabilities[:, present] = softmax(np.column_stack([np.ones(len(z_new)), z_new]) @ weights, axis=1)
    return probabilities


def ridge_multinomial_logit(z: np.ndarray, y: np.ndarray, n_levels: int, penalty: float = 1.0,
                            max_iter: int = 100, tol: float = 1e-10) -> np.ndarray:
    """Ridge-penalised multinomial logit by damped Newton.

    Minimises −loglik + ``penalty``/2 · Σ slopes² with a softmax over all levels. For three or
    more levels this is scikit-learn's multinomial ``LogisticRegression(C=1/penalty)`` (for two,
    its binary ``C=2/penalty``), here by Newton steps with step halving (milliseconds), and
    finite under separation thanks to the penalty.

    Parameters
    ----------
    z : ndarray of shape (n, d)
        Predictors, without an intercept column (standardise them for scikit-learn's scale).
    y : ndarray of shape (n,)
        Integer codes in [0, n_levels), every level present.
    n_levels : int
        Number of levels.
    penalty : float, default 1.0
        Ridge penalty on the slopes.
    max_iter : int, default 100
        Newton steps at the most.
    tol : float, default 1e-10
        Stop when the largest absolute change of a coefficient is below ``tol``.

    Returns
    -------
    ndarray of shape (1 + d, n_levels)
        Coefficients on the log-odds scale: row 0 holds the (unpenalised) intercepts, the first
        fixed at 0, rows 1.. the slopes of each level. All zeros when ``n_levels`` is 1.
    """
    from scipy.special import logsumexp, softmax

    design = np.column_stack([np.ones(len(z)), z])
    n_coef = design.shape[1]
    onehot = np.eye(n_levels)[y]
    ridge = np.zeros((n_coef, n_levels))
    ridge[1:] = penalty
    free = np.ones((n_coef, n_levels), dtype=bool)
    free[0, 0] = False
    free_flat = free.T.ravel()  # class-major flattening: index = level * n_coef + coefficient

    def objective(weights):
        linear = design @ weights
        return logsumexp(linear, axis=1).sum() - (onehot * linear).sum() + 0.5 * (ridge * weights**2).sum()

    weights = np.zeros((n_coef, n_levels))
    if n_levels == 1:
        return weights
    current = objective(weights)
    for _ in range(max_iter):
        prob = softmax(design @ weights, axis=1)
        gradient = (design.T @ (prob - onehot) + ridge * weights).T.ravel()[free_flat]
        curvature = prob[:, :, None] * (np.eye(n_levels)[None] - prob[:, None, :])
        hessian = np.einsum("ni,nab,nj->aibj", design, curvature, design).reshape(free_flat.size, -1)
        hessian += np.diag(ridge.T.ravel())
        step = np.zeros(free_flat.size)
        step[free_flat] = np.linalg.solve(hessian[np.ix_(free_flat, free_flat)], gradient)
        step = step.reshape(n_levels, n_coef).T
        size = 1.0
        while objective(weights - size * step) > current and size > 1e-8:
            size /= 2
        weights = weights - size * step
        current = objective(weights)
        if np.max(np.abs(size * step)) < tol:
            break
    return weights


def _draw_categories(probabilities: np.ndarray, rng) -> np.ndarray:
    """One category code per row of ``probabilities`` (n, K), by inverse-CDF sampling; (n,)."""
    uniform = rng.random(probabilities.shape[0])[:, None]
    codes = (uniform > np.cumsum(probabilities, axis=1)).sum(axis=1)
    return np.minimum(codes, probabilities.shape[1] - 1)


def _chained_data_class():
    """statsmodels ``MICEData`` subclass adding categorical updates (built lazily: heavy import)."""
    global _ChainedData
    if _ChainedData is not None:
        return _ChainedData
    from statsmodels.imputation.mice import MICEData

    class ChainedData(MICEData):
        """``MICEData`` on a ``_working_frame``: PMM for numeric, multinomial draw for categories."""

        def __init__(self, work: pd.DataFrame, *, levels: dict[str, list], donors: int, rng):
            self._levels = levels
            super().__init__(work, k_pmm=donors)
            self.rng = rng  # all draws of this chain, the parent's (statsmodels >= 0.15) and ours
            names = list(work.columns)
            constant = {name for name in names if work[name].nunique(dropna=True) <= 1}
            self._predictors = {name: _predictor_names(name, names, constant) for name in self._cycle_order}

        def _design(self, vname) -> np.ndarray:
            return _design_matrix(self.data, self._predictors[vname], self._levels)

        def get_fitting_data(self, vname):
            """(endog_obs (n_obs,), exog_obs (n_obs, k), init_kwds, fit_kwds) without a formula engine."""
            rows = self.ix_obs[vname]
            endog = self.data[vname].to_numpy()[rows]
            return endog, self._design(vname)[rows], dict(self.init_kwds[vname]), dict(self.fit_kwds[vname])

        def get_split_data(self, vname):
            """(endog_obs, exog_obs, exog_miss, {}, {}) as in ``MICEData``, without a formula engine."""
            exog = self._design(vname)
            endog_obs = self.data[vname].to_numpy()[self.ix_obs[vname]]
            return endog_obs, exog[self.ix_obs[vname]], exog[self.ix_miss[vname]], {}, {}

        def _initial_imputation(self):
            """Numeric: statsmodels' observed value nearest the mean; categorical: the mode."""
            fill = {}
            for column in self.data.columns:
                observed = self.data[column].dropna()
                if column in self._levels:
                    fill[column] = observed.mode().iloc[0]
                else:
                    fill[column] = observed.loc[(observed - observed.mean()).abs().idxmin()]
            self.data = self.data.fillna(fill)

        def update(self, vname):
            if not self._predictors[vname]:
                self._hot_deck(vname)
            elif vname in self._levels:
                self._update_categorical(vname)
            else:
                super().update(vname)

        def _hot_deck(self, vname):
            """No other variable to predict from: draw observed values at random."""
            observed = self.data[vname].to_numpy()[self.ix_obs[vname]]
            draws = _integers(self.rng, observed.size, self.ix_miss[vname].size)
            self._store_changes(vname, observed[draws])

        def _update_categorical(self, vname):
            """Bootstrap-fitted ridge multinomial logit, then a draw from its probabilities."""
            endog_obs, exog_obs, exog_miss, _, _ = self.get_split_data(vname)
            codes = np.asarray(endog_obs, dtype=float).ravel().astype(int)
            resample = _integers(self.rng, codes.size, codes.size)
            probabilities = _multinomial_probabilities(
                exog_obs[resample], codes[resample], exog_miss, len(self._levels[vname]))
            self._store_changes(vname, _draw_categories(probabilities, self.rng).astype(float))

    _ChainedData = ChainedData
    return _ChainedData


_ChainedData = None


# --------------------------------------------------------------------------------------------
# Rubin's rules
# --------------------------------------------------------------------------------------------

@dataclass
class PooledEstimate:
    """Estimates pooled over ``m`` imputations by Rubin's rules (``p`` parameters).

    The per-parameter quantities ``riv``, ``lambda_``, ``df`` and ``fmi`` come from the diagonals of
    W, B and T.

    Attributes
    ----------
    estimate : ndarray of shape (p,)
        Mean of the m estimates, Q̄.
    cov : ndarray of shape (p, p)
        Total variance T = W + (1 + 1/m) B.
    within : ndarray of shape (p, p)
        Mean covariance W (Ū).
    between : ndarray of shape (p, p)
        Covariance of the m estimates B (ddof 1).
    riv : ndarray of shape (p,)
        Relative increase in variance r = (1 + 1/m) B / W.
    lambda_ : ndarray of shape (p,)
        Proportion of the variance due to missingness λ = (1 + 1/m) B / T = r / (1 + r)
        (statsmodels' ``frac_miss_info``, R mice's ``lambda``).
    fmi : ndarray of shape (p,)
        Fraction of missing information (r + 2 / (df + 3)) / (r + 1), as R mice's ``fmi`` and
        Stata.
    df : ndarray of shape (p,)
        Degrees of freedom (Rubin's, or Barnard–Rubin's when ``df_complete`` is set).
    m : int
        Number of imputations.
    n_obs : int, optional
        Kept as given (None when not given).
    df_complete : float, optional
        Kept as given (None when not given).
    """

    estimate: np.ndarray
    cov: np.ndarray
    within: np.ndarray
    between: np.ndarray
    riv: np.ndarray
    lambda_: np.ndarray
    fmi: np.ndarray
    df: np.ndarray
    m: int
    n_obs: int | None = None
    df_complete: float | None = None

    @property
    def std_error(self) -> np.ndarray:
        """Pooled standard errors √diag(T), shape (p,)."""
        return np.sqrt(np.diag(self.cov))


def rubin_pool(estimates, covariances, n_obs: int | None = None,
               df_complete: float | None = None) -> PooledEstimate:
    """Pool estimates and covariances from m ≥ 2 imputations by Rubin's rules.

    Any model's coefficient vector works (e.g. a multinomial logit's equation-major vector).

    Parameters
    ----------
    estimates : array-like of shape (m, p)
        Each imputation's estimates.
    covariances : array-like of shape (m, p, p)
        Each imputation's covariance of them.
    n_obs : int, optional
        Rows per completed data set; only recorded.
    df_complete : float, optional
        The complete-data degrees of freedom ν_com (e.g. n − k for OLS, R mice's ``dfcom``):
        given, the df are Barnard–Rubin's small-sample ν_BR; None means large-sample inference
        with Rubin's (1987) ν.

    Returns
    -------
    PooledEstimate

    Raises
    ------
    ValueError
        If the shapes do not fit, m < 2, a value is not finite, or ``df_complete`` is not
        positive.
    """
    estimates, covariances = _check_pool_input(estimates, covariances, df_complete)
    m = estimates.shape[0]
    estimate = estimates.mean(axis=0)
    within = covariances.mean(axis=0)
    deviations = estimates - estimate
    between = deviations.T @ deviations / (m - 1)
    total = within + (1 + 1 / m) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * np.diag(between) / np.diag(within)
        lambda_ = (1 + 1 / m) * np.diag(between) / np.diag(total)
    df = barnard_rubin_df(m, lambda_, df_complete)
    with np.errstate(divide="ignore", invalid="ignore"):
        fmi = (riv + 2 / (df + 3)) / (riv + 1)
    return PooledEstimate(estimate=estimate, cov=total, within=within, between=between, riv=riv,
                          lambda_=lambda_, fmi=fmi, df=df, m=m, n_obs=n_obs, df_complete=df_complete)


def _check_pool_input(estimates, covariances, df_complete) -> tuple[np.ndarray, np.ndarray]:
    """Arrays (m, p) and (m, p, p) of finite floats with m ≥ 2, else ValueError."""
    estimates = np.asarray(estimates, dtype=float)
    covariances = np.asarray(covariances, dtype=float)
    if estimates.ndim != 2 or estimates.shape[0] < 2:
        raise ValueError(f"estimates must be (m, p) with m >= 2 imputations, got shape {estimates.shape}")
    m, p = estimates.shape
    if covariances.shape != (m, p, p):
        raise ValueError(f"covariances must be (m, p, p) = {(m, p, p)}, got {covariances.shape}")
    if not (np.isfinite(estimates).all() and np.isfinite(covariances).all()):
        raise ValueError("estimates and covariances must be finite")
    if df_complete is not None and not df_complete > 0:
        raise ValueError(f"df_complete must be positive, got {df_complete}")
    return estimates, covariances


def barnard_rubin_df(m: int, lambda_, df_complete: float | None = None) -> np.ndarray:
    """Degrees of freedom per parameter from λ = (1 + 1/m) B / T.

    Parameters
    ----------
    m : int
        Number of imputations.
    lambda_ : array-like of shape (p,)
        λ of each parameter.
    df_complete : float, optional
        The complete-data df ν_com; None or inf = large sample, Rubin's ν.

    Returns
    -------
    ndarray of shape (p,)
        Rubin (1987): ν = (m − 1) / λ² = (m − 1)(1 + 1/r)² (infinite when B = 0). With
        ``df_complete``, Barnard & Rubin (1999): ν_BR = (1/ν + 1/ν_obs)⁻¹ with
        ν_obs = (ν_com + 1)/(ν_com + 3) ν_com (1 − λ).

    Notes
    -----
    R mice floors λ at 1e-4 (ν ≤ 4e8 (m − 1)); here λ = 0 gives ν = ∞ instead.
    """
    lambda_ = np.asarray(lambda_, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_rubin = lambda_**2 / (m - 1)
        if df_complete is None or np.isinf(df_complete):
            return 1 / inverse_rubin
        nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lambda_)
        return 1 / (inverse_rubin + 1 / nu_obs)


def pooled_tidy(pooled: PooledEstimate, terms, level: float = 0.95) -> pd.DataFrame:
    """Tidy table of a ``PooledEstimate``: one row per term, in the project's convention.

    Parameters
    ----------
    pooled : PooledEstimate
        The pooled estimates.
    terms : sequence of str, length p
        Names of the parameters; patsy categorical names are made readable.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per term, columns ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high, df, fmi``; Wald t statistics referred to Student t with each parameter's own
        ``df`` (normal when infinite); CIs at ``level``.

    Raises
    ------
    ValueError
        If ``terms`` does not have p names.
    """
    from scipy import stats

    from alliancegov.stats.tidy import TIDY_COLUMNS, readable_term

    terms = list(terms)
    if len(terms) != pooled.estimate.size:
        raise ValueError(f"{len(terms)} terms for {pooled.estimate.size} pooled estimates")
    std_error = pooled.std_error
    statistic = pooled.estimate / std_error
    half_width = stats.t.ppf(0.5 + level / 2, pooled.df) * std_error
    table = pd.DataFrame({
        "term": [readable_term(str(term)) for term in terms],
        "estimate": pooled.estimate,
        "std_error": std_error,
        "statistic": statistic,
        "p_value": 2 * stats.t.sf(np.abs(statistic), pooled.df),
        "conf_low": pooled.estimate - half_width,
        "conf_high": pooled.estimate + half_width,
        "df": pooled.df,
        "fmi": pooled.fmi,
    })
    return table[[*TIDY_COLUMNS, "df", "fmi"]]


def impute_for_model(frame: pd.DataFrame, variables: list[str], m: int, seed: int, *,
                     iterations: int = 10) -> list[pd.DataFrame]:
    """``m`` completed copies of ``frame`` for a model on ``variables``, by :func:`impute_chained`.

    Non-numeric columns among ``variables`` (text, ``category``) are imputed as categorical, the
    numeric ones by predictive mean matching.

    Parameters
    ----------
    frame : DataFrame
        The data, with missing cells.
    variables : list of str
        The model's variables: the columns of the imputation model.
    m : int
        Number of imputations.
    seed : int
        Seed of the imputations.
    iterations : int, default 10
        Cycles per chain.

    Returns
    -------
    list of DataFrame
        ``m`` completed copies of ``frame``, as :func:`impute_chained`.

    Raises
    ------
    ValueError
        As :func:`impute_chained`; a boolean column without missing values counts as numeric for
        pandas but not for :func:`impute_chained`, so it is rejected.
    """
    categorical = [v for v in variables if not pd.api.types.is_numeric_dtype(frame[v])]
    return impute_chained(frame, variables, m, seed, categorical=categorical, iterations=iterations)
