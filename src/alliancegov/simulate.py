"""Simulated SME alliance surveys with known truth, written the way survey tools export them.

The data-generating process is documented in ``truth.yaml`` beside this module (every number
lives there). In short: firms get a context (sector, region, size, market, partner); perceived
transaction-cost constructs are latent scores answered through noisy, partly reverse-coded
Likert items; the governance form follows a true multinomial logit on the scale scores; the
performance index depends on the form, trust, sector and a penalty when the chosen form is not
the aligned one (the form of highest true choice probability). Firms are re-interviewed in later
waves with drifting constructs, so a panel links across waves; a re-interviewed firm's form follows
the true Markov transition matrix from its previous form, a new firm's the multinomial logit.

Three layers, each usable alone:

* :func:`simulate_waves` returns clean canonical frames (codebook names; select_one answers as
  choice names, numbers as numbers) plus truth columns prefixed ``true_``;
* :func:`add_mess` plants what real exports contain (missing-value codes, duplicates,
  impossible values, speeders, straight-liners, failed attention checks, a refusal to take
  part, hostile free text);
* :func:`write_kobo_csv`, :func:`write_xlsx` and :func:`write_sav` export a canonical frame as
  KoboToolbox (French labels, group prefixes), Excel (English labels) and SPSS (numeric codes,
  value labels, user-missing codes) files.

The simulator knows nothing of the estimators; it only uses numpy and pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from alliancegov.codebook import Codebook

FORMS = ("repeated_contract", "licensing", "supply_chain_partnership", "joint_venture")
CHOICE_SCALES = (
    "asset_specificity",
    "environmental_uncertainty",
    "behavioural_uncertainty",
    "trust",
    "knowledge_tacitness",
)
TRUE_PREFIX = "true_"
PREVIOUS_FORM = f"{TRUE_PREFIX}previous_form"


def load_truth(path: str | Path | None = None) -> dict:
    """The true parameters: ``path`` if given, else the packaged ``truth.yaml``.

    A ``panel.transition`` matrix, when present, is validated (see :func:`transition_matrix`).
    """
    if path is None:
        truth = yaml.safe_load(resources.files("alliancegov").joinpath("truth.yaml").read_text("utf-8"))
    else:
        truth = yaml.safe_load(Path(path).read_text("utf-8"))
    if "transition" in (truth.get("panel") or {}):
        transition_matrix(truth)
    return truth


def transition_matrix(truth: dict, tolerance: float = 1e-6) -> pd.DataFrame:
    """The true Markov transition matrix of governance forms, shape (4, 4), rows and columns in
    ``FORMS`` order: row = previous form, column = form at the next wave.

    Raises ``ValueError`` when ``panel.transition`` is absent, names a form outside ``FORMS``, lacks
    a row, has a probability outside [0, 1] or a row not summing to 1 (within ``tolerance``).
    A to-form left out of a row has probability 0.
    """
    rows = (truth.get("panel") or {}).get("transition")
    if not isinstance(rows, dict):
        raise ValueError("truth has no panel.transition matrix {from_form: {to_form: probability}}")
    named = set(rows) | {to for row in rows.values() if isinstance(row, dict) for to in row}
    unknown = sorted(map(str, named - set(FORMS)))
    missing = [form for form in FORMS if form not in rows]
    if unknown or missing:
        raise ValueError(f"panel.transition: unknown forms {unknown}, missing rows {missing}; forms are {list(FORMS)}")
    not_rows = [form for form in FORMS if not isinstance(rows[form], dict)]
    if not_rows:
        raise ValueError(f"panel.transition rows {not_rows} must map to-forms to probabilities")
    matrix = pd.DataFrame.from_dict(rows, orient="index").reindex(index=list(FORMS), columns=list(FORMS))
    numeric = matrix.apply(pd.to_numeric, errors="coerce")

    def cells(mask: pd.DataFrame) -> dict:
        return {(FORMS[i], FORMS[j]): matrix.iat[i, j] for i, j in zip(*np.nonzero(mask.to_numpy()))}

    not_numbers = cells(numeric.isna() & matrix.notna())
    if not_numbers:
        raise ValueError(f"panel.transition probabilities that are not numbers: {not_numbers}")
    matrix = numeric.fillna(0.0).astype(float)
    outside = {cell: float(p) for cell, p in cells((matrix < 0) | (matrix > 1)).items()}
    if outside:
        raise ValueError(f"panel.transition probabilities outside [0, 1]: {outside}")
    sums = matrix.sum(axis=1)
    off = sums[(sums - 1).abs() > tolerance]
    if len(off):
        raise ValueError(f"panel.transition rows must sum to 1: {off.round(6).to_dict()}")
    # Exact unit sums, so the cumulative sum a form is drawn from ends at 1 (up to rounding).
    return matrix.div(sums, axis=0)


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


def choice_design(scores: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Design matrix of the true choice model, shape (n, 7), and its column names.

    ``scores`` has the scale scores of ``CHOICE_SCALES`` (1–5 units) and ``sector``.
    """
    names = ["Intercept", *CHOICE_SCALES, "sector_textile"]
    columns = [
        np.ones(len(scores)),
        *(scores[s].to_numpy(float) for s in CHOICE_SCALES),
        (scores["sector"] == "textile").to_numpy(float),
    ]
    return np.column_stack(columns), names


def true_choice_coefficients(truth: dict) -> pd.DataFrame:
    """True MNL coefficients, one column per non-base form, rows in :func:`choice_design` order."""
    coefs = pd.DataFrame(truth["choice"]["coefficients"])
    _, names = choice_design(pd.DataFrame({s: [3.0] for s in CHOICE_SCALES} | {"sector": ["textile"]}))
    return coefs.loc[names, [f for f in FORMS if f != truth["choice"]["base"]]]


def choice_probabilities(scores: pd.DataFrame, truth: dict) -> np.ndarray:
    """True probabilities of each form in ``FORMS`` order, shape (n, 4)."""
    design, _ = choice_design(scores)
    utilities = np.zeros((len(scores), len(FORMS)))
    coefs = true_choice_coefficients(truth)
    for form in coefs.columns:
        utilities[:, FORMS.index(form)] = design @ coefs[form].to_numpy()
    utilities -= utilities.max(axis=1, keepdims=True)
    expu = np.exp(utilities)
    return expu / expu.sum(axis=1, keepdims=True)


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


# ---- mess ------------------------------------------------------------------------------------

HOSTILE_COMMENTS = (
    "<script>alert('alliancegov')</script>",
    '=HYPERLINK("http://example.invalid/x","Cliquez ici")',
)
PLAIN_COMMENTS = (
    "Relation stable avec le donneur d'ordre.",
    "Les délais de paiement sont longs.",
    "Nous cherchons un deuxième client à l'export.",
    "Le partenaire a formé nos chefs d'équipe.",
)


@dataclass
class Mess:
    """Which rows of a messed wave were planted with which problem (for tests)."""

    planted: dict[str, list[str]]


def add_mess(
    wave: pd.DataFrame, codebook: Codebook, *, seed: int, truth: dict | None = None
) -> tuple[pd.DataFrame, Mess]:
    """A copy of a clean canonical wave with the problems real exports contain.

    Missing answers become the codebook's missing-value codes (or names for select_one);
    ``planted`` maps each problem to the submission ids carrying it.
    """
    truth = truth or load_truth()
    spec = truth["mess"]
    rng = np.random.default_rng(seed)
    df = wave.copy()
    n = len(df)
    planted: dict[str, list[str]] = {}
    likert = codebook.of_type("likert")
    numeric = [v for v in codebook.of_type("integer", "decimal") if codebook.missing_codes(v)]

    for column in likert + ["months_to_partnership"]:
        df[column] = df[column].astype(float)
    # Inapplicable by design, coded as such (not a data problem).
    df.loc[df["months_to_partnership"].isna(), "months_to_partnership"] = _code_of(
        codebook, "months_to_partnership", "not_applicable"
    )

    def missing_cells(columns: list[str], rate: float) -> None:
        for column in columns:
            hit = rng.random(n) < rate
            kinds = rng.choice(["dont_know", "refused"], size=n, p=[0.7, 0.3])
            for kind in ("dont_know", "refused"):
                df.loc[hit & (kinds == kind), column] = _code_of(codebook, column, kind)

    missing_cells([v for v in likert if v != "attention_check"], spec["item_missing_rate"])
    missing_cells([v for v in numeric if v != "months_to_partnership"], spec["numeric_missing_rate"])

    order = rng.permutation(n)
    taken = 0

    def rows(count: int, problem: str) -> np.ndarray:
        nonlocal taken
        chosen = order[taken : taken + count]
        taken += count
        planted[problem] = df.loc[chosen, "submission_id"].tolist()
        return chosen

    r = rows(spec["out_of_range"], "out_of_range")
    for row, (column, value) in zip(r, [("as2", 7.0), ("employees_now", -5.0), ("export_share", 150.0)] * len(r)):
        df.loc[row, column] = value
    df.loc[rows(spec["speeders"], "speeder"), "interview_duration_min"] = 4.0
    straight = rows(spec["straightliners"], "straightlining")
    df.loc[straight, likert] = 4.0
    df.loc[rows(spec["failed_attention"], "failed_attention_check"), "attention_check"] = 1.0
    # A question answered although it did not apply: a repeated contract with months to partnership.
    eligible = [i for i in order[taken:] if df.at[i, "governance_form"] == "repeated_contract"][: spec["skip_logic"]]
    order = np.concatenate([order[:taken], eligible, [i for i in order[taken:] if i not in set(eligible)]])
    df.loc[rows(len(eligible), "skip_logic"), "months_to_partnership"] = 12.0
    refusing = rows(spec["non_consenting"], "no_consent")
    answered = [
        v
        for v in codebook.variables["name"]
        if codebook.variables.at[v, "role"] not in ("meta", "identifying") and v in df and v != "consent"
    ]
    df[answered] = df[answered].astype(object)
    df.loc[refusing, answered] = None
    df.loc[refusing, "consent"] = "no"

    comment_rows = rng.choice(n, size=max(4, n // 10), replace=False)
    comments = list(HOSTILE_COMMENTS) + [PLAIN_COMMENTS[i % len(PLAIN_COMMENTS)] for i in range(len(comment_rows) - 2)]
    df.loc[comment_rows, "comment"] = comments

    twice_firm = rows(spec["duplicate_firms"], "duplicate_firm")
    again = df.loc[twice_firm].copy()
    again["submission_id"] = again["submission_id"] + "-bis"
    again["submission_time"] = again["submission_time"].str[:10] + "T18:30:00"
    planted["duplicate_firm"] = again["submission_id"].tolist()
    copies = df.loc[order[taken : taken + spec["duplicate_submissions"]]].copy()
    planted["duplicate_submission"] = copies["submission_id"].tolist()
    df = pd.concat([df, again, copies], ignore_index=True)
    return df, Mess(planted)


def _code_of(codebook: Codebook, variable: str, kind: str) -> float:
    codes = {v: k for k, v in codebook.missing_codes(variable).items()}
    return float(codes[kind])


# ---- writers -----------------------------------------------------------------------------------


def _labelled(df: pd.DataFrame, codebook: Codebook, language: str, *, likert_as_labels: bool) -> pd.DataFrame:
    """Codebook variables only, select_one answers (and optionally Likert) as labels."""
    out = {}
    for name in codebook.variables["name"]:
        column = df[name]
        vtype = codebook.variables.at[name, "type"]
        if vtype == "select_one" or (vtype == "likert" and likert_as_labels):
            lookup = _label_lookup(codebook, name, language, by="name" if vtype == "select_one" else "code")
            key = column if vtype == "select_one" else column.map(lambda v: None if pd.isna(v) else int(v))
            out[name] = [lookup.get(k, k) if k is not None and not pd.isna(k) else "" for k in key]
        else:
            out[name] = column
    return pd.DataFrame(out)


def _answer_table(codebook: Codebook, variable: str) -> pd.DataFrame:
    """The answers and the missing-value codes of one variable (value-set rows)."""
    lists = [codebook.variables.at[variable, c] for c in ("list_name", "missing_list")]
    tables = [codebook.choices(name) for name in lists if name]
    return pd.concat(tables, ignore_index=True) if tables else codebook.value_sets.iloc[:0]


def _label_lookup(codebook: Codebook, variable: str, language: str, by: str) -> dict:
    table = _answer_table(codebook, variable)
    return dict(zip(table[by], table[f"label_{language}"]))


def _format_number(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


KOBO_META_COLUMNS = {
    "submission_id": "_uuid",
    "submission_time": "_submission_time",
    "instrument_version": "__version__",
}


def write_kobo_csv(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """A KoboToolbox 'labels' export: ``;``-separated, fully quoted, French labels, ``group/name``;
    a select_multiple question as its space-joined choice names and one 0/1 column per choice."""
    labelled = _labelled(df, codebook, "fr", likert_as_labels=True)
    columns = {}
    for name in codebook.variables["name"]:
        group = codebook.variables.at[name, "group"]
        header = KOBO_META_COLUMNS.get(name) or (f"{group}/{name}" if group else name)
        values = labelled[name]
        if codebook.variables.at[name, "type"] in ("integer", "decimal"):
            values = values.map(_format_number)
        columns[header] = values.fillna("").astype(str)
        if codebook.variables.at[name, "type"] == "select_multiple":
            chosen = df[name].map(lambda v: None if v is None or pd.isna(v) or v == "" else set(str(v).split()))
            for choice in codebook.answer_names(name):
                columns[f"{header}/{choice}"] = chosen.map(lambda c, x=choice: "" if c is None else str(int(x in c)))
    export = pd.DataFrame(columns)
    export.insert(0, "_id", np.arange(1, len(export) + 1).astype(str))
    export["_index"] = np.arange(1, len(export) + 1).astype(str)
    export.to_csv(path, sep=";", index=False, quoting=1, encoding="utf-8", lineterminator="\n")


def write_xlsx(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """An Excel sheet with canonical headers, English labels for select_one, Likert codes."""
    from openpyxl import Workbook

    labelled = _labelled(df, codebook, "en", likert_as_labels=False)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "responses"
    sheet.append(list(labelled.columns))
    for record in labelled.itertuples(index=False):
        sheet.append(
            [
                None
                if (v is None or (isinstance(v, float) and np.isnan(v)) or v == "")
                else (int(v) if isinstance(v, float) and v.is_integer() else v)
                for v in record
            ]
        )
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # typed text, as a respondent's answer is, not a live formula
    stamp = pd.Timestamp("2025-06-30T12:00:00").to_pydatetime()
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.save(path)


def _numeric_export(df: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, dict, dict]:
    """Codebook variables as statistical packages store them: numeric codes, value labels, missing codes."""
    out, value_labels, missing_codes = {}, {}, {}
    for name, vtype in zip(codebook.variables["name"], codebook.variables["type"]):
        if vtype in ("text", "datetime", "select_multiple"):
            out[name] = df[name].fillna("").astype(str)
            continue
        answers = _answer_table(codebook, name)
        if vtype == "select_one":
            out[name] = df[name].map(dict(zip(answers["name"], answers["code"].astype(float)))).astype(float)
        else:
            out[name] = pd.to_numeric(df[name], errors="coerce").astype(float)
        if len(answers):
            value_labels[name] = dict(zip(answers["code"].astype(float), answers["label_fr"]))
        codes = codebook.missing_codes(name)
        if codes:
            missing_codes[name] = [float(c) for c in codes]
    return pd.DataFrame(out), value_labels, missing_codes


def write_sav(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """An SPSS file: numeric codes with French value labels and declared user-missing codes."""
    import pyreadstat

    out, value_labels, missing_codes = _numeric_export(df, codebook)
    pyreadstat.write_sav(out, str(path), column_labels=codebook.variables["label_fr"].tolist(),
                         variable_value_labels=value_labels, missing_ranges=missing_codes)


def write_dta(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """A Stata file: numeric codes with French value labels (missing-value codes stay plain codes)."""
    import pyreadstat

    out, value_labels, _ = _numeric_export(df, codebook)
    pyreadstat.write_dta(out, str(path), column_labels=codebook.variables["label_fr"].tolist(),
                         variable_value_labels=value_labels)


def write_csv(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """A plain spreadsheet CSV as French Excel saves it: cp1252, ``;``, French labels, decimal comma."""
    labelled = _labelled(df, codebook, "fr", likert_as_labels=False)
    for name in codebook.of_type("integer", "decimal", "likert"):
        labelled[name] = labelled[name].map(_format_number).str.replace(".", ",", regex=False)
    labelled.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")


WRITERS = {"kobo_csv": (write_kobo_csv, "csv"), "xlsx": (write_xlsx, "xlsx"), "sav": (write_sav, "sav")}


def make_example(out_dir: str | Path, codebook: Codebook, *, seed: int = 20261127, n_per_wave: int = 300) -> list[Path]:
    """Write the bundled example: three waves (2024 Kobo CSV, 2025 Excel, 2026 SPSS)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = [(2024, "kobo_csv"), (2025, "xlsx"), (2026, "sav")]
    waves = simulate_waves(n_per_wave, [year for year, _ in plan], seed=seed, codebook=codebook)
    paths = []
    for (year, fmt), wave in zip(plan, waves):
        messy, _ = add_mess(wave, codebook, seed=seed + year)
        writer, suffix = WRITERS[fmt]
        path = out_dir / f"wave_{year}.{suffix}"
        writer(messy, path, codebook)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    """``python -m alliancegov.simulate OUT_DIR``: write the bundled example waves."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out_dir")
    parser.add_argument("--codebook", default="config/codebook")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--n-per-wave", type=int, default=300)
    args = parser.parse_args(argv)
    for path in make_example(
        args.out_dir, Codebook.from_dir(args.codebook), seed=args.seed, n_per_wave=args.n_per_wave
    ):
        print(path)


if __name__ == "__main__":
    main()
