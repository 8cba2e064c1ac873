"""Perceived constructs and how firms answer their Likert items: latent scores drawn jointly from
the true correlation matrix, items with known loadings, a common method factor, rounding to the
1–5 answers (``truth.yaml``, section ``constructs``).

:func:`item_parameters` states the measurement truth item by item, for the continuous response and
for the rounded, clipped answer the pipeline sees, so that tests compare sample moments and CFA
estimates with exact population values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.simulate.truth import latent_correlation

LATENT_PREFIX = "latent_"
METHOD_FACTOR = "true_method_factor"
ANSWERS = np.arange(1, 6)
THRESHOLDS = ANSWERS[:-1] + 0.5       # a continuous response between two thresholds rounds to the answer between


def latent_means(truth: dict, sector: np.ndarray) -> pd.DataFrame:
    """Each firm's latent mean and SD per scale, given its sector.

    Parameters
    ----------
    truth : dict
        The true parameters (``constructs.latent``).
    sector : ndarray of shape (n,)
        ``textile`` or ``services`` per firm.

    Returns
    -------
    DataFrame of shape (n, 2k)
        ``mean_<scale>`` and ``sd_<scale>`` for the k scales, response-scale units.
    """
    columns = {}
    for scale, params in truth["constructs"]["latent"].items():
        columns[f"mean_{scale}"] = pd.Series(sector).map(params["mean"]).to_numpy(float)
        columns[f"sd_{scale}"] = np.full(len(sector), float(params["sd"]))
    return pd.DataFrame(columns)


def draw_latents(sector: np.ndarray, truth: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Latent scores of n firms, jointly normal within a sector.

    Parameters
    ----------
    sector : ndarray of shape (n,)
        ``textile`` or ``services`` per firm.
    truth : dict
        The true parameters: ``constructs.latent`` (means by sector, SDs) and
        ``constructs.correlation``.
    rng : Generator
        The random stream.

    Returns
    -------
    DataFrame of shape (n, k)
        ``latent_<scale>`` = mean(sector) + sd × η, η ~ Normal(0, :func:`latent_correlation`),
        response-scale units.
    """
    correlation = latent_correlation(truth)
    eta = rng.standard_normal((len(sector), len(correlation))) @ np.linalg.cholesky(correlation.to_numpy()).T
    moments = latent_means(truth, sector)
    return pd.DataFrame({f"{LATENT_PREFIX}{scale}": moments[f"mean_{scale}"].to_numpy()
                         + moments[f"sd_{scale}"].to_numpy() * eta[:, j]
                         for j, scale in enumerate(correlation.index)})


def standardised_latents(latents: pd.DataFrame, sector: np.ndarray, truth: dict) -> pd.DataFrame:
    """η: the latent scores in SD units from their sector's mean.

    Parameters
    ----------
    latents : DataFrame
        ``latent_<scale>`` columns (n rows).
    sector : ndarray of shape (n,)
        The firms' sectors.
    truth : dict
        The true parameters (``constructs.latent``).

    Returns
    -------
    DataFrame of shape (n, k)
        One column per scale (the scale's name), unitless.
    """
    moments = latent_means(truth, sector)
    return pd.DataFrame({scale: (latents[f"{LATENT_PREFIX}{scale}"].to_numpy() - moments[f"mean_{scale}"].to_numpy())
                         / moments[f"sd_{scale}"].to_numpy() for scale in truth["constructs"]["latent"]})


def item_coefficients(truth: dict, items: pd.DataFrame, scale: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw loadings and unique SDs of the items of ``scale``, from their standardised loadings.

    Item j's keyed response is mean + b_j × (latent − mean) + √m M + u_j e_j with b_j = λ_j / λ̄
    (λ̄ the scale's mean loading, so the b_j average 1 and the scale score's true part is the latent
    score) and u_j = (sd / λ̄) × sqrt(1 − λ_j²): every item of the scale has response SD sd / λ̄ with
    the method factor off, and standardised loading λ_j. The items are congeneric (unequal raw
    loadings), so a method factor with equal raw loadings is not proportional to a trait's loadings
    and can be told apart from it.

    Parameters
    ----------
    truth : dict
        The true parameters (``constructs.latent`` and ``constructs.loadings``).
    items : DataFrame
        The scale's items (:meth:`Codebook.items`), column ``name``.
    scale : str
        A scale of ``constructs.latent``.

    Returns
    -------
    raw_loadings : ndarray of shape (n_items,)
        b_j, response-scale units per unit of the latent score.
    unique_sd : ndarray of shape (n_items,)
        u_j, response-scale units.

    Raises
    ------
    KeyError
        If an item has no loading in the truth.
    ValueError
        If a loading is not in (0, 1).
    """
    loadings = truth["constructs"]["loadings"]
    missing = [name for name in items["name"] if name not in loadings]
    if missing:
        raise KeyError(f"constructs.loadings has no loading for the items {missing} of {scale}")
    loading = np.array([float(loadings[name]) for name in items["name"]])
    if ((loading <= 0) | (loading >= 1)).any():
        raise ValueError(f"constructs.loadings of {scale}: {loading.tolist()} must lie in (0, 1)")
    response_sd = float(truth["constructs"]["latent"][scale]["sd"]) / loading.mean()
    return loading / loading.mean(), response_sd * np.sqrt(1 - loading ** 2)


def answer(true_part: np.ndarray, unique_sd: np.ndarray, method_part: np.ndarray, reverse: np.ndarray,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Likert answers of n respondents to k items of one construct.

    Parameters
    ----------
    true_part : ndarray of shape (n, k) or (n, 1)
        Each respondent's expected keyed response to each item (response-scale units).
    unique_sd : ndarray of shape (k,)
        Each item's unique SD.
    method_part : ndarray of shape (n,)
        Each respondent's method effect, added to every item in the keyed direction.
    reverse : ndarray of bool, shape (k,)
        Reverse-coded items.
    rng : Generator
        The random stream (n × k normal draws, whatever the parameters).

    Returns
    -------
    stored : ndarray of shape (n, k)
        The answers as the questionnaire records them (1–5, reverse-coded items reversed).
    keyed : ndarray of shape (n, k)
        The same answers in the construct's direction (what the scale score averages).
    """
    errors = rng.standard_normal((len(true_part), len(unique_sd)))
    keyed = np.clip(np.rint(true_part + method_part[:, None] + errors * unique_sd), 1, 5)
    return np.where(reverse, 6 - keyed, keyed), keyed


def answer_scales(firms: pd.DataFrame, codebook: Codebook, truth: dict, method: np.ndarray,
                  rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every item of every codebook scale with a latent score in ``firms``, and the scale scores.

    Parameters
    ----------
    firms : DataFrame
        ``sector`` and ``latent_<scale>`` columns, n rows.
    codebook : Codebook
        The scales and their items (names, reverse coding).
    truth : dict
        The true parameters (``constructs``).
    method : ndarray of shape (n,)
        The respondents' method factor M (standard normal).
    rng : Generator
        The random stream.

    Returns
    -------
    items : DataFrame
        One column per item (stored answers 1–5), n rows.
    scores : DataFrame
        One column per scale: the mean of its keyed answers (1–5).
    """
    method_part = np.sqrt(float(truth["constructs"]["method_variance"])) * method
    moments = latent_means(truth, firms["sector"].to_numpy())
    answers, scores = {}, {}
    for scale in codebook.scales["scale"]:
        if f"{LATENT_PREFIX}{scale}" not in firms:
            continue
        items = codebook.items(scale)
        raw_loadings, unique_sd = item_coefficients(truth, items, scale)
        mean = moments[f"mean_{scale}"].to_numpy()[:, None]
        true_part = mean + (firms[f"{LATENT_PREFIX}{scale}"].to_numpy(float)[:, None] - mean) * raw_loadings
        stored, keyed = answer(true_part, unique_sd, method_part, items["reverse"].to_numpy(bool), rng)
        answers.update(zip(items["name"], stored.T))
        scores[scale] = keyed.mean(axis=1)
    return pd.DataFrame(answers, index=firms.index), pd.DataFrame(scores, index=firms.index)


def _answer_moments(mean: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SD of g(x) = clip(round(x), 1, 5) and E[g'(x)] for x ~ Normal(mean, sd²), elementwise."""
    from scipy.special import ndtr

    z = (THRESHOLDS[:, None] - mean) / sd
    above = ndtr(-z)                                       # P(x > τ), shape (4, m)
    # g(x) = 1 + Σ_τ 1[x > τ], so Var g = Σ_ab P(x > max(τ_a, τ_b)) − (Σ_a P(x > τ_a))²
    both = sum(above[max(a, b)] for a in range(len(THRESHOLDS)) for b in range(len(THRESHOLDS)))
    variance = both - above.sum(axis=0) ** 2
    slope = (np.exp(-z ** 2 / 2) / np.sqrt(2 * np.pi)).sum(axis=0) / sd
    return np.sqrt(variance), slope


def item_parameters(truth: dict, codebook: Codebook, sector: str) -> pd.DataFrame:
    """The measurement truth of every item with a loading, at a firm's first interview in ``sector``.

    For item j of scale s: keyed continuous response x = mean + b (latent − mean) + √m M + u e
    (:func:`item_coefficients`; m the method variance), latent ~ Normal(mean_s(sector), sd_s²); the
    answer is g(x) = clip(round(x), 1, 5).
    By Stein's lemma, for (x, Y) jointly normal Cov(g(x), Y) = Cov(x, Y) E[g'(x)], so the answer's
    covariances with η and M are exact.

    Parameters
    ----------
    truth : dict
        The true parameters (``constructs``).
    codebook : Codebook
        The scales' items.
    sector : str
        ``textile`` or ``services``.

    Returns
    -------
    DataFrame
        One row per item (index the item's name), columns: ``scale``, ``reverse`` (bool),
        ``loading`` (the truth's standardised loading, method factor off), ``latent_mean``,
        ``latent_sd``, ``raw_loading`` (b × sd_s: per SD of the latent), ``unique_sd``,
        ``method_loading`` (√m; all response-scale units), ``response_sd`` (SD of x),
        ``std_loading`` (raw_loading / response_sd: x's correlation with η),
        ``std_method_loading`` (√m / response_sd), ``answer_sd`` (SD of g(x)), ``answer_loading``
        (corr(g(x), η)) and ``answer_method_loading`` (corr(g(x), M)); the answers of
        reverse-coded items are keyed (re-reversed), as the scale score and the CFA use them.
    """
    method = np.sqrt(float(truth["constructs"]["method_variance"]))
    rows = []
    for scale, params in truth["constructs"]["latent"].items():
        if scale not in set(codebook.scales["scale"]):
            continue
        items = codebook.items(scale)
        raw_loadings, unique = item_coefficients(truth, items, scale)
        sd, mean = float(params["sd"]), float(params["mean"][sector])
        raw = raw_loadings * sd
        response_sd = np.sqrt(raw ** 2 + method ** 2 + unique ** 2)
        answer_sd, slope = _answer_moments(np.full(len(items), mean), response_sd)
        rows.append(pd.DataFrame({
            "scale": scale, "reverse": items["reverse"].to_numpy(bool),
            "loading": [float(truth["constructs"]["loadings"][name]) for name in items["name"]],
            "latent_mean": mean, "latent_sd": sd, "raw_loading": raw, "unique_sd": unique, "method_loading": method,
            "response_sd": response_sd, "std_loading": raw / response_sd, "std_method_loading": method / response_sd,
            "answer_sd": answer_sd, "answer_loading": raw * slope / answer_sd,
            "answer_method_loading": method * slope / answer_sd}, index=pd.Index(items["name"], name="item")))
    return pd.concat(rows)
