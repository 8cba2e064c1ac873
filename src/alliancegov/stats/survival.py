"""Time-to-event helpers: Kaplan–Meier tables, medians, log-rank test (the Cox model: :mod:`alliancegov.stats.cox`).

Thin glue over ``statsmodels.duration`` (``SurvfuncRight``, ``survdiff``, ``PHReg``) that
returns tidy ``DataFrame`` s in the project's conventions and matches R ``survival``
(``survfit``/``survdiff``/``coxph``) and Stata (``sts``/``stcox``) numbers.

Data conventions (all functions)
--------------------------------
* ``time`` (n,): follow-up time (e.g. months from the first contract to the partnership, or to
  the end of observation for a censored relationship, i.e. its age).
* ``event`` (n,): 1 = the event (partnership) was observed at ``time``; 0 = right-censored
  (still in repeated contracts). Booleans are accepted.
* ``group`` (n,) or ``None``: comparison groups (e.g. sector). Groups are reported in the order
  of a pandas ``Categorical``'s categories if ``group`` is categorical, otherwise sorted (as R's
  factor levels). ``None`` pools everything into one group labelled ``"all"``.
* Inputs are aligned by position (no index alignment). Rows with a missing ``time``, ``event``,
  ``group`` (or covariate, in :func:`alliancegov.stats.cox.cox_model`) are dropped, as R's default
  ``na.omit`` does.

Confidence intervals for S(t)
-----------------------------
``conf_type`` chooses the pointwise interval for the survival function, all from the Greenwood
standard error ``se(S)`` (reported as ``std_error``, the SE of S(t) itself — R's
``summary(survfit)$std.err``, Stata's ``sts list`` "Std. Error"):

* ``"log-log"`` (default; Stata ``sts`` default, Kalbfleisch–Prentice):
  ``S ** exp(±z·se(S) / (S·log S))``; the interval always lies inside (0, 1).
  R: ``survfit(..., conf.type = "log-log")``.
* ``"log"`` (R ``survfit`` default): ``S·exp(±z·se(S)/S)``, upper limit clipped at 1 as R does.
* ``"plain"``: ``S ± z·se(S)`` clipped to [0, 1] (R ``conf.type = "plain"``).

Where S(t) = 0 the SE and the interval are ``NaN`` (R prints ``NA``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CONF_TYPES = ("log-log", "log", "plain")
_QUANTILE_METHOD = {"log-log": "cloglog", "log": "log", "plain": "linear"}
KM_COLUMNS = ["group", "time", "n_risk", "n_events", "survival", "std_error", "conf_low", "conf_high"]


# ----------------------------------------------------------------------------------------------
# input handling
# ----------------------------------------------------------------------------------------------
def prepare_survival(time, event, group=None, extra: pd.DataFrame | None = None):
    """Validate and align the inputs of a survival estimator; drop incomplete rows.

    Parameters
    ----------
    time, event : array-like of shape (n,)
        Follow-up time and 0/1 event indicator.
    group : array-like of shape (n,), optional
        Comparison groups (None: one group ``"all"``).
    extra : DataFrame of shape (n, p), optional
        Further columns (covariates) whose missing values drop a row too.

    Returns
    -------
    tuple
        ``(time (m,) float, event (m,) float 0/1, group (m,) values, levels, keep (n,) bool)``:
        the m complete rows, the groups' levels in order, and which of the n rows were kept.

    Raises
    ------
    ValueError
        If the inputs differ in length, no row is complete or ``event`` is not coded 0/1.
    """
    time_arr = pd.to_numeric(pd.Series(np.asarray(time).ravel()), errors="raise").to_numpy(float)
    event_ser = pd.Series(np.asarray(event).ravel())
    n = len(time_arr)
    if len(event_ser) != n:
        raise ValueError(f"time has {n} values but event has {len(event_ser)}")
    event_arr = pd.to_numeric(event_ser, errors="raise").to_numpy(float)

    if group is None:
        group_ser = pd.Series(["all"] * n, dtype=object)
    else:
        group_ser = group.reset_index(drop=True) if isinstance(group, pd.Series) else pd.Series(
            group if isinstance(group, pd.Categorical) else np.asarray(group).ravel())
        if len(group_ser) != n:
            raise ValueError(f"time has {n} values but group has {len(group_ser)}")

    keep = np.isfinite(time_arr) & ~np.isnan(event_arr) & group_ser.notna().to_numpy()
    if extra is not None:
        if len(extra) != n:
            raise ValueError(f"time has {n} values but X has {len(extra)} rows")
        keep &= extra.notna().all(axis=1).to_numpy()
    if not keep.any():
        raise ValueError("no complete observations")

    event_arr = event_arr[keep]
    if not np.isin(event_arr, (0.0, 1.0)).all():
        raise ValueError("event must be coded 0 (censored) / 1 (event)")

    group_kept = group_ser[keep].reset_index(drop=True)
    if isinstance(group_kept.dtype, pd.CategoricalDtype):
        present = set(group_kept.dropna().unique())
        levels = [c for c in group_kept.cat.categories if c in present]
        group_vals = group_kept.astype(object).to_numpy()
    else:
        group_vals = group_kept.to_numpy()
        levels = sorted(pd.unique(group_vals).tolist())
    return time_arr[keep], event_arr, group_vals, levels, keep


def check_interval(level: float, conf_type: str) -> float:
    """The normal critical value of a pointwise interval, after checking its level and scale.

    Parameters
    ----------
    level : float
        Confidence level, in (0, 1).
    conf_type : {"log-log", "log", "plain"}
        The interval's scale (see the module docstring).

    Returns
    -------
    float
        z, the normal quantile at 0.5 + level / 2.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1) or ``conf_type`` is unknown.
    """
    from scipy import stats

    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    return float(stats.norm.ppf(0.5 + level / 2))


def pointwise_interval(surv, se, z: float, conf_type: str):
    """Pointwise confidence interval of S(t) from S and its standard error.

    Parameters
    ----------
    surv, se : array-like
        S(t) and the SE of S(t) (Greenwood's, or a robust one), of the same shape.
    z : float
        The normal critical value (:func:`check_interval`).
    conf_type : {"log-log", "log", "plain"}
        The interval's scale (see the module docstring).

    Returns
    -------
    low, high : ndarray
        The limits, of the inputs' shape; [1, 1] where S = 1 with SE 0, NaN where S <= 0 or the
        SE is not finite.
    """
    surv = np.asarray(surv, float)
    se = np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log-log":
            # log(-log S) ± z·se(S)/(S·|log S|)  ⇔  S ** exp(∓ z·se(S)/(S·log S))
            theta = np.exp(z * se / (surv * np.log(surv)))
            low, high = surv ** (1 / theta), surv ** theta
        elif conf_type == "log":
            half = z * se / surv
            low, high = surv * np.exp(-half), np.minimum(surv * np.exp(half), 1.0)
        else:
            low, high = np.maximum(surv - z * se, 0.0), np.minimum(surv + z * se, 1.0)
    # S = 1 (before the first event, se = 0): the interval degenerates to [1, 1], as in R.
    one = (surv == 1) & (se == 0)
    low = np.where(one, 1.0, low)
    high = np.where(one, 1.0, high)
    bad = ~np.isfinite(se) | (surv <= 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def _survfuncs(time, event, group, level, conf_type):
    from statsmodels.duration.survfunc import SurvfuncRight

    z = check_interval(level, conf_type)
    t, e, g, levels, _ = prepare_survival(time, event, group)
    fits = {}
    for lev in levels:
        mask = g == lev
        fits[lev] = (SurvfuncRight(t[mask], e[mask]), t[mask], e[mask])
    return fits, z


# ----------------------------------------------------------------------------------------------
# Kaplan–Meier
# ----------------------------------------------------------------------------------------------
def kaplan_meier(time, event, group=None, level: float = 0.95, conf_type: str = "log-log") -> pd.DataFrame:
    """Kaplan–Meier step table, one row per (group, distinct event time).

    Parameters
    ----------
    time : array-like of shape (n,), float
        Follow-up time.
    event : array-like of shape (n,), 0/1
        1 = event observed, 0 = right-censored.
    group : array-like of shape (n,), optional
        Comparison groups (``None``: one group ``"all"``).
    level : float, default 0.95
        Confidence level of the pointwise interval.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        ``"log-log"`` (Stata ``sts``), ``"log"`` (R ``survfit`` default) or ``"plain"``; see the
        module docstring.

    Returns
    -------
    DataFrame
        Columns ``group, time, n_risk, n_events, survival, std_error, conf_low, conf_high`` and
        one row per group and distinct *event* time (as R's ``summary(survfit)``; censoring-only
        times are not listed — S(t) is constant there). ``time`` is in the unit of the input,
        ``n_risk`` is the number at risk just before ``time``, ``survival`` the KM estimate
        S(time) (right-continuous step function), ``std_error`` its Greenwood SE. A group without
        any event contributes no row.

    Raises
    ------
    ValueError
        If the inputs differ in length, ``event`` is not coded 0/1, no row is complete, or
        ``level`` or ``conf_type`` is invalid.

    Notes
    -----
    Matches ``summary(survfit(Surv(time, event) ~ group, conf.type = ...))`` and Stata
    ``sts list, by(group)`` (which lists censoring times too).
    """
    fits, z = _survfuncs(time, event, group, level, conf_type)
    parts = []
    for lev, (sf, _, _) in fits.items():
        low, high = pointwise_interval(sf.surv_prob, sf.surv_prob_se, z, conf_type)
        parts.append(pd.DataFrame({
            "group": pd.Series([lev] * len(sf.surv_times), dtype=object),
            "time": np.asarray(sf.surv_times, float),
            "n_risk": np.asarray(sf.n_risk, float).astype(np.int64),
            "n_events": np.asarray(sf.n_events, float).astype(np.int64),
            "survival": np.asarray(sf.surv_prob, float),
            "std_error": np.asarray(sf.surv_prob_se, float),
            "conf_low": low,
            "conf_high": high,
        }))
    return pd.concat(parts, ignore_index=True)[KM_COLUMNS]


def median_survival(time, event, group=None, level: float = 0.95, conf_type: str = "log-log") -> pd.DataFrame:
    """Median survival time per group with a Brookmeyer–Crowley confidence interval.

    Parameters
    ----------
    time : array-like of shape (n,), float
        Follow-up time.
    event : array-like of shape (n,), 0/1
        1 = event observed, 0 = right-censored.
    group : array-like of shape (n,), optional
        Comparison groups (``None``: one group ``"all"``).
    level : float, default 0.95
        Confidence level of the pointwise interval.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        ``"log-log"`` (Stata ``sts``), ``"log"`` (R ``survfit`` default) or ``"plain"``; see the
        module docstring.

    Returns
    -------
    DataFrame
        Columns ``group, n, n_events, median, conf_low, conf_high`` (one row per group), times in
        the unit of ``time``. ``median`` is the first event time at which S(t) < 0.5 (statsmodels'
        ``SurvfuncRight.quantile(0.5)``, SAS LIFETEST's rule); the interval is statsmodels'
        ``quantile_ci(0.5, method=...)`` — the event times at which H0: S(t) = 0.5 is not rejected
        by the z-test on the ``conf_type`` scale (``"log-log"`` → ``"cloglog"``, ``"log"`` →
        ``"log"``, ``"plain"`` → ``"linear"``). ``NaN`` means "not reached" (R prints ``NA``,
        Stata ``.``): median ``NaN`` when S never drops below 0.5; ``conf_high`` ``NaN`` when the
        interval is open to the right.

    Raises
    ------
    ValueError
        If the inputs differ in length, ``event`` is not coded 0/1, no row is complete, or
        ``level`` or ``conf_type`` is invalid.

    Notes
    -----
    Agreement with R ``quantile(survfit(...), 0.5)``/``print(survfit)``: identical except in two
    corner cases — when S(t) equals 0.5 exactly on a flat stretch R reports the midpoint of that
    stretch (this function: the next event time), and when the curve drops to 0 at the last
    event time R ignores that time for the upper limit (reporting ``NA``) while statsmodels
    reports it.
    """
    fits, z = _survfuncs(time, event, group, level, conf_type)
    rows = []
    for lev, (sf, t, e) in fits.items():
        if len(sf.surv_times) == 0:
            median, low, high = np.nan, np.nan, np.nan
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                median = float(sf.quantile(0.5))
                low, high = sf.quantile_ci(0.5, alpha=1 - level, method=_QUANTILE_METHOD[conf_type])
        rows.append({
            "group": lev, "n": int(len(t)), "n_events": int(e.sum()),
            "median": median,
            "conf_low": float(low) if np.isfinite(low) else np.nan,
            "conf_high": float(high) if np.isfinite(high) else np.nan,
        })
    return pd.DataFrame(rows, columns=["group", "n", "n_events", "median", "conf_low", "conf_high"])


def share_event_by(time, event, group=None, horizon: float = 12.0, level: float = 0.95,
                   conf_type: str = "log-log") -> pd.DataFrame:
    """KM probability that the event has happened by ``horizon``, 1 − S(horizon), per group.

    This is the quantity behind "most partnerships form within a year": e.g. with time in
    months, ``horizon=12`` gives P(T ≤ 12) with censoring handled by Kaplan–Meier.

    Parameters
    ----------
    time : array-like of shape (n,), float
        Follow-up time.
    event : array-like of shape (n,), 0/1
        1 = event observed, 0 = right-censored.
    group : array-like of shape (n,), optional
        Comparison groups (``None``: one group ``"all"``).
    horizon : float, default 12.0
        The time by which the event counts, in the same unit as ``time``.
    level : float, default 0.95
        Confidence level of the pointwise interval.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        As :func:`kaplan_meier`.

    Returns
    -------
    DataFrame
        Columns ``group, horizon, n_risk, n_events, probability, std_error, conf_low,
        conf_high`` (one row per group): ``n_risk`` = number with ``time >= horizon``,
        ``n_events`` = events at times ≤ ``horizon``, ``probability`` = 1 − S(horizon) with S the
        step function of :func:`kaplan_meier`, ``std_error`` = Greenwood SE of S(horizon) (the
        same for 1 − S), and the interval = 1 − (the ``conf_type`` interval of S), i.e.
        ``conf_low = 1 − S_high``, ``conf_high = 1 − S_low``.

    Raises
    ------
    ValueError
        As :func:`kaplan_meier`.

    Notes
    -----
    Matches R ``summary(survfit(..., conf.type=...), times = horizon)`` (n.risk, n.event,
    1 − surv, std.err, 1 − upper, 1 − lower) and Stata ``sts list, at(horizon) by(group)``.
    Before the first event the probability is 0 with interval [0, 0] (R: S = 1, [1, 1]). Past a
    group's last follow-up time S is not estimable: ``NaN`` (R drops such rows) unless the curve
    has already reached 0, in which case the probability is 1 (SE and CI ``NaN``).
    """
    horizon = float(horizon)
    fits, z = _survfuncs(time, event, group, level, conf_type)
    rows = []
    for lev, (sf, t, e) in fits.items():
        times = np.asarray(sf.surv_times, float)
        k = np.searchsorted(times, horizon, side="right") - 1  # last event time <= horizon
        if k < 0:
            surv, se = 1.0, 0.0
        else:
            surv, se = float(sf.surv_prob[k]), float(sf.surv_prob_se[k])
        if horizon > t.max() and surv > 0:
            surv, se = np.nan, np.nan
        low, high = pointwise_interval(np.array([surv]), np.array([se]), z, conf_type)
        rows.append({
            "group": lev, "horizon": horizon,
            "n_risk": int((t >= horizon).sum()), "n_events": int(e[t <= horizon].sum()),
            "probability": 1 - surv, "std_error": se,
            "conf_low": 1 - float(high[0]), "conf_high": 1 - float(low[0]),
        })
    return pd.DataFrame(rows, columns=["group", "horizon", "n_risk", "n_events", "probability", "std_error",
                                       "conf_low", "conf_high"])


# ----------------------------------------------------------------------------------------------
# log-rank test
# ----------------------------------------------------------------------------------------------
def log_rank(time, event, group, *, strata=None) -> tuple[float, int, float]:
    """Log-rank (Mantel–Haenszel) test of equal survival across groups.

    Parameters
    ----------
    time, event : array-like of shape (n,)
        As :func:`kaplan_meier`.
    group : array-like of shape (n,)
        Group labels (two or more groups).
    strata : array-like of shape (n,), optional
        Stratum labels for a stratified test (R ``+ strata(s)``).

    Returns
    -------
    tuple of (float, int, float)
        ``(statistic, df, p_value)``: the chi-square statistic of statsmodels ``survdiff`` (equal
        to R ``survdiff(Surv(time, event) ~ group)$chisq`` and Stata ``sts test group``), its
        degrees of freedom (number of groups − 1) and the upper-tail chi-square p-value.

    Raises
    ------
    ValueError
        If ``group`` is None or holds fewer than two groups among the complete rows, ``strata``
        has another length or a missing value among them, or as :func:`kaplan_meier`.
    """
    from scipy import stats
    from statsmodels.duration.survfunc import survdiff

    if group is None:
        raise ValueError("log_rank needs a group")
    t, e, g, levels, keep = prepare_survival(time, event, group)
    if len(levels) < 2:
        raise ValueError("log_rank needs at least two groups")
    codes = pd.Categorical(g, categories=levels).codes
    kwargs = {}
    if strata is not None:
        s = pd.Series(np.asarray(strata).ravel())
        if len(s) != len(keep):
            raise ValueError("strata must have one value per observation")
        s = s[keep].reset_index(drop=True)
        if s.isna().any():
            raise ValueError("strata has missing values among complete observations")
        kwargs["strata"] = pd.factorize(s)[0]
    statistic, _ = survdiff(t, e, codes, **kwargs)
    statistic = float(statistic)
    df = len(levels) - 1
    return statistic, df, float(stats.chi2.sf(statistic, df))
