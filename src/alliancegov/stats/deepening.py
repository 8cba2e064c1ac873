"""Do units move up an order of states more than down? Tests on a transitions table, clustered by unit.

Generic: nothing here knows about the survey. It reads :func:`alliancegov.stats.transitions.
transition_pairs`' table (one row per unit and pair of adjacent periods: a unit counts once per
pair of periods). A unit observed over three or more periods contributes several transitions, and
units differ in how readily they move, so its transitions are correlated: every test here is
clustered by unit (the cluster sandwich with Stata's small-sample factor, Student t on G − 1 df;
see :mod:`alliancegov.stats.cluster_tests`). With one transition per unit it is the usual
independent-rows test up to the G/(G − 1) factor.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

DEEPENING_COLUMNS = ["term", "from_state", "to_state", "estimate", "std_error", "statistic", "df", "p_value",
                     "conf_low", "conf_high", "reference", "count_up", "total_up", "count_down", "total_down",
                     "n_units", "test"]
UPWARD_SHARE = "upward_share"
SHARE_TEST = ("share of changes moving up, against 0.5: logit-scale t test and interval, SE clustered by unit "
              "(G/(G-1), t on G-1 df)")
PAIR_TEST = ("P(a->b) - P(b->a): difference of the two rows' shares (OLS on a constant and the row), SE clustered "
             "by unit (G/(G-1)·(N-1)/(N-2), as Stata's regress), t test and interval on G-1 df")


def _difference(to_b: np.ndarray, from_b: np.ndarray, units: np.ndarray, level: float) -> dict:
    """P(a → b) − P(b → a) from the transitions out of a (``from_b`` False) and out of b, clustered by unit."""
    import statsmodels.api as sm
    from scipy import stats

    estimate = float(to_b[~from_b].mean() - to_b[from_b].mean())
    codes = pd.factorize(units)[0]
    if to_b.min() == to_b.max() or codes.max() < 1 or len(to_b) < 3:
        # no variation (both shares 0, or 1), or too few rows or units for a clustered variance
        return {"estimate": estimate, "std_error": np.nan, "statistic": np.nan, "df": np.nan,
                "p_value": 1.0 if estimate == 0 else np.nan, "conf_low": np.nan, "conf_high": np.nan}
    X = np.column_stack([np.ones(len(to_b)), from_b.astype(float)])
    fit = sm.OLS(to_b.astype(float), X).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    se, df = float(fit.bse[1]), float(fit.df_resid_inference)
    critical = stats.t.ppf(0.5 + level / 2, df)
    return {"estimate": estimate, "std_error": se, "statistic": estimate / se, "df": df,
            "p_value": float(2 * stats.t.sf(abs(estimate / se), df)),
            "conf_low": estimate - critical * se, "conf_high": estimate + critical * se}


def deepening_test(pairs: pd.DataFrame, *, order: Sequence | None = None, level: float = 0.95) -> pd.DataFrame:
    """The upward share of changes and every P(a → b) − P(b → a), clustered by unit.

    Parameters
    ----------
    pairs : DataFrame
        :func:`alliancegov.stats.transitions.transition_pairs`' table.
    order : sequence, optional
        Ranks the states from lowest to highest (default: the pairs' state order; it must hold
        every state).
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        Columns :data:`DEEPENING_COLUMNS`, rows as in the Notes; estimates and differences in
        probability points (0–1). ``n_units`` counts the units (clusters) behind the row, ``test``
        says what its SE, p-value and interval are. No transition at all gives an empty table.

    Raises
    ------
    ValueError
        If ``order`` does not hold each state once.

    Notes
    -----
    * one ``upward_share`` row: among transitions that change state, the share moving up the
      order (``count_up`` of ``total_up`` changes; ``count_down`` down), against 0.5
      (:func:`alliancegov.stats.cluster_tests.proportion_test`). The share depends on where units
      start (from the lowest state every change is up).
    * one row per pair a < b of the order: P(a → b) − P(b → a), the difference of two rows'
      transition probabilities (``count_up`` of ``total_up`` transitions from a, ``count_down``
      of ``total_down`` from b). It does not depend on the states' shares. p = 1 when both are 0.
    """
    from alliancegov.stats.cluster_tests import proportion_test
    from alliancegov.stats.transitions import ALL_STATES, TERM_ARROW, state_order

    if pairs.empty:
        return pd.DataFrame(columns=DEEPENING_COLUMNS)
    states = state_order(pairs)
    order = states if order is None else list(order)
    if sorted(map(str, order)) != sorted(map(str, states)):
        raise ValueError(f"order {order} must hold each state of {states} once")
    rank = pd.Index(order)
    origin = rank.get_indexer(pairs["from_state"].astype(object))
    destination = rank.get_indexer(pairs["to_state"].astype(object))
    units = pairs["unit"].to_numpy()

    changed = origin != destination
    ups, downs = int((destination > origin).sum()), int((destination < origin).sum())
    share_row = {"term": UPWARD_SHARE, "from_state": ALL_STATES, "to_state": ALL_STATES, "reference": 0.5,
                 "count_up": ups, "total_up": ups + downs, "count_down": downs, "total_down": ups + downs,
                 "n_units": int(pd.unique(units[changed]).size), "test": SHARE_TEST}
    if ups and downs:
        test = proportion_test((destination > origin)[changed].astype(float), 0.5, groups=units[changed],
                               level=level)
        share_row |= {key: test[key] for key in ("estimate", "std_error", "statistic", "df", "p_value", "conf_low",
                                                  "conf_high")}
    else:   # no change, or changes all one way: a share of 0 or 1 has no variance to test with
        share_row |= {"estimate": ups / (ups + downs) if ups + downs else np.nan, "std_error": np.nan,
                      "statistic": np.nan, "df": np.nan, "p_value": np.nan, "conf_low": np.nan, "conf_high": np.nan}

    rows = [share_row]
    for low in range(len(order)):
        for high in range(low + 1, len(order)):
            from_low, from_high = origin == low, origin == high
            in_rows = from_low | from_high
            row = {"term": f"{order[low]}{TERM_ARROW}{order[high]} vs {order[high]}{TERM_ARROW}{order[low]}",
                   "from_state": order[low], "to_state": order[high], "reference": 0.0,
                   "count_up": int((from_low & (destination == high)).sum()), "total_up": int(from_low.sum()),
                   "count_down": int((from_high & (destination == low)).sum()), "total_down": int(from_high.sum()),
                   "n_units": int(pd.unique(units[in_rows]).size), "test": PAIR_TEST}
            if from_low.any() and from_high.any():
                moved = np.where(from_low, destination == high, destination == low)[in_rows]
                row |= _difference(moved, from_high[in_rows], units[in_rows], level)
            else:
                row |= {"estimate": np.nan, "std_error": np.nan, "statistic": np.nan, "df": np.nan,
                        "p_value": np.nan, "conf_low": np.nan, "conf_high": np.nan}
            rows.append(row)
    return pd.DataFrame(rows)[DEEPENING_COLUMNS]
