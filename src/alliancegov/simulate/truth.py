"""The simulator's true parameters (``truth.yaml`` beside this module) and the true models they
define: the multinomial logit of the governance form and the Markov matrix of re-interviewed firms.
"""

from __future__ import annotations

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
