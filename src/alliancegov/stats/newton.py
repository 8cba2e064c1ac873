"""Newton–Raphson maximisation of a log-likelihood with step halving.

Shared by the package's own estimators (multinomial and ordered logit), which need Newton with
an analytic information matrix: scipy's optimisers take a Hessian but no line search on the
log-likelihood with a convergence test on the Newton decrement, and statsmodels' ``fit`` only
for its own model classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# A trial point may lose this much log-likelihood to rounding (relative to its size) and still be taken.
ROUNDING_SLACK = 64 * np.finfo(float).eps
MAX_HALVINGS = 60


@dataclass
class NewtonResult:
    """The end of a Newton run.

    Attributes
    ----------
    theta : ndarray of shape (p,)
        The last accepted parameters.
    loglik : float
        The log-likelihood there.
    state : object
        What ``value`` returned beside the log-likelihood there (probabilities, derivatives).
    information : ndarray of shape (p, p)
        The information (negative Hessian) there, as ``derivatives`` returned it.
    converged : bool
        Whether the Newton decrement and the step both fell under the tolerance.
    iterations : int
        Accepted steps.
    """

    theta: np.ndarray
    loglik: float
    state: object
    information: np.ndarray
    converged: bool
    iterations: int


def newton_maximise(value: Callable[[np.ndarray], tuple[float, object]],
                    derivatives: Callable[[object], tuple[np.ndarray, np.ndarray]],
                    solve: Callable[[np.ndarray, np.ndarray], np.ndarray],
                    theta: np.ndarray, *, tol: float, maxiter: int,
                    feasible: Callable[[np.ndarray], bool] | None = None) -> NewtonResult:
    """Maximise a log-likelihood by Newton steps, each halved until the log-likelihood does not fall.

    Parameters
    ----------
    value : callable
        ``value(theta) -> (loglik, state)``: the log-likelihood at ``theta`` (p,) and whatever
        ``derivatives`` needs there, computed once per trial point.
    derivatives : callable
        ``derivatives(state) -> (gradient (p,), information (p, p))`` at an accepted point.
    solve : callable
        ``solve(information, gradient) -> step (p,)``; a step with a non-finite entry stops the run
        (not converged).
    theta : ndarray of shape (p,)
        The starting point.
    tol : float
        Converged when the Newton decrement ``gradient @ step`` is at most ``tol`` and every step
        entry at most ``tol * (1 + max |theta|)``.
    maxiter : int
        Accepted steps at the most.
    feasible : callable, optional
        ``feasible(theta) -> bool``: a trial point outside the parameter space (e.g. unordered cut
        points) is halved without evaluating it.

    Returns
    -------
    NewtonResult
        Not converged after ``maxiter`` steps, a non-finite step, or when no halving of a step
        keeps the log-likelihood within rounding of its value (a degenerate or separated problem).
    """
    loglik, state = value(theta)
    iterations = 0
    while True:
        gradient, information = derivatives(state)
        step = solve(information, gradient)
        if not np.all(np.isfinite(step)):
            return NewtonResult(theta, loglik, state, information, False, iterations)
        if gradient @ step <= tol and np.max(np.abs(step)) <= tol * (1.0 + np.max(np.abs(theta))):
            return NewtonResult(theta, loglik, state, information, True, iterations)
        if iterations >= maxiter:
            return NewtonResult(theta, loglik, state, information, False, iterations)
        slack = ROUNDING_SLACK * (1.0 + abs(loglik))
        size = 1.0
        for _ in range(MAX_HALVINGS):
            trial = theta + size * step
            if feasible is None or feasible(trial):
                trial_loglik, trial_state = value(trial)
                if np.isfinite(trial_loglik) and trial_loglik >= loglik - slack:
                    break
            size /= 2
        else:
            return NewtonResult(theta, loglik, state, information, False, iterations)
        theta, loglik, state = trial, trial_loglik, trial_state
        iterations += 1
