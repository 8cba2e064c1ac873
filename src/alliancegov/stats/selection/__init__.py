"""Selection models after a multinomial logit (MNL) of the choice: the correction terms, the
switching regressions that use them (one outcome equation per alternative) and the first-stage
strength of their exclusion restrictions.

Generic: nothing here knows about the survey. The first stage is an MNL of the chosen alternative
(here: the governance form) giving predicted probabilities ``P`` of shape (n, J); the second stage
is one OLS per alternative of the outcome on its regressors plus that alternative's correction
terms, as in Stata's ``selmlog`` (Bourguignon, Fournier & Gurgand; version 13 of the ado file,
Fournier & Gurgand 2006), whose sign conventions are kept throughout.

Model and notation (Bourguignon, Fournier & Gurgand 2007, *J. Economic Surveys* 21:174-205, "BFG")
--------------------------------------------------------------------------------------------------
Latent utilities ``y*_j = z gamma_j + eta_j`` with ``eta_j`` iid standard Gumbel (MNL); alternative
``s`` is chosen when ``y*_s`` is the largest; the outcome equation of alternative ``s`` is
``y_s = x beta_s + u_s``, observed only when ``s`` is chosen. The terms are functions of the MNL
probabilities whose coefficients absorb the covariances between ``u_s`` and the choice errors; each
term is the conditional expectation, given that ``s`` was chosen, of a (transformed) choice error.

``lee`` (Lee 1983), one term
    ``m = -phi(Phi^-1(P_s)) / P_s`` (``selmlog, lee``'s ``_m``), which is ``E[eps*_s | y = s]`` for
    Lee's normalised selection error ``eps*_s = Phi^-1(F_s(eps_s))``, ``eps_s = max_{j != s} y*_j -
    eta_s`` (``s`` is chosen when ``eps*_s < Phi^-1(P_s)``). With ``u_s = sigma rho eps*_s + ...`` the
    coefficient of ``m`` estimates ``sigma rho``: a positive coefficient means that the firms
    choosing ``s`` do worse in it than a random firm with the same regressors would (``eps*_s`` is
    low for them), a negative one that they do better.

``dmf`` (Dubin & McFadden 1984 with the correlation restriction relaxed, BFG's "DMF";
``selmlog, dmf(1)``), J terms
    column ``s`` (the chosen alternative): ``-ln P_s``; column ``j != s``:
    ``P_j ln P_j / (1 - P_j)``. These are exactly ``E[eta_j - Euler | y = s]`` under the MNL, so
    with ``E[u_s | eta] = sum_j c_j (eta_j - Euler)`` the coefficients are the ``c_j``
    (BFG write ``c_j = sigma r_j sqrt(6) / pi``): a positive coefficient of the chosen column means
    that the firms with a strong unobserved taste for ``s`` do better in it.

``dmf0`` (the original Dubin & McFadden restriction ``sum_j r_j = 0``; ``selmlog, dmf(0)``), J-1
terms
    column ``j != s``: ``P_j ln P_j / (1 - P_j) + ln P_s``; column ``s`` is identically 0 (it does
    not exist in the original method: drop it within each selected alternative).

``dmf2`` (BFG's variant with the normality transformation, ``selmlog, dmf(2)``), J terms
    with ``eta*_j = Phi^-1(G(eta_j))`` (``G`` the Gumbel cdf) standard normal and
    ``E[u_s | eta] = sigma sum_j r*_j eta*_j``:
    column ``s``: ``m(P_s)``; column ``j != s``: ``m(P_j) P_j / (P_j - 1)``, where
    ``m(P) = integral Phi^-1(G(v - ln P)) g(v) dv`` (``g`` the Gumbel density), i.e.
    ``E[eta*_j | y = j]``. Substituting ``x = exp(-v)`` gives ``selmlog``'s form
    ``m(P) = int_0^inf Phi^-1(exp(-P x)) exp(-x) dx``, and ``w = exp(-P x)^(1/P)`` gives
    ``m(P) = int_0^1 Phi^-1(w^P) dw`` (the mean of ``Phi^-1`` of a Beta(1/P, 1) draw; for
    ``P = 1/k``, the mean of the largest of ``k`` iid standard normals, e.g. ``m(1/2) = 1/sqrt(pi)``).
    The coefficients estimate ``sigma r*_j``. ``selmlog`` evaluates ``m`` with a 15-node
    Gauss-Laguerre rule, which under-states ``m`` by about 0.007-0.015 (the integrand is singular
    at ``x = 0``); here the default is a tanh-sinh rule accurate to ~1e-15, and
    ``quadrature="selmlog"`` reproduces Stata's numbers.

``dahl`` (Dahl 2002, single-index version: ``selmlog, dhl(d one)``), ``degree`` terms
    ``P_s, P_s^2, ..., P_s^degree`` (a polynomial in the probability of the chosen alternative;
    the constant is absorbed by the outcome equation's intercept).

Why these formulas hold for ``j != s``: under the MNL the distribution of ``eta_j`` given that some
``k != j`` is chosen does not depend on ``k`` (given ``eta_j``, which of the others wins is
independent of ``eta_j``), so ``E[f(eta_j) | y = s] = E[f(eta_j) | y != j]
= -P_j E[f(eta_j) | y = j] / (1 - P_j)`` whenever ``E f(eta_j) = 0``. With ``f(e) = e - Euler``,
``E[f | y = j] = -ln P_j`` gives the DMF term; with ``f = Phi^-1(G(.))`` it gives the DMF2 term.

Every term has mean 0 over the whole population (it is a conditional mean of an error of mean 0),
so ``x beta_j`` is the expected outcome under alternative ``j`` of a firm with regressors ``x``,
whatever it chose: the counterfactual of :mod:`alliancegov.stats.selection.switching`.
"""

from alliancegov.stats.selection.first_stage import FirstStageTest, excluded_indices, first_stage_strength
from alliancegov.stats.selection.switching import (
    SwitchingFit,
    counterfactual_gap,
    counterfactual_predictions,
    joint_bootstrap_test,
    switching_regression,
    switching_regressions,
)
from alliancegov.stats.selection.terms import (
    METHODS,
    bfg_dmf2_terms,
    dahl_terms,
    dmf2_mean,
    dubin_mcfadden_terms,
    lee_term,
    selection_terms,
)

__all__ = [
    "METHODS",
    "FirstStageTest",
    "SwitchingFit",
    "bfg_dmf2_terms",
    "counterfactual_gap",
    "counterfactual_predictions",
    "dahl_terms",
    "dmf2_mean",
    "dubin_mcfadden_terms",
    "excluded_indices",
    "first_stage_strength",
    "joint_bootstrap_test",
    "lee_term",
    "selection_terms",
    "switching_regression",
    "switching_regressions",
]
