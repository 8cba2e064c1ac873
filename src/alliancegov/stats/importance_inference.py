"""Bootstrap inference on the Shapley shares of R² (:func:`alliancegov.stats.importance.shapley_r2`):
percentile intervals of each share, the differences between shares, and a test that one group has
the largest share.

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from alliancegov.stats.importance import resampled_shares, shapley_r2
from alliancegov.stats.subset_regressions import StackedDesign, stack_design


class _Shares:
    """Resampled rows → the groups' Shapley shares (G,); picklable for the bootstrap workers."""

    def __init__(self, design: StackedDesign):
        self.design = design

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return resampled_shares(self.design, np.bincount(rows, minlength=len(self.design.weights)))


SHARE_COLUMNS = ["kind", "group", "other", "term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                 "conf_high", "n_ok", "shapley_r2", "note"]


def shapley_share_inference(y, groups: Mapping, *, n_boot: int, seed, cluster_ids=None, controls=None, weights=None,
                            level: float = 0.95, n_jobs: int = 1) -> pd.DataFrame:
    """Shapley shares of R² with bootstrap intervals, the differences between shares, and a test
    that one group has the largest share.

    Parameters
    ----------
    y : array-like of shape (n,)
        The outcome.
    groups : mapping of str to array-like of shape (n,) or (n, k_g)
        As in :func:`shapley_r2`.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resamples.
    cluster_ids : array-like of shape (n,), optional
        Clusters resampled whole (units observed several times).
    controls, weights : array-like, optional
        As in :func:`shapley_r2`.
    level : float
        Confidence level of the intervals.
    n_jobs : int
        Worker processes.

    Returns
    -------
    DataFrame
        Columns ``SHARE_COLUMNS``, three kinds of rows:

        * ``share`` (one per group): its share of the decomposed R², percentile interval,
          bootstrap SE, and its part of R² itself (``shapley_r2``, NaN on the other rows);
        * ``difference`` (one per ordered pair ``group − other``, ``group`` listed first): the
          difference of the two shares, its interval and two-sided bootstrap p-value;
        * ``largest`` (one per group): ``group``'s share minus the largest other share, with
          the p-value of the one-sided test that ``group``'s share exceeds every other one —
          the largest of its one-sided pairwise p-values (an intersection–union test, valid
          without a multiplicity correction; Berger 1982).

        p-values are ``(1 + #)/(B + 1)``, never 0; ``statistic`` is the normal equivalent of the
        p-value (two-sided for the differences, see
        :func:`alliancegov.stats.bootstrap.normal_equivalent`; one-sided for ``largest``, its p
        clipped to ``B/(B + 1)`` so that it stays finite). The share rows have no p-value (a
        share is not tested against 0). ``note`` says so on each row.
    """
    from scipy import stats

    from alliancegov.stats.bootstrap import bootstrap_estimates, bootstrap_p_values, normal_equivalent

    point = shapley_r2(y, groups, controls, weights)
    names = list(point["group"])
    shares = point["share"].to_numpy(float)
    n = len(np.asarray(y))
    result = bootstrap_estimates(_Shares(stack_design(y, groups, controls, weights)), n, n_boot, seed, n_jobs=n_jobs,
                                 cluster_ids=cluster_ids)
    draws = result.estimates[result.ok]
    tails = ((1 - level) / 2, (1 + level) / 2)

    def summary(estimate: float, replicates: np.ndarray) -> dict:
        low, high = np.quantile(replicates, tails) if replicates.size else (np.nan, np.nan)
        return {"estimate": estimate, "std_error": float(replicates.std(ddof=1)) if replicates.size > 1 else np.nan,
                "conf_low": float(low), "conf_high": float(high), "n_ok": int(replicates.size)}

    rows = [{"kind": "share", "group": name, "other": "", "term": f"share: {name}",
             **summary(shares[g], draws[:, g]), "statistic": np.nan, "p_value": np.nan,
             "shapley_r2": point["shapley_r2"].iloc[g]} for g, name in enumerate(names)]
    B = draws.shape[0]
    for g, name in enumerate(names):
        for h, other in enumerate(names):
            if h <= g:
                continue
            difference = draws[:, g] - draws[:, h]
            p_value = bootstrap_p_values(difference[:, None])[0]
            estimate = shares[g] - shares[h]
            rows.append({"kind": "difference", "group": name, "other": other, "term": f"{name} - {other}",
                         **summary(estimate, difference), "p_value": p_value,
                         "statistic": normal_equivalent(np.array([p_value]), np.array([estimate]))[0]})
    for g, name in enumerate(names):
        others = [h for h in range(len(names)) if h != g]
        if not others:
            continue
        margins = draws[:, [g]] - draws[:, others]
        one_sided = (1 + (margins <= 0).sum(axis=0)) / (B + 1)
        p_value = float(min(1.0, one_sided.max()))
        estimate = shares[g] - shares[others].max()
        # the one-sided p lives in [1/(B+1), 1]: clipped symmetrically, its normal quantile is finite
        # and as far from 0 in either direction as B resamples can resolve
        clipped = min(p_value, B / (B + 1))
        rows.append({"kind": "largest", "group": name, "other": "", "term": f"largest: {name}",
                     **summary(estimate, draws[:, g] - draws[:, others].max(axis=1)), "p_value": p_value,
                     "statistic": float(stats.norm.isf(clipped))})
    notes = {"share": f"percentile interval and SE from {B} resamples; a share is not tested against 0",
             "difference": (f"percentile interval from {B} resamples; two-sided p = (1 + #)/(B + 1), never 0; "
                            "statistic = the normal quantile of p, signed as the estimate"),
             "largest": (f"the share minus the largest other one; one-sided intersection-union test that it "
                         f"exceeds every other share, p = largest of (1 + #)/(B + 1) over the other groups, {B} "
                         "resamples; statistic = the one-sided normal quantile of p")}
    table = pd.DataFrame(rows, columns=SHARE_COLUMNS[:-1])
    return table.assign(note=table["kind"].map(notes))
