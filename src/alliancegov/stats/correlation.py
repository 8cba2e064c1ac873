"""Pearson correlations tested with cluster-robust inference.

When the same unit answers several times (a firm in several survey waves), the rows are not
independent and the textbook test of a correlation, t = r sqrt((n - 2) / (1 - r²)) on n - 2
degrees of freedom, is too liberal. The correlation is the slope of the standardised ``y`` on the
standardised ``x``,

    z_y = a + b z_x + e,    b̂ = r,

so its test can borrow the regression's cluster-robust (sandwich) standard error: with CR1 (the
small-sample factor G/(G - 1) · (n - 1)/(n - 2) of Stata's ``regress, vce(cluster)``) and a Student
t reference on G - 1 degrees of freedom. Under H0: ρ = 0 the estimation of the standard
deviations does not change the slope's first-order variance, so the test is valid; the interval
is the Wald interval on Fisher's z scale, se_z = se / (1 - r²), back-transformed so that it stays
within (-1, 1).

Nothing here knows about the survey; scipy is imported inside the functions that use it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.stats.clusters import cluster_codes

CORRELATION_TEST_COLUMNS = ["n", "n_clusters", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
                            "conf_high"]
METHOD = ("slope of standardised y on standardised x (= r) with cluster-robust CR1 standard error, "
          "t test on G - 1 degrees of freedom, Fisher-z interval")


def clustered_correlation(x, y, clusters=None, *, level: float = 0.95) -> pd.Series:
    """Pearson's r of the rows complete on ``x``, ``y`` (and ``clusters``), with a cluster-robust test.

    Parameters
    ----------
    x, y : array-like of shape (n,)
        The two variables; a row missing either is left out.
    clusters : array-like of shape (n,), default=None
        Cluster labels (a row with a missing label is left out); None treats every row as its
        own cluster (heteroskedasticity-robust HC1 inference).
    level : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    Series
        ``CORRELATION_TEST_COLUMNS``: ``n`` complete rows, ``n_clusters`` (G), ``estimate`` (r),
        ``std_error`` (CR1 sandwich SE of the slope), ``statistic`` (r / SE), ``df`` (G - 1),
        two-sided ``p_value`` from t(G - 1), and ``conf_low``, ``conf_high`` (Fisher-z Wald
        interval at ``level``). Everything but the counts is NaN with fewer than 3 rows or 2
        clusters, or a constant variable.
    """
    from scipy import stats

    x = pd.to_numeric(pd.Series(np.asarray(x)), errors="coerce").to_numpy(float)
    y = pd.to_numeric(pd.Series(np.asarray(y)), errors="coerce").to_numpy(float)
    keep = np.isfinite(x) & np.isfinite(y)
    if clusters is not None:
        keep &= pd.notna(pd.Series(np.asarray(clusters, dtype=object))).to_numpy()
    n = int(keep.sum())
    codes = (np.arange(n) if clusters is None
             else cluster_codes(np.asarray(clusters, dtype=object)[keep], n, "clusters"))
    n_clusters = int(codes.max() + 1) if n else 0
    result = dict.fromkeys(CORRELATION_TEST_COLUMNS, np.nan)
    result.update(n=n, n_clusters=n_clusters)
    x, y = x[keep], y[keep]
    if n < 3 or n_clusters < 2 or x.std() == 0 or y.std() == 0:
        return pd.Series(result, dtype=float)
    zx = (x - x.mean()) / x.std(ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    r = float(zx @ zy / (n - 1))
    residual = zy - r * zx
    # the bread (X'X)⁻¹ is diag(1/n, 1/(n - 1)): the slope's variance needs only its own meat entry
    scores = np.bincount(codes, weights=zx * residual, minlength=n_clusters)
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - 2)
    se = float(np.sqrt(factor * (scores ** 2).sum()) / (n - 1))
    df = n_clusters - 1
    critical = stats.t.ppf(0.5 + level / 2, df)
    statistic = r / se if se > 0 else np.nan
    p_value = 2 * stats.t.sf(abs(statistic), df) if se > 0 else np.nan
    if abs(r) < 1 and se > 0:
        z, se_z = np.arctanh(r), se / (1 - r ** 2)
        low, high = np.tanh(z - critical * se_z), np.tanh(z + critical * se_z)
    else:
        low = high = np.nan
    result.update(estimate=r, std_error=se, statistic=statistic, df=df, p_value=p_value, conf_low=low,
                  conf_high=high)
    return pd.Series(result, dtype=float)
