"""Markov transition tables of a categorical state observed on units over ordered periods.

Data convention (all functions)
-------------------------------
A long panel: one row per observation, three arrays of length n aligned by position (no index
alignment) — ``unit`` (any hashable id), ``period`` and ``state``. :func:`transition_pairs` links
each unit's observation in a period with its observation in the NEXT period of the given order,
and everything else reads that pairs table (m rows, one per transition). Rows with a missing
unit, period or state are left out, so a unit unobserved (or with an unknown state) in a period
has no transition into or out of that period: a gap breaks the chain rather than bridging two
periods that are not adjacent. Orders are carried by the pairs table's categoricals.

Model and intervals
-------------------
The transitions are read as a first-order, time-homogeneous Markov chain with matrix P (k, k),
row = state at one period, column = state at the next. Its maximum-likelihood estimate is the
row proportion n_ij / n_i (Anderson & Goodman 1957). A unit contributes several transitions, but
under the Markov assumption the likelihood factorises over transitions, so that given the row
totals each row's counts are an independent multinomial(n_i, P_i): per-row multinomial intervals
are then exact in their reasoning, not an approximation that ignores clustering.

* ``method="wilson"``: Wilson score interval per cell, pointwise at ``level``. Chosen over Wald
  because transition matrices have cells near 0 and 1 and small rows, where Wilson keeps close
  to nominal coverage (Brown, Cai & DasGupta 2001), stays inside [0, 1] and exists for zero cells.
  Matches ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
* ``method="goodman"``: Goodman's (1965) simultaneous intervals, all k cells of a row covered
  jointly at ``level`` (the Wilson form with the chi-square(1) quantile at 1 − alpha / k). Use
  it to read a whole row at once. Matches ``multinomial_proportions_confint(method="goodman")``.
* ``method="bootstrap"``: percentile intervals from resampling whole units with replacement.
  It drops the Markov assumption across a unit's transitions, and is the one to use when units
  differ in how readily they move (then their transitions are correlated and the multinomial
  intervals are too narrow). A cell estimated at exactly 0 or 1 gets a degenerate interval.

:func:`homogeneity_test` tests the time homogeneity that pooling the periods assumes; the tests of
whether units move up an order of states are in :mod:`alliancegov.stats.deepening`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

PAIR_COLUMNS = ["unit", "from_period", "to_period", "from_state", "to_state"]
COUNT_COLUMNS = ["from_state", "to_state", "n", "row_total", "row_share"]
PERIOD_COLUMNS = ["from_period", "to_period"]
PROBABILITY_COLUMNS = ["term", "from_state", "to_state", "n", "row_total", "estimate", "std_error", "conf_low",
                       "conf_high", "method"]
HOMOGENEITY_COLUMNS = ["from_state", "statistic", "df", "p_value", "n"]
CI_METHODS = ("wilson", "goodman", "bootstrap")
ALL_STATES = "all"
TERM_ARROW = "->"


def _order(values: pd.Series, given: Sequence | None, what: str) -> list:
    """``given`` checked against ``values``, else a categorical's categories, else the sorted values."""
    present = pd.unique(values.dropna())
    if given is not None:
        order = list(given)
        if len(set(order)) != len(order):
            raise ValueError(f"{what} order has repeated values: {order}")
        unknown = sorted(map(str, set(present) - set(order)))
        if unknown:
            raise ValueError(f"{what} values not in the given order {order}: {unknown[:10]}")
        return order
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    return sorted(present)


def transition_pairs(unit, period, state, *, periods: Sequence | None = None,
                     states: Sequence | None = None) -> pd.DataFrame:
    """Every transition between adjacent periods: one row per unit observed in a period and in the next.

    Parameters
    ----------
    unit, period, state : array-like of shape (n,)
        The long panel, aligned by position: any hashable unit id, the period and the state of
        each observation.
    periods : sequence, optional
        The period order (default: a categorical's categories, else sorted values); periods are
        adjacent when consecutive in that order, so list a period nobody was observed in to keep
        it breaking chains.
    states : sequence, optional
        The state order used by every table (same default).

    Returns
    -------
    DataFrame of shape (m, 5)
        ``unit, from_period, to_period, from_state, to_state``, one row per transition; the
        periods and states are ordered categoricals with the orders above; rows sorted by
        from-period, then by unit in order of first appearance.

    Raises
    ------
    ValueError
        On inputs of unequal length, a value outside a given order (or an order repeating a
        value), or a unit observed twice in a period.
    """
    columns = {"unit": pd.Series(np.asarray(unit, dtype=object).ravel()),
               "period": pd.Series(np.asarray(period, dtype=object).ravel()),
               "state": pd.Series(np.asarray(state, dtype=object).ravel())}
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"unit, period and state must have the same length: {lengths}")
    for name, raw in (("period", period), ("state", state)):
        if isinstance(getattr(raw, "dtype", None), pd.CategoricalDtype):
            columns[name] = pd.Series(pd.Categorical(columns[name], categories=raw.cat.categories))
    period_order = _order(columns["period"], periods, "period")
    state_levels = _order(columns["state"], states, "state")
    panel = pd.DataFrame(columns).dropna()
    panel["rank"] = pd.Index(period_order).get_indexer(panel["period"].astype(object))
    repeated = panel.duplicated(["unit", "rank"], keep=False)
    if repeated.any():
        examples = panel.loc[repeated, ["unit", "period"]].drop_duplicates().head(5)
        raise ValueError(f"{int(repeated.sum())} observations share a unit and a period "
                         f"(e.g. {list(examples.itertuples(index=False, name=None))}); one per unit and period")
    panel["code"] = pd.factorize(panel["unit"])[0]
    panel = panel.sort_values(["code", "rank"], kind="stable")
    following = panel.shift(-1)
    linked = (following["code"] == panel["code"]) & (following["rank"] == panel["rank"] + 1)
    ordered_periods = pd.CategoricalDtype(period_order, ordered=True)
    ordered_states = pd.CategoricalDtype(state_levels, ordered=True)
    pairs = pd.DataFrame({
        "unit": panel.loc[linked, "unit"].to_numpy(),
        "from_period": pd.Categorical(panel.loc[linked, "period"].astype(object), dtype=ordered_periods),
        "to_period": pd.Categorical(following.loc[linked, "period"].astype(object), dtype=ordered_periods),
        "from_state": pd.Categorical(panel.loc[linked, "state"].astype(object), dtype=ordered_states),
        "to_state": pd.Categorical(following.loc[linked, "state"].astype(object), dtype=ordered_states),
        "_code": panel.loc[linked, "code"].to_numpy(),
    })
    return pairs.sort_values(["from_period", "_code"], kind="stable").drop(columns="_code").reset_index(drop=True)


def state_order(pairs: pd.DataFrame) -> list:
    """The states of a pairs table in its order.

    Parameters
    ----------
    pairs : DataFrame
        :func:`transition_pairs`' table.

    Returns
    -------
    list
        The categories of its ordered ``from_state`` (the same as ``to_state``'s).
    """
    return list(pairs["from_state"].cat.categories)


def _count_matrix(pairs: pd.DataFrame) -> np.ndarray:
    """Transition counts (k, k), row = from-state, in the pairs' state order."""
    k = len(state_order(pairs))
    cells = pairs["from_state"].cat.codes.to_numpy().astype(np.int64) * k + pairs["to_state"].cat.codes.to_numpy()
    return np.bincount(cells, minlength=k * k).reshape(k, k)


def _grid(states: list, counts: np.ndarray) -> pd.DataFrame:
    """Long table of a (k, k) count matrix with row totals and row shares."""
    k = len(states)
    totals = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / totals[:, None]
    return pd.DataFrame({
        "from_state": np.repeat(np.asarray(states, dtype=object), k),
        "to_state": np.tile(np.asarray(states, dtype=object), k),
        "n": counts.ravel().astype("int64"),
        "row_total": np.repeat(totals, k).astype("int64"),
        "row_share": shares.ravel(),
    })


def transition_counts(pairs: pd.DataFrame, *, by_period: bool = False) -> pd.DataFrame:
    """Transition counts and row shares over every (from, to) cell, zero cells included.

    Parameters
    ----------
    pairs : DataFrame
        :func:`transition_pairs`'s table.
    by_period : bool, default False
        Tabulate each adjacent pair of periods separately.

    Returns
    -------
    DataFrame
        k² rows (k states, in the pairs' order) with ``from_state, to_state, n, row_total,
        row_share`` (``row_share`` = n / row_total, NaN for a state never left from). With
        ``by_period``, ``from_period, to_period`` come first and every adjacent pair of periods
        with at least one transition gets its k² rows, in period order. No transition at all
        gives an empty table with these columns.
    """
    states = state_order(pairs)
    columns = (PERIOD_COLUMNS if by_period else []) + COUNT_COLUMNS
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    if not by_period:
        return _grid(states, _count_matrix(pairs))
    tables = []
    for (from_period, to_period), part in pairs.groupby(["from_period", "to_period"], observed=True, sort=True):
        tables.append(_grid(states, _count_matrix(part)).assign(from_period=from_period, to_period=to_period))
    return pd.concat(tables, ignore_index=True)[columns]


def score_interval(count, total, critical_value: float) -> tuple[np.ndarray, np.ndarray]:
    """Score (Wilson) interval of proportions count / total for a normal critical value z.

    Parameters
    ----------
    count, total : array-like
        Successes and trials; they broadcast together.
    critical_value : float
        z. With z the normal quantile at 1 − alpha / 2 this is Wilson's interval; with
        z² = chi2(1).ppf(1 − alpha / k) it is Goodman's simultaneous interval for one of k cells.

    Returns
    -------
    low, high : ndarray
        The limits, in [0, 1], of the broadcast shape; NaN where ``total`` is 0.
    """
    count = np.asarray(count, float)
    total = np.asarray(total, float)
    z2 = critical_value**2
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, count / total, np.nan)
        centre = (count + z2 / 2) / (total + z2)
        half = critical_value * np.sqrt(total * share * (1 - share) + z2 / 4) / (total + z2)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _bootstrap_probabilities(pairs: pd.DataFrame, n_boot: int, seed) -> np.ndarray:
    """Row proportions (n_boot, k, k) of unit-cluster resamples; NaN for a row left empty.

    Counts are linear in the units' own count vectors, so a resample is a multinomial weight
    per unit times those vectors: no per-resample re-tabulation of the pairs.
    """
    from scipy import sparse

    k = len(state_order(pairs))
    units = pd.factorize(pairs["unit"])[0]
    n_units = int(units.max()) + 1
    cells = pairs["from_state"].cat.codes.to_numpy().astype(np.int64) * k + pairs["to_state"].cat.codes.to_numpy()
    per_unit = sparse.csr_matrix((np.ones(len(pairs)), (units, cells)), shape=(n_units, k * k))
    rng = np.random.default_rng(seed)
    # Chunks bound the (chunk, units) weight matrix to about 20 million entries.
    chunk = max(1, min(n_boot, 20_000_000 // n_units))
    counts = np.concatenate([
        (per_unit.T @ rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=size).T).T
        for size in np.diff(np.r_[np.arange(0, n_boot, chunk), n_boot])
    ]).reshape(n_boot, k, k)
    totals = counts.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / totals, np.nan)


def transition_probabilities(pairs: pd.DataFrame, *, level: float = 0.95, method: str = "wilson",
                             n_boot: int = 999, seed=0) -> pd.DataFrame:
    """Markov transition probabilities (maximum likelihood: row proportions) with confidence intervals.

    Parameters
    ----------
    pairs : DataFrame
        :func:`transition_pairs`'s table.
    level : float, default 0.95
        Confidence level.
    method : {"wilson", "goodman", "bootstrap"}, default "wilson"
        The interval; see the module notes.
    n_boot : int, default 999
        Unit resamples for ``method="bootstrap"`` (at least 2).
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        k² rows (row-major in the state order) with ``term`` (``"from->to"``), ``from_state,
        to_state, n, row_total, estimate, std_error, conf_low, conf_high, method``; estimates are
        probabilities (0 to 1). ``std_error`` is the multinomial sqrt(p(1 − p) / n_i), or the
        bootstrap standard deviation. A state never left from has NaN estimates; no transition at
        all gives an empty table.

    Raises
    ------
    ValueError
        If ``method`` is unknown, or a bootstrap has ``n_boot`` below 2.
    """
    from scipy import stats

    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {CI_METHODS}, not {method!r}")
    if method == "bootstrap" and n_boot < 2:
        raise ValueError(f"a bootstrap needs at least 2 resamples, not n_boot={n_boot}")
    if pairs.empty:
        return pd.DataFrame(columns=PROBABILITY_COLUMNS)
    states = state_order(pairs)
    k = len(states)
    table = _grid(states, _count_matrix(pairs))
    n, total, estimate = table["n"].to_numpy(), table["row_total"].to_numpy(), table["row_share"].to_numpy()
    alpha = 1 - level
    if method == "bootstrap":
        draws = _bootstrap_probabilities(pairs, n_boot, seed).reshape(n_boot, k * k)
        usable = (np.isfinite(draws).sum(axis=0) >= 2) & (total > 0)
        std_error, conf_low, conf_high = (np.full(k * k, np.nan) for _ in range(3))
        if usable.any():
            kept = draws[:, usable]
            std_error[usable] = np.nanstd(kept, axis=0, ddof=1)
            conf_low[usable], conf_high[usable] = np.nanquantile(kept, [alpha / 2, 1 - alpha / 2], axis=0)
    else:
        critical = (stats.norm.ppf(1 - alpha / 2) if method == "wilson"
                    else np.sqrt(stats.chi2.ppf(1 - alpha / k, 1)))
        conf_low, conf_high = score_interval(n, total, critical)
        with np.errstate(invalid="ignore", divide="ignore"):
            std_error = np.sqrt(estimate * (1 - estimate) / total)
    return pd.DataFrame({
        "term": table["from_state"].astype(str) + TERM_ARROW + table["to_state"].astype(str),
        "from_state": table["from_state"], "to_state": table["to_state"], "n": n, "row_total": total,
        "estimate": estimate, "std_error": std_error, "conf_low": conf_low, "conf_high": conf_high, "method": method,
    })[PROBABILITY_COLUMNS]


def homogeneity_test(pairs: pd.DataFrame) -> pd.DataFrame:
    """Likelihood-ratio test that the transition probabilities are the same for every pair of periods.

    Anderson & Goodman's (1957) G² per from-state: the (period pairs × to-states) table of
    transitions out of that state, tested for independence after dropping empty period pairs
    and to-states never reached (so each row's df is (r − 1)(c − 1) of what was observed), and
    their sum over states as ``from_state`` ``"all"``.

    Parameters
    ----------
    pairs : DataFrame
        :func:`transition_pairs`'s table.

    Returns
    -------
    DataFrame
        Columns ``from_state, statistic, df, p_value, n`` (k + 1 rows, ``n`` the transitions out
        of the state); p NaN where df is 0 (a single period pair says nothing about change over
        time). No transition at all gives an empty table.
    """
    from scipy import stats

    if pairs.empty:
        return pd.DataFrame(columns=HOMOGENEITY_COLUMNS)
    states = state_order(pairs)
    k = len(states)
    # categorical codes are int8: widen before combining them, or 8 periods of 4 states overflow
    steps = pairs["from_period"].cat.codes.to_numpy().astype(np.int64)
    cells = ((steps * k + pairs["from_state"].cat.codes.to_numpy().astype(np.int64)) * k
             + pairs["to_state"].cat.codes.to_numpy().astype(np.int64))
    n_steps = int(steps.max()) + 1
    counts = np.bincount(cells, minlength=n_steps * k * k).reshape(n_steps, k, k).transpose(1, 0, 2).astype(float)
    step_totals = counts.sum(axis=2, keepdims=True)
    state_totals = counts.sum(axis=1, keepdims=True)
    grand = counts.sum(axis=(1, 2), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = step_totals * state_totals / grand
        terms = np.where(counts > 0, counts * np.log(counts / expected), 0.0)
    statistic = 2 * terms.sum(axis=(1, 2))
    df = (((step_totals[:, :, 0] > 0).sum(axis=1) - 1).clip(min=0)
          * ((state_totals[:, 0, :] > 0).sum(axis=1) - 1).clip(min=0))
    table = pd.DataFrame({"from_state": np.asarray(states, dtype=object), "statistic": statistic,
                          "df": df.astype("int64"), "n": grand.ravel().astype("int64")})
    table = pd.concat([table, pd.DataFrame([{"from_state": ALL_STATES, "statistic": statistic.sum(),
                                             "df": int(df.sum()), "n": int(grand.sum())}])], ignore_index=True)
    table["p_value"] = np.where(table["df"] > 0, stats.chi2.sf(table["statistic"], table["df"].clip(lower=1)), np.nan)
    return table[HOMOGENEITY_COLUMNS]
