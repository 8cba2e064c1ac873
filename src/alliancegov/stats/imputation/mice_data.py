"""statsmodels' ``MICEData`` extended for chained imputation with categorical variables: each
numeric variable updated by predictive mean matching (statsmodels), each categorical one by a
draw from a bootstrap-fitted ridge multinomial logit, the design matrices built in numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Ridge penalty of the multinomial-logit imputation model on standardised predictors
#: (scikit-learn's ``C = 1 / CATEGORICAL_RIDGE``): weak, but keeps the fit finite under separation.
CATEGORICAL_RIDGE = 1.0
KEEP_ROWS = "keep_rows_"  # fully observed helper column: stops MICEData dropping all-missing rows


def _predictor_names(target: str, names: list[str], constant: set[str]) -> list[str]:
    """Predictors of ``target``: every other variable of the imputation model that varies."""
    return [name for name in names if name not in (target, KEEP_ROWS) and name not in constant]


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


def chained_data_class():
    """statsmodels ``MICEData`` subclass adding categorical updates (built lazily: heavy import).

    Returns
    -------
    type
        ``ChainedData(work, *, levels, donors, rng)``: a ``MICEData`` on a working frame (float
        columns ``v0, v1, …``, categorical ones as codes into ``levels[name]``, and the helper
        column ``KEEP_ROWS``) whose numeric variables are updated by predictive mean matching
        with ``donors`` candidates and categorical ones by a multinomial-logit draw, every draw
        from ``rng``. Built once, then the same class.
    """
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
