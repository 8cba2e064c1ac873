"""Ordered (proportional-odds) logit: fit, tidy table, average marginal effects, Brant test.

Generic: nothing here knows about the survey. It provides what the literature reports from
Stata ``ologit`` + ``margins`` + ``brant`` (SPost) or R ``MASS::polr``:

* the maximum-likelihood fit with cut points and covariance on the natural scale
  (:func:`fit_ordered_logit`): our own vectorised Newton-Raphson with the analytic gradient and
  Hessian. statsmodels' ``OrderedModel`` only has a numerical Hessian (and estimates the
  thresholds after the first as log-increments): 100 to 1000 times slower at 10^5 rows, too slow
  for a fit that the pipeline repeats on up to 10^6 rows. The fit is checked in the tests against R
  ``polr``, Stata ``ologit``, statsmodels ``OrderedModel`` and ``Logit`` (J = 2);
* a tidy table with odds ratios (:func:`tidy_ordered`);
* average marginal effects on every category probability with delta-method standard errors,
  analytic, in time and memory linear in n (``OrderedModel`` has no ``get_margeff``, statsmodels
  issue #7831), see :func:`ordered_average_marginal_effects`;
* the Brant (1990) test of the parallel-lines assumption as SPost's ``brant``
  (:func:`brant_test`).

Conventions
-----------
Model
    ``P(y <= j | x) = F(c_{j+1} - x'b)`` for ``j = 0 .. J-2`` with ``F`` the logistic cdf, i.e.
    ``P(y = j) = F(c_{j+1} - x'b) - F(c_j - x'b)`` with ``c_0 = -inf`` and ``c_J = +inf``. This is
    the sign convention of Stata ``ologit`` (``/cut1 .. /cut{J-1}``), R ``MASS::polr`` (``zeta``)
    and statsmodels: a positive slope shifts mass to higher categories.
``X``
    (n, k) regressors WITHOUT a constant (the cut points play the intercept); a pandas DataFrame
    is accepted and its column names label the terms.
``y``
    integer outcome codes ``0 .. J-1`` in the scale's order; every code must occur.
Parameter vector
    ``theta = (slopes (k,), cutpoints (J-1,))``; every covariance here is (k+J-1, k+J-1) in that
    order, on the natural scale of the cut points.

Weights
    optional (n,) non-negative ``weights`` multiply each row's log-likelihood contribution (the
    fit, the marginal effects and the Brant test accept them; ``OrderedModel`` silently ignores
    weights). ``weight_type="frequency"`` (Stata ``fweight``, polr's case weights): row i stands
    for ``w_i`` identical observations, the fit equals the fit on the rows repeated, N = sum of
    the weights, and the covariance is the inverse of the weighted information.
    ``weight_type="probability"`` (Stata ``pweight``): the weighted log-likelihood is a
    pseudo-likelihood, so the same point estimates come with a sandwich covariance (Stata's
    ``N/(N-1)`` factor, N the rows with positive weight; or cluster-robust with ``groups``, factor
    ``G/(G-1)``), the rules of :func:`alliancegov.stats.mnl.meat_scaling`.

Heavy imports (scipy, and the MNL helpers of :mod:`alliancegov.stats.mnl`, which the weights and the
Brant test's binary logits reuse) happen inside the functions.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from alliancegov.stats.newton import newton_maximise

__all__ = [
    "OrderedFit",
    "brant_test",
    "fit_ordered_logit",
    "ordered_average_marginal_effects",
    "ordered_probabilities",
    "tidy_ordered",
]

_DEFAULT_CHUNK_ROWS = 65536
_TOL = 1e-10        # Newton convergence tolerance of fit_ordered_logit
_MAXITER = 100      # ... and its maximum number of Newton iterations


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------

def _design(X) -> tuple[np.ndarray, list[str]]:
    """(n, k) float array and column names (``x1 .. xk`` for arrays)."""
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        Xa = X.to_numpy(dtype=float)
    else:
        Xa = np.asarray(X, dtype=float)
        if Xa.ndim == 1:
            Xa = Xa[:, None]
        names = [f"x{i + 1}" for i in range(Xa.shape[1])] if Xa.ndim == 2 else []
    if Xa.ndim != 2:
        raise ValueError(f"X must be 2-dimensional (n, k); got shape {Xa.shape}")
    if not np.all(np.isfinite(Xa)):
        raise ValueError("X contains missing or non-finite values; drop or impute them first")
    return Xa, names


def _check_no_constant(Xa: np.ndarray, names: list[str]) -> None:
    """Raise if X has a constant column or spans a constant (e.g. a full set of dummies)."""
    n, k = Xa.shape
    if k == 0:
        raise ValueError("X has no columns; an ordered logit needs at least one regressor")
    constant = [names[i] for i in range(k) if np.ptp(Xa[:, i]) == 0]
    if constant:
        raise ValueError(
            f"X contains constant column(s) {constant}: an ordered logit has no intercept (the cut "
            "points play its role); drop the constant column")
    # implicit constant: is the vector of ones in the column space of X?
    ones = np.ones(n)
    coef, *_ = np.linalg.lstsq(Xa, ones, rcond=None)
    if np.linalg.norm(Xa @ coef - ones) <= 1e-8 * np.sqrt(n):
        raise ValueError(
            "the columns of X span a constant (e.g. a full set of dummies of a factor): drop one "
            "reference column; an ordered logit has no intercept (the cut points play its role)")


def _outcome_codes(y, n: int, weights: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    ya = np.asarray(y)
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(f"y must be 1-dimensional with {n} entries (rows of X); got shape {ya.shape}")
    yf = ya.astype(float)
    if not np.all(np.isfinite(yf)) or np.any(yf != np.round(yf)) or np.any(yf < 0):
        raise ValueError("y must hold integer outcome codes 0 .. J-1 without missing values")
    yi = yf.astype(int)
    J = int(yi.max()) + 1
    counts = np.bincount(yi, weights=weights, minlength=J)
    if np.any(counts <= 0):
        raise ValueError(f"outcome code(s) {np.flatnonzero(counts <= 0).tolist()} never occur (or weigh 0); y "
                         "must use every code 0 .. J-1 (recode the scale without gaps)")
    if J < 2:
        raise ValueError("y has a single category; an ordered logit needs at least two")
    return yi, J


def _names(names, default: list[str], k: int) -> list[str]:
    if names is None:
        return list(default) if len(default) == k else [f"x{i + 1}" for i in range(k)]
    names = [str(s) for s in names]
    if len(names) != k:
        raise ValueError(f"{len(names)} names given for {k} columns of X")
    return names


# --------------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderedFit:
    """Ordered-logit maximum-likelihood fit on the natural scale.

    Attributes
    ----------
    slopes : ndarray of shape (k,)
        Coefficients of the columns of X.
    cutpoints : ndarray of shape (J-1,)
        Increasing cut points ``c_1 < ... < c_{J-1}`` (Stata ``/cut``, polr ``zeta``).
    cov : ndarray of shape (k+J-1, k+J-1)
        Covariance of ``(slopes, cutpoints)``, natural scale: see ``cov_type``.
    loglik : float
        Maximised (weighted; for probability weights pseudo-) log-likelihood.
    converged : bool
        Newton convergence flag (and finite covariance).
    n : float
        Stata's N: the sum of frequency weights, else the number of rows (with positive weight).
    names : tuple of str, length k
        Labels of the slopes.
    loglik_null : float
        Log-likelihood of the model with cut points only, in closed form ``sum_j W_j log(W_j / W)``
        (``W_j`` the weighted count of category j): its ML fitted probabilities are the shares.
    weight_type : {None, "frequency", "probability"}
        None for an unweighted fit.
    cov_type : {"oim", "robust", "cluster"}
        ``oim``: inverse (weighted) observed information (Stata ``vce(oim)``, polr ``vcov``);
        ``robust``: sandwich with ``N/(N-1)``; ``cluster``: cluster-robust with ``G/(G-1)``.
    n_clusters : int or None
        G for ``cov_type="cluster"``.
    """

    slopes: np.ndarray
    cutpoints: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool
    n: float
    names: tuple[str, ...] = field(default=())
    loglik_null: float = math.nan
    weight_type: str | None = None
    cov_type: str = "oim"
    n_clusters: int | None = None

    @property
    def n_categories(self) -> int:
        """J, the number of ordered outcome categories."""
        return int(self.cutpoints.shape[0]) + 1

    @property
    def params(self) -> np.ndarray:
        """``theta = (slopes, cutpoints)``, shape (k+J-1,), the order of :attr:`cov`."""
        return np.concatenate([self.slopes, self.cutpoints])

    @property
    def std_errors(self) -> np.ndarray:
        """Standard errors of ``(slopes, cutpoints)``, shape (k+J-1,)."""
        return np.sqrt(np.diag(self.cov))

    @property
    def df_model(self) -> int:
        """k, the degrees of freedom of the LR and Wald tests of all slopes = 0."""
        return int(self.slopes.shape[0])

    @property
    def lr_chi2(self) -> float:
        """Likelihood-ratio statistic ``2 (loglik - loglik_null)`` of all slopes = 0.

        NaN unless ``cov_type="oim"``: with a robust or cluster covariance (probability weights,
        clusters) the likelihood-ratio statistic has no chi-square distribution and Stata prints
        the Wald chi-square (:attr:`wald_chi2`) instead.
        """
        return 2.0 * (self.loglik - self.loglik_null) if self.cov_type == "oim" else math.nan

    @property
    def wald_chi2(self) -> float:
        """Wald statistic of all slopes = 0 with :attr:`cov` (Stata's ``Wald chi2(k)``)."""
        k = self.df_model
        b = self.slopes
        return float(b @ np.linalg.solve(self.cov[:k, :k], b))

    @property
    def pseudo_r2(self) -> float:
        """McFadden's ``1 - loglik / loglik_null`` (Stata's ``Pseudo R2``, printed for every weight type)."""
        return 1.0 - self.loglik / self.loglik_null

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 (k+J-1)`` (Stata ``estat ic``).

        NaN for probability weights, whose pseudo-likelihood is not a likelihood.
        """
        if self.weight_type == "probability":
            return math.nan
        return -2.0 * self.loglik + 2.0 * self.params.shape[0]

    @property
    def bic(self) -> float:
        """``-2 loglik + (k+J-1) ln N`` (Stata ``estat ic``); NaN for probability weights."""
        if self.weight_type == "probability":
            return math.nan
        return -2.0 * self.loglik + self.params.shape[0] * math.log(self.n)

    def fit_statistics(self) -> pd.DataFrame:
        """What Stata's ``ologit`` header prints, plus AIC and BIC, as ``statistic, value`` rows.

        Returns
        -------
        DataFrame
            Columns ``statistic, value`` (float); rows ``n_obs`` (N), ``log_likelihood``,
            ``log_likelihood_null``, the model test (``lr_chi2`` for ``cov_type="oim"``, else
            ``wald_chi2``, as Stata), ``df``, ``p_value`` (upper-tail chi-square), ``pseudo_r2``,
            ``aic``, ``bic`` (NaN for probability weights).
        """
        from scipy import stats

        test, statistic = ("lr_chi2", self.lr_chi2) if self.cov_type == "oim" else ("wald_chi2", self.wald_chi2)
        values = {
            "n_obs": float(self.n),
            "log_likelihood": self.loglik,
            "log_likelihood_null": self.loglik_null,
            test: statistic,
            "df": float(self.df_model),
            "p_value": float(stats.chi2.sf(statistic, self.df_model)),
            "pseudo_r2": self.pseudo_r2,
            "aic": self.aic,
            "bic": self.bic,
        }
        return pd.DataFrame({"statistic": list(values), "value": list(values.values())})


def _sorted_by_category(Xa: np.ndarray, yi: np.ndarray, J: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of X grouped by outcome (a stable sort), the (J+1,) bounds (category j is rows
    ``bounds[j]:bounds[j+1]``) and the (n,) sorting permutation, to sort weights and clusters alike.
    The log-likelihood is a sum over rows, so the order is immaterial; contiguous categories let
    every per-category quantity be a slice with scalar cut points."""
    order = np.argsort(yi, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(yi, minlength=J))])
    return Xa[order], bounds, order


def _loglik_derivatives(Xs: np.ndarray, bounds: np.ndarray, b: np.ndarray, c: np.ndarray,
                        ws: np.ndarray | None = None, *, scores: bool = False):
    """(Weighted) log-likelihood, gradient (p,) and Hessian (p, p) in ``(slopes, cutpoints)``.

    ``Xs`` and ``bounds`` from :func:`_sorted_by_category`, ``ws`` the (n,) weights in the same
    order (None: 1). For a row of category j write
    ``u = c_{j+1} - eta`` and ``l = c_j - eta`` (0-based cut ``j`` is the upper bound of category j),
    ``P = F(u) - F(l)``. Evaluated stably for any arguments as

        P = F(u) F(-l) (1 - exp(l - u)),                   log P = logF(u) + logF(-l) + log D,

    with ``D = -expm1(l - u) = -expm1(c_j - c_{j+1})`` a scalar per category, and the score ratios
    ``g_u = f(u)/P = exp(logF(-u) - logF(-l)) / D``, ``g_l = f(l)/P = exp(logF(l) - logF(u)) / D``
    (f = F(1-F); for the lowest / highest category ``P = F(u)`` / ``F(-l)``). Second derivatives
    of log P in (u, l): ``H_uu = g_u (1 - 2F(u)) - g_u^2``, ``H_ll = -g_l (1 - 2F(l)) - g_l^2``,
    ``H_ul = g_u g_l``; ``d/d eta = -(d/du + d/dl)``. The slope block is ``X' diag(w) X``, the
    slope-cut block ``X_j'(...)`` products per category, the cut block tridiagonal: O(n p^2) time,
    O(n) memory besides ``Xs``, no Python loop over rows. Each row's terms are multiplied by its
    weight before summing. With ``scores=True`` a fourth value is the (n, p) matrix of the rows'
    unweighted scores ``d log P_i / d theta``, for sandwich covariances.
    """
    from scipy.special import expit, log_expit

    n, k = Xs.shape
    m = c.shape[0]
    w = np.ones(n) if ws is None else ws
    eta = Xs @ b
    d_eta = np.empty(n)     # d log P_i / d eta_i
    d2_eta = np.empty(n)    # d^2 log P_i / d eta_i^2 (<= 0: log-concavity, Pratt 1981)
    d_up = np.zeros(n)      # d log P_i / d (the upper cut of row i's category)
    d_low = np.zeros(n)     # d log P_i / d (its lower cut)
    grad_c = np.zeros(m)
    hess_bc = np.zeros((k, m))
    hess_cc = np.zeros((m, m))
    loglik = 0.0
    for j in range(m + 1):
        rows = slice(bounds[j], bounds[j + 1])
        e = eta[rows]
        wr = w[rows]
        h_ul = 0.0
        if j == 0:                                  # P = F(u)
            u = c[0] - e
            loglik += (wr * log_expit(u)).sum()
            g_u = expit(-u)
            h_uu = -g_u * expit(u)
            h_ll = 0.0
            d_up[rows] = g_u
        elif j == m:                                # P = 1 - F(l) = F(-l)
            low = c[m - 1] - e
            loglik += (wr * log_expit(-low)).sum()
            g_l = expit(low)
            h_ll = -g_l * expit(-low)
            h_uu = 0.0
            d_low[rows] = -g_l
        else:
            u = c[j] - e
            low = c[j - 1] - e
            log_d = np.log(-np.expm1(c[j - 1] - c[j]))
            log_fu, log_fmu = log_expit(u), log_expit(-u)
            log_fl, log_fml = log_expit(low), log_expit(-low)
            loglik += (wr * (log_fu + log_fml)).sum() + log_d * wr.sum()
            g_u = np.exp(log_fmu - log_fml - log_d)
            g_l = np.exp(log_fl - log_fu - log_d)
            h_uu = -g_u * np.tanh(u / 2) - g_u * g_u      # 1 - 2F(z) = -tanh(z/2)
            h_ll = g_l * np.tanh(low / 2) - g_l * g_l
            h_ul = g_u * g_l
            d_up[rows] = g_u
            d_low[rows] = -g_l
            hess_cc[j - 1, j] += (wr * h_ul).sum()
            hess_cc[j, j - 1] = hess_cc[j - 1, j]
        d_eta[rows] = -(d_up[rows] + d_low[rows])
        d2_eta[rows] = h_uu + 2 * h_ul + h_ll
        if j < m:
            hess_bc[:, j] -= Xs[rows].T @ (wr * (h_uu + h_ul))
            grad_c[j] += (wr * d_up[rows]).sum()
            hess_cc[j, j] += (wr * h_uu).sum()
        if j > 0:
            hess_bc[:, j - 1] -= Xs[rows].T @ (wr * (h_ul + h_ll))
            grad_c[j - 1] += (wr * d_low[rows]).sum()
            hess_cc[j - 1, j - 1] += (wr * h_ll).sum()
    grad = np.concatenate([Xs.T @ (w * d_eta), grad_c])
    d2_eta *= w
    hess = np.empty((k + m, k + m))
    hess[:k, :k] = 0.0
    for start in range(0, n, _DEFAULT_CHUNK_ROWS):      # X' diag(d2_eta) X without an (n, k) temporary
        block = Xs[start:start + _DEFAULT_CHUNK_ROWS]
        hess[:k, :k] += (block * d2_eta[start:start + _DEFAULT_CHUNK_ROWS, None]).T @ block
    hess[:k, k:] = hess_bc
    hess[k:, :k] = hess_bc.T
    hess[k:, k:] = hess_cc
    if not scores:
        return float(loglik), grad, hess
    S = np.zeros((n, k + m))
    S[:, :k] = Xs * d_eta[:, None]
    for j in range(m + 1):
        rows = slice(bounds[j], bounds[j + 1])
        if j < m:
            S[rows, k + j] = d_up[rows]
        if j > 0:
            S[rows, k + j - 1] = d_low[rows]
    return float(loglik), grad, hess, S


def _newton_step(information: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``information^-1 grad``; least squares if the information is not numerically positive definite
    (collinear regressors, or a separated direction whose information has underflowed)."""
    from scipy import linalg

    try:
        return linalg.cho_solve(linalg.cho_factor(information), grad)
    except linalg.LinAlgError:
        return np.linalg.lstsq(information, grad, rcond=None)[0]


def _checked_inputs(X, y, names, weights, weight_type: str):
    """The design (n, k) without a constant, its column names, the weights (n,) or None, and the
    outcome codes (n,) with their number of categories J, after the checks every fit shares."""
    from alliancegov.stats.mnl import _weights

    Xa, default_names = _design(X)
    n, k = Xa.shape
    labels = _names(names, default_names, k)
    _check_no_constant(Xa, labels)
    w = _weights(weights, n)
    if weight_type not in ("frequency", "probability"):
        raise ValueError("weight_type must be 'frequency' or 'probability'")
    yi, J = _outcome_codes(y, n, w)
    return Xa, labels, w, yi, J


def fit_ordered_logit(X, y, names=None, *, weights=None,
                      weight_type: Literal["frequency", "probability"] = "frequency",
                      groups=None) -> OrderedFit:
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
        are invalid, ``weight_type`` is unknown, or ``weight_type="probability"`` comes without
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
    from alliancegov.stats.mnl import _cluster_meat, meat_scaling
    from alliancegov.stats.mnl_tests import null_loglik

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
    kind = "cluster" if groups is not None else ("robust" if weight_type == "probability" else None)
    n_clusters = None
    if kind is not None and np.all(np.isfinite(cov)):
        scores = _loglik_derivatives(Xs, bounds, theta[:k], theta[k:], ws, scores=True)[3]
        scale, factor, codes = meat_scaling(
            n, kind=kind, groups=None if groups is None else np.asarray(groups)[order], weights=ws,
            weight_type="sampling" if weight_type == "probability" else "frequency")
        if scale is not None:
            scores *= scale[:, None]
        if codes is None:
            meat = scores.T @ scores
        else:
            # the MNL's cluster sums with a single regressor equal to one: S_g = sum_{i in g} u_i
            meat = _cluster_meat(np.ones((n, 1)), scores, codes)
            n_clusters = int(np.unique(codes if ws is None else codes[ws > 0]).size)
        cov = factor * cov @ meat @ cov
        cov = (cov + cov.T) / 2
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
                      cov_type=kind or "oim", n_clusters=n_clusters)


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
        p_value, conf_low, conf_high`` (Wald z, normal reference, CI at ``level``;
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
    table = tidy_coefficients(slope_names + cut_names, fit.params, fit.std_errors, df_resid=None, level=level)
    is_slope = np.arange(len(table)) < k
    table["odds_ratio"] = np.where(is_slope, np.exp(table["estimate"]), np.nan)
    table["or_conf_low"] = np.where(is_slope, np.exp(table["conf_low"]), np.nan)
    table["or_conf_high"] = np.where(is_slope, np.exp(table["conf_high"]), np.nan)
    return table


# --------------------------------------------------------------------------------------------
# probabilities and marginal effects
# --------------------------------------------------------------------------------------------

def _expit(z):
    from scipy.special import expit

    return expit(z)


def _cut_terms(eta: np.ndarray, cutpoints: np.ndarray):
    """For rows with linear predictor ``eta`` (m,): cdf, pdf and pdf' at ``c_j - eta``, each (m, J-1)."""
    z = cutpoints[None, :] - eta[:, None]
    F = _expit(z)
    f = F * (1.0 - F)
    fprime = f * (1.0 - 2.0 * F)
    return F, f, fprime


def _bracket_diff(A: np.ndarray) -> np.ndarray:
    """(m, J-1) values at the cut points -> (m, J) ``A_j - A_{j-1}`` with zeros at +-inf."""
    m = A.shape[0]
    padded = np.concatenate([np.zeros((m, 1)), A, np.zeros((m, 1))], axis=1)
    return padded[:, 1:] - padded[:, :-1]


def ordered_probabilities(X, slopes, cutpoints) -> np.ndarray:
    """Category probabilities of an ordered logit.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Regressors without constant.
    slopes : array-like of shape (k,)
        Coefficients.
    cutpoints : array-like of shape (J-1,)
        Increasing cut points.

    Returns
    -------
    ndarray of shape (n, J)
        ``P_ij = F(c_{j+1} - x_i'b) - F(c_j - x_i'b)`` with ``c_0 = -inf``, ``c_J = +inf``.

    Raises
    ------
    ValueError
        If X is not 2-d or not finite, or the number of slopes is not k.
    """
    Xa, _ = _design(X)
    b = np.asarray(slopes, dtype=float).ravel()
    c = np.asarray(cutpoints, dtype=float).ravel()
    if b.shape[0] != Xa.shape[1]:
        raise ValueError(f"{b.shape[0]} slopes for {Xa.shape[1]} columns of X")
    F = _expit(c[None, :] - (Xa @ b)[:, None])
    n = Xa.shape[0]
    cum = np.concatenate([np.zeros((n, 1)), F, np.ones((n, 1))], axis=1)
    return np.diff(cum, axis=1)


def _level_label(name: str) -> str:
    """Patsy ``C(f)[T.lvl]`` / ``f[T.lvl]`` / ``f[lvl]`` -> ``lvl``; other names unchanged."""
    match = re.search(r"\[(?:T\.)?(.*)\]$", name)
    return match.group(1) if match else name


def _ame_accumulate(Xa, b, c, continuous, factors, chunk_rows, w):
    """Weighted sums over rows (``w`` (n,), None: 1) of AMEs (T, J) and of their Jacobians (T, J, k+J-1)."""
    n, k = Xa.shape
    m = c.shape[0]
    J = m + 1
    p = k + m
    n_terms = len(continuous) + sum(len(cols) for cols in factors.values())
    est = np.zeros((n_terms, J))
    jac = np.zeros((n_terms, J, p))
    # (J, m) map from values at the cut points to category brackets: bracket_j = a_{j} - a_{j-1}
    # in cut-point indexing (cut j is the upper bound of category j).
    bracket = np.zeros((J, m))
    bracket[np.arange(m), np.arange(m)] = 1.0
    bracket[np.arange(1, J), np.arange(m)] = -1.0
    cont = np.asarray(continuous, dtype=int)

    for start in range(0, n, chunk_rows):
        Xc = Xa[start:start + chunk_rows]
        wc = np.ones(Xc.shape[0]) if w is None else w[start:start + chunk_rows]
        _, f, fp = _cut_terms(Xc @ b, c)
        if cont.size:
            # dP_ij/dx_ik = -b_k (f_ij - f_i,j-1), f at cut j (upper) and j-1 (lower).
            s = wc @ _bracket_diff(f)                              # (J,)
            Gx = (_bracket_diff(fp) * wc[:, None]).T @ Xc          # (J, k): sum_i w_i (f'_j - f'_{j-1}) x_il
            fp_sum = wc @ fp                                       # (m,)
            est[:cont.size] += -b[cont][:, None] * s[None, :]
            # d/db_l: -delta_kl s_j + b_k Gx[j, l]
            jac[:cont.size, :, :k] += b[cont][:, None, None] * Gx[None, :, :]
            jac[np.arange(cont.size), :, cont] -= s[None, :]
            # d/dc_q: -b_k (f'_q [q == j] - f'_q [q == j-1]) = -b_k bracket[j, q] f'_q
            jac[:cont.size, :, k:] += -b[cont][:, None, None] * (bracket * fp_sum[None, :])[None, :, :]
        row = cont.size
        for cols in factors.values():
            X0 = Xc.copy()
            X0[:, cols] = 0.0
            F0, f0, _ = _cut_terms(X0 @ b, c)
            P0_sum = wc @ _bracket_diff(F0)                        # (J,)
            grad_b0 = (_bracket_diff(f0) * wc[:, None]).T @ X0     # (J, k)
            f0_sum = wc @ f0
            for col in cols:
                X1 = X0.copy()
                X1[:, col] = 1.0
                F1, f1, _ = _cut_terms(X1 @ b, c)
                est[row] += wc @ _bracket_diff(F1) - P0_sum
                # dP_ij/db_l = -(f_j - f_{j-1}) x_il ; dP_ij/dc_q = bracket[j, q] f_q
                jac[row, :, :k] += -((_bracket_diff(f1) * wc[:, None]).T @ X1) + grad_b0
                jac[row, :, k:] += bracket * (wc @ f1 - f0_sum)[None, :]
                row += 1
    return est, jac


def ordered_average_marginal_effects(X, fit: OrderedFit, continuous: list[int],
                                     discrete: dict[str, list[int]] | None = None, *,
                                     weights=None, chunk_rows: int | None = None) -> pd.DataFrame:
    """Average marginal effects on every category probability, delta-method standard errors.

    As Stata ``margins, dydx(...) predict(outcome(j))`` after ``ologit`` (``vce(delta)``, the
    covariates at their sample values).

    Parameters
    ----------
    X : array-like of shape (n, k)
        The design the AMEs average over (usually the estimation sample), without constant.
    fit : OrderedFit
        Slopes, cut points and ``fit.cov``, whichever its ``cov_type``.
    continuous : list of int
        Column indices c of X; AME = mean over rows of
        ``dP_ij/dx_ic = -b_c [f(c_{j+1} - x_i'b) - f(c_j - x_i'b)]`` (f the logistic density).
    discrete : dict of str to list of int, optional
        ``{factor_name: [dummy column indices]}``; for each dummy d the average discrete change
        ``P_j(x with d = 1 and the factor's other dummies 0) - P_j(x with all the factor's dummies
        0)``, i.e. the level against the reference (Stata's ``i.`` factor variables). A binary
        regressor ``v`` is ``{"v": [col]}``.
    weights : array-like of shape (n,), optional
        The averages are weighted, ``sum_i w_i ME_i / sum_i w_i`` (Stata's ``margins`` after a
        weighted fit, frequency or probability weights alike; pass the fit's weights).
    chunk_rows : int, optional
        Rows per block of the accumulation (default 65536).

    Returns
    -------
    DataFrame
        Long table ``variable, outcome, estimate, std_error``: one row per term (continuous
        columns in the given order, then each factor dummy) and outcome ``0 .. J-1``; effects in
        probability units (per unit of a continuous regressor); the AMEs of a term sum to zero
        over outcomes. Terms are named ``fit.names[c]`` for continuous columns; a single-dummy
        factor is named by its key, a dummy of a multi-dummy factor ``name[level]`` with ``level``
        from the column name (patsy ``[T.level]`` reduced to ``level``).

    Raises
    ------
    ValueError
        If X does not match the fit or has no rows, a column index is out of range or used twice,
        a factor has no dummy or a dummy holds values other than 0/1, ``chunk_rows`` is not
        positive, or the weights are invalid or sum to zero.

    Notes
    -----
    Derivatives and the Jacobian ``G`` of the AMEs with respect to ``(slopes, cutpoints)`` are
    analytic, accumulated over blocks of ``chunk_rows`` rows: time linear in n and memory
    O(chunk_rows * (k + J) + terms * J * (k + J)). Standard errors are
    ``sqrt(diag(G fit.cov G'))``.
    """
    Xa, _ = _design(X)
    n, k = Xa.shape
    b = np.asarray(fit.slopes, dtype=float)
    c = np.asarray(fit.cutpoints, dtype=float)
    if b.shape[0] != k:
        raise ValueError(f"fit has {b.shape[0]} slopes but X has {k} columns")
    if n == 0:
        raise ValueError("X has no rows")
    names = _names(None, list(fit.names), k)
    factors = {str(key): [int(i) for i in cols] for key, cols in (discrete or {}).items()}
    cont = [int(i) for i in continuous]
    used = cont + [i for cols in factors.values() for i in cols]
    if any(i < 0 or i >= k for i in used):
        raise ValueError(f"column indices must lie in 0 .. {k - 1}; got {used}")
    if len(set(used)) != len(used):
        raise ValueError("a column appears more than once in continuous / discrete")
    for key, cols in factors.items():
        if not cols:
            raise ValueError(f"factor {key!r} has no dummy columns")
        values = Xa[:, cols]
        if not np.all((values == 0) | (values == 1)):
            raise ValueError(f"factor {key!r}: dummy columns must hold 0/1 only")
    rows = int(chunk_rows) if chunk_rows else _DEFAULT_CHUNK_ROWS
    if rows < 1:
        raise ValueError("chunk_rows must be positive")

    from alliancegov.stats.mnl import _weights

    w = _weights(weights, n)
    total = float(n) if w is None else float(w.sum())
    if total <= 0:
        raise ValueError("weights sum to zero")
    est, jac = _ame_accumulate(Xa, b, c, cont, factors, rows, w)
    est /= total
    jac /= total
    T, J, p = jac.shape
    G = jac.reshape(T * J, p)
    se = np.sqrt(np.maximum(np.einsum("ap,pq,aq->a", G, fit.cov, G), 0.0))
    labels = [names[i] for i in cont]
    for key, cols in factors.items():
        labels += [key] if len(cols) == 1 else [f"{key}[{_level_label(names[i])}]" for i in cols]
    return pd.DataFrame({
        "variable": np.repeat(labels, J),
        "outcome": np.tile(np.arange(J), T),
        "estimate": est.ravel(),
        "std_error": se,
    })


# --------------------------------------------------------------------------------------------
# Brant test
# --------------------------------------------------------------------------------------------

def _binary_logit(Xc: np.ndarray, z: np.ndarray, cut: int, w: np.ndarray | None) -> np.ndarray:
    """Coefficients (k+1,) of the (weighted) logit of ``z`` on ``Xc`` (whose first column is the
    constant): the two-outcome MNL of :func:`alliancegov.stats.mnl.fit_mnl_newton`."""
    from alliancegov.stats.mnl import fit_mnl_newton

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = fit_mnl_newton(Xc, z.astype(np.int64), weights=w, tol=1e-12)
    if not fit.converged:
        raise ValueError(
            f"binary logit y > {cut} did not converge ((quasi-)separation?); as SPost's brant, the Brant "
            "test cannot be computed when a regressor cannot be retained in every binary logit")
    return fit.params[:, 0]


def brant_test(X, y, names=None, *, weights=None,
               weight_type: Literal["frequency", "probability"] = "frequency") -> pd.DataFrame:
    """Brant (1990) Wald test of the proportional-odds (parallel lines) assumption.

    Parameters
    ----------
    X : array-like of shape (n, k)
        Regressors without constant (as for :func:`fit_ordered_logit`).
    y : array-like of shape (n,)
        Integer codes ``0 .. J-1``, J >= 3.
    names : sequence of str of length k, optional
        Labels.
    weights : array-like of shape (n,), optional
        Non-negative weights.
    weight_type : {"frequency", "probability"}, default "frequency"
        How the weights enter the covariance (see Notes).

    Returns
    -------
    DataFrame
        Columns ``term, statistic, df, p_value``; first row ``all`` (omnibus), then one row per
        variable.

    Raises
    ------
    ValueError
        If a binary logit is separated or fails (SPost stops too), J < 3, or the inputs fail the
        checks of :func:`fit_ordered_logit`.

    Notes
    -----
    As SPost's ``brant`` after ``ologit`` (Long & Freese) and R ``brant::brant``: fit the J-1
    binary logits of ``y > j`` (j = 0 .. J-2) on X with a constant, stack their slopes
    ``beta* = (b_1', ..., b_{J-1}')'`` ((J-1)k), and estimate their joint covariance by Brant's
    formula: ``Var(b_m) = (X'W_mm X)^-1`` and, for m < l,
    ``Cov(b_m, b_l) = (X'W_mm X)^-1 (X'W_ml X) (X'W_ll X)^-1`` with ``X`` including the constant,
    ``W_ml = diag(pi_l - pi_m pi_l)`` (``pi_m`` the fitted ``P(y > m)`` of binary model m; since
    ``y > l`` implies ``y > m``, ``E[z_m z_l] = pi_l``), constant rows/columns dropped afterwards.
    The Wald statistic of ``H0: b_1 = ... = b_{J-1}`` is ``(D beta*)' (D V D')^-1 (D beta*)`` with
    ``D`` the contrasts ``b_1 - b_j`` (j = 2 .. J-1): df ``(J-2)k`` overall (term ``all``) and
    ``J-2`` for each variable (the same test restricted to that variable's J-1 coefficients).

    Weights: the J-1 binary logits are weighted (pseudo-)ML fits, each row's log-likelihood term
    multiplied by ``w_i``. Frequency weights also weight Brant's covariance
    (``W_ml = diag(w_i (pi_l - pi_m pi_l))``): the test equals the test on the rows repeated
    ``w_i`` times. Brant's covariance is model-based, so with probability weights it is replaced
    by the robust (sandwich) joint covariance of the stacked binary logits,
    ``N/(N-1) A_m^-1 (sum_i w_i^2 r_mi r_li x_i x_i') A_l^-1`` with ``A_m = X' diag(w pi_m (1 - pi_m)) X``,
    ``r_mi = z_mi - pi_mi`` and N the rows with positive weight (as Stata's ``suest`` of the
    weighted logits); the statistic is then a robust Wald test of the same contrasts.

    The tests reproduce ``brant::brant``'s published example (``MASS::survey``,
    ``Smoke ~ Sex + Height``).

    References
    ----------
    Brant, R. (1990), Assessing proportionality in the proportional odds model for ordinal
    logistic regression, Biometrics 46:1171-1178; Long & Freese, Regression Models for
    Categorical Dependent Variables Using Stata.
    """
    from scipy import stats

    from alliancegov.stats.mnl import meat_scaling

    Xa, labels, w, yi, J = _checked_inputs(X, y, names, weights, weight_type)
    n, k = Xa.shape
    if J < 3:
        raise ValueError("the Brant test needs at least three ordered categories (J >= 3)")

    Xc = np.column_stack([np.ones(n), Xa])
    betas, probs, indicators = [], [], []
    for m in range(J - 1):
        indicators.append((yi > m).astype(float))
        coef = _binary_logit(Xc, indicators[m], m, w)
        betas.append(coef[1:])
        probs.append(_expit(Xc @ coef))

    def cross(v: np.ndarray) -> np.ndarray:
        return (Xc * v[:, None]).T @ Xc

    ones = np.ones(n) if w is None else w
    inverses = [np.linalg.inv(cross(ones * pi * (1.0 - pi))) for pi in probs]
    if weight_type == "probability" and w is not None:
        scale, factor, _ = meat_scaling(n, kind="robust", weights=w, weight_type="sampling")
        residuals = [scale * (z - pi) for z, pi in zip(indicators, probs)]

        def middle(m: int, q: int) -> np.ndarray:
            return factor * cross(residuals[m] * residuals[q])
    else:
        def middle(m: int, q: int) -> np.ndarray:
            # Brant: E[(z_m - pi_m)(z_q - pi_q)] = pi_q - pi_m pi_q for m <= q, since y > q implies y > m
            return cross(ones * (probs[q] - probs[m] * probs[q]))

    M = J - 1
    V = np.zeros((M * k, M * k))
    for m in range(M):
        for q in range(m, M):
            block = (inverses[m] @ middle(m, q) @ inverses[q])[1:, 1:]
            V[m * k:(m + 1) * k, q * k:(q + 1) * k] = block
            V[q * k:(q + 1) * k, m * k:(m + 1) * k] = block.T
    beta_star = np.concatenate(betas)

    # contrasts b_1 - b_j, j = 2 .. J-1 (SPost's design matrix)
    D = np.zeros(((M - 1) * k, M * k))
    for j in range(1, M):
        D[(j - 1) * k:j * k, :k] = np.eye(k)
        D[(j - 1) * k:j * k, j * k:(j + 1) * k] = -np.eye(k)

    def wald(rows: np.ndarray, cols: np.ndarray) -> float:
        Ds = D[np.ix_(rows, cols)]
        diff = Ds @ beta_star[cols]
        return float(diff @ np.linalg.solve(Ds @ V[np.ix_(cols, cols)] @ Ds.T, diff))

    all_rows = np.arange((M - 1) * k)
    all_cols = np.arange(M * k)
    statistics = [wald(all_rows, all_cols)]
    dfs = [(J - 2) * k]
    for v in range(k):
        statistics.append(wald(np.arange(v, (M - 1) * k, k), np.arange(v, M * k, k)))
        dfs.append(J - 2)
    statistics = np.asarray(statistics)
    dfs = np.asarray(dfs)
    return pd.DataFrame({
        "term": ["all"] + labels,
        "statistic": statistics,
        "df": dfs,
        "p_value": stats.chi2.sf(statistics, dfs),
    })
