"""Clean simulated waves: firms, their answers and their governance forms, with truth columns.

:func:`simulate_waves` returns one frame per wave; :func:`draw` returns the waves pooled in one
frame from a truth with some keys changed, in memory (for Monte Carlo studies: about 0.05 s per
1,000 firms and wave).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.simulate.firms import new_firms, partner_attributes
from alliancegov.simulate.items import LATENT_PREFIX, METHOD_FACTOR, answer_scales, standardised_latents
from alliancegov.simulate.outcomes import (
    TRUE_PREFIX,
    choose_forms,
    distribution_channels,
    governance_attributes,
    performance,
)
from alliancegov.simulate.truth import (
    FORMS,
    choice_probabilities,
    latent_correlation,
    load_truth,
    override_truth,
    transition_matrix,
)

PREVIOUS_FORM = f"{TRUE_PREFIX}previous_form"
SAME_ALLIANCE = "same_alliance"
FRAME_SIZE = f"{TRUE_PREFIX}frame_size"
PARTNER_COLUMNS = ("partner_origin", "partner_size", "partner_multinational", "revenue_share_partner")


def _wave_responses(
    firms: pd.DataFrame, year: int, wave: str, truth: dict, codebook: Codebook, rng: np.random.Generator,
    transition: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One wave's clean canonical answers of ``firms`` (one row per firm).

    A firm continuing its alliance (``same_alliance`` yes) draws its form from its previous form's
    row of ``transition``; a new firm or a new alliance from the true multinomial logit.
    """
    n = len(firms)
    out = firms.reset_index(drop=True).copy()
    previous_form = out.pop(PREVIOUS_FORM) if PREVIOUS_FORM in out else pd.Series(np.nan, index=out.index, dtype=object)
    if SAME_ALLIANCE not in out:
        out[SAME_ALLIANCE] = pd.Series(np.nan, index=out.index, dtype=object)
    out["firm_age"] = year - out["founding_year"]
    method = rng.standard_normal(n)
    items, scores = answer_scales(out, codebook, truth, method, rng)
    out = pd.concat([out, scores, items], axis=1)

    probs = choice_probabilities(out, truth)
    draw_probs = probs
    continuing = out[SAME_ALLIANCE].eq("yes").to_numpy()
    if continuing.any():
        if transition is None:
            raise ValueError("re-interviewed firms need the true transition matrix")
        draw_probs = probs.copy()
        draw_probs[continuing] = transition.to_numpy()[pd.Index(FORMS).get_indexer(previous_form[continuing])]
    form_index, selection_z = choose_forms(draw_probs, rng)
    chosen = np.arange(n), form_index
    out["governance_form"] = np.array(FORMS, dtype=object)[form_index]
    for j, form in enumerate(FORMS):
        out[f"{TRUE_PREFIX}prob_{form}"] = probs[:, j]
    out[f"{TRUE_PREFIX}aligned_form"] = np.array(FORMS, dtype=object)[probs.argmax(axis=1)]
    out[f"{TRUE_PREFIX}misaligned"] = (out["governance_form"] != out[f"{TRUE_PREFIX}aligned_form"]).astype(int)
    out[f"{TRUE_PREFIX}misfit"] = 1 - probs[chosen]
    out[f"{TRUE_PREFIX}draw_probability"] = draw_probs[chosen]
    out[f"{TRUE_PREFIX}selection_z"] = selection_z
    out[METHOD_FACTOR] = method
    out[PREVIOUS_FORM] = previous_form.to_numpy()

    governance_attributes(out, truth, rng)
    performance(out, year, truth, codebook, method, selection_z, rng)
    q = truth["quality"]
    out["consent"] = "yes"
    out["interview_duration_min"] = (
        q["duration_minutes"]["median"] * np.exp(rng.normal(0, q["duration_minutes"]["sd_log"], n))
    ).round(1)
    out["attention_check"] = float(q["attention_check_expected"])
    out["wave"] = wave
    out["submission_id"] = [f"{wave}-{i:05d}" for i in range(n)]
    out["submission_time"] = submission_times(out, year, truth, rng)
    out["instrument_version"] = f"{year}.1"
    out["comment"] = ""
    out["distribution_channels"] = distribution_channels(out["sector"].to_numpy(), truth, rng)
    fieldwork = truth["fieldwork"]
    out[FRAME_SIZE] = n + int(rng.negative_binomial(n, fieldwork["response_propensity"])) if n else 0
    return out


def submission_times(wave: pd.DataFrame, year: int, truth: dict, rng: np.random.Generator) -> np.ndarray:
    """When each respondent answered: a day of the fieldwork, later for a higher lateness score.

    Parameters
    ----------
    wave : DataFrame
        The wave's firms with ``sector`` and their ``latent_<scale>`` scores, n rows.
    year : int
        The survey year.
    truth : dict
        The true parameters (``fieldwork``: start, days, ``lateness`` coefficients on the
        standardised latent scores; ``constructs``).
    rng : Generator
        The random stream (2n draws).

    Returns
    -------
    ndarray of str, shape (n,)
        ISO times ``YYYY-MM-DDTHH:MM:SS``, on a day of the fieldwork, from 09:00 to 17:59.

    Raises
    ------
    ValueError
        If ``lateness`` names an unknown scale or its combination has a variance above 1.
    """
    from scipy.special import ndtr

    spec = truth["fieldwork"]
    n = len(wave)
    correlation = latent_correlation(truth)
    lateness = pd.Series(spec.get("lateness") or {}, dtype=float)
    unknown = sorted(set(lateness.index) - set(correlation.index))
    if unknown:
        raise ValueError(f"fieldwork.lateness: {unknown} are not latent scales ({list(correlation.index)})")
    weights = lateness.reindex(correlation.index, fill_value=0.0).to_numpy()
    explained = float(weights @ correlation.to_numpy() @ weights)
    if explained > 1:
        raise ValueError(f"fieldwork.lateness explains a variance of {explained:.3f} > 1 of the lateness score")
    eta = standardised_latents(wave, wave["sector"].to_numpy(), truth)[list(correlation.index)].to_numpy()
    score = eta @ weights + np.sqrt(1 - explained) * rng.standard_normal(n)
    day = np.floor(ndtr(score) * spec["days"]).astype("timedelta64[D]")
    minute = rng.integers(9 * 60, 18 * 60, n).astype("timedelta64[m]")
    start = np.datetime64(f"{year}-{spec['start_month']:02d}-{spec['start_day']:02d}T00:00", "m")
    return np.datetime_as_string(start + day + minute, unit="s")


def _reinterviewed(firms: pd.DataFrame, truth: dict, rng: np.random.Generator, year: int,
                   previous_year: int) -> pd.DataFrame:
    """Firms interviewed again: constructs drifted, a new alliance for some (``same_alliance``)."""
    firms = firms.copy()
    sd = truth["constructs"]["wave_change_sd"]
    for scale in truth["constructs"]["latent"]:
        drift = truth["constructs"]["wave_drift"].get(scale, {})
        shift = firms["sector"].map(drift).fillna(0.0).to_numpy(float)
        firms[f"{LATENT_PREFIX}{scale}"] = firms[f"{LATENT_PREFIX}{scale}"] + shift + rng.normal(0, sd, len(firms))
    new = rng.random(len(firms)) < truth["panel"]["new_alliance_share"]
    partner = partner_attributes(firms["sector"].to_numpy(), truth, rng)
    start = rng.integers(previous_year, year + 1, len(firms))
    for column in PARTNER_COLUMNS:
        firms[column] = np.where(new, partner[column].to_numpy(), firms[column].to_numpy())
    firms["relationship_start_year"] = np.where(new, start, firms["relationship_start_year"])
    # a new alliance starts from the size the firm reported at its previous interview
    firms["employees_start"] = np.where(new, firms["employees_now"], firms["employees_start"])
    firms["floor_area_start"] = np.where(new, firms["floor_area_now"], firms["floor_area_start"])
    firms[SAME_ALLIANCE] = np.where(new, "no", "yes").astype(object)
    return firms


def simulate_waves(
    n_per_wave: int,
    years: list[int],
    *,
    seed: int,
    truth: dict | None = None,
    codebook: Codebook,
    reinterview_share: float | None = None,
) -> list[pd.DataFrame]:
    """Clean canonical responses of successive waves, with truth columns prefixed ``true_``.

    Parameters
    ----------
    n_per_wave : int
        Firms interviewed in each wave.
    years : list of int
        The survey years, one wave each, in order.
    seed : int
        Keyword-only: seeds every draw.
    truth : dict, optional
        Keyword-only: the true parameters (default the packaged ``truth.yaml``).
    codebook : Codebook
        Keyword-only: the scales and their items.
    reinterview_share : float, optional
        Keyword-only: share of the previous wave's firms interviewed again (default the truth's
        ``panel.reinterview_share``).

    Returns
    -------
    list of DataFrame
        One frame per year, ``n_per_wave`` rows each: the codebook's variables in canonical form
        (select_one answers as choice names, Likert answers 1–5, numbers as numbers, no
        missing-value codes; ``same_alliance`` missing at a firm's first interview), the scale
        scores, the firm's identity and latent scores (``latent_<scale>``, response-scale units),
        and the truth columns: ``true_prob_<form>`` (the logit's probabilities, 0–1),
        ``true_aligned_form``, ``true_misaligned`` (0/1), ``true_misfit`` (1 − the logit
        probability of the form drawn), ``true_draw_probability`` (the probability the form was
        drawn with: the logit's, or the Markov row's for a continuing alliance),
        ``true_selection_z`` (the chosen form's transformed Gumbel error), ``true_method_factor``
        (M, standard normal), ``true_previous_form``, ``true_performance_noise``,
        ``true_performance_index`` and ``true_frame_size`` (the wave's simulated sampling frame,
        the same on every row).

    Notes
    -----
    Each wave has ``n_per_wave`` firms: a ``reinterview_share`` of the previous wave's firms
    (default from the truth file) whose constructs drift, topped up with new firms whose form
    follows the multinomial logit. A re-interviewed firm keeps its alliance with probability
    1 − ``panel.new_alliance_share`` (``same_alliance`` yes; its form follows the truth's Markov
    transition matrix ``panel.transition`` from its previous form), or has a new one (``no``; the
    form from the logit). Waves are named ``w{year}``. Deterministic given ``seed``.
    ``true_previous_form`` holds a re-interviewed firm's form at the previous wave (missing for new
    firms); ``true_prob_*``, ``true_aligned_form`` and ``true_misfit`` stay those of the logit on
    the firm's current scores, whatever drew its form.
    """
    truth = truth or load_truth()
    rng = np.random.default_rng(seed)
    share = truth["panel"]["reinterview_share"] if reinterview_share is None else reinterview_share
    transition = transition_matrix(truth) if len(years) > 1 and share > 0 else None
    waves, previous, next_id = [], None, 1
    for position, year in enumerate(years):
        if previous is None:
            firms = new_firms(n_per_wave, next_id, truth, rng, year)
        else:
            kept = previous.sample(frac=share, random_state=rng).sort_values("firm_id")
            kept = _reinterviewed(kept, truth, rng, year, years[position - 1])
            fresh = new_firms(n_per_wave - len(kept), next_id, truth, rng, year)
            firms = pd.concat([kept, fresh], ignore_index=True)
        next_id = int(firms["firm_id"].max()) + 1
        wave = _wave_responses(firms, year, f"w{year}", truth, codebook, rng, transition)
        waves.append(wave)
        previous = firms.assign(**{PREVIOUS_FORM: wave["governance_form"].to_numpy(),
                                   "employees_now": wave["employees_now"].to_numpy(),
                                   "floor_area_now": wave["floor_area_now"].to_numpy()})
    return waves


def draw(codebook: Codebook, n_firms: int, *, seed: int, years: Sequence[int] = (2024,), truth: dict | None = None,
         changes: Mapping[str, object] | None = None, reinterview_share: float | None = None) -> pd.DataFrame:
    """Simulated waves pooled in one frame, in memory, from a truth with some keys changed.

    For Monte Carlo studies of the estimators: ``draw(codebook, 1000, seed=r,
    changes={"performance.selection_rho": 0.5})`` is one replication with selection on
    unobservables planted.

    Parameters
    ----------
    codebook : Codebook
        The scales and their items.
    n_firms : int
        Firms per wave.
    seed : int
        Keyword-only: seeds every draw.
    years : sequence of int, default=(2024,)
        Keyword-only: the survey years, one wave each (a single wave: every firm new).
    truth : dict, optional
        Keyword-only: the true parameters (default the packaged ``truth.yaml``).
    changes : mapping of str to object, optional
        Keyword-only: dotted truth keys and their values
        (:func:`~alliancegov.simulate.truth.override_truth`; an unknown key raises ``KeyError``).
    reinterview_share : float, optional
        Keyword-only: share of a wave's firms interviewed again in the next.

    Returns
    -------
    DataFrame
        ``n_firms × len(years)`` rows: the columns of :func:`simulate_waves` plus ``survey_year``.
    """
    truth = override_truth(truth or load_truth(), changes or {})
    waves = simulate_waves(n_firms, list(years), seed=seed, truth=truth, codebook=codebook,
                           reinterview_share=reinterview_share)
    return pd.concat([wave.assign(survey_year=year) for wave, year in zip(waves, years)], ignore_index=True)
