"""Kaplan–Meier with a cluster-robust (infinitesimal jackknife) variance
(alliancegov.stats.survival_robust) against R ``survival`` and the identities of an IJ variance.

The reference numbers come from R 4.2 with survival 3.5-3 (Debian's r-cran-survival), by::

    d <- data.frame(time = c(3,5,5,7,8,10,12,12,14,15,18,20,22,25,30,4,6,9,11,16),
                    status = c(1,1,0,1,1,0,1,1,0,1,1,0,1,0,1,1,0,1,1,0),
                    id = c(1,2,3,4,5,1,2,6,7,8,9,3,10,11,12,13,14,13,15,16),
                    entry = c(0,0,1,2,0,3,0,4,0,1,2,0,5,0,0,0,1,0,2,0))
    s <- summary(survfit(Surv(time, status) ~ 1, data = d, id = id, robust = TRUE), times = c(5, 10, 15, 20))
    cbind(s$n.risk, s$surv, s$std.err, s$lower, s$upper)          # conf.type "log" (R's default)
    summary(survfit(..., conf.type = "log-log"), ...)                # the log-log limits
    summary(survfit(Surv(entry, time, status) ~ 1, data = d, id = id, robust = TRUE), times = ...)
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from alliancegov.stats.survival import share_event_by
from alliancegov.stats.survival_robust import ROBUST_KM_COLUMNS, kaplan_meier_robust

TIME = np.array([3, 5, 5, 7, 8, 10, 12, 12, 14, 15, 18, 20, 22, 25, 30, 4, 6, 9, 11, 16], float)
STATUS = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0])
ID = np.array([1, 2, 3, 4, 5, 1, 2, 6, 7, 8, 9, 3, 10, 11, 12, 13, 14, 13, 15, 16])
ENTRY = np.array([0, 0, 1, 2, 0, 3, 0, 4, 0, 1, 2, 0, 5, 0, 0, 0, 1, 0, 2, 0], float)
AT = [5, 10, 15, 20]


def test_clustered_km_matches_r_survfit_robust():
    table = kaplan_meier_robust(TIME, STATUS, groups=ID, times=AT, conf_type="log")
    assert list(table.columns) == ROBUST_KM_COLUMNS
    assert_allclose(table["n_risk"], [18, 12, 7, 4])
    assert_allclose(table["survival"], [0.85, 0.68, 0.423896103896, 0.339116883117], rtol=1e-10)
    assert_allclose(table["std_error"], [0.0676387462923, 0.1109594520534, 0.1304053596943, 0.1293639859251],
                    rtol=1e-10)
    assert_allclose(table["conf_low"], [0.727251401113, 0.493871011140, 0.231952935938, 0.160560561093], rtol=1e-9)
    assert_allclose(table["conf_high"], [0.993466631889, 0.936276860901, 0.774673992255, 0.716242267915], rtol=1e-9)
    loglog = kaplan_meier_robust(TIME, STATUS, groups=ID, times=AT)
    assert_allclose(loglog["conf_low"], [0.654221706197, 0.413208977727, 0.176805195546, 0.115438390468], rtol=1e-9)
    assert_allclose(loglog["conf_high"], [0.939649787604, 0.845108199615, 0.653686143640, 0.581783123578],
                    rtol=1e-9)
    assert (table["n_clusters"] == 16).all()


def test_delayed_entry_matches_r():
    table = kaplan_meier_robust(TIME, STATUS, groups=ID, entry=ENTRY, times=AT)
    assert_allclose(table["n_risk"], [17, 12, 7, 4])
    assert_allclose(table["survival"], [0.833706492978, 0.666965194382, 0.415770510784, 0.332616408627], rtol=1e-10)
    assert_allclose(table["std_error"], [0.0743246619931, 0.1114513698867, 0.1291693823213, 0.1273181469200],
                    rtol=1e-10)


def test_independent_rows_give_greenwoods_se_here():
    """Each row its own cluster: R prints 0.0798435971134, 0.1085664159244, 0.1224103246305,
    0.1238545803331, which is also its Greenwood SE for these data."""
    table = kaplan_meier_robust(TIME, STATUS, times=AT)
    assert_allclose(table["std_error"], [0.0798435971134, 0.1085664159244, 0.1224103246305, 0.1238545803331],
                    rtol=1e-10)
    greenwood = share_event_by(TIME, STATUS, horizon=10)
    assert table["std_error"].iloc[1] == pytest.approx(greenwood["std_error"].iloc[0], rel=1e-10)


def test_influence_is_the_derivative_of_s_in_each_rows_weight():
    """The IJ variance is the sum of squared weight derivatives of S(t): checked by finite differences."""
    horizon = 15.0
    base = kaplan_meier_robust(TIME, STATUS, times=[horizon])["survival"].iloc[0]
    step = 1e-6
    derivatives = []
    for i in range(len(TIME)):
        weights = np.ones(len(TIME))
        weights[i] += step
        derivatives.append((kaplan_meier_robust(TIME, STATUS, weights=weights, times=[horizon])["survival"].iloc[0]
                            - base) / step)
    derivatives = np.asarray(derivatives)
    by_firm = np.bincount(np.unique(ID, return_inverse=True)[1], weights=derivatives)
    robust = kaplan_meier_robust(TIME, STATUS, groups=ID, times=[horizon])["std_error"].iloc[0]
    assert robust == pytest.approx(np.sqrt(np.sum(by_firm**2)), rel=1e-4)


def test_every_unit_twice_clustered_equals_the_single_sample_and_weights_equal_rows_repeated():
    doubled = kaplan_meier_robust(np.r_[TIME, TIME], np.r_[STATUS, STATUS], groups=np.r_[ID, ID], times=AT)
    single = kaplan_meier_robust(TIME, STATUS, groups=ID, times=AT)
    assert_allclose(doubled["std_error"], single["std_error"], rtol=1e-12)
    naive = kaplan_meier_robust(np.r_[TIME, TIME], np.r_[STATUS, STATUS], times=AT)
    assert_allclose(naive["std_error"], kaplan_meier_robust(TIME, STATUS, times=AT)["std_error"] / np.sqrt(2),
                    rtol=1e-12)
    weights = np.arange(len(TIME)) % 3 + 1
    weighted = kaplan_meier_robust(TIME, STATUS, groups=ID, weights=weights, times=AT)
    repeated = kaplan_meier_robust(np.repeat(TIME, weights), np.repeat(STATUS, weights),
                                   groups=np.repeat(ID, weights), times=AT)
    assert_allclose(weighted[["survival", "std_error", "n_risk"]], repeated[["survival", "std_error", "n_risk"]],
                    rtol=1e-12)


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError, match="0/1"):
        kaplan_meier_robust(TIME, STATUS * 2)
    with pytest.raises(ValueError, match="below its time"):
        kaplan_meier_robust(TIME, STATUS, entry=TIME)
    with pytest.raises(ValueError, match="missing"):
        kaplan_meier_robust(TIME, STATUS, groups=np.where(ID == 3, np.nan, ID))


def test_cox_clustered_by_unit_matches_r_with_breslow_ties():
    """R: coxph(Surv(time, status) ~ x, data = d, cluster = id, ties = "breslow") on the data above
    with x = c(0,1,0,1,1,0,1,0,0,1,1,0,1,0,0,1,0,1,1,0): coef 1.820273198634, robust SE 0.746690325887.
    (With Efron's ties R's robust SE is 0.754023460127; statsmodels' takes Breslow-type score residuals.)"""
    import pandas as pd

    from alliancegov.stats.cox import cox_model

    x = pd.DataFrame({"x": [0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0]}, dtype=float)
    coefficients, fit = cox_model(TIME, STATUS, x, ties="breslow", cluster=ID)
    assert coefficients.at[0, "estimate"] == pytest.approx(1.820273198634, rel=1e-7)
    assert coefficients.at[0, "std_error"] == pytest.approx(0.746690325887, rel=1e-7)
    assert fit.at[0, "vcov"] == "robust" and fit.at[0, "n_clusters"] == 16
