"""New firms: their context, their partner, their latent constructs and their (fictitious) identity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.simulate.items import draw_latents


def draw_shares(rng: np.random.Generator, shares: dict, size: int) -> np.ndarray:
    """``size`` independent draws of a key of ``shares`` with probability its share.

    Parameters
    ----------
    rng : Generator
        The random stream.
    shares : dict
        Key -> share (rescaled to sum to 1).
    size : int
        Draws.

    Returns
    -------
    ndarray of object, shape (size,)
        The keys drawn.
    """
    keys = list(shares)
    probs = np.array([shares[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=probs / probs.sum())]


def _draw_by_sector(rng: np.random.Generator, by_sector: dict, sector: np.ndarray) -> np.ndarray:
    out = np.empty(len(sector), dtype=object)
    for name, shares in by_sector.items():
        mask = sector == name
        out[mask] = draw_shares(rng, shares, int(mask.sum()))
    return out


def new_firms(n: int, first_id: int, truth: dict, rng: np.random.Generator, year: int) -> pd.DataFrame:
    """Persistent attributes of ``n`` new firms, numbered from ``first_id``, first interviewed in ``year``.

    Parameters
    ----------
    n : int
        Firms to create.
    first_id : int
        The first firm's ``firm_id``; the others follow.
    truth : dict
        The true parameters (``firms`` and ``constructs``).
    rng : Generator
        The random stream.
    year : int
        The survey year of their first interview (founding and alliance start years count back from it).

    Returns
    -------
    DataFrame of shape (n, ...)
        Context (sector, region, founding and alliance start years, size at the alliance's start,
        market, technology), the partner (:func:`partner_attributes`), the latent scores
        (:func:`~alliancegov.simulate.items.draw_latents`) and the identity (name, respondent,
        phone, e-mail, registry number).
    """
    spec = truth["firms"]
    sector = draw_shares(rng, spec["sector"], n)
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
            "n_major_clients": 1
            + np.where(
                textile,
                rng.poisson(spec["major_clients_poisson"]["textile"], n),
                rng.poisson(spec["major_clients_poisson"]["services"], n),
            ),
        }
    )
    partner = partner_attributes(sector, truth, rng)
    latents = draw_latents(sector, truth, rng)
    return pd.concat([firms, partner, latents, _identities(firm_id, sector, firms["region"].to_numpy(), rng)], axis=1)


def partner_attributes(sector: np.ndarray, truth: dict, rng: np.random.Generator) -> pd.DataFrame:
    """The main large partner of n firms (at their first interview, or of a new alliance).

    Parameters
    ----------
    sector : ndarray of shape (n,)
        ``textile`` or ``services`` per firm.
    truth : dict
        The true parameters (``firms`` section).
    rng : Generator
        The random stream.

    Returns
    -------
    DataFrame of shape (n, 4)
        ``partner_origin``, ``partner_size``, ``partner_multinational`` (answer names) and
        ``revenue_share_partner`` (percent, whole).
    """
    spec = truth["firms"]
    n = len(sector)
    textile = sector == "textile"
    beta = spec["revenue_share_partner_beta"]
    share = np.where(textile, rng.beta(*beta["textile"], n), rng.beta(*beta["services"], n)) * 100
    return pd.DataFrame({
        "partner_origin": _draw_by_sector(rng, spec["partner_origin"], sector),
        "partner_size": np.where(rng.random(n) < spec["partner_very_large"], "very_large", "large"),
        "partner_multinational": np.where(rng.random(n) < spec["partner_multinational"], "yes", "no"),
        "revenue_share_partner": share.round(),
    })


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
