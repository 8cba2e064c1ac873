"""The simulator's true parameters (``truth.yaml`` beside this module) and the true models they
define: the multinomial logit of the governance form, the Markov matrix of continuing alliances,
the correlations of the latent constructs, the per-form performance equations and the selection
term of the performance noise.

To simulate from a modified truth, change a copy: :func:`override_truth` sets dotted keys
(``override_truth(load_truth(), {"performance.selection_rho": 0.5})``) and refuses a key the truth
does not have, so a misspelt key cannot leave a test running on the default.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

TRUTH_FILE = Path(__file__).with_name("truth.yaml")
FORMS = ("repeated_contract", "licensing", "supply_chain_partnership", "joint_venture")
CHOICE_SCALES = (
    "asset_specificity",
    "environmental_uncertainty",
    "behavioural_uncertainty",
    "trust",
    "knowledge_tacitness",
)
PERFORMANCE_TERMS = ("Intercept", "trust", "misfit", "alliance_age", "sector_textile")


def load_truth(path: str | Path | None = None) -> dict:
    """The true parameters: ``path`` if given, else the packaged ``truth.yaml``.

    A ``panel.transition`` matrix, when present, is validated (see :func:`transition_matrix`).

    Parameters
    ----------
    path : str or Path or None, default=None
        A YAML file laid out as ``truth.yaml``.

    Returns
    -------
    dict
        The parsed file: ``firms``, ``constructs``, ``choice``, ``governance``, ``performance``,
        ``quality``, ``panel``, ``mess`` ... (every number the simulator uses).

    Raises
    ------
    ValueError
        If ``panel.transition`` is present but not a valid transition matrix.
    """
    if path is None:
        path = TRUTH_FILE
    truth = yaml.safe_load(Path(path).read_text("utf-8"))
    if "transition" in (truth.get("panel") or {}):
        transition_matrix(truth)
    return truth


def override_truth(truth: dict, changes: Mapping[str, object]) -> dict:
    """A copy of ``truth`` with some of its keys set to new values (``truth`` is left unchanged).

    Parameters
    ----------
    truth : dict
        The true parameters (:func:`load_truth`).
    changes : mapping of str to object
        Dotted key -> new value, e.g. ``{"performance.selection_rho": 0.5,
        "constructs.method_variance": 0.0, "firms.sector": {"textile": 1.0, "services": 0.0}}``.
        Every key but the last must name a mapping of the truth, and the last must exist in it.

    Returns
    -------
    dict
        A deep copy of ``truth`` with the changes made (values deep-copied too).

    Raises
    ------
    KeyError
        Naming the dotted key and the keys available where it went astray.
    """
    out = copy.deepcopy(truth)
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = out
        for depth, key in enumerate([*path, last]):
            if not isinstance(node, dict) or key not in node:
                where = ".".join([*path, last][:depth]) or "the truth"
                known = sorted(node) if isinstance(node, dict) else []
                raise KeyError(f"truth has no key {dotted!r}: {where} has {known}")
            if depth < len(path):
                node = node[key]
        node[last] = copy.deepcopy(value)
    return out


def transition_matrix(truth: dict, tolerance: float = 1e-6) -> pd.DataFrame:
    """The true Markov transition matrix of governance forms, shape (4, 4), rows and columns in
    ``FORMS`` order: row = previous form, column = form at the next wave.

    A to-form left out of a row has probability 0.

    Parameters
    ----------
    truth : dict
        The true parameters (:func:`load_truth`), with ``panel.transition`` as
        ``{from_form: {to_form: probability}}``.
    tolerance : float, default=1e-6
        How far from 1 a row's sum may be.

    Returns
    -------
    DataFrame of shape (4, 4)
        Transition probabilities, index = previous form, columns = next form, both in ``FORMS``
        order; each row rescaled to sum exactly to 1.

    Raises
    ------
    ValueError
        When ``panel.transition`` is absent, names a form outside ``FORMS``, lacks a row, has a row
        that is not a mapping, a probability that is not a number or is outside [0, 1], or a row not
        summing to 1 (within ``tolerance``).
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


def choice_design(scores: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Design matrix of the true choice model, shape (n, 7), and its column names.

    Parameters
    ----------
    scores : DataFrame
        Has the scale scores of ``CHOICE_SCALES`` (1–5 units) and ``sector``, n rows.

    Returns
    -------
    design : ndarray of shape (n, 7)
        Intercept, the five scale scores, and the ``sector == "textile"`` dummy.
    names : list of str
        ``Intercept``, the ``CHOICE_SCALES`` and ``sector_textile``.
    """
    names = ["Intercept", *CHOICE_SCALES, "sector_textile"]
    columns = [
        np.ones(len(scores)),
        *(scores[s].to_numpy(float) for s in CHOICE_SCALES),
        (scores["sector"] == "textile").to_numpy(float),
    ]
    return np.column_stack(columns), names


def true_choice_coefficients(truth: dict) -> pd.DataFrame:
    """True MNL coefficients, one column per non-base form, rows in :func:`choice_design` order.

    Parameters
    ----------
    truth : dict
        The true parameters (:func:`load_truth`).

    Returns
    -------
    DataFrame of shape (7, 3)
        Log-odds against the base form (``choice.base``) per unit of each design column; columns
        the non-base forms in ``FORMS`` order.
    """
    coefs = pd.DataFrame(truth["choice"]["coefficients"])
    _, names = choice_design(pd.DataFrame({s: [3.0] for s in CHOICE_SCALES} | {"sector": ["textile"]}))
    return coefs.loc[names, [f for f in FORMS if f != truth["choice"]["base"]]]


def choice_probabilities(scores: pd.DataFrame, truth: dict) -> np.ndarray:
    """True probabilities of each form in ``FORMS`` order, shape (n, 4).

    Parameters
    ----------
    scores : DataFrame
        The scale scores of ``CHOICE_SCALES`` (1–5 units) and ``sector``, n rows.
    truth : dict
        The true parameters (:func:`load_truth`).

    Returns
    -------
    ndarray of shape (n, 4)
        The true multinomial logit's probabilities; each row sums to 1.
    """
    design, _ = choice_design(scores)
    utilities = np.zeros((len(scores), len(FORMS)))
    coefs = true_choice_coefficients(truth)
    for form in coefs.columns:
        utilities[:, FORMS.index(form)] = design @ coefs[form].to_numpy()
    utilities -= utilities.max(axis=1, keepdims=True)
    expu = np.exp(utilities)
    return expu / expu.sum(axis=1, keepdims=True)


def latent_correlation(truth: dict) -> pd.DataFrame:
    """The correlation matrix of the standardised latent scores within a sector, shape (k, k).

    Parameters
    ----------
    truth : dict
        The true parameters (:func:`load_truth`): ``constructs.latent`` names the k scales,
        ``constructs.correlation`` gives each correlated pair once (``{a: {b: r}}``; pairs left
        out are 0).

    Returns
    -------
    DataFrame of shape (k, k)
        Index and columns the scales in ``constructs.latent`` order; unit diagonal, symmetric.

    Raises
    ------
    ValueError
        If a pair names an unknown scale or a scale with itself, is given twice with different
        values, a correlation is outside (-1, 1), or the matrix is not positive definite.
    """
    scales = list(truth["constructs"]["latent"])
    matrix = pd.DataFrame(np.eye(len(scales)), index=scales, columns=scales)
    given: dict[frozenset, float] = {}
    for first, row in (truth["constructs"].get("correlation") or {}).items():
        for second, value in row.items():
            unknown = [s for s in (first, second) if s not in scales]
            if unknown or first == second:
                raise ValueError(f"constructs.correlation {first}-{second}: unknown scales {unknown} or a scale "
                                 f"with itself; scales are {scales}")
            pair, value = frozenset((first, second)), float(value)
            if not -1 < value < 1 or given.get(pair, value) != value:
                raise ValueError(f"constructs.correlation {first}-{second}: {value} is outside (-1, 1) or "
                                 f"contradicts the same pair given as {given.get(pair)}")
            given[pair] = matrix.loc[first, second] = matrix.loc[second, first] = value
    if np.linalg.eigvalsh(matrix.to_numpy()).min() <= 0:
        raise ValueError("constructs.correlation is not positive definite")
    return matrix


def performance_coefficients(truth: dict) -> pd.DataFrame:
    """The true performance equation of each form (the switching regression's regimes).

    Performance index (latent, response-scale units) of a firm in form f = ``Intercept`` +
    ``trust`` × (trust − 3) + ``misfit`` × misfit + ``alliance_age`` × (alliance age −
    ``performance.alliance_age_centre``) + ``sector_textile`` × [textile] + noise.

    Parameters
    ----------
    truth : dict
        The true parameters (:func:`load_truth`), its ``performance`` section.

    Returns
    -------
    DataFrame of shape (4, 5)
        Index ``FORMS``, columns ``PERFORMANCE_TERMS``: the intercept (the form effect plus the
        services effect, at trust 3, misfit 0 and the centre's alliance age), and each form's slopes
        (the pooled slope plus the form's ``by_form`` deviation; a form or term left out of
        ``by_form`` deviates by 0), per scale point of trust, unit of misfit (0-1) and year of
        alliance age; ``sector_textile`` is the textile effect minus the services one, common to
        the forms.
    """
    p = truth["performance"]
    pooled = {"trust": p["trust_effect"], "misfit": p["misalignment_penalty"],
              "alliance_age": p.get("alliance_age_effect", 0.0)}
    deviations = p.get("by_form") or {}
    sector = p["sector_effect"]
    rows = {form: {"Intercept": p["form_effect"][form] + sector["services"],
                   **{term: slope + (deviations.get(form) or {}).get(term, 0.0) for term, slope in pooled.items()},
                   "sector_textile": sector["textile"] - sector["services"]}
            for form in FORMS}
    return pd.DataFrame.from_dict(rows, orient="index").loc[list(FORMS), list(PERFORMANCE_TERMS)].astype(float)


def selection_term(probability: np.ndarray | float, nodes: int = 96) -> np.ndarray:
    """m(P) = E[Φ⁻¹(G(ε_s)) | s chosen]: the mean transformed Gumbel error of an alternative chosen
    with probability P, so that E[performance noise | s] = noise_sd × selection_rho × m(P_s).

    Given s is chosen, ε_s is Gumbel with location −ln P, so G(ε_s) is distributed as V^P (V
    uniform) and m(P) = ∫₀¹ Φ⁻¹(v^P) dv: the mean of the largest of 1/P standard normals when 1/P is
    whole (m(1) = 0, m(1/2) = 1/√π). Computed as ∫ x d[Φ(x)^(1/P)] by Gauss–Legendre quadrature on
    [−12, 12] (the integrand is smooth there and negligible outside for P ≥ 1e-12).

    Parameters
    ----------
    probability : array-like or float
        Probabilities of the chosen alternatives, in (0, 1].
    nodes : int, default=96
        Quadrature nodes.

    Returns
    -------
    ndarray
        m(P), same shape as ``probability``; positive below P = 1 and decreasing in P.
    """
    from scipy.special import log_ndtr

    p = np.clip(np.asarray(probability, dtype=float), 1e-12, 1.0)
    x, w = np.polynomial.legendre.leggauss(nodes)
    x, w = 12.0 * x, 12.0 * w
    power = 1.0 / p[..., None]
    # the density of the maximum, (1/P) Φ(x)^(1/P − 1) φ(x), in logs so that 1/P can be large
    log_density = np.log(power) + (power - 1.0) * log_ndtr(x) - x ** 2 / 2 - 0.5 * np.log(2 * np.pi)
    return (w * x * np.exp(log_density)).sum(axis=-1)
