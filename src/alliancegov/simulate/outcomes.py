"""What follows from a firm's answers: its governance form (drawn with Gumbel errors that the
performance noise may share), the form's other attributes, its performance and its channels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.simulate.firms import draw_shares
from alliancegov.simulate.items import answer
from alliancegov.simulate.truth import FORMS, performance_coefficients

TRUE_PREFIX = "true_"


def choose_forms(probabilities: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each firm's form as the argmax of log-probability + a type-I extreme value error per form.

    The argmax of log P_j + ε_j with independent Gumbel ε_j is form j with probability P_j (the
    multinomial logit's random-utility form), so each row of ``probabilities`` is honoured exactly;
    the chosen form's error, transformed to a standard normal, is what the performance noise may
    share (Lee 1983's transformation).

    Parameters
    ----------
    probabilities : ndarray of shape (n, 4)
        Each firm's probabilities of the forms in ``FORMS`` order (rows summing to 1; zeros allowed).
    rng : Generator
        The random stream (n × 4 uniforms).

    Returns
    -------
    form_index : ndarray of int, shape (n,)
        The chosen form's position in ``FORMS``.
    z : ndarray of shape (n,)
        Φ⁻¹(G(ε of the chosen form)), G the Gumbel CDF: standard normal before the choice,
        larger on average the less likely the chosen form (see
        :func:`~alliancegov.simulate.truth.selection_term`).
    """
    from scipy.special import ndtri

    uniforms = rng.random(probabilities.shape)
    with np.errstate(divide="ignore"):
        # G(ε) = exp(−exp(−ε)) is the uniform itself: ε = −log(−log u), and Φ⁻¹(G(ε)) = Φ⁻¹(u)
        utility = np.log(probabilities) - np.log(-np.log(uniforms))
    form_index = utility.argmax(axis=1)
    return form_index, ndtri(uniforms[np.arange(len(form_index)), form_index])


def governance_attributes(out: pd.DataFrame, truth: dict, rng: np.random.Generator) -> None:
    """Add the form's other attributes to a wave's frame (in place).

    Parameters
    ----------
    out : DataFrame
        A wave with ``governance_form``, ``target_market``, ``technology_level`` and ``sector``.
    truth : dict
        The true parameters (``governance`` section).
    rng : Generator
        The random stream.
    """
    g = truth["governance"]
    n = len(out)
    jv = out["governance_form"].eq("joint_venture").to_numpy()
    out["equity_stake"] = np.where(
        jv, draw_shares(rng, g["equity_stake_joint_venture"], n), draw_shares(rng, g["equity_stake_other"], n)
    )
    out["new_legal_entity"] = np.where(jv, "yes", "no")
    market = out["target_market"].to_numpy()
    p_outcome = np.where(
        market == "export", g["control_outcome_focused"]["export"], g["control_outcome_focused"]["domestic"]
    )
    out["control_orientation"] = np.where(rng.random(n) < p_outcome, "outcome", "learning")
    p_one_way = np.where(market == "export", g["control_one_way"]["export"], g["control_one_way"]["domestic"])
    out["control_direction"] = np.where(rng.random(n) < p_one_way, "one_way", "two_way")
    level = (
        out["technology_level"].map(g["meeting_base"])
        + out["governance_form"].map(g["meeting_form_shift"])
        + rng.normal(0, g["meeting_noise_sd"], n)
    )
    frequency_names = np.array(["yearly", "quarterly", "monthly", "weekly", "daily"], dtype=object)
    out["meeting_frequency"] = frequency_names[np.clip(np.rint(level), 1, 5).astype(int) - 1]
    months = rng.exponential(out["sector"].map(g["months_to_partnership_mean"]).to_numpy()).round()
    # Repeated contracts have not become a partnership: the question does not apply (code 9997).
    out["months_to_partnership"] = np.where(out["governance_form"].eq("repeated_contract"), np.nan, months)


def performance(out: pd.DataFrame, year: int, truth: dict, codebook: Codebook, method: np.ndarray,
                selection_z: np.ndarray, rng: np.random.Generator) -> None:
    """Add the latent performance index and its measures to a wave's frame (in place).

    The index follows the chosen form's equation (:func:`~alliancegov.simulate.truth.performance_coefficients`)
    plus noise sharing ``selection_rho`` with ``selection_z``; satisfaction and learning items,
    growth in employees and floor area since the alliance began, the revenue trend and "could serve
    another partner" follow from it.

    Parameters
    ----------
    out : DataFrame
        A wave with ``governance_form``, ``trust``, ``sector``, ``relationship_start_year``,
        ``employees_start``, ``floor_area_start`` and ``true_misfit``; gains
        ``true_performance_noise``, ``true_performance_index``, the satisfaction and learning
        items, ``employees_now``, ``floor_area_now``, ``revenue_trend`` and ``serve_other_partner``.
    year : int
        The survey year (alliance age = year − ``relationship_start_year``).
    truth : dict
        The true parameters (``performance`` section).
    codebook : Codebook
        The satisfaction and learning items.
    method : ndarray of shape (n,)
        The respondents' method factor (it reaches the satisfaction and learning items too).
    selection_z : ndarray of shape (n,)
        The chosen form's transformed choice error (:func:`choose_forms`).
    rng : Generator
        The random stream.
    """
    p = truth["performance"]
    n = len(out)
    equations = performance_coefficients(truth).to_numpy()[pd.Index(FORMS).get_indexer(out["governance_form"])]
    terms = np.column_stack([np.ones(n), out["trust"].to_numpy(float) - 3, out[f"{TRUE_PREFIX}misfit"].to_numpy(),
                             year - out["relationship_start_year"].to_numpy(float) - p["alliance_age_centre"],
                             out["sector"].eq("textile").to_numpy(float)])
    rho = float(p["selection_rho"])
    if not -1 <= rho <= 1:
        raise ValueError(f"performance.selection_rho must lie in [-1, 1], not {rho}")
    noise = p["noise_sd"] * (rho * selection_z + np.sqrt(1 - rho ** 2) * rng.standard_normal(n))
    index = (equations * terms).sum(axis=1) + noise
    out[f"{TRUE_PREFIX}performance_noise"] = noise
    out[f"{TRUE_PREFIX}performance_index"] = index
    method_part = np.sqrt(float(truth["constructs"]["method_variance"])) * method
    learning_latent = p["learning_centre"] + out["governance_form"].map(p["learning_form_shift"]).to_numpy() + index / 2
    for scale, latent in (("satisfaction", p["satisfaction_centre"] + index), ("learning", learning_latent)):
        items = codebook.items(scale)
        stored, _ = answer(latent[:, None], np.full(len(items), float(p["item_noise_sd"])), method_part,
                           items["reverse"].to_numpy(bool), rng)
        for name, column in zip(items["name"], stored.T):
            out[name] = column
    years = (year - out["relationship_start_year"]).to_numpy()
    eg, ag = p["employee_log_growth"], p["floor_area_log_growth"]
    out["employees_now"] = np.clip(
        (out["employees_start"] * np.exp(eg["per_year"] * years + eg["per_index"] * index
                                         + rng.normal(0, eg["sd"], n))).round(), 1, 249)
    out["floor_area_now"] = (
        out["floor_area_start"] * np.exp(ag["per_year"] * years + ag["per_index"] * index + rng.normal(0, ag["sd"], n))
    ).round()
    latent_trend = index + rng.logistic(0, 0.5, n)
    trend_names = np.array(["strong_decrease", "decrease", "stable", "increase", "strong_increase"], dtype=object)
    out["revenue_trend"] = trend_names[np.searchsorted(p["revenue_trend_cuts"], latent_trend)]
    s = p["serve_other_partner_logit"]
    p_serve = 1 / (1 + np.exp(-(s["Intercept"] + s["per_index"] * index)))
    out["serve_other_partner"] = np.where(rng.random(n) < p_serve, "yes", "no")


def distribution_channels(sector: np.ndarray, truth: dict, rng: np.random.Generator) -> np.ndarray:
    """Kobo-style select_multiple answers: the large partner, plus other channels by sector.

    Parameters
    ----------
    sector : ndarray of shape (n,)
        ``textile`` or ``services`` per firm.
    truth : dict
        The true parameters (``firms.distribution_channels``: each channel's probability by sector).
    rng : Generator
        The random stream.

    Returns
    -------
    ndarray of object, shape (n,)
        Space-joined channel names, ``large_partner`` first.
    """
    shares = truth["firms"]["distribution_channels"]
    channels = list(next(iter(shares.values())))
    draws = rng.random((len(sector), len(channels)))
    used = np.column_stack([draws[:, j] < np.where(sector == "textile", shares["textile"][c], shares["services"][c])
                            for j, c in enumerate(channels)])
    return np.array([" ".join(["large_partner", *(c for c, u in zip(channels, row) if u)]) for row in used],
                    dtype=object)
