"""Tests for alliancegov.stats.survival against R ``survival`` / SAS references.

Reference sources
-----------------
* ``AML``, ``OVARIAN``: the ``aml`` and ``ovarian`` data sets of R's ``survival`` package, copied
  inline. Their reference numbers were produced with R 4.2.2 and survival 3.5.3 by the R calls
  quoted at each test (printed with ``options(digits = 12)``).
* statsmodels' own test references (``statsmodels/duration/tests/``): R ``survfit``/``survdiff``
  numbers in ``test_survfunc.py``, SAS LIFETEST numbers for the BMT data in
  ``results/bmt_results.csv``, R ``coxph`` results in ``results/survival_r_results.py`` (made by
  ``results/survival.R``) for the data in ``results/survival_data_100_5.csv``. The log partial
  likelihoods for that data set were added with the same R (R's ``coxph$loglik``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from alliancegov.stats.cox import cox_model
from alliancegov.stats.survival import (
    KM_COLUMNS,
    kaplan_meier,
    log_rank,
    median_survival,
    share_event_by,
)

# R: survival::aml (time in weeks; x = maintenance chemotherapy)
AML_TIME = np.array([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
                     5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45], float)
AML_STATUS = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0,
                       1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])
AML_X = np.array(["Maintained"] * 11 + ["Nonmaintained"] * 12)

# R: survival::ovarian — futime, fustat, age, rx, ecog.ps
OVARIAN = np.array([
    [59, 1, 72.3315, 1, 1], [115, 1, 74.4932, 1, 1], [156, 1, 66.4658, 1, 2],
    [421, 0, 53.3644, 2, 1], [431, 1, 50.3397, 1, 1], [448, 0, 56.4301, 1, 2],
    [464, 1, 56.9370, 2, 2], [475, 1, 59.8548, 2, 2], [477, 0, 64.1753, 1, 1],
    [563, 1, 55.1781, 2, 2], [638, 1, 56.7562, 1, 2], [744, 0, 50.1096, 2, 1],
    [769, 0, 59.6301, 2, 2], [770, 0, 57.0521, 2, 1], [803, 0, 39.2712, 1, 1],
    [855, 0, 43.1233, 1, 2], [1040, 0, 38.8932, 1, 2], [1106, 0, 44.6000, 1, 1],
    [1129, 0, 53.9068, 2, 1], [1206, 0, 44.2055, 2, 1], [1227, 0, 59.5890, 2, 2],
    [268, 1, 74.5041, 1, 2], [329, 1, 43.1370, 1, 1], [353, 1, 63.2192, 2, 2],
    [365, 1, 64.4247, 2, 1], [377, 0, 58.3096, 2, 1],
])


def _sm_results_dir() -> Path:
    import statsmodels.duration.tests as sm_tests

    path = Path(sm_tests.__file__).resolve().parent / "results"
    if not path.is_dir():
        pytest.skip("statsmodels test results not installed")
    return path


# ----------------------------------------------------------------------------------------------
# Kaplan–Meier against R survfit
# ----------------------------------------------------------------------------------------------
def test_km_aml_loglog_matches_r():
    """R: s <- summary(survfit(Surv(time, status) ~ x, data = aml, conf.type = "log-log"))."""
    km = kaplan_meier(AML_TIME, AML_STATUS, AML_X)
    assert list(km.columns) == KM_COLUMNS
    assert km["group"].tolist() == ["Maintained"] * 7 + ["Nonmaintained"] * 9
    assert_array_equal(km["time"], [9, 13, 18, 23, 31, 34, 48, 5, 8, 12, 23, 27, 30, 33, 43, 45])
    assert_array_equal(km["n_risk"], [11, 10, 8, 7, 5, 4, 2, 12, 10, 8, 6, 5, 4, 3, 2, 1])
    assert_array_equal(km["n_events"], [1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1])
    surv = [0.90909090909, 0.81818181818, 0.71590909091, 0.61363636364, 0.49090909091,
            0.36818181818, 0.18409090909, 0.83333333333, 0.66666666667, 0.58333333333,
            0.48611111111, 0.38888888889, 0.29166666667, 0.19444444444, 0.09722222222, 0.0]
    se = [0.08667841720, 0.11629129983, 0.13966497056, 0.15263233103, 0.16419326722,
          0.16266888583, 0.15349274579, 0.10758287073, 0.13608276349, 0.14231876064,
          0.14813006255, 0.14698618395, 0.13871516913, 0.12187450538, 0.09186636497, np.nan]
    lower = [0.508080205770, 0.447428614682, 0.350190385908, 0.265752040001, 0.167330909777,
             0.092829574937, 0.011738480123, 0.481714942195, 0.337018932541, 0.270138924085,
             0.191876619619, 0.126272012195, 0.072401608908, 0.031198642931, 0.005746305696, np.nan]
    upper = [0.9866738227, 0.9511622286, 0.8990239742, 0.8352992433, 0.7533997904, 0.6570408324,
             0.5250148427, 0.9555093657, 0.8597117991, 0.8009401923, 0.7296715698, 0.6498174083,
             0.5608860527, 0.4614294762, 0.3489038611, np.nan]
    assert_allclose(km["survival"], surv, atol=1e-10)
    assert_allclose(km["std_error"], se, atol=1e-10)
    assert_allclose(km["conf_low"], lower, atol=1e-10)
    assert_allclose(km["conf_high"], upper, atol=1e-9)


def test_km_aml_log_ci_matches_r_default():
    """R: summary(survfit(Surv(time, status) ~ x, data = aml)) — conf.type = "log" (R default)."""
    km = kaplan_meier(AML_TIME, AML_STATUS, AML_X, conf_type="log")
    lower = [0.75413384508, 0.61924898740, 0.48842628742, 0.37686705950, 0.25485995120,
             0.15487711790, 0.03591789849, 0.64703698701, 0.44684608115, 0.36161370521,
             0.26751824886, 0.18539652610, 0.11483115015, 0.05692155257, 0.01525652717, np.nan]
    upper = [1.0, 1.0, 1.0, 0.9991576002, 0.9455849552, 0.8752606781, 0.9435257695, 1.0,
             0.9946253603, 0.9409980122, 0.8833192253, 0.8157357157, 0.7408220185, 0.6642236599,
             0.6195486291, np.nan]
    assert_allclose(km["conf_low"], lower, atol=1e-10)
    assert_allclose(km["conf_high"], upper, atol=1e-9)


def test_km_plain_ci_is_clipped_wald():
    km = kaplan_meier(AML_TIME, AML_STATUS, AML_X, conf_type="plain", level=0.9)
    z = 1.6448536269514722
    ok = km["std_error"].notna()
    assert_allclose(km.loc[ok, "conf_low"], np.maximum(km["survival"] - z * km["std_error"], 0)[ok])
    assert_allclose(km.loc[ok, "conf_high"], np.minimum(km["survival"] + z * km["std_error"], 1)[ok])


@pytest.mark.parametrize("ti, st, times, surv, se, n_risk", [
    # statsmodels/duration/tests/test_survfunc.py (test_survfunc1/2), R survfit(Surv(ti, st) ~ 1)
    (np.r_[3, 1, 2, 3, 2, 1, 5, 3], np.r_[0, 1, 1, 1, 0, 0, 1, 0], np.r_[1, 2, 3, 5],
     np.r_[0.8750000, 0.7291667, 0.5468750, 0.0], np.r_[0.1169268, 0.1649762, 0.2005800, np.nan],
     np.r_[8, 6, 4, 1]),
    (np.r_[1, 1, 2, 3, 7, 1, 5, 3, 9], np.r_[0, 1, 0, 0, 1, 0, 1, 0, 1], np.r_[1, 5, 7, 9],
     np.r_[0.8888889, 0.5925926, 0.2962963, 0.0], np.r_[0.1047566, 0.2518034, 0.2444320, np.nan],
     np.r_[9, 3, 2, 1]),
])
def test_km_statsmodels_r_references(ti, st, times, surv, se, n_risk):
    km = kaplan_meier(ti, st)
    assert (km["group"] == "all").all()
    assert_allclose(km["time"], times)
    assert_allclose(km["survival"], surv, atol=5e-8)
    assert_allclose(km["std_error"], se, atol=5e-8)
    assert_array_equal(km["n_risk"], n_risk)


def test_km_bmt_matches_sas():
    """statsmodels results/bmt_results.csv: SAS LIFETEST for the BMT 'ALL' group (4-5 digits)."""
    res = _sm_results_dir()
    bmt = pd.read_csv(res / "bmt.csv")
    ref = pd.read_csv(res / "bmt_results.csv")
    all_ = bmt[bmt["Group"] == "ALL"]
    km = kaplan_meier(all_["T"], all_["Status"])
    assert_allclose(km["time"], ref["t"])
    assert_allclose(km["survival"], ref["s"], atol=5e-6)
    assert_allclose(km["std_error"], ref["se"], atol=5e-7)


# ----------------------------------------------------------------------------------------------
# medians and the share by a horizon
# ----------------------------------------------------------------------------------------------
def test_median_aml_matches_r():
    """R: print(survfit(Surv(time, status) ~ x, data = aml, conf.type = "log-log")):
    Maintained n=11 events=7 median 31 (13, NA); Nonmaintained n=12 events=11 median 23 (5, 33).
    """
    med = median_survival(AML_TIME, AML_STATUS, AML_X)
    assert med["group"].tolist() == ["Maintained", "Nonmaintained"]
    assert_array_equal(med["n"], [11, 12])
    assert_array_equal(med["n_events"], [7, 11])
    assert_array_equal(med["median"], [31, 23])
    assert_array_equal(med["conf_low"], [13, 5])
    assert np.isnan(med.loc[0, "conf_high"])
    assert med.loc[1, "conf_high"] == 33
    # R's default log CI: Maintained (18, NA) — same rule; Nonmaintained lower limit 8
    med_log = median_survival(AML_TIME, AML_STATUS, AML_X, conf_type="log")
    assert_array_equal(med_log["conf_low"], [18, 8])
    assert np.isnan(med_log.loc[0, "conf_high"])


def test_median_not_reached_is_nan():
    med = median_survival([1, 2, 3, 4, 5, 6], [1, 0, 0, 0, 0, 0])
    assert np.isnan(med.loc[0, "median"]) and np.isnan(med.loc[0, "conf_high"])


def test_share_event_by_matches_r_summary_times():
    """R: summary(survfit(Surv(time, status) ~ x, data = aml, conf.type = "log-log"), times = 12)
    and the same with the default conf.type = "log"; probability = 1 - surv, limits = 1 - (upper, lower).
    """
    sh = share_event_by(AML_TIME, AML_STATUS, AML_X, horizon=12)
    assert_array_equal(sh["n_risk"], [10, 8])
    assert_array_equal(sh["n_events"], [1, 5])
    assert_allclose(sh["probability"], [1 - 0.9090909091, 1 - 0.5833333333], atol=1e-9)
    assert_allclose(sh["std_error"], [0.08667841720, 0.14231876064], atol=1e-10)
    assert_allclose(sh["conf_low"], [1 - 0.9866738227, 1 - 0.8009401923], atol=1e-9)
    assert_allclose(sh["conf_high"], [1 - 0.508080205770, 1 - 0.270138924085], atol=1e-10)

    sh_log = share_event_by(AML_TIME, AML_STATUS, AML_X, horizon=12, conf_type="log")
    assert_allclose(sh_log["conf_low"], [0.0, 1 - 0.9409980122], atol=1e-9)
    assert_allclose(sh_log["conf_high"], [1 - 0.75413384508, 1 - 0.36161370521], atol=1e-10)

    # R: summary(..., times = 4): survival 1, std.err 0, CI [1, 1]
    early = share_event_by(AML_TIME, AML_STATUS, AML_X, horizon=4)
    assert_allclose(early[["probability", "std_error", "conf_low", "conf_high"]].to_numpy(), 0.0)
    assert_array_equal(early["n_risk"], [11, 12])


def test_share_event_by_beyond_follow_up():
    # Maintained: last follow-up 161 (censored) -> estimable at 100, not at 200.
    sh = share_event_by(AML_TIME, AML_STATUS, AML_X, horizon=100)
    assert_allclose(sh.loc[0, "probability"], 1 - 0.18409090909, atol=1e-10)
    # Nonmaintained reached S = 0 at 45: probability 1 thereafter, no CI
    assert sh.loc[1, "probability"] == 1.0 and np.isnan(sh.loc[1, "conf_low"])
    sh = share_event_by(AML_TIME, AML_STATUS, AML_X, horizon=200)
    assert np.isnan(sh.loc[0, "probability"])


def test_share_event_by_equals_one_minus_step_table():
    rng = np.random.default_rng(7)
    n = 120
    time = np.round(rng.exponential(14, n), 1)
    censor = np.round(rng.uniform(2, 40, n), 1)
    event = (time <= censor).astype(int)
    obs = np.minimum(time, censor)
    group = rng.choice(["services", "textile"], n)
    km = kaplan_meier(obs, event, group)
    for h in (0.5, 6, 12, 12.0000001, 24, float(obs[event == 1][0])):
        sh = share_event_by(obs, event, group, horizon=h)
        for _, row in sh.iterrows():
            steps = km[(km["group"] == row["group"]) & (km["time"] <= h)]
            surv = steps["survival"].iloc[-1] if len(steps) else 1.0
            assert row["probability"] == pytest.approx(1 - surv, abs=1e-12)
            if len(steps):
                assert row["conf_low"] == pytest.approx(1 - steps["conf_high"].iloc[-1], abs=1e-12)
                assert row["conf_high"] == pytest.approx(1 - steps["conf_low"].iloc[-1], abs=1e-12)
            mask = group == row["group"]
            assert row["n_risk"] == int((obs[mask] >= h).sum())
            assert row["n_events"] == int(event[mask & (obs <= h)].sum())


# ----------------------------------------------------------------------------------------------
# invariants
# ----------------------------------------------------------------------------------------------
def test_km_without_censoring_is_empirical_survival():
    rng = np.random.default_rng(3)
    t = rng.integers(1, 30, 60).astype(float)  # with ties
    km = kaplan_meier(t, np.ones_like(t))
    uniq = np.unique(t)
    assert_allclose(km["time"], uniq)
    assert_allclose(km["survival"], [(t > u).mean() for u in uniq], atol=1e-12)
    assert_array_equal(km["n_risk"], [(t >= u).sum() for u in uniq])
    # Greenwood reduces to the binomial SE sqrt(S(1-S)/n) without censoring
    s = km["survival"].to_numpy()[:-1]
    assert_allclose(km["std_error"].to_numpy()[:-1], np.sqrt(s * (1 - s) / len(t)), rtol=1e-10)
    # CI contains the estimate
    ok = km["conf_low"].notna()
    assert (km.loc[ok, "conf_low"] <= km.loc[ok, "survival"]).all()
    assert (km.loc[ok, "survival"] <= km.loc[ok, "conf_high"]).all()


def test_groups_order_missing_and_validation():
    g = pd.Categorical(AML_X, categories=["Nonmaintained", "Maintained"])
    km = kaplan_meier(AML_TIME, AML_STATUS, g)
    assert km["group"].iloc[0] == "Nonmaintained"
    ref = kaplan_meier(AML_TIME, AML_STATUS, AML_X)
    assert_allclose(km.sort_values(["group", "time"])["survival"], ref["survival"])

    t = np.r_[AML_TIME, np.nan, 3.0]
    s = np.r_[AML_STATUS, 1, 1]
    x = np.concatenate([AML_X.astype(object), np.array(["Maintained", None], dtype=object)])
    assert_allclose(kaplan_meier(t, s, x)["survival"], ref["survival"])
    with pytest.raises(ValueError, match="0 \\(censored\\)"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError, match="conf_type"):
        kaplan_meier([1, 2], [1, 0], conf_type="arcsin")


# ----------------------------------------------------------------------------------------------
# log-rank
# ----------------------------------------------------------------------------------------------
def test_log_rank_aml_matches_r():
    """R: survdiff(Surv(time, status) ~ x, data = aml)$chisq = 3.39638869898 on 1 df, p = 0.0653."""
    stat, df, p = log_rank(AML_TIME, AML_STATUS, AML_X)
    assert stat == pytest.approx(3.39638869898, abs=1e-9)
    assert df == 1
    assert p == pytest.approx(0.0653393220405, abs=1e-10)
    # relabelling the groups changes nothing
    assert log_rank(AML_TIME, AML_STATUS, np.where(AML_X == "Maintained", "b", "a"))[0] == pytest.approx(stat)


def test_log_rank_statsmodels_references():
    """statsmodels test_survfunc.py: R survdiff on ti1/ti2 (2.14673) and on BMT (13.44556, 15.67...)."""
    ti = np.r_[3, 1, 2, 3, 2, 1, 5, 3, 1, 1, 2, 3, 7, 1, 5, 3, 9]
    st = np.r_[0, 1, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1]
    gr = np.r_[[0] * 8, [1] * 9]
    stat, df, p = log_rank(ti, st, gr)
    assert stat == pytest.approx(2.14673, abs=1e-5)
    assert p == pytest.approx(0.14287, abs=1e-5)

    bmt = pd.read_csv(_sm_results_dir() / "bmt.csv")
    two = bmt[bmt["Group"] != "ALL"]
    assert log_rank(two["T"], two["Status"], two["Group"])[0] == pytest.approx(13.44556, abs=1e-5)
    # stratified: 5 strata by position (R survdiff(... + strata(s)))
    strata = np.arange(len(two)) % 5
    assert log_rank(two["T"], two["Status"], two["Group"], strata=strata)[0] == pytest.approx(11.97799, abs=1e-5)
    stat3, df3, _ = log_rank(bmt["T"], bmt["Status"], bmt["Group"])
    assert df3 == 2 and stat3 > 0


# ----------------------------------------------------------------------------------------------
# Cox model
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ties, coef, se, loglik", [
    # R: m <- coxph(Surv(time, status) ~ x, data = aml, ties = ...); coef(m); sqrt(diag(vcov(m))); m$loglik
    ("efron", 0.915532575015, 0.511934275172, (-42.7248392628, -41.0326155965)),
    ("breslow", 0.904219723686, 0.512247907304, (-42.8981238972, -41.2501143501)),
])
def test_cox_aml_matches_r(ties, coef, se, loglik):
    X = pd.DataFrame({"nonmaintained": (AML_X == "Nonmaintained").astype(float)})
    coefs, fit = cox_model(AML_TIME, AML_STATUS, X, ties=ties)
    assert coefs["term"].tolist() == ["nonmaintained"]
    assert coefs.loc[0, "estimate"] == pytest.approx(coef, abs=1e-7)
    assert coefs.loc[0, "std_error"] == pytest.approx(se, abs=1e-7)
    assert fit.loc[0, "log_likelihood_null"] == pytest.approx(loglik[0], abs=1e-8)
    assert fit.loc[0, "log_likelihood"] == pytest.approx(loglik[1], abs=1e-8)
    assert fit.loc[0, "n"] == 23 and fit.loc[0, "n_events"] == 18
    assert fit.loc[0, "lr_statistic"] == pytest.approx(2 * (loglik[1] - loglik[0]), abs=1e-7)
    assert_allclose(coefs["hazard_ratio"], np.exp(coefs["estimate"]))
    assert_allclose(coefs["hr_conf_low"], np.exp(coefs["estimate"] - 1.959963984540054 * coefs["std_error"]))
    assert_allclose(coefs["hr_conf_high"], np.exp(coefs["conf_high"]))


@pytest.mark.parametrize("ties, loglik", [
    # R: coxph(Surv(d[,1], d[,2]) ~ as.matrix(d[,4:8]), ties = ...)$loglik, d = survival_data_100_5.csv
    ("efron", (-173.624108431, -160.015985448)),
    ("breslow", (-174.502785999, -161.929532281)),
])
def test_cox_statsmodels_r_results(ties, loglik):
    """statsmodels results/survival_r_results.py (R coxph via results/survival.R), n = 100, p = 5."""
    from statsmodels.duration.tests.results import survival_r_results as rr

    data = np.loadtxt(_sm_results_dir() / "survival_data_100_5.csv")
    time, status, exog = data[:, 0], data[:, 1], data[:, 3:]
    X = pd.DataFrame(exog, columns=[f"x{i}" for i in range(1, 6)])
    tag = ties[:3]
    coefs, fit = cox_model(time, status, X, ties=ties)
    assert_allclose(coefs["estimate"], getattr(rr, f"coef_100_5_{tag}"), rtol=1e-6)
    assert_allclose(coefs["std_error"], getattr(rr, f"se_100_5_{tag}"), rtol=1e-6)
    assert fit.loc[0, "log_likelihood_null"] == pytest.approx(loglik[0], abs=1e-8)
    assert fit.loc[0, "log_likelihood"] == pytest.approx(loglik[1], abs=1e-8)

    # stratified, 5 strata of 20 consecutive rows (np.kron as in test_phreg.py / survival.R)
    strata = np.kron(range(5), np.ones(20))
    coefs_st, _ = cox_model(time, status, X, ties=ties, strata=strata)
    assert_allclose(coefs_st["estimate"], getattr(rr, f"coef_100_5_st_{tag}"), rtol=1e-6)
    assert_allclose(coefs_st["std_error"], getattr(rr, f"se_100_5_st_{tag}"), rtol=1e-6)


def test_cox_ovarian_robust_matches_r():
    """R: m <- coxph(Surv(futime, fustat) ~ age + ecog.ps + rx, data = ovarian, robust = TRUE)
    coef(m); sqrt(diag(m$naive.var)); sqrt(diag(vcov(m))); m$loglik; AIC(m)."""
    X = pd.DataFrame({"age": OVARIAN[:, 2], "ecog_ps": OVARIAN[:, 4], "rx": OVARIAN[:, 3]})
    coef = [0.146989256212, 0.103179602128, -0.814584764008]
    coefs, fit = cox_model(OVARIAN[:, 0], OVARIAN[:, 1], X)
    assert_allclose(coefs["estimate"], coef, rtol=1e-7)
    assert_allclose(coefs["std_error"], [0.0463020480369, 0.6063771047381, 0.6341610248961], rtol=1e-7)
    assert fit.loc[0, "log_likelihood"] == pytest.approx(-27.0273583258, abs=1e-8)
    assert fit.loc[0, "log_likelihood_null"] == pytest.approx(-34.9849403712, abs=1e-8)
    assert fit.loc[0, "aic"] == pytest.approx(60.0547166515, abs=1e-7)
    assert fit.loc[0, "vcov"] == "model"

    coefs_r, fit_r = cox_model(OVARIAN[:, 0], OVARIAN[:, 1], X, cluster=np.arange(len(OVARIAN)))
    assert_allclose(coefs_r["estimate"], coef, rtol=1e-7)
    assert_allclose(coefs_r["std_error"], [0.0464306968522, 0.5685191288380, 0.5676686958712], rtol=1e-7)
    assert fit_r.loc[0, "vcov"] == "robust"


def test_cox_input_checks_and_missing_rows():
    X = pd.DataFrame({"sector": AML_X})
    with pytest.raises(TypeError, match="get_dummies"):
        cox_model(AML_TIME, AML_STATUS, X)
    with pytest.raises(ValueError, match="ties"):
        cox_model(AML_TIME, AML_STATUS, pd.DataFrame({"a": AML_TIME}), ties="exact")
    Xd = pd.get_dummies(pd.DataFrame({"x": AML_X}), drop_first=True)  # bool column
    ref, _ = cox_model(AML_TIME, AML_STATUS, Xd)
    assert ref["term"].tolist() == ["x_Nonmaintained"]
    assert ref.loc[0, "estimate"] == pytest.approx(0.915532575015, abs=1e-7)
    Xm = pd.DataFrame({"x": np.r_[(AML_X == "Nonmaintained").astype(float), np.nan]})
    coefs, fit = cox_model(np.r_[AML_TIME, 1.0], np.r_[AML_STATUS, 1], Xm)
    assert fit.loc[0, "n"] == 23
    assert coefs.loc[0, "estimate"] == pytest.approx(0.915532575015, abs=1e-7)
