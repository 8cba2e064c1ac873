"""The answers to the scale items as diverging stacked bars (a figure of the data alone, drawn by
the ``figures_descriptive`` rule)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.figures.style import wrap_to
from alliancegov.figures.theme import themed_figure, with_count, wrap
from alliancegov.messages import message

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# ColorBrewer RdBu ends (colour-blind safe) with a grey neutral, disagree red → agree blue.
LIKERT_PALETTE = "RdBu"
LIKERT_NEUTRAL_COLOUR = (0.8, 0.8, 0.8)
LIKERT_ITEM_LABEL_CHARS = 34


def plot_likert_diverging(answers: pd.DataFrame, codebook: Codebook, language: str, scales: list[str]) -> Figure:
    """Diverging stacked bars of the answers to every item of ``scales``, one panel per scale.

    Parameters
    ----------
    answers : DataFrame
        :func:`alliancegov.descriptives.likert_item_table`'s rows (``scale, item, code, n, share,
        n_valid``): the answers as given, before reverse coding, which the figure note states.
    codebook : Codebook
        Labels of the items, the scales and the answers of the items' value set.
    language : {"fr", "en"}
    scales : list of str
        The scales drawn, one panel each, in this order.

    Returns
    -------
    Figure
        Each bar gives the shares of the valid answers of one item (missing left out); the
        neutral answer is centred on 0, disagreement to the left, agreement to the right. Items
        are labelled by their codebook label (wrapped, reverse-coded ones marked) with their
        number of valid answers.

    Raises
    ------
    ValueError
        If ``answers`` has no rows for an item of ``scales``.
    """
    import seaborn as sns
    from matplotlib.ticker import FuncFormatter

    items = {scale: codebook.items(scale) for scale in scales}
    names = [name for rows in items.values() for name in rows["name"]]
    drawn = answers[answers["item"].isin(names)]
    missing = sorted(set(names) - set(drawn["item"]))
    if missing:
        raise ValueError(f"the item table has no rows for items {missing}")
    choices = codebook.choices(codebook.variables.at[names[0], "list_name"])
    codes = choices["code"].tolist()
    shares = drawn.pivot(index="item", columns="code", values="share").reindex(index=names, columns=codes)
    shares["n"] = drawn.groupby("item")["n_valid"].first().reindex(names)

    middle = len(codes) // 2
    neutral = codes[middle] if len(codes) % 2 else None
    half_neutral_all = shares[neutral] / 2 if neutral is not None else 0.0
    extent = max((shares[codes[:middle]].sum(axis=1) + half_neutral_all).max(),
                 (shares[codes[len(codes) - middle:]].sum(axis=1) + half_neutral_all).max())
    # Symmetric axis to the next quarter above the longest side (at most 100 %).
    reach = min(1.0, np.ceil(np.nan_to_num(extent, nan=1.0) * 4 + 1e-9) / 4)
    colours = dict(zip(codes, sns.color_palette(LIKERT_PALETTE, len(codes)), strict=True))
    if neutral is not None:
        colours[neutral] = LIKERT_NEUTRAL_COLOUR
    answer_labels = dict(zip(codes, choices[f"label_{language}"], strict=True))
    mark = message("figures.reverse_mark", language)

    heights = [len(rows) for rows in items.values()]
    with themed_figure(
        1.8 + 0.45 * sum(heights) + 0.35 * len(scales), nrows=len(scales), sharex=True, height_ratios=heights,
    ) as (figure, axes):
        for ax, (scale, rows) in zip(axes[:, 0], items.items(), strict=True):
            part = shares.loc[rows["name"]]
            positions = np.arange(len(part))[::-1]
            half_neutral = part[neutral] / 2 if neutral is not None else 0.0
            left = -half_neutral
            for code in reversed(codes[:middle]):          # towards the left, mildest first
                left = left - part[code]
                ax.barh(positions, part[code], left=left, color=colours[code], label=answer_labels[code],
                        height=0.7, edgecolor="white", linewidth=0.5)
            if neutral is not None:
                ax.barh(positions, part[neutral], left=-half_neutral, color=colours[neutral],
                        label=answer_labels[neutral], height=0.7, edgecolor="white", linewidth=0.5)
            right = half_neutral
            for code in codes[len(codes) - middle:]:        # towards the right, mildest first
                ax.barh(positions, part[code], left=right, color=colours[code], label=answer_labels[code],
                        height=0.7, edgecolor="white", linewidth=0.5)
                right = right + part[code]
            labels = [
                with_count(codebook.label(name, language) + (f" {mark}" if reverse else ""),
                           int(part.at[name, "n"]), language, LIKERT_ITEM_LABEL_CHARS)
                for name, reverse in zip(rows["name"], rows["reverse"], strict=True)
            ]
            ax.set_yticks(positions, labels)
            ax.set_ylim(-0.6, len(part) - 0.4)
            ax.axvline(0, color="0.3", linewidth=0.8)
            ax.set_title(codebook.label(scale, language), loc="left")
            ax.grid(axis="y", visible=False)
        unit = "\u202f%" if language == "fr" else "%"
        axes[-1, 0].xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(100 * value):.0f}{unit}"))
        axes[-1, 0].set_xlim(-reach, reach)
        axes[-1, 0].set_xlabel(message("figures.likert_axis", language))
        # The note sits under the axis label (part of the axes, so the layout makes room for it).
        axes[-1, 0].annotate(
            wrap_to(message("figures.likert_note", language, mark=mark)), xy=(0.5, 0), xycoords=axes[-1, 0].xaxis.label,
            xytext=(0, -4), textcoords="offset points", ha="center", va="top", color="0.3",
        )
        handles, labels = axes[0, 0].get_legend_handles_labels()
        order = [labels.index(answer_labels[code]) for code in codes]
        # The key reads left to right like the bars.
        figure.legend([handles[i] for i in order], [wrap(labels[i], 16) for i in order],
                      loc="outside lower center", ncols=len(codes), frameon=False)
    return figure
