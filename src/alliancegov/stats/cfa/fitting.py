"""Fitting a CFA: from a data frame and the factors' items to a :class:`CFAResult`.

The data are read listwise-complete, the model's slots specified with their start values (see
the package docstring for lavaan's identification choices), the estimates found, and the
parameter table written with lavaan's ``std.all`` standardisation.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from alliancegov.stats.cfa.fit_measures import fit_measures
from alliancegov.stats.cfa.likelihood import expected_information, ml_estimates
from alliancegov.stats.cfa.result import CFAResult
from alliancegov.stats.cfa.slots import (
    FACTOR_COV,
    INTERCEPT,
    LATENT_MEAN,
    LOADING,
    RESIDUAL,
    ModelSlots,
    SampleMoments,
)

PARAMETER_COLUMNS = ["group", "lhs", "op", "rhs", "estimate", "std_error", "statistic", "p_value",
                     "conf_low", "conf_high", "std_all"]
GROUP_EQUAL = ("loadings", "intercepts", "residuals", "means")
SINGLE_GROUP = "all"          # the group label of a single-group fit


def _sample_moments(values: np.ndarray, groups: np.ndarray, labels: Sequence) -> SampleMoments:
    n_obs, covs, means = [], [], []
    for label in labels:
        x = values[groups == label]
        n_obs.append(len(x))
        means.append(x.mean(axis=0))
        centred = x - means[-1]
        covs.append(centred.T @ centred / len(x))
    return SampleMoments(tuple(labels), np.asarray(n_obs, dtype=float), tuple(covs), tuple(means))


def _specify(items: Sequence[str], factors: Mapping[str, Sequence[str]], sample: SampleMoments, *,
             std_lv: bool, uncorrelated: Iterable[str], equal_loadings: Iterable[str],
             group_equal: Iterable[str], meanstructure: bool) -> ModelSlots:
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
                add(LOADING, g, i, j, key, 1.0 if key is None or not std_lv else _spread(cov, members))
        for i in range(len(items)):
            add(RESIDUAL, g, i, i, ("residual", i, across["residuals"]), cov[i, i] / 2)
        for j, name in enumerate(names):
            free_variance = not std_lv or (g > 0 and "loadings" in group_equal)
            members = [item_index[item] for item in factors[name]]
            add(FACTOR_COV, g, j, j, ("variance", j, g) if free_variance else None,
                max(_spread(cov, members) ** 2, 0.05) if free_variance else 1.0)
            for k in range(j + 1, len(names)):
                fixed = name in uncorrelated or names[k] in uncorrelated
                add(FACTOR_COV, g, j, k, None if fixed else ("covariance", j, k, g), 0.0)
        if meanstructure:
            for i in range(len(items)):
                add(INTERCEPT, g, i, 0, ("intercept", i, across["intercepts"]), mean[i])
            free_means = g > 0 and "intercepts" in group_equal and "means" not in group_equal
            for j in range(len(names)):
                add(LATENT_MEAN, g, j, 0, ("latent_mean", j, g) if free_means else None, 0.0)
    kind, group, row, col, param, value = (np.asarray(column) for column in zip(*slots))
    return ModelSlots(tuple(items), tuple(names), len(sample.labels), meanstructure, kind.astype(int),
                 group.astype(int), row.astype(int), col.astype(int), param.astype(int),
                 value.astype(float), len(keys))


def _spread(cov: np.ndarray, members: list[int]) -> float:
    """Start value for a standardised-factor loading: root mean covariance among the items."""
    block = cov[np.ix_(members, members)]
    off = block[~np.eye(len(members), dtype=bool)]
    return float(np.sqrt(max(off.mean(), 1e-2))) if off.size else float(np.sqrt(block[0, 0] / 2))

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
    theta, converged, message = ml_estimates(spec, sample)
    if not converged:
        warnings.warn(f"CFA did not converge: {message}", RuntimeWarning, stacklevel=2)
    _warn_inadmissible(spec, sample, theta)
    information, _ = expected_information(spec, sample, theta)
    vcov = _inverse_information(information)
    fit, by_group = fit_measures(spec, sample, theta, n_dropped)
    return CFAResult(
        params=_parameter_table(spec, sample, theta, vcov, level),
        fit=fit, chisq_by_group=by_group, n_obs=pd.Series(sample.n_obs.astype(int), index=list(labels)),
        converged=converged, factors={name: list(members) for name, members in factors.items()},
        _spec=spec, _sample=sample, _theta=theta, _vcov=vcov)


def _warn_inadmissible(spec: ModelSlots, sample: SampleMoments, theta: np.ndarray) -> None:
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


def _parameter_table(spec: ModelSlots, sample: SampleMoments, theta: np.ndarray, vcov: np.ndarray,
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


def _standardiser(spec: ModelSlots, theta: np.ndarray) -> np.ndarray:
    """Divisor of each slot's value that gives lavaan's ``std.all`` (per group, model-implied SDs)."""
    divisor = np.empty(len(spec.kind))
    for g in range(spec.n_groups):
        with np.errstate(invalid="ignore"):       # a negative variance (already warned of) gives NaN
            item_sd = np.sqrt(np.diag(spec.moments(theta, g)[0]))
            factor_sd = np.sqrt(np.diag(spec.matrices(theta, g)[1]))
        for slot in np.flatnonzero(spec.group == g):
            kind, row, col = spec.kind[slot], spec.row[slot], spec.col[slot]
            if kind == LOADING:
                divisor[slot] = item_sd[row] / factor_sd[col]
            elif kind == FACTOR_COV:
                divisor[slot] = factor_sd[row] * factor_sd[col]
            elif kind == RESIDUAL:
                divisor[slot] = item_sd[row] ** 2
            elif kind == INTERCEPT:
                divisor[slot] = item_sd[row]
            else:
                divisor[slot] = factor_sd[row]
    return divisor


def _slot_label(spec: ModelSlots, kind: int, row: int, col: int) -> tuple[str, str, str]:
    """lavaan's ``(lhs, op, rhs)`` of a slot."""
    if kind == LOADING:
        return spec.factors[col], "=~", spec.items[row]
    if kind == FACTOR_COV:
        return spec.factors[row], "~~", spec.factors[col]
    if kind == RESIDUAL:
        return spec.items[row], "~~", spec.items[row]
    if kind == INTERCEPT:
        return spec.items[row], "~1", ""
    return spec.factors[row], "~1", ""
