"""Kaplan–Meier with a cluster-robust (infinitesimal jackknife) variance, delayed entry and weights.

Generic: nothing here knows about the survey. statsmodels' ``SurvfuncRight`` gives Greenwood's
variance, which assumes independent rows; when a unit (a firm interviewed in several waves)
contributes several rows, its rows are correlated. The infinitesimal jackknife (IJ) variance sums
each row's influence on S(t) within clusters, as R ``survfit(..., id = , robust = TRUE)`` does
(survival ≥ 3.0; Therneau's "Kaplan–Meier and robust variance" vignette); statsmodels has no such
option, hence this module.

With ``w_i`` the (frequency) weights, ``Y_i(t) = 1[entry_i < t <= time_i]`` the at-risk indicator,
``n_j`` and ``d_j`` the weighted numbers at risk and of events at the event times ``t_j``:
``S(t) = prod_{t_j <= t} (1 - d_j / n_j)`` and the influence of row i (the derivative of S(t) with
respect to its weight) is

    U_i(t) = S(t) · sum_{t_j <= t} [ Y_i(t_j) d_j / (n_j (n_j - d_j)) - dN_i(t_j) / (n_j - d_j) ],

and ``var S(t) = sum_g (sum_{i in g} w_i U_i(t))²`` (no G/(G − 1) factor, as R). Each row its
own cluster gives the IJ variance of independent rows, which is close to Greenwood's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.stats.clusters import cluster_codes

ROBUST_KM_COLUMNS = ["time", "n_risk", "n_events", "survival", "std_error", "conf_low", "conf_high", "n_clusters"]


def _checked(time, event, groups, weights, entry):
    time = np.asarray(time, float).ravel()
    n = len(time)
    event = np.asarray(event, float).ravel()
    if event.shape != (n,) or not np.isin(event, (0.0, 1.0)).all():
        raise ValueError("event must hold one 0/1 value per time")
    if not np.all(np.isfinite(time)):
        raise ValueError("time must be finite (drop the unknown ones first)")
    weights = np.ones(n) if weights is None else np.asarray(weights, float).ravel()
    if weights.shape != (n,) or np.any(~np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("weights must be finite, non-negative and one per time")
    entry = np.full(n, -np.inf) if entry is None else np.asarray(entry, float).ravel()
    if entry.shape != (n,) or np.any(entry >= time):
        raise ValueError("entry must hold one value per time, each below its time")
    codes = np.arange(n) if groups is None else cluster_codes(groups, n, "groups")
    return time, event, codes, weights, entry


def kaplan_meier_robust(time, event, *, groups=None, weights=None, entry=None, times=None,
                        level: float = 0.95, conf_type: str = "log-log") -> pd.DataFrame:
    """Kaplan–Meier estimate at given times with a cluster-robust (IJ) standard error.

    Parameters
    ----------
    time : array-like of shape (n,)
        Follow-up time (exit), finite.
    event : array-like of shape (n,)
        1 = the event at ``time``, 0 = censored.
    groups : array-like of shape (n,), optional
        Cluster labels; None: every row its own cluster.
    weights : array-like of shape (n,), optional
        Frequency weights.
    entry : array-like of shape (n,), optional
        Delayed entry (left truncation): row i is at risk on (entry_i, time_i]; None: from the start.
    times : array-like, optional
        The times at which S is evaluated (a right-continuous step function); None: every event time.
    level : float, default 0.95
        Confidence level of the pointwise interval.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        The interval's scale, as :func:`alliancegov.stats.survival.kaplan_meier`, from the robust SE.

    Returns
    -------
    DataFrame
        One row per time: ``time, n_risk`` (weighted number at risk at that time), ``n_events``
        (weighted events up to it), ``survival`` S(t), ``std_error`` (robust SE of S(t)),
        ``conf_low, conf_high``, ``n_clusters`` (G). Before the first event S = 1 with SE 0; where
        S = 0 the SE and interval are NaN.

    Raises
    ------
    ValueError
        On inputs of unequal length, an event not coded 0/1, a missing time or cluster, an entry
        not below its time, or an invalid ``level`` or ``conf_type``.
    """
    from alliancegov.stats.survival import check_interval, pointwise_interval

    z = check_interval(level, conf_type)
    time, event, codes, weights, entry = _checked(time, event, groups, weights, entry)
    event_times = np.unique(time[(event == 1) & (weights > 0)])
    at = event_times if times is None else np.asarray(times, float).ravel()
    # weighted risk sets and events at each event time (entry < t_j <= time)
    order_exit, order_entry = np.sort(time), np.sort(entry)
    cum_exit = np.concatenate([[0.0], np.cumsum(weights[np.argsort(time, kind="stable")])])
    cum_entry = np.concatenate([[0.0], np.cumsum(weights[np.argsort(entry, kind="stable")])])
    still_in = cum_exit[-1] - cum_exit[np.searchsorted(order_exit, event_times, side="left")]
    entered = cum_entry[np.searchsorted(order_entry, event_times, side="left")]
    n_risk = entered - (cum_exit[-1] - still_in)
    events = np.bincount(np.searchsorted(event_times, time[event == 1]), weights=weights[event == 1],
                         minlength=len(event_times))
    with np.errstate(divide="ignore", invalid="ignore"):
        at_risk_term = events / (n_risk * (n_risk - events))
        event_term = 1 / (n_risk - events)
    survival_steps = np.cumprod(1 - events / n_risk)
    cumulative_risk = np.concatenate([[0.0], np.cumsum(at_risk_term)])
    exit_index = np.searchsorted(event_times, time, side="right")      # event times <= time_i
    entry_index = np.searchsorted(event_times, entry, side="right")    # event times <= entry_i
    own_event = np.searchsorted(event_times, time)                     # index of time_i if an event time
    rows = []
    for t in at:
        last = np.searchsorted(event_times, t, side="right")           # event times <= t
        surv = survival_steps[last - 1] if last else 1.0
        risk_part = (cumulative_risk[np.minimum(exit_index, last)]
                     - cumulative_risk[np.minimum(entry_index, last)])
        own = (event == 1) & (own_event < last)
        event_part = np.where(own, event_term[np.minimum(own_event, max(len(event_times) - 1, 0))], 0.0) \
            if len(event_times) else 0.0
        influence = weights * surv * (risk_part - event_part)
        se = np.sqrt(np.sum(np.bincount(codes, weights=influence) ** 2)) if surv > 0 else np.nan
        low, high = pointwise_interval(np.array([surv]), np.array([se]), z, conf_type)
        at_t = float(weights[(entry < t) & (time >= t)].sum())
        rows.append({"time": float(t), "n_risk": at_t, "n_events": float(events[:last].sum()),
                     "survival": float(surv), "std_error": float(se), "conf_low": float(low[0]),
                     "conf_high": float(high[0])})
    table = pd.DataFrame(rows, columns=ROBUST_KM_COLUMNS[:-1])
    table["n_clusters"] = float(codes.max() + 1)
    return table
