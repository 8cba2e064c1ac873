"""Cox proportional hazards via statsmodels ``PHReg``, in the conventions of
:mod:`alliancegov.stats.survival` (R ``coxph`` and Stata ``stcox`` numbers).

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from alliancegov.stats.survival import prepare_survival


def cox_model(time, event, X: pd.DataFrame, ties: str = "efron", level: float = 0.95, *,
              strata=None, cluster=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cox proportional hazards model via statsmodels ``PHReg`` (Newton–Raphson).

    Parameters
    ----------
    time, event : array-like of shape (n,)
        As :func:`alliancegov.stats.survival.kaplan_meier`.
    X : DataFrame of shape (n, p)
        Numeric covariates (no intercept; a Cox model has none). Encode categories first, e.g.
        ``pd.get_dummies(df[["sector"]], drop_first=True)``.
    ties : {"efron", "breslow"}, default "efron"
        ``"efron"`` (R ``coxph`` default) or ``"breslow"`` (Stata ``stcox`` default — use it to
        reproduce Stata).
    level : float, default 0.95
        Confidence level.
    strata : array-like of shape (n,), optional
        Stratum labels (R ``+ strata(s)``, Stata ``strata()``).
    cluster : array-like of shape (n,), optional
        Cluster ids → robust (sandwich) SEs, as R ``coxph(..., cluster = id)`` / ``robust = TRUE``
        with one id per row, and Stata ``vce(cluster id)`` up to Stata's small-sample factor
        G/(G − 1). With tied event times use ``ties="breslow"``: statsmodels' robust variance
        takes Breslow-type score residuals, so with Efron's ties it differs slightly from R's
        (0.747 vs 0.754 in a check); with Breslow's it equals R's ``coxph(..., ties = "breslow",
        cluster = id)``.

    Returns
    -------
    coefficients : DataFrame
        Tidy table (``term, estimate, std_error, statistic, p_value, conf_low, conf_high``;
        estimates are log hazard ratios, Wald z tests) plus ``hazard_ratio, hr_conf_low,
        hr_conf_high`` = exp of estimate and limits. One row per column of ``X``.
    fit : DataFrame
        One row with ``n, n_events, log_likelihood`` (log partial likelihood at the estimate, R
        ``coxph$loglik[2]``), ``log_likelihood_null`` (at β = 0, ``loglik[1]``), ``lr_statistic,
        df, lr_p_value`` (likelihood-ratio test of all coefficients), ``aic`` (−2·loglik + 2p, R
        ``AIC(coxph)``), ``ties``, ``vcov`` (``"model"`` or ``"robust"``) and ``n_clusters`` (G, or
        NaN without clusters).

    Raises
    ------
    ValueError
        If ``ties`` is unknown, ``strata`` or ``cluster`` has another length, or as
        :func:`alliancegov.stats.survival.kaplan_meier`.
    TypeError
        If ``X`` is not a DataFrame or has a non-numeric column.

    Warns
    -----
    RuntimeWarning
        If the fit may not have converged (an infinite coefficient or SE, or a score above 1e-4:
        separation?).
    """
    from scipy import stats
    from statsmodels.duration.hazard_regression import PHReg

    from alliancegov.stats.tidy import tidy_coefficients

    if ties not in ("efron", "breslow"):
        raise ValueError("ties must be 'efron' or 'breslow'")
    if not isinstance(X, pd.DataFrame):
        raise TypeError("X must be a DataFrame (its column names become the terms)")
    nonnum = [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
    if nonnum:
        raise TypeError(f"non-numeric covariates {nonnum}: encode them first, "
                        "e.g. pd.get_dummies(..., drop_first=True)")
    Xr = X.reset_index(drop=True)
    extras = [Xr]
    for name, arr in (("strata", strata), ("cluster", cluster)):
        if arr is not None:
            col = pd.Series(np.asarray(arr).ravel(), name=f"__{name}")
            if len(col) != len(Xr):
                raise ValueError(f"{name} must have one value per observation")
            extras.append(col)
    t, e, _, _, keep = prepare_survival(time, event, None, extra=pd.concat(extras, axis=1))
    exog = Xr.loc[keep].astype(float).to_numpy()
    kw = {}
    if strata is not None:
        kw["strata"] = pd.factorize(pd.Series(np.asarray(strata).ravel())[keep])[0]
    fit_kw = {}
    if cluster is not None:
        fit_kw["groups"] = pd.factorize(pd.Series(np.asarray(cluster).ravel())[keep])[0]

    model = PHReg(t, exog, e, ties=ties, **kw)
    res = model.fit(**fit_kw)
    params = np.asarray(res.params, float)
    bse = np.asarray(res.bse, float)
    score = np.asarray(model.score(params), float)
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(bse))) or np.max(np.abs(score)) > 1e-4:
        warnings.warn("Cox model may not have converged (infinite coefficient / separation?)",
                      RuntimeWarning, stacklevel=2)

    coefs = tidy_coefficients(list(X.columns), params, bse, level=level)
    coefs["hazard_ratio"] = np.exp(coefs["estimate"])
    coefs["hr_conf_low"] = np.exp(coefs["conf_low"])
    coefs["hr_conf_high"] = np.exp(coefs["conf_high"])

    llf = float(model.loglike(params))
    ll0 = float(model.loglike(np.zeros_like(params)))
    p = len(params)
    lr = 2 * (llf - ll0)
    fit = pd.DataFrame([{
        "n": int(len(t)), "n_events": int(e.sum()),
        "log_likelihood": llf, "log_likelihood_null": ll0,
        "lr_statistic": lr, "df": p, "lr_p_value": float(stats.chi2.sf(lr, p)),
        "aic": -2 * llf + 2 * p, "ties": ties,
        "vcov": "robust" if cluster is not None else "model",
        "n_clusters": float(fit_kw["groups"].max() + 1) if cluster is not None else np.nan,
    }])
    return coefs, fit
