"""Clean simulated waves: firms, their answers and their governance forms, with truth columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.simulate.truth import FORMS, choice_probabilities, load_truth, transition_matrix

TRUE_PREFIX = "true_"
PREVIOUS_FORM = f"{TRUE_PREFIX}previous_form"


def _draw(rng: np.random.Generator, shares: dict, size: int) -> np.ndarray:
    keys = list(shares)
    probs = np.array([shares[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=probs / probs.sum())]


def _draw_by_sector(rng: np.random.Generator, by_sector: dict, sector: np.ndarray) -> np.ndarray:
    out = np.empty(len(sector), dtype=object)
    for name, shares in by_sector.items():
        mask = sector == name
        out[mask] = _draw(rng, shares, int(mask.sum()))
    return out


def _new_firms(n: int, first_id: int, truth: dict, rng: np.random.Generator, year: int) -> pd.DataFrame:
    """Persistent firm attributes (context, identity, latent constructs) for ``n`` new firms."""
    spec = truth["firms"]
    sector = _draw(rng, spec["sector"], n)
    textile = sector == "textile"
    firm_id = np.arange(first_id, first_id + n)
    age = spec["firm_age_years"]["min"] + rng.exponential(spec["firm_age_years"]["mean_extra"], n).round()
    rel_years = rng.integers(spec["relationship_years"]["min"], spec["relationship_years"]["max"] + 1, n)
    rel_years = np.minimum(rel_years, age)
    log_emp = np.where(
        textile,
        rng.normal(spec["log_employees_start"]["textile"]["mean"], spec["log_employees_start"]["textile"]["sd"], n),
        rng.normal(spec["log_employees_start"]["services"]["mean"], spec["log_employees_start"]["services"]["sd"], n),
    )
    employees_start = np.clip(np.exp(log_emp).round(), 3, 200)
    area_per_emp = rng.uniform(spec["floor_area_per_employee"]["low"], spec["floor_area_per_employee"]["high"], n)

    def beta_by_sector(params: dict) -> np.ndarray:
        return np.where(textile, rng.beta(*params["textile"], n), rng.beta(*params["services"], n)) * 100

    export_share = beta_by_sector(spec["export_share_beta"]).round()
    firms = pd.DataFrame(
        {
            "firm_id": firm_id,
            "sector": sector,
            "region": _draw_by_sector(rng, spec["region"], sector),
            "founding_year": year - age,
            "relationship_start_year": year - rel_years,
            "employees_start": employees_start,
            "floor_area_start": (employees_start * area_per_emp).round(),
            "export_share": export_share,
            "international_experience": np.minimum(age, rng.poisson(1 + export_share / 10)),
            "technology_level": _draw_by_sector(rng, spec["technology_level"], sector),
            "target_market": np.where(export_share > spec["export_market_threshold"], "export", "domestic"),
            "partner_origin": _draw_by_sector(rng, spec["partner_origin"], sector),
            "partner_size": np.where(rng.random(n) < spec["partner_very_large"], "very_large", "large"),
            "partner_multinational": np.where(rng.random(n) < spec["partner_multinational"], "yes", "no"),
            "revenue_share_partner": beta_by_sector(spec["revenue_share_partner_beta"]).round(),
            "n_major_clients": 1
            + np.where(
                textile,
                rng.poisson(spec["major_clients_poisson"]["textile"], n),
                rng.poisson(spec["major_clients_poisson"]["services"], n),
            ),
        }
    )
    for scale, params in truth["constructs"]["latent"].items():
        means = np.where(textile, params["mean"]["textile"], params["mean"]["services"])
        firms[f"latent_{scale}"] = rng.normal(means, params["sd"])
    firms = pd.concat([firms, _identities(firm_id, sector, firms["region"].to_numpy(), rng)], axis=1)
    return firms


_NAME_STEMS = [
    "Atlas",
    "Anfa",
    "Zitoune",
    "Oasis",
    "Majorelle",
    "Saïss",
    "Bouregreg",
    "Tafilalet",
    "Rif",
    "Sebou",
    "Argane",
    "Medina",
    "Ifrane",
    "Draa",
    "Chellah",
    "Volubilis",
]


_NAME_ACTIVITY = {
    "textile": ["Confection", "Textiles", "Tissage", "Couture"],
    "services": ["Conseil", "Services", "Informatique", "Logistique"],
}


_FIRST_NAMES = ["Amine", "Fatima", "Youssef", "Khadija", "Omar", "Salma", "Hicham", "Nadia", "Karim", "Leïla"]


_LAST_NAMES = ["Benali", "El Idrissi", "Alaoui", "Bennani", "Tazi", "Chraibi", "Berrada", "Fassi", "Amrani"]


_CITY_CODE = {"grand_casablanca": "CASA", "meknes_tafilalet": "MEK", "rabat_sale": "RAB", "tanger_tetouan": "TNG"}


def _identities(firm_id: np.ndarray, sector: np.ndarray, region: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Fictitious but realistic identifying fields, fixed per firm so that panels link."""
    n = len(firm_id)
    stem = np.array(_NAME_STEMS, dtype=object)[rng.integers(0, len(_NAME_STEMS), n)]
    activity = np.array([_NAME_ACTIVITY[s][i % 4] for s, i in zip(sector, rng.integers(0, 4, n))], dtype=object)
    first = np.array(_FIRST_NAMES, dtype=object)[rng.integers(0, len(_FIRST_NAMES), n)]
    last = np.array(_LAST_NAMES, dtype=object)[rng.integers(0, len(_LAST_NAMES), n)]
    return pd.DataFrame(
        {
            "firm_name": [f"{a} {s} {i:04d} SARL" for a, s, i in zip(activity, stem, firm_id)],
            "respondent_name": [f"{given} {family}" for given, family in zip(first, last)],
            "phone": [f"+212 6{d:08d}" for d in rng.integers(0, 10**8, n)],
            "email": [f"contact{i:04d}@{s.lower().replace('ï', 'i')}-pme.ma" for i, s in zip(firm_id, stem)],
            "registry_number": [f"RC-{_CITY_CODE[r]}-{100000 + i}" for r, i in zip(region, firm_id)],
        }
    )


def _answer_items(latent: np.ndarray, items: pd.DataFrame, noise_sd: float, rng: np.random.Generator) -> pd.DataFrame:
    """Likert answers (1–5) of every item of one scale; reverse-coded items stored reversed."""
    answers = {}
    for name, reverse in zip(items["name"], items["reverse"]):
        answer = np.clip(np.rint(latent + rng.normal(0, noise_sd, len(latent))), 1, 5)
        answers[name] = 6 - answer if reverse else answer
    return pd.DataFrame(answers)


def _scale_score(answers: pd.DataFrame, items: pd.DataFrame) -> np.ndarray:
    recoded = [6 - answers[n] if r else answers[n] for n, r in zip(items["name"], items["reverse"])]
    return np.mean(np.column_stack(recoded), axis=1)


def _wave_responses(
    firms: pd.DataFrame, year: int, wave: str, truth: dict, codebook: Codebook, rng: np.random.Generator,
    transition: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One wave's clean canonical answers of ``firms`` (one row per firm).

    A firm with a ``PREVIOUS_FORM`` (re-interviewed) draws its form from that form's row of
    ``transition``; the others from the true multinomial logit.
    """
    n = len(firms)
    noise = truth["constructs"]["item_noise_sd"]
    out = firms.reset_index(drop=True).copy()
    previous_form = out.pop(PREVIOUS_FORM) if PREVIOUS_FORM in out else pd.Series(np.nan, index=out.index, dtype=object)
    out["firm_age"] = year - out["founding_year"]
    answers = []
    for scale in codebook.scales["scale"]:
        if f"latent_{scale}" not in out:
            continue
        items = codebook.items(scale)
        block = _answer_items(out[f"latent_{scale}"].to_numpy(), items, noise, rng)
        out[scale] = _scale_score(block, items)
        answers.append(block)
    out = pd.concat([out, *answers], axis=1)

    probs = choice_probabilities(out, truth)
    draw_probs = probs
    returning = previous_form.notna().to_numpy()
    if returning.any():
        if transition is None:
            raise ValueError("re-interviewed firms need the true transition matrix")
        draw_probs = probs.copy()
        draw_probs[returning] = transition.to_numpy()[pd.Index(FORMS).get_indexer(previous_form[returning])]
    # The same uniform draw per firm whatever its probability row, so a wave without re-interviewed
    # firms is the same data as before the panel had a transition matrix.
    form_index = (draw_probs.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    out["governance_form"] = np.array(FORMS, dtype=object)[form_index]
    for j, form in enumerate(FORMS):
        out[f"{TRUE_PREFIX}prob_{form}"] = probs[:, j]
    out[f"{TRUE_PREFIX}aligned_form"] = np.array(FORMS, dtype=object)[probs.argmax(axis=1)]
    out[f"{TRUE_PREFIX}misaligned"] = (out["governance_form"] != out[f"{TRUE_PREFIX}aligned_form"]).astype(int)
    out[f"{TRUE_PREFIX}misfit"] = 1 - probs[np.arange(n), form_index]
    out[PREVIOUS_FORM] = previous_form.to_numpy()

    _governance_attributes(out, truth, rng)
    _performance(out, year, truth, codebook, rng)
    q = truth["quality"]
    out["consent"] = "yes"
    out["interview_duration_min"] = (
        q["duration_minutes"]["median"] * np.exp(rng.normal(0, q["duration_minutes"]["sd_log"], n))
    ).round(1)
    out["attention_check"] = float(q["attention_check_expected"])
    out["wave"] = wave
    out["submission_id"] = [f"{wave}-{i:05d}" for i in range(n)]
    out["submission_time"] = [
        f"{year}-{3 + i % 6:02d}-{1 + i % 28:02d}T{9 + i % 8:02d}:{i % 60:02d}:00" for i in range(n)
    ]
    out["instrument_version"] = f"{year}.1"
    out["comment"] = ""
    out["distribution_channels"] = _distribution_channels(out["sector"].to_numpy(), truth, rng)
    return out


def _distribution_channels(sector: np.ndarray, truth: dict, rng: np.random.Generator) -> np.ndarray:
    """Kobo-style select_multiple answers: the large partner, plus other channels by sector."""
    shares = truth["firms"]["distribution_channels"]
    channels = list(next(iter(shares.values())))
    draws = rng.random((len(sector), len(channels)))
    used = np.column_stack([draws[:, j] < np.where(sector == "textile", shares["textile"][c], shares["services"][c])
                            for j, c in enumerate(channels)])
    return np.array([" ".join(["large_partner", *(c for c, u in zip(channels, row) if u)]) for row in used],
                    dtype=object)


def _governance_attributes(out: pd.DataFrame, truth: dict, rng: np.random.Generator) -> None:
    g = truth["governance"]
    n = len(out)
    jv = out["governance_form"].eq("joint_venture").to_numpy()
    out["equity_stake"] = np.where(
        jv, _draw(rng, g["equity_stake_joint_venture"], n), _draw(rng, g["equity_stake_other"], n)
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


def _performance(out: pd.DataFrame, year: int, truth: dict, codebook: Codebook, rng: np.random.Generator) -> None:
    p = truth["performance"]
    n = len(out)
    index = (
        out["governance_form"].map(p["form_effect"]).to_numpy()
        + p["trust_effect"] * (out["trust"].to_numpy() - 3)
        + p["misalignment_penalty"] * out[f"{TRUE_PREFIX}misfit"].to_numpy()
        + out["sector"].map(p["sector_effect"]).to_numpy()
        + rng.normal(0, p["noise_sd"], n)
    )
    out[f"{TRUE_PREFIX}performance_index"] = index
    noise = truth["constructs"]["item_noise_sd"]
    satisfaction = _answer_items(p["satisfaction_centre"] + index, codebook.items("satisfaction"), noise, rng)
    learning_latent = p["learning_centre"] + out["governance_form"].map(p["learning_form_shift"]).to_numpy() + index / 2
    learning = _answer_items(learning_latent, codebook.items("learning"), noise, rng)
    for block in (satisfaction, learning):
        for column in block:
            out[column] = block[column].to_numpy()
    years = (year - out["relationship_start_year"]).to_numpy()
    eg, ag = p["employee_log_growth"], p["floor_area_log_growth"]
    out["employees_now"] = np.clip(
        (
            out["employees_start"]
            * np.exp(eg["per_year"] * years + eg["per_index"] * index + rng.normal(0, eg["sd"], n))
        ).round(),
        1,
        249,
    )
    out["floor_area_now"] = (
        out["floor_area_start"] * np.exp(ag["per_year"] * years + ag["per_index"] * index + rng.normal(0, ag["sd"], n))
    ).round()
    latent_trend = index + rng.logistic(0, 0.5, n)
    trend_names = np.array(["strong_decrease", "decrease", "stable", "increase", "strong_increase"], dtype=object)
    out["revenue_trend"] = trend_names[np.searchsorted(p["revenue_trend_cuts"], latent_trend)]
    s = p["serve_other_partner_logit"]
    p_serve = 1 / (1 + np.exp(-(s["Intercept"] + s["per_index"] * index)))
    out["serve_other_partner"] = np.where(rng.random(n) < p_serve, "yes", "no")


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
        missing-value codes), the scale scores, the firm's identity and latent scores, and the truth
        columns ``true_prob_<form>`` (probabilities, 0–1), ``true_aligned_form``,
        ``true_misaligned`` (0/1), ``true_misfit`` (1 − the true probability of the form drawn),
        ``true_previous_form`` and ``true_performance_index``.

    Notes
    -----
    Each wave has ``n_per_wave`` firms: a ``reinterview_share`` of the previous wave's firms
    (default from the truth file) whose constructs drift and whose form follows the truth's
    Markov transition matrix (``panel.transition``) from their previous form, topped up with new
    firms whose form follows the multinomial logit. Waves are named ``w{year}``. Deterministic
    given ``seed``. ``true_previous_form`` holds a re-interviewed firm's form at the previous wave
    (missing for new firms); ``true_prob_*``, ``true_aligned_form`` and ``true_misfit`` stay those of
    the logit on the firm's current scores, whatever drew its form.
    """
    truth = truth or load_truth()
    rng = np.random.default_rng(seed)
    share = truth["panel"]["reinterview_share"] if reinterview_share is None else reinterview_share
    transition = transition_matrix(truth) if len(years) > 1 and share > 0 else None
    waves, previous, next_id = [], None, 1
    for year in years:
        if previous is None:
            firms = _new_firms(n_per_wave, next_id, truth, rng, year)
        else:
            kept = previous.sample(frac=share, random_state=rng).sort_values("firm_id")
            kept = _drift(kept, truth, rng)
            fresh = _new_firms(n_per_wave - len(kept), next_id, truth, rng, year)
            firms = pd.concat([kept, fresh], ignore_index=True)
        next_id = int(firms["firm_id"].max()) + 1
        wave = _wave_responses(firms, year, f"w{year}", truth, codebook, rng, transition)
        waves.append(wave)
        previous = firms.assign(**{PREVIOUS_FORM: wave["governance_form"].to_numpy()})
    return waves


def _drift(firms: pd.DataFrame, truth: dict, rng: np.random.Generator) -> pd.DataFrame:
    firms = firms.copy()
    sd = truth["constructs"]["wave_change_sd"]
    for scale in truth["constructs"]["latent"]:
        drift = truth["constructs"]["wave_drift"].get(scale, {})
        shift = firms["sector"].map(drift).fillna(0.0).to_numpy(float)
        firms[f"latent_{scale}"] = firms[f"latent_{scale}"] + shift + rng.normal(0, sd, len(firms))
    return firms
