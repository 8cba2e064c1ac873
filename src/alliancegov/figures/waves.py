"""Figures of the survey waves.

Governance forms by wave and the alluvial diagram of the forms of re-interviewed firms from one
wave to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.figures.style import wrap_to
from alliancegov.figures.theme import (
    FORM,
    FigureStyle,
    form_colours,
    form_labels,
    form_markers,
    format_numbers,
    format_shares,
    place_form_legend,
    save_figures,
    themed_figure,
    with_count,
)
from alliancegov.formatting import number_format, wave_labels
from alliancegov.messages import message

if TYPE_CHECKING:
    from matplotlib.figure import Figure

POOLED = "all"  # the pooled rows of the panel tables (alliancegov.waves.panel)
ALLUVIAL_BAR_WIDTH = 0.14        # in wave spacings
ALLUVIAL_GAP_SHARE = 0.02        # white space between stacked forms, as a share of the tallest bar
ALLUVIAL_LABEL_SHARE = 0.035     # a thinner band (share of the tallest bar) has no room for its count
ALLUVIAL_BAND_ALPHA = 0.45
ALLUVIAL_CURVE_POINTS = 48
ALLUVIAL_LABEL_POINT = 2         # where along a band its count is written


def transitions_alluvial(counts: pd.DataFrame, codebook: Codebook, language: str, *,
                         totals: pd.DataFrame | None = None, outcome: str = FORM, minimum_cell: int = 5,
                         wave_names: dict[str, str] | None = None) -> Figure:
    """Alluvial plot of the governance forms of firms across consecutive waves.

    One stacked bar per wave, forms in codebook order from the top and in the package colours;
    between two consecutive waves one band per (from, to) pair of forms, as thick as its number
    of firms and coloured by the form they left. With ``totals`` each bar is every firm of its
    wave, so the part of a bar without a band is firms interviewed in one wave only; without it,
    the larger of the firms arriving and leaving. Waves keep the order of ``totals``, else of
    ``counts``.

    Parameters
    ----------
    counts : DataFrame
        As :func:`alliancegov.waves.panel.panel_transitions` writes ``transition_counts``
        (``from_wave, to_wave, from_state, to_state, n``; the pooled ``all`` rows are ignored).
    codebook : Codebook
        The forms, their order and labels.
    language : {"fr", "en"}
    totals : DataFrame, optional
        As the same function writes ``form_by_wave`` (``wave, state, n``).
    outcome : str
        The governance form variable.
    minimum_cell : int
        A band's count is written only when it reaches ``minimum_cell`` (and the band has room
        for it), so small cells are not disclosed by a label.
    wave_names : dict of str to str, optional
        Wave identifier → its label (its year) on the x axis.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If ``counts`` names forms outside the codebook's, there is no wave to draw, or
        transitions are not between consecutive waves.
    """
    from matplotlib.patches import Patch

    forms = codebook.answer_names(outcome)
    k = len(forms)
    by_wave = counts[counts["from_wave"].astype(str) != POOLED]
    unknown = sorted(map(str, (set(by_wave["from_state"]) | set(by_wave["to_state"])) - set(forms)))
    if unknown:
        raise ValueError(f"transition counts name forms outside the codebook's {outcome}: {unknown}")
    if totals is not None:
        waves = list(dict.fromkeys(totals["wave"]))
    else:
        waves = list(dict.fromkeys(np.ravel(by_wave[["from_wave", "to_wave"]].to_numpy())))
    if not waves:
        raise ValueError("no wave to draw: the transition counts are empty and no totals were given")
    position = {wave: i for i, wave in enumerate(waves)}
    flows = {}
    for (from_wave, to_wave), part in by_wave.groupby(["from_wave", "to_wave"], sort=False):
        if position.get(to_wave, -1) != position.get(from_wave, -2) + 1:
            raise ValueError(f"transitions {from_wave} → {to_wave} are not between consecutive waves of {waves}")
        matrix = (part.pivot_table(index="from_state", columns="to_state", values="n", aggfunc="sum")
                  .reindex(index=forms, columns=forms).fillna(0).to_numpy(float))
        flows[position[from_wave]] = matrix

    heights = np.zeros((len(waves), k))
    for step, matrix in flows.items():
        heights[step] = np.maximum(heights[step], matrix.sum(axis=1))
        heights[step + 1] = np.maximum(heights[step + 1], matrix.sum(axis=0))
    if totals is not None:
        given = (totals.assign(_wave=totals["wave"].map(position))
                 .pivot_table(index="_wave", columns="state", values="n", aggfunc="sum")
                 .reindex(index=range(len(waves)), columns=forms).fillna(0).to_numpy(float))
        heights = np.maximum(heights, given)
    tallest = max(heights.sum(axis=1).max(), 1.0)
    gap = ALLUVIAL_GAP_SHARE * tallest
    # Top of each form's segment, forms stacked from the top in codebook order with a gap between.
    stack_top = heights.sum(axis=1, keepdims=True) + gap * (k - 1)
    tops = stack_top - (np.cumsum(heights, axis=1) - heights) - gap * np.arange(k)
    colours = form_colours(codebook, outcome)
    labels = form_labels(codebook, language, outcome)
    half = ALLUVIAL_BAR_WIDTH / 2
    smooth = np.linspace(0, 1, ALLUVIAL_CURVE_POINTS)
    smooth = smooth * smooth * (3 - 2 * smooth)

    with themed_figure(4.4) as (figure, axes):
        ax = axes[0, 0]
        for j, form in enumerate(forms):
            ax.bar(np.arange(len(waves)), heights[:, j], bottom=tops[:, j] - heights[:, j], width=ALLUVIAL_BAR_WIDTH,
                   color=colours[form], edgecolor="white", linewidth=0.5)
        for step, matrix in flows.items():
            # Bands leave a segment in the order of the form they reach, and enter one in the order
            # of the form they left, so bands cross only where firms really changed form.
            source_tops = tops[step][:, None] - (np.cumsum(matrix, axis=1) - matrix)
            target_tops = tops[step + 1][None, :] - (np.cumsum(matrix, axis=0) - matrix)
            x = step + half + (1 - 2 * half) * np.linspace(0, 1, ALLUVIAL_CURVE_POINTS)
            for i, j in zip(*np.nonzero(matrix)):
                upper = source_tops[i, j] + (target_tops[i, j] - source_tops[i, j]) * smooth
                lower = upper - matrix[i, j]
                ax.fill(np.concatenate([x, x[::-1]]), np.concatenate([upper, lower[::-1]]), color=colours[forms[i]],
                        alpha=ALLUVIAL_BAND_ALPHA, linewidth=0)
                n = int(matrix[i, j])
                if n >= minimum_cell and matrix[i, j] >= ALLUVIAL_LABEL_SHARE * tallest:
                    # Next to the bar the bands of a segment are still stacked apart, whereas
                    # further on crossing bands would put their counts on top of each other.
                    ax.text(x[ALLUVIAL_LABEL_POINT], upper[ALLUVIAL_LABEL_POINT] - matrix[i, j] / 2,
                            number_format(language).count(n), ha="left", va="center", color="0.15")
        names = wave_names or {}
        ax.set_xticks(range(len(waves)),
                      [message("figures.wave", language, wave=names.get(str(wave), wave)) for wave in waves])
        ax.set_xlim(-0.3, len(waves) - 0.7)
        ax.set_ylim(0, tallest + gap * k)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(message("figures.alluvial_axis", language))
        note = "figures.alluvial_note" if totals is not None else "figures.alluvial_note_linked"
        ax.set_xlabel(wrap_to(message(note, language, minimum=minimum_cell)), color="0.3")
        format_numbers(ax.yaxis, language)
        figure.legend([Patch(color=colours[form]) for form in forms], [labels[form] for form in forms],
                      title=codebook.label(outcome, language), loc="outside lower center", ncols=2, frameon=False)
    return figure


def plot_form_shares_by_wave(shares: pd.DataFrame, codebook: Codebook, language: str, outcome: str = FORM,
                             wave_names: dict[str, str] | None = None) -> Figure:
    """Share of each governance form in each survey wave, with its interval.

    Parameters
    ----------
    shares : DataFrame
        :func:`alliancegov.waves.stage.form_shares_by_wave`'s table (``wave``, the ``outcome``
        column named after the variable, ``wave_n``, ``share``, ``conf_low``, ``conf_high``),
        waves in their survey order.
    codebook : Codebook
    language : {"fr", "en"}
    outcome : str
        The governance form variable.
    wave_names : dict of str to str, optional
        Wave identifier → its label (its year).

    Returns
    -------
    Figure
        Each form is a line across waves (its colour and marker), slightly dodged so that
        intervals do not overlap; waves are labelled with their year and number of firms; shares
        as percentages.
    """
    forms = form_labels(codebook, language, outcome)
    colours, markers = form_colours(codebook, outcome), form_markers(codebook, outcome)
    names = wave_names or {}
    waves = list(dict.fromkeys(shares["wave"]))
    sizes = shares.drop_duplicates("wave").set_index("wave")["wave_n"]
    present = [form for form in forms if form in set(shares[outcome])]
    offsets = np.linspace(-0.12, 0.12, len(present)) if len(present) > 1 else np.zeros(1)
    with themed_figure(4.2) as (figure, axes):
        ax = axes[0, 0]
        for offset, form in zip(offsets, present):
            rows = shares[shares[outcome] == form].set_index("wave").reindex(waves)
            x = np.arange(len(waves)) + offset
            ax.errorbar(x, rows["share"], yerr=[rows["share"] - rows["conf_low"], rows["conf_high"] - rows["share"]],
                        color=colours[form], marker=markers[form], capsize=2, label=forms[form])
        ax.set_xticks(np.arange(len(waves)), [with_count(message("figures.wave", language, wave=names.get(str(w), w)),
                                                         int(sizes[w]), language) for w in waves])
        ax.set(xlabel="", ylabel=message("figures.share_of_responses", language), ylim=(0, None))
        format_shares(ax.yaxis, language)
        ax.legend()
        place_form_legend(ax, codebook, language, outcome)
    return figure


def run(*, form_shares: str, codebook: Sequence[str], outputs: dict[str, str], language: str, outcome: str,
        minimum_cell: int, transition_counts: str | None = None, form_by_wave: str | None = None,
        waves: str | None = None, style: FigureStyle | dict | None = None) -> list[Path]:
    """The figures_waves rule: governance forms by wave and the alluvial diagram of the panel.

    Parameters
    ----------
    form_shares : str
        ``form_shares_by_wave.csv`` (shares with their intervals, small cells suppressed).
    transition_counts, form_by_wave : str, optional
        Parquet hand-overs of the waves stage (:func:`alliancegov.waves.panel.panel_transitions`'
        tables of the same names), unsuppressed: the alluvial draws every band but writes the count
        of a band only when it reaches ``minimum_cell``. Without a panel (no firm identifier)
        there are none, and no alluvial.
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        PNG paths of ``form_shares_by_wave`` and, with a panel, ``transitions_alluvial`` (SVG and PDF
        beside them): the figures drawn.
    language : {"fr", "en"}
    outcome : str
        The governance form variable.
    minimum_cell : int
        The disclosure minimum.
    waves : str, optional
        The waves sheet: waves are named by their year (:func:`alliancegov.formatting.wave_labels`).
    style : FigureStyle or dict, optional
        The figures' width and font size (the config's ``figures.width_cm`` and ``font_size_pt``).

    Returns
    -------
    list of Path
        The PNG files written.
    """
    book = Codebook.from_files(codebook)
    names = wave_labels(pd.read_csv(waves, sep="\t", dtype=str, keep_default_na=False)) if waves else {}
    draw = {
        "form_shares_by_wave": lambda: plot_form_shares_by_wave(pd.read_csv(form_shares), book, language, outcome,
                                                                names),
        "transitions_alluvial": lambda: transitions_alluvial(
            pd.read_parquet(transition_counts), book, language, totals=pd.read_parquet(form_by_wave), outcome=outcome,
            minimum_cell=minimum_cell, wave_names=names),
    }
    return save_figures({stem: figure for stem, figure in draw.items() if stem in outputs}, outputs, style)
