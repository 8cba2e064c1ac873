"""The ordered logit fitted by Newton-Raphson (:func:`fit_ordered_logit`) and its tidy table.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from alliancegov.stats.newton import newton_maximise
from alliancegov.stats.ordinal.likelihood import (
    _checked_inputs,
    _loglik_derivatives,
    _names,
    _newton_step,
    _sorted_by_category,
)
from alliancegov.stats.ordinal.result import OrderedFit

_TOL = 1e-10        # Newton convergence tolerance of fit_ordered_logit
_MAXITER = 100      # ... and its maximum number of Newton iterations


def fit_ordered_logit(X, y, names=None, *, weights=None,
                      weight_type: Literal["frequency", "probability"] = "frequency",
                      groups=None, robust: bool = False, design=None) -> OrderedFit:
    """Fit the proportional-odds (ordered) logit by maximum likelihood (Newton-Raphson).

    Parameters
    ----------
    X : array-like of shape (n, k)
        Regressors, NO constant column (a ValueError is raised if X has a constant column or spans
        one, e.g. a full set of dummies). DataFrame column names are used as names.
    y : array-like of shape (n,)
        Integer outcome codes ``0 .. J-1``, each code present (with positive weight).
    names : sequence of str of length k, optional
        Labels of the columns of X.
    weights : array-like of shape (n,), optional
        Non-negative weights multiplying each row's log-likelihood contribution.
    weight_type : {"frequency", "probability"}
        ``frequency`` (Stata ``fweight``, polr's ``weights``): N = sum of weights, covariance the
        inverse weighted information; the fit equals the fit on rows repeated ``w_i`` times.
        ``probability`` (Stata ``pweight``): the same point estimates (pseudo-likelihood), N the
        rows with positive weight, sandwich covariance ``N/(N-1) A (sum_i w_i^2 s_i s_i') A`` with
        A the inverse weighted information and s_i row i's score (Stata ``ologit [pw=w]``).
    groups : array-like of shape (n,), optional
        Cluster labels: the covariance is cluster-robust, ``G/(G-1) A (sum_g S_g S_g') A`` with
        ``S_g`` the summed weighted scores of cluster g (Stata ``vce(cluster g)``), whatever the
        weights.
    robust : bool, default False
        The sandwich covariance even without probability weights (Stata ``vce(robust)``;
        ``N/(N-1)`` with N the sum of frequency weights, each row's meat weighted by its frequency).
    design : alliancegov.stats.survey.SurveyDesign, optional
        A complex sample (Stata ``svy: ologit``): its sampling weights (``design.weights``, None for
        1) weight the pseudo-likelihood, the covariance is the Taylor linearisation of the weighted
        scores over its strata and PSUs (:func:`alliancegov.stats.survey.linearised_covariance`),
        ``design_df`` its degrees of freedom. Give the weights in the design, not in ``weights``.

    Returns
    -------
    OrderedFit
        slopes (k,), cutpoints (J-1,) on the natural scale, cov (k+J-1, k+J-1) of
        ``(slopes, cutpoints)``, loglik, converged, n, names, and the header statistics
        (``loglik_null``, ``lr_chi2`` or ``wald_chi2``, ``pseudo_r2``, ``aic``, ``bic``; see
        :meth:`OrderedFit.fit_statistics`).

    Raises
    ------
    ValueError
        If X has a constant column or spans one, has no column or a missing value, ``y`` does not
        use every code ``0 .. J-1`` (with positive weight) or has a single category, the weights
        are invalid, ``weight_type`` is unknown, ``design`` comes with ``weights``, ``groups`` or
        ``robust``, or ``weight_type="probability"`` comes without
        weights.

    Warns
    -----
    RuntimeWarning
        If the fit did not converge (see Notes); its estimates are then not ML estimates.

    Notes
    -----
    Our own Newton-Raphson, because statsmodels' ``OrderedModel`` has only a numerical Hessian
    (and reparametrises the cut points as log-increments): at 10^5 rows x 12 regressors x 5
    categories its BFGS + Newton fit takes from ~40 s to several minutes (the Newton polish with a
    numerical Hessian never meets a tight tolerance), this one ~0.3 s; the pipeline fits it many
    times, on up to 10^6 rows. Log-likelihood, gradient and Hessian are analytic
    in the natural parametrisation ``theta = (slopes, cutpoints)``
    (:func:`_loglik_derivatives`: O(n p^2), vectorised over rows). The log-likelihood is concave
    in theta for the logit link (Pratt 1981, JASA 76:103-106). Newton-Raphson starts from zero
    slopes and the cut points at the logits of the cumulative outcome shares (the intercept-only
    MLE) and halves the step until the cut points are strictly increasing and the log-likelihood
    does not decrease (up to rounding, 64 eps (1 + |loglik|)). It has converged when the Newton
    decrement ``g' I^-1 g <= 1e-10`` (scale-free: the gradient in the metric of the inverse
    information) AND the largest element of the Newton step is ``<= 1e-10 * (1 + max|theta|)``, the
    rule of :func:`alliancegov.stats.mnl.fit_mnl_newton` (Newton converges quadratically, so the
    estimates are then within about the last step, far below their standard errors). ``cov`` is
    the inverse observed information ``-H^-1`` at the returned estimates,
    symmetrised (Stata ``vce(oim)``, polr ``vcov``).

    Without a finite maximum (separation: a linear combination of the regressors predicts an
    outcome category, or the order, perfectly) the estimates run off to infinity: the Newton step
    does not shrink (a separated slope grows by about one unit of its regressor per iteration), the
    step criterion is never met, and the fit stops after 100 iterations (earlier if no step size
    keeps the log-likelihood from falling) with ``converged=False``; the estimates and ``cov`` are
    then those of the last iterate and meaningless. ``converged``
    is also False if the information cannot be inverted (``cov`` all NaN).

    Checked in the tests against: the UCLA OARC ordered-logit example ``apply ~ pared + public +
    gpa`` (statsmodels' ``ologit_ucla.csv``) as printed by R ``polr`` (statsmodels
    ``results_ordinal_model.py`` and the UCLA R page) and Stata ``ologit`` (equal to Stata's
    printed digits; ``MASS::polr``'s optim stops ~1e-4 short); ``brant::brant``'s ``polr`` example
    on ``MASS::survey``; statsmodels ``OrderedModel`` (estimates, log-likelihood, standard errors
    from its covariance mapped to the natural scale by the delta method); a hand-coded analytic
    information; statsmodels ``Logit`` for J = 2; recovery of known parameters by simulation;
    with frequency weights, ``polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)``
    (Venables & Ripley 2002, §7.3) and the fit on the rows repeated; sandwich and cluster
    covariances against per-row scores by finite differences.
    """
    from alliancegov.stats.mnl_tests import null_loglik

    if design is not None:
        if weights is not None or groups is not None or robust:
            raise ValueError("a survey design carries its own weights and PSUs: give no weights, groups or robust")
        weights, weight_type = design.weights, "probability"
        if weights is None:
            weights = np.ones(np.asarray(y).shape[0])
    Xa, labels, w, yi, J = _checked_inputs(X, y, names, weights, weight_type)
    if weight_type == "probability" and w is None:
        raise ValueError("weight_type='probability' needs weights")
    n, k = Xa.shape
    Xs, bounds, order = _sorted_by_category(Xa, yi, J)
    ws = None if w is None else w[order]

    counts = np.bincount(yi, weights=w, minlength=J)
    shares = np.cumsum(counts)[:-1] / counts.sum()              # cumulative shares, strictly increasing
    theta = np.concatenate([np.zeros(k), np.log(shares) - np.log1p(-shares)])
    def value(parameters: np.ndarray) -> tuple[float, tuple]:
        evaluated = _loglik_derivatives(Xs, bounds, parameters[:k], parameters[k:], ws)
        return evaluated[0], evaluated

    result = newton_maximise(value, lambda evaluated: (evaluated[1], -evaluated[2]), _newton_step, theta,
                             tol=_TOL, maxiter=_MAXITER, feasible=lambda trial: np.all(np.diff(trial[k:]) > 0))
    theta, converged, iterations = result.theta, result.converged, result.iterations
    loglik, grad, hess = result.state

    p = k + J - 1
    try:
        cov = np.linalg.inv(-hess)
        cov = (cov + cov.T) / 2
    except np.linalg.LinAlgError:
        cov = np.full((p, p), np.nan)
    kind = "design" if design is not None else "cluster" if groups is not None else (
        "robust" if weight_type == "probability" or robust else None)
    n_clusters = design_df = None
    if kind is not None and np.all(np.isfinite(cov)):
        scores = _loglik_derivatives(Xs, bounds, theta[:k], theta[k:], ws, scores=True)[3]
        if kind == "design":
            from alliancegov.stats.survey.design import design_degrees_of_freedom, linearised_covariance

            unsorted = np.empty_like(scores)
            unsorted[order] = scores * ws[:, None]          # the design's rows are in the caller's order
            cov = linearised_covariance(unsorted, cov, design)
            n_clusters, _, design_df = design_degrees_of_freedom(design, n)
        else:
            cov, n_clusters = _sandwich(cov, scores, ws, kind, None if groups is None else np.asarray(groups)[order],
                                        weight_type)
    converged = converged and bool(np.all(np.isfinite(cov)))
    if not converged:
        warnings.warn(f"ordered logit did not converge in {iterations} Newton iterations (separation: a "
                      "category or the order perfectly predicted?); its estimates are not ML estimates",
                      RuntimeWarning, stacklevel=2)
    if w is None:
        n_obs = float(n)
    elif weight_type == "frequency":
        n_obs = float(w.sum())
    else:
        n_obs = float(np.count_nonzero(w))
    return OrderedFit(slopes=theta[:k].copy(), cutpoints=theta[k:].copy(), cov=cov, loglik=loglik,
                      converged=converged, n=n_obs, names=tuple(labels),
                      loglik_null=null_loglik(yi, J, w), weight_type=None if w is None else weight_type,
                      cov_type=kind or "oim", n_clusters=n_clusters,
                      design_df=None if design_df is None else float(design_df))


def _sandwich(bread: np.ndarray, scores: np.ndarray, weights: np.ndarray | None, kind: str, groups,
              weight_type: str) -> tuple[np.ndarray, int | None]:
    """Stata's robust or cluster-robust sandwich (:func:`alliancegov.stats.mnl.meat_scaling`'s rules)
    from the rows' unweighted scores (n, p), and the clusters with positive weight (None if robust)."""
    from alliancegov.stats.mnl.covariance import _cluster_meat, meat_scaling

    n = scores.shape[0]
    scale, factor, codes = meat_scaling(n, kind=kind, groups=groups, weights=weights,
                                        weight_type="sampling" if weight_type == "probability" else "frequency")
    if scale is not None:
        scores = scores * scale[:, None]
    if codes is None:
        meat, n_clusters = scores.T @ scores, None
    else:
        # the MNL's cluster sums with a single regressor equal to one: S_g = sum_{i in g} u_i
        meat = _cluster_meat(np.ones((n, 1)), scores, codes)
        n_clusters = int(np.unique(codes if weights is None else codes[weights > 0]).size)
    cov = factor * bread @ meat @ bread
    return (cov + cov.T) / 2, n_clusters


# --------------------------------------------------------------------------------------------
# tidy table
# --------------------------------------------------------------------------------------------

def tidy_ordered(fit: OrderedFit, names=None, level: float = 0.95, *, outcome_labels=None) -> pd.DataFrame:
    """Tidy coefficient table of an ordered logit, slopes then cut points.

    Parameters
    ----------
    fit : OrderedFit
        The fit.
    names : sequence of str of length k, optional
        Terms of the slopes (default ``fit.names``).
    level : float, default 0.95
        Confidence level of the intervals.
    outcome_labels : sequence of length J, optional
        Labels of the categories in scale order: the cut points are then named ``"a|b"`` as
        ``polr``, else ``cut1 .. cut{J-1}`` (Stata).

    Returns
    -------
    DataFrame
        Rows: k slopes, then J-1 cut points. Columns: ``term, estimate, std_error, statistic,
        p_value, conf_low, conf_high`` (Wald z, normal reference, CI at ``level``; t on the design's
        degrees of freedom when the fit has them;
        :func:`alliancegov.stats.tidy.tidy_coefficients`; slopes in log-odds) plus ``odds_ratio,
        or_conf_low, or_conf_high`` = ``exp`` of estimate and CI bounds for the slopes (NaN on
        cut-point rows).

    Raises
    ------
    ValueError
        If ``names`` does not have k entries or ``outcome_labels`` not J.
    """
    from alliancegov.stats.tidy import tidy_coefficients

    k = fit.slopes.shape[0]
    slope_names = _names(names, list(fit.names), k)
    J = fit.n_categories
    if outcome_labels is None:
        cut_names = [f"cut{j}" for j in range(1, J)]
    else:
        outcome_labels = [str(s) for s in outcome_labels]
        if len(outcome_labels) != J:
            raise ValueError(f"{len(outcome_labels)} outcome labels given for {J} categories")
        cut_names = [f"{outcome_labels[j]}|{outcome_labels[j + 1]}" for j in range(J - 1)]
    table = tidy_coefficients(slope_names + cut_names, fit.params, fit.std_errors, df_resid=fit.design_df,
                              level=level)
    is_slope = np.arange(len(table)) < k
    table["odds_ratio"] = np.where(is_slope, np.exp(table["estimate"]), np.nan)
    table["or_conf_low"] = np.where(is_slope, np.exp(table["conf_low"]), np.nan)
    table["or_conf_high"] = np.where(is_slope, np.exp(table["conf_high"]), np.nan)
    return table
