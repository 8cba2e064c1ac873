"""Confirmatory factor analysis by normal-theory maximum likelihood, single- and multigroup.

The model for group ``g`` with ``p`` items and ``m`` factors is

    Σ_g = Λ_g Φ_g Λ_g' + Θ_g,        μ_g = ν_g + Λ_g α_g,

with loadings ``Λ`` (p, m), factor covariances ``Φ`` (m, m), diagonal residual variances ``Θ``,
item intercepts ``ν`` (p,) and latent means ``α`` (m,). Every choice below follows lavaan 0.6
(Rosseel 2012, *J. Stat. Softw.* 48(2)), so that its ``cfa()`` output can be reproduced:

* identification by a marker item (the first item of each factor has loading 1) or, with
  ``std_lv=True``, by factor variances fixed to 1 (freed in groups 2.. under metric invariance);
* a mean structure only with several groups (or on request); latent means are 0 in group 1 and
  free in the other groups once the intercepts are held equal;
* sample covariances with divisor N; the discrepancy per group is
  ``F_g = log|Σ| + tr(S Σ⁻¹) - log|S| - p + (ȳ - μ)' Σ⁻¹ (ȳ - μ)`` and ``χ² = Σ_g N_g F_g``;
* standard errors from the expected information evaluated at the model-implied moments;
* RMSEA with N (not N - 1) and lavaan's multigroup factor ``sqrt(G)``; SRMR as lavaan's
  ``srmr_bentler`` (residuals scaled by the observed standard deviations, mean residuals
  included under a mean structure, groups weighted by N_g / N); AIC and BIC from the
  log-likelihood of the raw data, with the number of free parameters after equality constraints.

An equality constraint is one parameter shared by several matrix entries, so ``npar`` and the
degrees of freedom count it once. The gradient and the expected information come from the
Jacobian of (Σ, μ) with respect to the free parameters; scipy's trust-region optimiser uses the
expected information as its Hessian (Fisher scoring with a trust region).

Nothing here knows about the survey; scipy is imported inside the functions that use it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PARAMETER_COLUMNS = ["group", "lhs", "op", "rhs", "estimate", "std_error", "statistic", "p_value",
                     "conf_low", "conf_high", "std_all"]
MODIFICATION_COLUMNS = ["group", "lhs", "op", "rhs", "mi", "p_value", "epc", "sepc_all"]
GROUP_EQUAL = ("loadings", "intercepts", "residuals", "means")
SINGLE_GROUP = "all"          # the group label of a single-group fit
GRADIENT_TOLERANCE = 1e-6    # on the largest |∂F/∂θ| at the estimates

# slot kinds: one model-matrix entry of one group
_LOADING, _FACTOR_COV, _RESIDUAL, _INTERCEPT, _LATENT_MEAN = range(5)


@dataclass(frozen=True)
class _Spec:
    """The model as flat arrays of matrix entries ("slots"), one per entry and group.

    ``row``/``col`` index items or factors (loading: item, factor; factor covariance: factor,
    factor with row <= col; residual variance and intercept: item; latent mean: factor).
    ``param`` is the index of the free parameter the entry equals, or -1 for a fixed entry whose
    value is ``value`` (for a free entry, ``value`` is the start value).
    """

    items: tuple[str, ...]
    factors: tuple[str, ...]
    n_groups: int
    meanstructure: bool
    kind: np.ndarray
    group: np.ndarray
    row: np.ndarray
    col: np.ndarray
    param: np.ndarray
    value: np.ndarray
    n_params: int

    def values(self, theta: np.ndarray) -> np.ndarray:
        free = self.param >= 0
        return np.where(free, theta[np.where(free, self.param, 0)], self.value)

    def matrices(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, ...]:
        """``(Λ, Φ, θ_diag, ν, α)`` of group ``g`` at parameters ``theta``."""
        p, m = len(self.items), len(self.factors)
        values = self.values(theta)
        lam, phi, resid = np.zeros((p, m)), np.zeros((m, m)), np.zeros(p)
        nu, alpha = np.zeros(p), np.zeros(m)
        for kind, target in ((_LOADING, lam), (_FACTOR_COV, phi)):
            s = (self.kind == kind) & (self.group == g)
            target[self.row[s], self.col[s]] = values[s]
        phi = np.triu(phi) + np.triu(phi, 1).T
        for kind, target in ((_RESIDUAL, resid), (_INTERCEPT, nu), (_LATENT_MEAN, alpha)):
            s = (self.kind == kind) & (self.group == g)
            target[self.row[s]] = values[s]
        return lam, phi, resid, nu, alpha

    def moments(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Model-implied covariance (p, p) and mean (p,) of group ``g``."""
        lam, phi, resid, nu, alpha = self.matrices(theta, g)
        return lam @ phi @ lam.T + np.diag(resid), nu + lam @ alpha

    def jacobian(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Derivatives of Σ_g (n_params, p, p) and μ_g (n_params, p) with respect to ``theta``.

        Σ is bilinear in the parameters, so each derivative is a sum of outer products; half of
        each symmetric derivative is accumulated and the transpose added at the end.
        """
        lam, phi, _, _, alpha = self.matrices(theta, g)
        p = len(self.items)
        half = np.zeros((self.n_params, p, p))
        d_mean = np.zeros((self.n_params, p))

        def free(kind):
            s = (self.kind == kind) & (self.group == g) & (self.param >= 0)
            return self.param[s], self.row[s], self.col[s]

        par, item, factor = free(_LOADING)
        np.add.at(half, (par, item), (lam @ phi)[:, factor].T)
        np.add.at(d_mean, (par, item), alpha[factor])
        par, a, b = free(_FACTOR_COV)
        weight = np.where(a == b, 0.5, 1.0)
        np.add.at(half, par, weight[:, None, None] * np.einsum("in,jn->nij", lam[:, a], lam[:, b]))
        par, item, _ = free(_RESIDUAL)
        np.add.at(half, (par, item, item), 0.5)
        par, item, _ = free(_INTERCEPT)
        np.add.at(d_mean, (par, item), 1.0)
        par, factor, _ = free(_LATENT_MEAN)
        np.add.at(d_mean, par, lam[:, factor].T)
        return half + half.transpose(0, 2, 1), d_mean

    def extended(self, slots: Sequence[tuple[int, int, int, int]]) -> _Spec:
        """This model plus the entries ``(kind, group, row, col)`` as new free parameters at 0."""
        extra = np.asarray(slots, dtype=int).reshape(-1, 4)
        new = np.arange(self.n_params, self.n_params + len(extra))
        return _Spec(self.items, self.factors, self.n_groups, self.meanstructure,
                     np.concatenate([self.kind, extra[:, 0]]), np.concatenate([self.group, extra[:, 1]]),
                     np.concatenate([self.row, extra[:, 2]]), np.concatenate([self.col, extra[:, 3]]),
                     np.concatenate([self.param, new]), np.concatenate([self.value, np.zeros(len(extra))]),
                     self.n_params + len(extra))


@dataclass(frozen=True)
class _Sample:
    """Per-group sample moments (ML divisor N)."""

    labels: tuple
    n_obs: np.ndarray
    covariances: tuple[np.ndarray, ...]
    means: tuple[np.ndarray, ...]

    @property
    def weights(self) -> np.ndarray:
        return self.n_obs / self.n_obs.sum()


def _sample_moments(values: np.ndarray, groups: np.ndarray, labels: Sequence) -> _Sample:
    n_obs, covs, means = [], [], []
    for label in labels:
        x = values[groups == label]
        n_obs.append(len(x))
        means.append(x.mean(axis=0))
        centred = x - means[-1]
        covs.append(centred.T @ centred / len(x))
    return _Sample(tuple(labels), np.asarray(n_obs, dtype=float), tuple(covs), tuple(means))


def _specify(items: Sequence[str], factors: Mapping[str, Sequence[str]], sample: _Sample, *,
             std_lv: bool, uncorrelated: Iterable[str], equal_loadings: Iterable[str],
             group_equal: Iterable[str], meanstructure: bool) -> _Spec:
    """Slots and start values of the model (see ``fit_cfa`` for the options)."""
    names = list(factors)
    uncorrelated, equal_loadings, group_equal = set(uncorrelated), set(equal_loadings), set(group_equal)
    item_index = {item: i for i, item in enumerate(items)}
    slots, keys = [], {}

    def add(kind, g, row, col, key, value):
        """A free slot has a ``key``: slots with one key share one parameter (an equality constraint)."""
        param = -1 if key is None else keys.setdefault(key, len(keys))
        slots.append((kind, g, row, col, param, value))

    for g in range(len(sample.labels)):
        # keys without the group index are shared by all groups
        across = {what: None if what in group_equal else g for what in GROUP_EQUAL}
        cov, mean = sample.covariances[g], sample.means[g]
        for j, name in enumerate(names):
            members = [item_index[item] for item in factors[name]]
            for position, i in enumerate(members):
                if name in equal_loadings:
                    key = None if not std_lv else ("loading", j, across["loadings"])
                else:
                    key = None if position == 0 and not std_lv else ("loading", i, j, across["loadings"])
                add(_LOADING, g, i, j, key, 1.0 if key is None or not std_lv else _spread(cov, members))
        for i in range(len(items)):
            add(_RESIDUAL, g, i, i, ("residual", i, across["residuals"]), cov[i, i] / 2)
        for j, name in enumerate(names):
            free_variance = not std_lv or (g > 0 and "loadings" in group_equal)
            members = [item_index[item] for item in factors[name]]
            add(_FACTOR_COV, g, j, j, ("variance", j, g) if free_variance else None,
                max(_spread(cov, members) ** 2, 0.05) if free_variance else 1.0)
            for k in range(j + 1, len(names)):
                fixed = name in uncorrelated or names[k] in uncorrelated
                add(_FACTOR_COV, g, j, k, None if fixed else ("covariance", j, k, g), 0.0)
        if meanstructure:
            for i in range(len(items)):
                add(_INTERCEPT, g, i, 0, ("intercept", i, across["intercepts"]), mean[i])
            free_means = g > 0 and "intercepts" in group_equal and "means" not in group_equal
            for j in range(len(names)):
                add(_LATENT_MEAN, g, j, 0, ("latent_mean", j, g) if free_means else None, 0.0)
    kind, group, row, col, param, value = (np.asarray(column) for column in zip(*slots))
    return _Spec(tuple(items), tuple(names), len(sample.labels), meanstructure, kind.astype(int),
                 group.astype(int), row.astype(int), col.astype(int), param.astype(int),
                 value.astype(float), len(keys))


def _spread(cov: np.ndarray, members: list[int]) -> float:
    """Start value for a standardised-factor loading: root mean covariance among the items."""
    block = cov[np.ix_(members, members)]
    off = block[~np.eye(len(members), dtype=bool)]
    return float(np.sqrt(max(off.mean(), 1e-2))) if off.size else float(np.sqrt(block[0, 0] / 2))


class _GroupMoments:
    """Model-implied moments of one group at ``theta`` and the pieces of its likelihood.

    ``logdet + quadratic`` is -2/N_g times the log-likelihood less its constant, with
    ``quadratic = tr(S Σ⁻¹) + (ȳ - μ)' Σ⁻¹ (ȳ - μ)``; the discrepancy is
    ``F_g = logdet + quadratic - log|S| - p``. ``positive_definite`` is False (and nothing else
    is set) when Σ is not.
    """

    def __init__(self, spec: _Spec, sample: _Sample, theta: np.ndarray, g: int):
        self.sigma, mu = spec.moments(theta, g)
        self.S = sample.covariances[g]
        try:
            chol = np.linalg.cholesky(self.sigma)
        except np.linalg.LinAlgError:
            self.positive_definite = False
            return
        self.positive_definite = True
        self.inverse = np.linalg.inv(self.sigma)
        # without a mean structure the means are saturated: μ̂ = ȳ
        self.residual = sample.means[g] - mu if spec.meanstructure else np.zeros_like(mu)
        self.logdet = 2 * np.log(np.diag(chol)).sum()
        self.quadratic = np.trace(self.S @ self.inverse) + self.residual @ self.inverse @ self.residual
        self.discrepancy = self.logdet + self.quadratic - np.linalg.slogdet(self.S)[1] - len(mu)


def _group_terms(spec: _Spec, sample: _Sample, theta: np.ndarray, g: int, *, need_information: bool):
    """Discrepancy F_g, its gradient (n_params,) and the unit expected information (n_params, n_params).

    Returns ``None`` for a Σ that is not positive definite. The information is that of one
    observation, I_ab = tr(Σ⁻¹ ∂_aΣ Σ⁻¹ ∂_bΣ) / 2 + ∂_aμ' Σ⁻¹ ∂_bμ; the expected Hessian of F_g is 2 I.
    """
    moments = _GroupMoments(spec, sample, theta, g)
    if not moments.positive_definite:
        return None
    inverse, residual = moments.inverse, moments.residual
    d_sigma, d_mean = spec.jacobian(theta, g)
    outer = inverse @ (moments.S + np.outer(residual, residual)) @ inverse
    gradient = np.einsum("kij,ij->k", d_sigma, inverse - outer) - 2 * d_mean @ (inverse @ residual)
    information = None
    if need_information:
        scaled = np.matmul(inverse, d_sigma)
        q = spec.n_params
        information = 0.5 * scaled.reshape(q, -1) @ scaled.transpose(0, 2, 1).reshape(q, -1).T
        information += d_mean @ inverse @ d_mean.T
    return moments.discrepancy, gradient, information


def _estimate(spec: _Spec, sample: _Sample, max_iter: int = 500) -> tuple[np.ndarray, bool, str]:
    """ML estimates by trust-region Fisher scoring: ``(theta, converged, message)``.

    Converged means the largest absolute gradient of F = Σ_g (N_g / N) F_g is below
    ``GRADIENT_TOLERANCE``. scipy may stop just after that with "failure to predict improvement"
    once the changes of F reach its rounding error; the gradient test decides, not that message.
    """
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    start = np.zeros(spec.n_params)
    free = spec.param >= 0
    start[spec.param[free][::-1]] = spec.value[free][::-1]     # the first slot of a shared parameter wins

    def objective(theta):
        value, gradient = 0.0, np.zeros(spec.n_params)
        for g, w in enumerate(sample.weights):
            terms = _group_terms(spec, sample, theta, g, need_information=False)
            if terms is None:
                return np.inf, np.full(spec.n_params, np.nan)
            value += w * terms[0]
            gradient += w * terms[1]
        return value, gradient

    def hessian(theta):
        total = np.zeros((spec.n_params, spec.n_params))
        for g, w in enumerate(sample.weights):
            terms = _group_terms(spec, sample, theta, g, need_information=True)
            if terms is None:       # scipy asks at trial points too; this one (F = inf) will be rejected
                return np.eye(spec.n_params)
            total += 2 * w * terms[2]
        return total

    # the matrices are small (a few hundred rows at most): on 2 cores a second BLAS thread made a
    # 40-item fit 8x slower, not faster
    with threadpool_limits(1, user_api="blas"):
        optimum = minimize(objective, start, jac=True, hess=hessian, method="trust-exact",
                           options={"gtol": GRADIENT_TOLERANCE / 100, "maxiter": max_iter})
    converged = bool(np.all(np.isfinite(optimum.jac)) and np.abs(optimum.jac).max() < GRADIENT_TOLERANCE)
    return optimum.x, converged, str(optimum.message)


def _information(spec: _Spec, sample: _Sample, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Total expected information Σ_g N_g I_g and the score of the log-likelihood (n_params,)."""
    information = np.zeros((spec.n_params, spec.n_params))
    score = np.zeros(spec.n_params)
    for g, n in enumerate(sample.n_obs):
        _, gradient, unit = _group_terms(spec, sample, theta, g, need_information=True)
        information += n * unit
        score -= 0.5 * n * gradient
    return information, score


@dataclass(frozen=True)
class CFAResult:
    """A fitted CFA (see :func:`fit_cfa`).

    Attributes
    ----------
    params : DataFrame
        One row per model-matrix entry and group, columns ``PARAMETER_COLUMNS``; fixed entries
        have NaN standard errors. ``op`` is ``=~`` (loading), ``~~`` (variance or covariance;
        ``x ~~ x`` for an item is its residual variance) or ``~1`` (intercept or latent mean).
    fit : Series
        Fit measures: ``n_obs, n_dropped, npar, chisq, df, p_value, baseline_chisq, baseline_df,
        cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, rmsea_p_close, srmr, loglik, loglik_h1,
        aic, bic`` (χ² and log-likelihoods in their natural units, RMSEA CI at 90 %).
    chisq_by_group : Series
        N_g F_g of each group, summing to ``fit["chisq"]``.
    n_obs : Series
        Rows used per group, after listwise deletion.
    converged : bool
        Whether the largest absolute gradient of the discrepancy is below ``GRADIENT_TOLERANCE``.
    factors : dict of str to list of str
        The model: factor name -> its items, as given to :func:`fit_cfa`.
    groups : tuple
        Group labels in the order of the fit (``("all",)`` for a single group).
    items : list of str
        All items, in order of first mention in ``factors``.
    """

    params: pd.DataFrame
    fit: pd.Series
    chisq_by_group: pd.Series
    n_obs: pd.Series
    converged: bool
    factors: dict[str, list[str]]
    _spec: _Spec = field(repr=False)
    _sample: _Sample = field(repr=False)
    _theta: np.ndarray = field(repr=False)
    _vcov: np.ndarray = field(repr=False)

    @property
    def groups(self) -> tuple:
        """Group labels in the order of the fit (``("all",)`` for a single group)."""
        return self._sample.labels

    @property
    def items(self) -> list[str]:
        """All items, in order of first mention in ``factors``."""
        return list(self._spec.items)

    def _group_index(self, group) -> int:
        if group is None:
            return 0
        if group not in self.groups:
            raise KeyError(f"no group {group!r}; groups are {list(self.groups)}")
        return self.groups.index(group)

    def loadings(self, group=None) -> pd.DataFrame:
        """Unstandardised loadings Λ of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_items, n_factors)
            Items as index, factors as columns; 0 where an item does not load.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        lam = self._spec.matrices(self._theta, self._group_index(group))[0]
        return pd.DataFrame(lam, index=self.items, columns=list(self._spec.factors))

    def factor_covariance(self, group=None) -> pd.DataFrame:
        """Factor covariance matrix Φ of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_factors, n_factors)
            Factors as index and columns.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        phi = self._spec.matrices(self._theta, self._group_index(group))[1]
        return pd.DataFrame(phi, index=list(self._spec.factors), columns=list(self._spec.factors))

    def factor_correlation(self, group=None) -> pd.DataFrame:
        """Factor correlation matrix of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_factors, n_factors)
            Factors as index and columns; NaN in the row and column of a factor with a negative
            variance estimate.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        phi = self.factor_covariance(group)
        with np.errstate(invalid="ignore"):       # NaN for a negative variance
            sd = np.sqrt(np.diag(phi.to_numpy()))
        return phi / np.outer(sd, sd)

    def residual_variances(self, group=None) -> pd.Series:
        """Residual (unique) variances diag(Θ) of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        Series of length n_items
            Indexed by item.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        return pd.Series(self._spec.matrices(self._theta, self._group_index(group))[2], index=self.items)

    def implied_covariance(self, group=None) -> pd.DataFrame:
        """Model-implied item covariance Σ̂ of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_items, n_items)
            Items as index and columns.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        sigma = self._spec.moments(self._theta, self._group_index(group))[0]
        return pd.DataFrame(sigma, index=self.items, columns=self.items)

    def sample_covariance(self, group=None) -> pd.DataFrame:
        """Sample item covariance S (divisor N) of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_items, n_items)
            Items as index and columns, on the rows used by the fit.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        return pd.DataFrame(self._sample.covariances[self._group_index(group)], index=self.items,
                            columns=self.items)

    def standardized_loadings(self, group=None) -> pd.DataFrame:
        """Completely standardised loadings λ_ij sqrt(φ_jj) / sqrt(σ̂_ii) of ``group``.

        Parameters
        ----------
        group : hashable, optional
            A group label of :attr:`groups`; default the first group.

        Returns
        -------
        DataFrame of shape (n_items, n_factors)
            Items as index, factors as columns; NaN where a variance estimate is negative.

        Raises
        ------
        KeyError
            If ``group`` is not a group of the fit.
        """
        lam = self.loadings(group)
        with np.errstate(invalid="ignore"):       # NaN for a negative variance
            factor_sd = np.sqrt(np.diag(self.factor_covariance(group).to_numpy()))
            item_sd = np.sqrt(np.diag(self.implied_covariance(group).to_numpy()))
        return lam * np.outer(1 / item_sd, factor_sd)


def _group_codes(data: pd.DataFrame, group) -> np.ndarray | None:
    """Group codes (n_rows,) from a column name or an array, or None for a single group."""
    if group is None:
        return None
    if isinstance(group, str):
        if group not in data.columns:
            raise KeyError(f"group column {group!r} not in data")
        return data[group].to_numpy()
    codes = np.asarray(group)
    if codes.shape != (len(data),):
        raise ValueError(f"group has shape {codes.shape}, data has {len(data)} rows")
    return codes


def _prepare(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], group):
    """Items, listwise-complete values (n, p), group codes and labels, rows dropped."""
    if not factors or any(len(members) == 0 for members in factors.values()):
        raise ValueError("every factor needs at least one item")
    items = list(dict.fromkeys(item for members in factors.values() for item in members))
    missing = [item for item in items if item not in data.columns]
    if missing:
        raise KeyError(f"items not in data: {missing}")
    for name, members in factors.items():
        if len(set(members)) != len(members):
            raise ValueError(f"factor {name!r} lists an item twice")
    codes = _group_codes(data, group)
    values = data[items].apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    complete = np.isfinite(values).all(axis=1)
    if codes is not None:
        complete &= ~pd.isna(codes)
        codes = codes[complete]
        labels = tuple(pd.unique(codes))          # lavaan's order: first appearance in the data
    else:
        codes = np.full(int(complete.sum()), SINGLE_GROUP, dtype=object)
        labels = (SINGLE_GROUP,)
    return items, values[complete], codes, labels, int((~complete).sum())


def fit_cfa(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], *, group=None,
            group_equal: Iterable[str] = (), std_lv: bool = False, uncorrelated: Iterable[str] = (),
            equal_loadings: Iterable[str] = (), meanstructure: bool | None = None,
            level: float = 0.95) -> CFAResult:
    """Fit a confirmatory factor model by maximum likelihood (lavaan's ``cfa()`` conventions).

    Parameters
    ----------
    data : DataFrame of shape (n_rows, n_columns)
        Item columns (numeric) and, optionally, the group column. Rows with a missing item or
        group are dropped (listwise deletion); ``fit["n_dropped"]`` counts them.
    factors : mapping of str to sequence of str
        Factor name -> its items, in order; the first item is the marker unless ``std_lv``. An
        item may load on several factors (e.g. every item on a method factor).
    group : str or array-like of shape (n_rows,), default=None
        Group column name or group codes; groups are ordered by first appearance, as in lavaan.
    group_equal : iterable of str, default=()
        Parameters held equal across groups, a subset of ``GROUP_EQUAL``: ``"loadings"``,
        ``"intercepts"``, ``"residuals"``, ``"means"`` (lavaan's ``group.equal``).
    std_lv : bool, default=False
        Identify by factor variances fixed to 1 (freed in groups 2.. when loadings are held
        equal) instead of marker items.
    uncorrelated : iterable of str, default=()
        Factors whose covariances with every other factor are fixed to 0 (e.g. a method factor).
    equal_loadings : iterable of str, default=()
        Factors whose loadings are all equal: fixed to 1 under marker identification, one free
        loading under ``std_lv`` (the usual identification of an unmeasured method factor).
    meanstructure : bool, default=None
        Model intercepts and latent means; by default only with several groups (as lavaan).
    level : float, default=0.95
        Confidence level of ``conf_low``/``conf_high`` (Wald, normal reference).

    Returns
    -------
    CFAResult
        Parameter table, fit measures and model matrices.

    Raises
    ------
    ValueError
        If ``group_equal`` names an unknown parameter kind, a factor has no item or lists one
        twice, ``group`` does not have one code per row, or a group has no more complete rows than
        there are items.
    KeyError
        If an item or the group column is not in ``data``, or ``uncorrelated`` or
        ``equal_loadings`` names something that is not a factor.

    Warns
    -----
    RuntimeWarning
        When the optimiser did not converge, when a variance estimate is negative or the factor
        covariance matrix is not positive definite (an improper solution), or when the
        information matrix is singular (the model is not identified; the standard errors are then
        NaN).
    """
    group_equal, uncorrelated, equal_loadings = tuple(group_equal), tuple(uncorrelated), tuple(equal_loadings)
    unknown = set(group_equal) - set(GROUP_EQUAL)
    if unknown:
        raise ValueError(f"unknown group_equal {sorted(unknown)}; allowed: {GROUP_EQUAL}")
    for name in [*uncorrelated, *equal_loadings]:
        if name not in factors:
            raise KeyError(f"{name!r} is not a factor")
    items, values, codes, labels, n_dropped = _prepare(data, factors, group)
    sample = _sample_moments(values, codes, labels)
    if (sample.n_obs <= len(items)).any():
        raise ValueError(f"each group needs more complete rows than items ({len(items)}); got {sample.n_obs}")
    meanstructure = len(labels) > 1 if meanstructure is None else bool(meanstructure)
    spec = _specify(items, factors, sample, std_lv=std_lv, uncorrelated=uncorrelated,
                    equal_loadings=equal_loadings, group_equal=group_equal, meanstructure=meanstructure)
    theta, converged, message = _estimate(spec, sample)
    if not converged:
        warnings.warn(f"CFA did not converge: {message}", RuntimeWarning, stacklevel=2)
    _warn_inadmissible(spec, sample, theta)
    information, _ = _information(spec, sample, theta)
    vcov = _inverse_information(information)
    fit, by_group = _fit_measures(spec, sample, theta, n_dropped)
    return CFAResult(
        params=_parameter_table(spec, sample, theta, vcov, level),
        fit=fit, chisq_by_group=by_group, n_obs=pd.Series(sample.n_obs.astype(int), index=list(labels)),
        converged=converged, factors={name: list(members) for name, members in factors.items()},
        _spec=spec, _sample=sample, _theta=theta, _vcov=vcov)


def _warn_inadmissible(spec: _Spec, sample: _Sample, theta: np.ndarray) -> None:
    """Warn, as lavaan does, of negative variances and a factor covariance matrix that is not positive definite."""
    for g, label in enumerate(sample.labels):
        _, phi, resid, _, _ = spec.matrices(theta, g)
        negative = [spec.items[i] for i in np.flatnonzero(resid < 0)]
        negative += [spec.factors[j] for j in np.flatnonzero(np.diag(phi) < 0)]
        if negative:
            warnings.warn(f"group {label!r}: negative variance estimates (Heywood case) for {negative}",
                          RuntimeWarning, stacklevel=3)
        elif np.linalg.eigvalsh(phi).min() < 0:
            warnings.warn(f"group {label!r}: the factor covariance matrix is not positive definite "
                          "(a factor correlation beyond ±1)", RuntimeWarning, stacklevel=3)


def _inverse_information(information: np.ndarray) -> np.ndarray:
    eigenvalues = np.linalg.eigvalsh(information)
    if eigenvalues.min() <= eigenvalues.max() * 1e-12:
        warnings.warn("the information matrix is singular: the model is not identified; "
                      "standard errors are NaN", RuntimeWarning, stacklevel=3)
        return np.full_like(information, np.nan)
    return np.linalg.inv(information)


def _parameter_table(spec: _Spec, sample: _Sample, theta: np.ndarray, vcov: np.ndarray,
                     level: float) -> pd.DataFrame:
    from scipy import stats

    values = spec.values(theta)
    free = spec.param >= 0
    se = np.where(free, np.sqrt(np.abs(np.diag(vcov)))[np.where(free, spec.param, 0)], np.nan)
    std_all = values / _standardiser(spec, theta)
    labels = [_slot_label(spec, kind, row, col) for kind, row, col in zip(spec.kind, spec.row, spec.col)]
    lhs, op, rhs = (list(column) for column in zip(*labels))
    statistic = values / se
    half_width = stats.norm.ppf(0.5 + level / 2) * se
    table = pd.DataFrame({
        "group": np.asarray(sample.labels, dtype=object)[spec.group], "lhs": lhs, "op": op, "rhs": rhs,
        "estimate": values, "std_error": se, "statistic": statistic,
        "p_value": 2 * stats.norm.sf(np.abs(statistic)), "conf_low": values - half_width,
        "conf_high": values + half_width, "std_all": std_all})
    order = np.lexsort((np.arange(len(table)), spec.kind, spec.group))
    return table.iloc[order].reset_index(drop=True)


def _standardiser(spec: _Spec, theta: np.ndarray) -> np.ndarray:
    """Divisor of each slot's value that gives lavaan's ``std.all`` (per group, model-implied SDs)."""
    divisor = np.empty(len(spec.kind))
    for g in range(spec.n_groups):
        with np.errstate(invalid="ignore"):       # a negative variance (already warned of) gives NaN
            item_sd = np.sqrt(np.diag(spec.moments(theta, g)[0]))
            factor_sd = np.sqrt(np.diag(spec.matrices(theta, g)[1]))
        for slot in np.flatnonzero(spec.group == g):
            kind, row, col = spec.kind[slot], spec.row[slot], spec.col[slot]
            if kind == _LOADING:
                divisor[slot] = item_sd[row] / factor_sd[col]
            elif kind == _FACTOR_COV:
                divisor[slot] = factor_sd[row] * factor_sd[col]
            elif kind == _RESIDUAL:
                divisor[slot] = item_sd[row] ** 2
            elif kind == _INTERCEPT:
                divisor[slot] = item_sd[row]
            else:
                divisor[slot] = factor_sd[row]
    return divisor


def _slot_label(spec: _Spec, kind: int, row: int, col: int) -> tuple[str, str, str]:
    """lavaan's ``(lhs, op, rhs)`` of a slot."""
    if kind == _LOADING:
        return spec.factors[col], "=~", spec.items[row]
    if kind == _FACTOR_COV:
        return spec.factors[row], "~~", spec.factors[col]
    if kind == _RESIDUAL:
        return spec.items[row], "~~", spec.items[row]
    if kind == _INTERCEPT:
        return spec.items[row], "~1", ""
    return spec.factors[row], "~1", ""


def _fit_measures(spec: _Spec, sample: _Sample, theta: np.ndarray, n_dropped: int) -> tuple[pd.Series, pd.Series]:
    from scipy import stats

    p = len(spec.items)
    n_total = sample.n_obs.sum()
    G = spec.n_groups
    chisq_g, baseline_g, loglik, loglik_h1, srmr_g = [], [], 0.0, 0.0, []
    for g, n in enumerate(sample.n_obs):
        moments = _GroupMoments(spec, sample, theta, g)   # positive definite: the optimiser kept F finite
        logdet_s = np.linalg.slogdet(moments.S)[1]
        chisq_g.append(n * moments.discrepancy)
        baseline_g.append(n * (np.log(np.diag(moments.S)).sum() - logdet_s))
        loglik += -n / 2 * (p * np.log(2 * np.pi) + moments.logdet + moments.quadratic)
        loglik_h1 += -n / 2 * (p * np.log(2 * np.pi) + logdet_s + p)
        srmr_g.append(_srmr(moments.S, moments.sigma, moments.residual if spec.meanstructure else None))
    chisq, baseline = float(sum(chisq_g)), float(sum(baseline_g))
    moments = G * (p * (p + 1) // 2 + (p if spec.meanstructure else 0))
    npar = spec.n_params
    df = moments - npar
    baseline_df = G * p * (p - 1) // 2
    rmsea, ci_low, ci_high, p_close = _rmsea(chisq, df, n_total, G)
    excess, baseline_excess = max(chisq - df, 0.0), max(baseline - baseline_df, 0.0)
    denominator = max(excess, baseline_excess)
    fit = pd.Series({
        "n_obs": n_total, "n_dropped": n_dropped, "npar": npar, "chisq": chisq, "df": df,
        "p_value": stats.chi2.sf(chisq, df) if df > 0 else np.nan,
        "baseline_chisq": baseline, "baseline_df": baseline_df,
        "cfi": 1 - excess / denominator if denominator > 0 else 1.0,
        "tli": ((baseline / baseline_df - chisq / df) / (baseline / baseline_df - 1)) if df > 0 else np.nan,
        "rmsea": rmsea, "rmsea_ci_low": ci_low, "rmsea_ci_high": ci_high, "rmsea_p_close": p_close,
        "srmr": float(np.dot(sample.weights, srmr_g)),
        "loglik": loglik, "loglik_h1": loglik_h1,
        "aic": -2 * loglik + 2 * npar, "bic": -2 * loglik + npar * np.log(n_total)})
    return fit, pd.Series(chisq_g, index=list(sample.labels), name="chisq")


def _srmr(S: np.ndarray, sigma: np.ndarray, mean_residual: np.ndarray | None) -> float:
    """lavaan's ``srmr_bentler`` of one group: residuals scaled by the observed standard deviations."""
    sd = np.sqrt(np.diag(S))
    scaled = (S - sigma) / np.outer(sd, sd)
    squares = scaled[np.triu_indices(len(sd))] ** 2
    if mean_residual is not None:
        squares = np.concatenate([squares, (mean_residual / sd) ** 2])
    return float(np.sqrt(squares.mean()))


def _rmsea(chisq: float, df: int, n_total: float, n_groups: int, level: float = 0.90,
           close: float = 0.05) -> tuple[float, float, float, float]:
    """RMSEA, its CI from the non-central χ² and the p-value of RMSEA <= ``close`` (lavaan's formulas)."""
    from scipy import optimize, stats

    if df <= 0:
        return (np.nan,) * 4

    def cdf(ncp):
        return stats.chi2.cdf(chisq, df) if ncp <= 0 else stats.ncx2.cdf(chisq, df, ncp)

    def ncp_for(probability):
        if cdf(0.0) < probability:
            return 0.0
        upper = max(chisq, 1.0)
        while cdf(upper) > probability:
            upper *= 2
        return optimize.brentq(lambda ncp: cdf(ncp) - probability, 0.0, upper, xtol=1e-12)

    def to_rmsea(ncp):
        return float(np.sqrt(ncp / (n_total * df)) * np.sqrt(n_groups))

    rmsea = to_rmsea(max(chisq - df, 0.0))
    tail = (1 - level) / 2
    p_close = float(stats.ncx2.sf(chisq, df, n_total * df * close ** 2 / n_groups))
    return rmsea, to_rmsea(ncp_for(1 - tail)), to_rmsea(ncp_for(tail)), p_close


def modification_indices(result: CFAResult) -> pd.DataFrame:
    """Score tests (modification indices) for adding each absent loading, as lavaan's ``modindices``.

    For a fixed-at-zero loading e, with the log-likelihood score s and the expected information
    J of the model extended by e, both at the estimates, ``mi = s_e² / V`` and ``epc = s_e / V``
    where ``V = J_ee - J_ef J_ff⁻¹ J_fe`` (one candidate at a time; Sörbom 1989). Under the model,
    ``mi`` is χ²(1).

    Parameters
    ----------
    result : CFAResult
        A fitted CFA.

    Returns
    -------
    DataFrame
        One row per absent loading and group, columns ``MODIFICATION_COLUMNS``: ``mi`` (χ²(1)),
        its ``p_value``, the expected parameter change ``epc`` and ``sepc_all`` (the EPC
        completely standardised, λ sqrt(φ_jj) / sqrt(σ̂_ii)).
    """
    from scipy import stats

    spec, sample = result._spec, result._sample
    present = {(g, i, j) for kind, g, i, j in zip(spec.kind, spec.group, spec.row, spec.col) if kind == _LOADING}
    candidates = [(_LOADING, g, i, j) for g in range(spec.n_groups) for j in range(len(spec.factors))
                  for i in range(len(spec.items)) if (g, i, j) not in present]
    columns = {name: [] for name in MODIFICATION_COLUMNS}
    if not candidates:
        return pd.DataFrame(columns)
    extended = spec.extended(candidates)
    theta = np.concatenate([result._theta, np.zeros(len(candidates))])
    information, score = _information(extended, sample, theta)
    q = spec.n_params
    J_ff, J_fe = information[:q, :q], information[:q, q:]
    conditional = np.diag(information[q:, q:]) - np.einsum("fe,fe->e", J_fe, np.linalg.solve(J_ff, J_fe))
    mi = score[q:] ** 2 / conditional
    epc = score[q:] / conditional
    for (_, g, i, j), index, change in zip(candidates, mi, epc):
        sd_item = np.sqrt(result.implied_covariance(result.groups[g]).to_numpy()[i, i])
        sd_factor = np.sqrt(result.factor_covariance(result.groups[g]).to_numpy()[j, j])
        for name, value in zip(MODIFICATION_COLUMNS, (result.groups[g], spec.factors[j], "=~", spec.items[i],
                                                      index, stats.chi2.sf(index, 1), change,
                                                      change * sd_factor / sd_item)):
            columns[name].append(value)
    return pd.DataFrame(columns)
