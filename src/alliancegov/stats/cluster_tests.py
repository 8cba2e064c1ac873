"""One-sample tests, logits and equivalence tests with cluster-robust (or naive) inference.

Generic: nothing here knows about the survey. Units that repeat (a firm answering in several
waves) form clusters; every function takes ``groups`` (one label per row, ``None`` for the naive,
independent-rows inference) and optional frequency ``weights`` (a row standing for ``w`` identical
rows of the same cluster).

Conventions
-----------
* Means and proportions: statsmodels ``OLS``/``WLS`` of the values on a constant with
  ``cov_type="cluster"``: the sandwich times G/(G − 1)·(N − 1)/(N − K) = G/(G − 1) (K = 1), a
  Student t reference on G − 1 degrees of freedom (Stata ``mean y, vce(cluster g)``). Without
  clusters, the classic one-sample t (n − 1 df). With frequency weights the point estimate and the
  cluster sandwich equal those of the rows repeated (every copy in its row's cluster).
* A proportion's interval and test are on the logit scale, ``logit(p) ± t·SE/(p(1 − p))`` (Stata's
  ``proportion`` default ``citype(logit)``), so that the interval stays inside (0, 1) and excludes
  the null value exactly when the test rejects it. A Wilson or exact binomial interval assumes
  independent rows and is not valid under clustering.
* Logits: statsmodels ``GLM`` (binomial) with the cluster sandwich without statsmodels' small-sample
  correction, scaled by G/(G − 1) only, with a normal reference: Stata ``logit, vce(cluster g)``
  (statsmodels' default factor also multiplies by (N − 1)/(N − K), which Stata applies to
  ``regress`` only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.stats.clusters import cluster_codes

TEST_COLUMNS = ["estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high", "n", "n_clusters"]


def _inputs(values, groups, weights) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    values = np.asarray(values, float).ravel()
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite (drop the missing ones first)")
    codes = None if groups is None else cluster_codes(groups, len(values), "groups")
    if weights is not None:
        weights = np.asarray(weights, float).ravel()
        if weights.shape != values.shape or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("weights must be finite, non-negative and one per value")
    return values, codes, weights


def _one_sample(values: np.ndarray, codes, weights):
    """statsmodels' fit of the values on a constant: (mean, SE, residual df of the inference)."""
    import statsmodels.api as sm

    constant = np.ones((len(values), 1))
    model = sm.OLS(values, constant) if weights is None else sm.WLS(values, constant, weights=weights)
    if codes is None:
        fit = model.fit()
        # frequency weights: N is their sum (the rows repeated), not the number of rows
        df = (weights.sum() if weights is not None else len(values)) - 1
        scale = 1.0 if weights is None else (len(values) - 1) / df
        return float(fit.params[0]), float(fit.bse[0]) * np.sqrt(scale), float(df)
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    return float(fit.params[0]), float(fit.bse[0]), float(fit.df_resid_inference)


def mean_test(values, null: float = 0.0, *, groups=None, weights=None, level: float = 0.95) -> dict:
    """The mean of ``values`` against ``null``: t test and interval, cluster-robust or naive.

    Parameters
    ----------
    values : array-like of shape (n,)
        Finite values.
    null : float, default 0.0
        The value under the null hypothesis.
    groups : array-like of shape (n,), optional
        Cluster labels; None for independent rows.
    weights : array-like of shape (n,), optional
        Frequency weights.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    dict
        ``estimate`` (the (weighted) mean), ``std_error``, ``statistic`` (t), ``df`` (G − 1, or
        N − 1 naive), ``p_value`` (two-sided), ``conf_low, conf_high`` (t interval), ``n`` (rows, or
        the sum of frequency weights), ``n_clusters`` (G, or NaN), and Cohen's ``d`` = (mean − null)
        / SD with ``d_std_error, d_conf_low, d_conf_high`` (see Notes).

    Notes
    -----
    The interval of d is the delta method over the influence functions of the mean and of the
    variance, summed within clusters (the cluster sandwich of the pair, scaled by G/(G − 1)), with
    the same t reference: statsmodels has no cluster-robust standardised mean difference. Naive
    rows are clusters of one.
    """
    from scipy import stats

    values, codes, weights = _inputs(values, groups, weights)
    mean, se, df = _one_sample(values, codes, weights)
    statistic = (mean - null) / se
    critical = stats.t.ppf(0.5 + level / 2, df)
    w = np.ones_like(values) if weights is None else weights
    total = w.sum()
    variance = np.sum(w * (values - mean) ** 2) / (total - 1)
    sd = np.sqrt(variance)
    d = (mean - null) / sd
    # each observation's influence on d; a row of weight w is w copies of it
    influence = ((values - mean) / sd - d * ((values - mean) ** 2 - variance) / (2 * variance)) / total
    if codes is None:   # every copy independent
        d_se = float(np.sqrt(total / (total - 1) * np.sum(w * influence**2)))
    else:               # every copy in its row's cluster
        sums = np.bincount(codes, weights=w * influence)
        d_se = float(np.sqrt(len(sums) / (len(sums) - 1) * np.sum(sums**2)))
    return {"estimate": mean, "std_error": se, "statistic": statistic, "df": df,
            "p_value": float(2 * stats.t.sf(abs(statistic), df)),
            "conf_low": mean - critical * se, "conf_high": mean + critical * se,
            "n": float(total), "n_clusters": float(codes.max() + 1) if codes is not None else np.nan,
            "d": d, "d_std_error": d_se, "d_conf_low": d - critical * d_se, "d_conf_high": d + critical * d_se}


def proportion_test(hits, null: float, *, groups=None, weights=None, level: float = 0.95) -> dict:
    """A proportion against ``null``: logit-scale t test and interval, cluster-robust or naive.

    Parameters
    ----------
    hits : array-like of shape (n,)
        1 where the row meets the condition, else 0.
    null : float
        The proportion under the null hypothesis, in (0, 1).
    groups : array-like of shape (n,), optional
        Cluster labels; None for independent rows.
    weights : array-like of shape (n,), optional
        Frequency weights.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    dict
        ``estimate`` (the proportion, 0–1), ``std_error`` (its SE on the proportion scale),
        ``statistic`` (t of logit(p) − logit(null)), ``df``, ``p_value``, ``conf_low, conf_high``
        (the logit interval mapped back), ``n``, ``n_clusters``, and Cohen's ``h`` = 2 asin √p −
        2 asin √null with ``h_conf_low, h_conf_high`` (the interval's limits mapped the same way).

    Raises
    ------
    ValueError
        If ``hits`` holds a value other than 0 and 1, or ``null`` is not inside (0, 1).
    """
    from scipy import stats

    if not 0 < null < 1:
        raise ValueError(f"the null proportion must lie inside (0, 1), not {null}")
    values, codes, weights = _inputs(hits, groups, weights)
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError("hits must be 0 or 1")
    share, se, df = _one_sample(values, codes, weights)
    critical = stats.t.ppf(0.5 + level / 2, df)
    n = float(len(values) if weights is None else weights.sum())
    clusters = float(len(np.unique(codes))) if codes is not None else np.nan
    result = {"estimate": share, "std_error": se, "df": df, "n": n, "n_clusters": clusters}
    if not 0 < share < 1:   # every row or none: no variance, no logit
        return result | {"statistic": np.nan, "p_value": np.nan, "conf_low": share, "conf_high": share,
                         "h": _cohen_h(share, null), "h_conf_low": np.nan, "h_conf_high": np.nan}
    logit_se = se / (share * (1 - share))
    logit = np.log(share / (1 - share))
    statistic = (logit - np.log(null / (1 - null))) / logit_se
    low, high = (1 / (1 + np.exp(-(logit + sign * critical * logit_se))) for sign in (-1, 1))
    return result | {"statistic": statistic, "p_value": float(2 * stats.t.sf(abs(statistic), df)),
                     "conf_low": low, "conf_high": high, "h": _cohen_h(share, null),
                     "h_conf_low": _cohen_h(low, null), "h_conf_high": _cohen_h(high, null)}


def _cohen_h(share: float, null: float) -> float:
    return float(2 * np.arcsin(np.sqrt(share)) - 2 * np.arcsin(np.sqrt(null)))


def logit_coefficients(y, X: pd.DataFrame, *, groups=None, weights=None, level: float = 0.95) -> pd.DataFrame:
    """Binary logit by maximum likelihood with cluster-robust (Stata ``vce(cluster)``) or model SEs.

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 outcome.
    X : DataFrame of shape (n, k)
        Regressors with the constant; its column names become the terms.
    groups : array-like of shape (n,), optional
        Cluster labels; None for the inverse-information covariance (Stata ``vce(oim)``).
    weights : array-like of shape (n,), optional
        Frequency weights (equal to the rows repeated, checked in the tests).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    DataFrame
        One row per column of X: ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high`` (log-odds, Wald z, normal reference) and ``odds_ratio, or_conf_low,
        or_conf_high`` (exp of the estimate and limits); ``n_clusters`` (G or NaN).
    """
    import warnings

    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import SpecificationWarning

    from alliancegov.stats.tidy import tidy_coefficients

    y = np.asarray(y, float).ravel()
    codes = None if groups is None else cluster_codes(groups, len(y), "groups")
    model = sm.GLM(y, X.to_numpy(float), family=sm.families.Binomial(),
                   freq_weights=None if weights is None else np.asarray(weights, float))
    with warnings.catch_warnings():
        # statsmodels warns that cov_type is "not fully supported with freq_weights": its default
        # correction counts rows, not weights; with the correction off the sandwich is the rows
        # repeated (tests/stats/test_cluster_tests.py)
        warnings.simplefilter("ignore", SpecificationWarning)
        if codes is None:
            fit = model.fit()
            cov = np.asarray(fit.cov_params())
        else:
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes, "use_correction": False})
            clusters = len(np.unique(codes))
            cov = np.asarray(fit.cov_params()) * clusters / (clusters - 1)
    table = tidy_coefficients(list(X.columns), fit.params, np.sqrt(np.diag(cov)), level=level)
    table["odds_ratio"] = np.exp(table["estimate"])
    table["or_conf_low"] = np.exp(table["conf_low"])
    table["or_conf_high"] = np.exp(table["conf_high"])
    table["n_clusters"] = float(len(np.unique(codes))) if codes is not None else np.nan
    return table


def equivalence_test(estimate: float, std_error: float, reference: float, margin: float,
                     df: float | None = None) -> float:
    """Two one-sided tests (TOST) that the estimate lies within ``reference ± margin``.

    Parameters
    ----------
    estimate, std_error : float
        The estimate and its standard error (the same, e.g. cluster-robust, SE as its two-sided test).
    reference : float
        The value of no effect.
    margin : float
        The equivalence margin (> 0), in the estimate's units.
    df : float, optional
        Degrees of freedom of a t reference; None for the normal.

    Returns
    -------
    float
        The TOST p-value, max of the two one-sided p-values (H0: estimate ≤ reference − margin;
        H0: estimate ≥ reference + margin): below alpha, equivalence is shown at alpha (the 1 − 2α
        interval lies inside the margins). NaN when the SE is not finite and positive.

    Raises
    ------
    ValueError
        If ``margin`` is not positive.
    """
    from scipy import stats

    if not margin > 0:
        raise ValueError(f"an equivalence margin must be positive, not {margin}")
    if not (np.isfinite(std_error) and std_error > 0 and np.isfinite(estimate)):
        return np.nan
    reference_distribution = stats.norm() if df is None else stats.t(df)
    above_lower = reference_distribution.sf((estimate - (reference - margin)) / std_error)
    below_upper = reference_distribution.cdf((estimate - (reference + margin)) / std_error)
    return float(max(above_lower, below_upper))
