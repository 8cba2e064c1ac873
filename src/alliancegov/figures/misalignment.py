"""Figures of the misalignment stage: the misalignment measures' coefficients and the performance
forgone, and the overlap of the forms' propensities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.figures.theme import (
    FORM,
    form_colours,
    form_labels,
    format_numbers,
    format_shares,
    themed_figure,
    wrap,
)
from alliancegov.messages import message, section

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _point_ranges(ax: Axes, rows: pd.DataFrame, labels: list[str], language: str) -> None:
    positions = np.arange(len(rows))[::-1]
    ax.errorbar(rows["estimate"], positions, xerr=[rows["estimate"] - rows["conf_low"],
                                                   rows["conf_high"] - rows["estimate"]],
                fmt="o", markersize=4, capsize=2, linewidth=1, color="0.2")
    ax.axvline(0, color="0.3", linestyle="--", linewidth=0.8)
    ax.set_yticks(positions, labels)
    format_numbers(ax.xaxis, language)


def plot_misalignment(misalignment: pd.DataFrame, counterfactual: pd.DataFrame | None, language: str) -> Figure:
    """The misalignment measures' coefficients, and the performance forgone in each switching model.

    Parameters
    ----------
    misalignment : DataFrame
        ``misalignment.csv`` (``model, term, estimate, conf_low, conf_high``): its misalignment
        terms are drawn, one row per model and term.
    counterfactual : DataFrame or None
        ``misalignment_counterfactual.csv``: its ``mean_gap`` over every firm (form ``all``), one
        row per model; None without switching regressions (``misalignment.switching``).
    language : {"fr", "en"}

    Returns
    -------
    Figure
        Two panels: the coefficients (index units per unit of the measure), the gaps (index units);
        the first alone without ``counterfactual``.
    """
    terms = section("figures.misalignment_terms", language)
    models = section("figures.misalignment_models", language)
    measures = misalignment[misalignment["term"].isin(list(terms))].reset_index(drop=True)
    gaps = (counterfactual[(counterfactual["form"] == "all") & (counterfactual["term"] == "mean_gap")]
            if counterfactual is not None else pd.DataFrame()).reset_index(drop=True)
    heights = [max(len(measures), 1), *([max(len(gaps), 1)] if counterfactual is not None else [])]
    with themed_figure(1.6 + 0.38 * sum(heights), nrows=len(heights),
                       gridspec_kw={"height_ratios": heights}) as (figure, axes):
        _point_ranges(axes[0, 0], measures, [f"{terms[t]} ({models.get(m, m)})"
                                             for m, t in zip(measures["model"], measures["term"])], language)
        axes[0, 0].set_xlabel(wrap(message("figures.misalignment_axis", language), 60))
        if counterfactual is not None:
            _point_ranges(axes[1, 0], gaps, [models.get(m, m) for m in gaps["model"]], language)
            axes[1, 0].set_xlabel(wrap(message("figures.misalignment_gap_axis", language), 60))
    return figure


def plot_form_overlap(overlap: pd.DataFrame, codebook: Codebook, language: str, trim: float | None = None,
                      outcome: str = FORM) -> Figure:
    """Each form's propensity among the firms of each form: quantile boxes, one panel per form.

    Parameters
    ----------
    overlap : DataFrame
        ``form_overlap.csv``: ``propensity_of, received, q5, q25, q50, q75, q95``.
    codebook : Codebook
        The forms' labels and colours.
    language : {"fr", "en"}
    trim : float, optional
        The trimming threshold, drawn as a dashed line.
    outcome : str
        The forms' question.

    Returns
    -------
    Figure
        One panel per ``propensity_of`` form; in each, a row per received form: a thin line from the
        5th to the 95th percentile, a thick bar from the 25th to the 75th, a dot at the median.
    """
    names = form_labels(codebook, language, outcome)
    colours = form_colours(codebook, outcome)
    forms = [f for f in names if f in set(overlap["propensity_of"])]
    with themed_figure(1.2 + 0.45 * len(forms) ** 2, nrows=len(forms), sharex=True) as (figure, axes):
        for ax, of in zip(axes[:, 0], forms):
            rows = overlap[overlap["propensity_of"] == of].set_index("received").reindex(forms)
            positions = np.arange(len(forms))[::-1]
            for y, received in zip(positions, forms):
                row, colour = rows.loc[received], colours[received]
                ax.plot([row["q5"], row["q95"]], [y, y], color=colour, linewidth=1)
                ax.plot([row["q25"], row["q75"]], [y, y], color=colour, linewidth=5, solid_capstyle="butt")
                ax.plot(row["q50"], y, "o", color="white", markeredgecolor=colour, markersize=4)
            if trim:
                ax.axvline(trim, color="0.3", linestyle="--", linewidth=0.8)
            ax.set_yticks(positions, [wrap(names[f], 24) for f in forms])
            ax.set_title(message("figures.overlap_panel", language, form=names[of]), loc="left")
            format_shares(ax.xaxis, language)
        axes[-1, 0].set_xlim(0, 1)
        axes[-1, 0].set_xlabel(message("figures.overlap_axis", language))
    return figure
