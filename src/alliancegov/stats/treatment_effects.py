"""Effects of a multivalued treatment under selection on observables: inverse-probability-weighted
(IPW) and augmented IPW (AIPW, doubly robust) potential-outcome means (Cattaneo 2010), with
influence-function standard errors that account for the estimated propensity and outcome models,
clustered if asked; overlap diagnostics and a trimming rule.

Generic: nothing here knows about the survey. statsmodels' ``TreatmentEffect`` (0.14+) handles a
binary treatment only (its masks compare the treatment with 1); Stata's ``teffects ipw/aipw`` handle
a multivalued one with a multinomial logit, and this module follows them:

* IPW: the potential-outcome mean (POM) of level ``j`` solves ``sum_i 1{T_i = j} (y_i - mu_j) / p_ij
  = 0`` (weights normalised within each level, as ``teffects ipw``);
* AIPW: ``mu_j = mean_i [m_j(x_i) + 1{T_i = j} (y_i - m_j(x_i)) / p_ij]`` with ``m_j`` the OLS of
  ``y`` on ``x`` among the units at level ``j`` (unweighted, as ``teffects aipw``'s default);
* standard errors: each estimate's influence function from the stacked estimating equations of the
  POMs, the outcome regressions and the propensity model's score (the just-identified GMM that
  ``teffects`` solves), so ``V = sum_i IF_i IF_i' / n^2`` reproduces its robust covariance; with
  clusters, the influence is summed within clusters and scaled by ``G / (G - 1)``.

Conventions
-----------
``treatment``
    (n,) integer codes ``0 .. J-1``.
``propensity``
    A :class:`Propensity`: the fitted generalised propensity score ``P`` (n, J) with what the
    standard errors need of the model behind it (any model: :func:`mnl_propensity` fits the
    multinomial logit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PotentialOutcomes", "Propensity", "effect_covariance", "effects_table", "mnl_propensity",
           "overlap_summary", "potential_outcome_means", "within_overlap"]


@dataclass(frozen=True)
class Propensity:
    """A fitted propensity model, as the influence functions need it.

    Attributes
    ----------
    probabilities : ndarray of shape (n, J)
        Each unit's probability of each treatment level, strictly inside (0, 1).
    scores : ndarray of shape (n, q)
        Each unit's score (gradient of its log-likelihood contribution) at the estimates.
    information : ndarray of shape (q, q)
        The negative Hessian of the total log-likelihood at the estimates.
    gradient : callable
        ``gradient(a)`` with ``a`` of shape (n, J) returns ``sum_i sum_j a_ij dP_ij/dgamma``,
        shape (q,): the derivative of a weighted sum of the probabilities with respect to the
        model's parameters.
    """

    probabilities: np.ndarray
    scores: np.ndarray
    information: np.ndarray
    gradient: Callable[[np.ndarray], np.ndarray]


def mnl_propensity(Z, treatment) -> Propensity:
    """The generalised propensity score by a multinomial logit of ``treatment`` on ``Z``.

    Parameters
    ----------
    Z : array-like of shape (n, k)
        The treatment model's design, its intercept included.
    treatment : array-like of shape (n,)
        Integer codes ``0 .. J-1`` (0 is the MNL's base; the POMs do not depend on it).

    Returns
    -------
    Propensity
        With ``q = k (J - 1)`` parameters, equation-major (:mod:`alliancegov.stats.mnl`).

    Raises
    ------
    numpy.linalg.LinAlgError
        If the MNL's information is singular.
    """
    from alliancegov.stats.mnl import fit_mnl_newton, probabilities, score_contributions

    Z = np.asarray(Z, dtype=float)
    codes = np.asarray(treatment).astype(int)
    fit = fit_mnl_newton(Z, codes)
    P = probabilities(Z, fit.params)

    def gradient(a: np.ndarray) -> np.ndarray:
        # dP_ij/dgamma_(k, c) = P_ij (1{j = k} - P_ik) z_ic for the non-base equations k
        weighted = P * (np.asarray(a, float) - (a * P).sum(axis=1, keepdims=True))
        return (Z.T @ weighted[:, 1:]).T.ravel()

    return Propensity(P, score_contributions(Z, codes, fit.params), fit.information, gradient)


@dataclass(frozen=True)
class PotentialOutcomes:
    """Potential-outcome means and their influence functions.

    Attributes
    ----------
    means : ndarray of shape (J,)
        The POM of each level, outcome units.
    influence : ndarray of shape (n, J)
        Each unit's influence on each mean (``mean - truth ~ sum_i IF_i / n``).
    method : str
        "ipw" or "aipw".
    """

    means: np.ndarray
    influence: np.ndarray
    method: str


def potential_outcome_means(y, treatment, propensity: Propensity, *, method: str = "aipw",
                            outcome_design=None) -> PotentialOutcomes:
    """IPW or AIPW potential-outcome means of every treatment level, with influence functions.

    Parameters
    ----------
    y : array-like of shape (n,)
        The outcome.
    treatment : array-like of shape (n,)
        Integer codes ``0 .. J-1``.
    propensity : Propensity
        The fitted propensity model on the same n units.
    method : {"aipw", "ipw"}
        See the module docstring.
    outcome_design : array-like of shape (n, k), optional
        AIPW's outcome regressors, intercept included (required for "aipw"). Each level's
        regression is fitted by statsmodels' OLS on the units at that level.

    Returns
    -------
    PotentialOutcomes
        The means and influence functions (the propensity and outcome models' estimation
        included).

    Raises
    ------
    ValueError
        If the method is unknown, AIPW has no outcome design, a level has no unit, or the shapes
        disagree.
    """
    import statsmodels.api as sm

    y = np.asarray(y, dtype=float)
    codes = np.asarray(treatment).astype(int)
    P = propensity.probabilities
    n, J = P.shape
    if y.shape != (n,) or codes.shape != (n,):
        raise ValueError(f"y {y.shape} and treatment {codes.shape} must have the propensity's {n} rows")
    if method not in ("aipw", "ipw"):
        raise ValueError(f"method must be 'aipw' or 'ipw', not {method!r}")
    if method == "aipw" and outcome_design is None:
        raise ValueError("AIPW needs an outcome design")
    counts = np.bincount(codes, minlength=J)
    if np.any(counts == 0):
        raise ValueError(f"treatment levels {np.flatnonzero(counts == 0).tolist()} have no unit")
    # (n/I) s_i: the propensity score's own influence on its parameters, shared by every level
    propensity_influence = n * propensity.scores @ np.linalg.inv(propensity.information)
    means, influence = np.empty(J), np.empty((n, J))
    for j in range(J):
        at_j = codes == j
        if method == "ipw":
            weight = at_j / P[:, j]
            means[j] = (weight * y).sum() / weight.sum()
            residual = np.where(at_j, y - means[j], 0.0)
            fitted, slope_term = np.zeros(n), 0.0
        else:
            X = np.asarray(outcome_design, dtype=float)
            beta = np.asarray(sm.OLS(y[at_j], X[at_j]).fit().params)
            fitted = X @ beta
            residual = np.where(at_j, y - fitted, 0.0)
            means[j] = np.mean(fitted + residual / P[:, j])
            # d g / d beta averaged, times the outcome regression's influence Q^-1 h_i
            d_beta = (X * (1.0 - at_j / P[:, j])[:, None]).mean(axis=0)
            outcome_influence = (X * residual[:, None]) @ np.linalg.inv(X[at_j].T @ X[at_j] / n)
            slope_term = outcome_influence @ d_beta
        a = np.zeros((n, J))
        a[:, j] = -residual / P[:, j] ** 2
        d_gamma = propensity.gradient(a) / n
        moment = (fitted - means[j] if method == "aipw" else 0.0) + residual / P[:, j]
        scale = 1.0 if method == "aipw" else (at_j / P[:, j]).mean()
        influence[:, j] = (moment + slope_term + propensity_influence @ d_gamma) / scale
    return PotentialOutcomes(means, influence, method)


def effect_covariance(influence, clusters=None) -> np.ndarray:
    """Covariance of estimates from their influence functions.

    Parameters
    ----------
    influence : array-like of shape (n, m)
        Each unit's influence on each of m estimates.
    clusters : array-like of shape (n,), optional
        Cluster labels: the influence is summed within clusters.

    Returns
    -------
    ndarray of shape (m, m)
        ``sum_i IF_i IF_i' / n^2`` (Stata's ``teffects``, ``vce(robust)``), or with clusters
        ``G / (G - 1) sum_g S_g S_g' / n^2`` with ``S_g`` the cluster's summed influence.
    """
    influence = np.asarray(influence, dtype=float)
    n = influence.shape[0]
    if clusters is None:
        return influence.T @ influence / n ** 2
    codes = pd.factorize(np.asarray(clusters))[0]
    G = codes.max() + 1
    sums = np.zeros((G, influence.shape[1]))
    np.add.at(sums, codes, influence)
    return G / (G - 1) * sums.T @ sums / n ** 2


def effects_table(result: PotentialOutcomes, labels: Sequence[str], base: str, *, clusters=None,
                  level: float = 0.95) -> pd.DataFrame:
    """The POMs and the effects of every level against ``base``, with normal-theory inference.

    Parameters
    ----------
    result : PotentialOutcomes
        From :func:`potential_outcome_means`.
    labels : sequence of str
        The J levels' names.
    base : str
        The reference level of the effects.
    clusters : array-like of shape (n,), optional
        Cluster labels (see :func:`effect_covariance`).
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        Rows ``pomean`` (one per level) then ``ate`` (one per level but the base, the level's
        mean minus the base's). Columns ``method, term, form, contrast, estimate, std_error,
        statistic`` (z), ``p_value, conf_low, conf_high``.
    """
    from scipy import stats

    labels = list(labels)
    J = len(labels)
    b = labels.index(base)
    contrasts = np.vstack([np.eye(J), *(np.eye(J)[j] - np.eye(J)[b] for j in range(J) if j != b)])
    estimate = contrasts @ result.means
    se = np.sqrt(np.diag(contrasts @ effect_covariance(result.influence, clusters) @ contrasts.T))
    z = estimate / se
    half = stats.norm.isf((1 - level) / 2) * se
    others = [label for label in labels if label != base]
    return pd.DataFrame({
        "method": result.method, "term": ["pomean"] * J + ["ate"] * (J - 1), "form": labels + others,
        "contrast": [""] * J + [f"{label} - {base}" for label in others], "estimate": estimate, "std_error": se,
        "statistic": z, "p_value": 2 * stats.norm.sf(np.abs(z)), "conf_low": estimate - half,
        "conf_high": estimate + half})


def within_overlap(probabilities, threshold: float) -> np.ndarray:
    """The units whose every level's probability is at least ``threshold``.

    The multivalued form of Crump, Hotz, Imbens & Mitnik's (2009) trimming: a unit with a
    probability near 0 of some level gets an extreme weight there and no comparable units.

    Parameters
    ----------
    probabilities : array-like of shape (n, J)
        The generalised propensity score.
    threshold : float
        In [0, 1/J); 0 keeps every unit.

    Returns
    -------
    ndarray of shape (n,), bool
        True for the units kept.

    Raises
    ------
    ValueError
        If ``threshold`` is outside [0, 1/J).
    """
    P = np.asarray(probabilities, dtype=float)
    if not 0 <= threshold < 1 / P.shape[1]:
        raise ValueError(f"the trimming threshold must lie in [0, 1/{P.shape[1]}); got {threshold}")
    return P.min(axis=1) >= threshold


def overlap_summary(probabilities, treatment, labels: Sequence[str],
                    quantiles: Sequence[float] = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)) -> pd.DataFrame:
    """The distribution of each level's propensity among the units at each level.

    Overlap holds when, for every level ``j``, the units at every other level have probabilities
    of ``j`` in the range of those at ``j`` (Imbens & Rubin 2015, ch. 14; Lechner 2001).

    Parameters
    ----------
    probabilities : array-like of shape (n, J)
        The generalised propensity score.
    treatment : array-like of shape (n,)
        Integer codes ``0 .. J-1``.
    labels : sequence of str
        The levels' names.
    quantiles : sequence of float
        The quantiles reported.

    Returns
    -------
    DataFrame
        One row per propensity (``propensity_of``) and received level (``received``): ``n``,
        ``mean`` and one column ``q<percent>`` per quantile (probabilities, 0-1).
    """
    P = np.asarray(probabilities, dtype=float)
    codes = np.asarray(treatment).astype(int)
    rows = []
    for j, of in enumerate(labels):
        for r, received in enumerate(labels):
            values = P[codes == r, j]
            found = np.quantile(values, quantiles) if len(values) else np.full(len(quantiles), np.nan)
            rows.append({"propensity_of": of, "received": received, "n": len(values),
                         "mean": values.mean() if len(values) else np.nan,
                         **{f"q{100 * q:g}": v for q, v in zip(quantiles, found)}})
    return pd.DataFrame(rows)
