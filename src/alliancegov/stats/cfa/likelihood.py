"""The CFA likelihood: each group's discrepancy, its gradient and expected information, and the
maximum-likelihood estimates by trust-region Fisher scoring."""

from __future__ import annotations

import numpy as np

from alliancegov.stats.cfa.slots import ModelSlots, SampleMoments

GRADIENT_TOLERANCE = 1e-6    # on the largest |∂F/∂θ| at the estimates


class GroupMoments:
    """Model-implied moments of one group at ``theta`` and the pieces of its likelihood.

    ``logdet + quadratic`` is -2/N_g times the log-likelihood less its constant, with
    ``quadratic = tr(S Σ⁻¹) + (ȳ - μ)' Σ⁻¹ (ȳ - μ)``; the discrepancy is
    ``F_g = logdet + quadratic - log|S| - p``. ``positive_definite`` is False (and nothing else
    is set) when Σ is not.

    Parameters
    ----------
    spec : ModelSlots
        The model.
    sample : SampleMoments
        The groups' sample moments.
    theta : ndarray of shape (n_params,)
        The free parameters.
    g : int
        The group's position.

    Attributes
    ----------
    sigma : ndarray of shape (p, p)
        Model-implied covariance Σ_g.
    S : ndarray of shape (p, p)
        Sample covariance (divisor N_g).
    positive_definite : bool
        Whether Σ_g is positive definite.
    inverse : ndarray of shape (p, p)
        Σ_g⁻¹.
    residual : ndarray of shape (p,)
        ȳ - μ (zeros without a mean structure).
    logdet, quadratic, discrepancy : float
        log|Σ_g|, tr(S Σ⁻¹) + (ȳ - μ)' Σ⁻¹ (ȳ - μ) and F_g.
    """

    def __init__(self, spec: ModelSlots, sample: SampleMoments, theta: np.ndarray, g: int):
        self.sigma, mu = spec.moments(theta, g)
        self.S = sample.covariances[g]
        try:
            chol = np.linalg.cholesky(self.sigma)
        except np.linalg.LinAlgError:
            self.positive_definite = False
            return
        self.positive_definite = True
        self.inverse = np.linalg.inv(self.sigma)
        # without a mean structure the means are saturated: μ̂ = ȳ
        self.residual = sample.means[g] - mu if spec.meanstructure else np.zeros_like(mu)
        self.logdet = 2 * np.log(np.diag(chol)).sum()
        self.quadratic = np.trace(self.S @ self.inverse) + self.residual @ self.inverse @ self.residual
        self.discrepancy = self.logdet + self.quadratic - np.linalg.slogdet(self.S)[1] - len(mu)


def _group_terms(spec: ModelSlots, sample: SampleMoments, theta: np.ndarray, g: int, *, need_information: bool):
    """Discrepancy F_g, its gradient (n_params,) and the unit expected information (n_params, n_params).

    Returns ``None`` for a Σ that is not positive definite. The information is that of one
    observation, I_ab = tr(Σ⁻¹ ∂_aΣ Σ⁻¹ ∂_bΣ) / 2 + ∂_aμ' Σ⁻¹ ∂_bμ; the expected Hessian of F_g is 2 I.
    """
    moments = GroupMoments(spec, sample, theta, g)
    if not moments.positive_definite:
        return None
    inverse, residual = moments.inverse, moments.residual
    d_sigma, d_mean = spec.jacobian(theta, g)
    outer = inverse @ (moments.S + np.outer(residual, residual)) @ inverse
    gradient = np.einsum("kij,ij->k", d_sigma, inverse - outer) - 2 * d_mean @ (inverse @ residual)
    information = None
    if need_information:
        scaled = np.matmul(inverse, d_sigma)
        q = spec.n_params
        information = 0.5 * scaled.reshape(q, -1) @ scaled.transpose(0, 2, 1).reshape(q, -1).T
        information += d_mean @ inverse @ d_mean.T
    return moments.discrepancy, gradient, information


def ml_estimates(spec: ModelSlots, sample: SampleMoments, max_iter: int = 500) -> tuple[np.ndarray, bool, str]:
    """ML estimates by trust-region Fisher scoring: ``(theta, converged, message)``.

    Converged means the largest absolute gradient of F = Σ_g (N_g / N) F_g is below
    ``GRADIENT_TOLERANCE``. scipy may stop just after that with "failure to predict improvement"
    once the changes of F reach its rounding error; the gradient test decides, not that message.

    Parameters
    ----------
    spec : ModelSlots
        The model, its free slots' ``value`` the start values.
    sample : SampleMoments
        The groups' sample moments.
    max_iter : int, default=500
        Iterations of the optimiser at the most.

    Returns
    -------
    theta : ndarray of shape (n_params,)
        The estimates.
    converged : bool
        Whether the largest absolute gradient is below ``GRADIENT_TOLERANCE``.
    message : str
        The optimiser's message.
    """
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    start = np.zeros(spec.n_params)
    free = spec.param >= 0
    start[spec.param[free][::-1]] = spec.value[free][::-1]     # the first slot of a shared parameter wins

    def objective(theta):
        value, gradient = 0.0, np.zeros(spec.n_params)
        for g, w in enumerate(sample.weights):
            terms = _group_terms(spec, sample, theta, g, need_information=False)
            if terms is None:
                return np.inf, np.full(spec.n_params, np.nan)
            value += w * terms[0]
            gradient += w * terms[1]
        return value, gradient

    def hessian(theta):
        total = np.zeros((spec.n_params, spec.n_params))
        for g, w in enumerate(sample.weights):
            terms = _group_terms(spec, sample, theta, g, need_information=True)
            if terms is None:       # scipy asks at trial points too; this one (F = inf) will be rejected
                return np.eye(spec.n_params)
            total += 2 * w * terms[2]
        return total

    # the matrices are small (a few hundred rows at most): on 2 cores a second BLAS thread made a
    # 40-item fit 8x slower, not faster
    with threadpool_limits(1, user_api="blas"):
        optimum = minimize(objective, start, jac=True, hess=hessian, method="trust-exact",
                           options={"gtol": GRADIENT_TOLERANCE / 100, "maxiter": max_iter})
    converged = bool(np.all(np.isfinite(optimum.jac)) and np.abs(optimum.jac).max() < GRADIENT_TOLERANCE)
    return optimum.x, converged, str(optimum.message)


def expected_information(spec: ModelSlots, sample: SampleMoments, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Total expected information Σ_g N_g I_g and the score of the log-likelihood (n_params,).

    Parameters
    ----------
    spec : ModelSlots
        The model.
    sample : SampleMoments
        The groups' sample moments.
    theta : ndarray of shape (n_params,)
        The parameters, at which Σ_g must be positive definite in every group.

    Returns
    -------
    information : ndarray of shape (n_params, n_params)
        Σ_g N_g I_g, I_g the expected information of one observation of group g.
    score : ndarray of shape (n_params,)
        The gradient of the log-likelihood, -Σ_g N_g ∂F_g/∂θ / 2.
    """
    information = np.zeros((spec.n_params, spec.n_params))
    score = np.zeros(spec.n_params)
    for g, n in enumerate(sample.n_obs):
        _, gradient, unit = _group_terms(spec, sample, theta, g, need_information=True)
        information += n * unit
        score -= 0.5 * n * gradient
    return information, score
