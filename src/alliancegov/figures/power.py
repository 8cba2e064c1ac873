"""The power curves of ``make power`` (:mod:`alliancegov.power`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.figures.theme import FORM, format_shares, save_figures, themed_figure, wrap
from alliancegov.formatting import number_format
from alliancegov.messages import message, section

if TYPE_CHECKING:
    from matplotlib.figure import Figure


POWER_TARGET = 0.8


def power_effect_label(row: pd.Series, codebook: Codebook, language: str, outcome: str = FORM) -> str:
    """Readable label of one effect of the power table.

    Parameters
    ----------
    row : Series
        One row of the power table (``table, model, outcome, term, hypothesis``).
    codebook : Codebook
        Labels of the terms and of the outcome's answers.
    language : {"fr", "en"}
    outcome : str
        The choice model's outcome question.

    Returns
    -------
    str
        ``AME: term → P(form)`` for a ``choice_ame`` effect, ``term (model)`` for a
        ``misalignment`` one, else "all simulated checks" of the hypothesis.
    """
    if row["table"] == "choice_ame":
        return message("figures.power_ame", language, term=codebook.term_label(str(row["term"]), language),
                                                  outcome=codebook.answer_label(outcome, str(row["outcome"]), language))
    if row["table"] == "misalignment":
        term = section("figures.misalignment_terms", language).get(str(row["term"]), str(row["term"]))
        model = section("figures.misalignment_models", language).get(str(row["model"]), str(row["model"]))
        return f"{term} ({model})"
    return message("figures.power_all", language, hypothesis=row["hypothesis"])


def power_curves(table: pd.DataFrame, codebook: Codebook, language: str, *, target: float = POWER_TARGET,
                 alpha: float = 0.05, bootstrap_replicates: int | None = None, outcome: str = FORM) -> Figure:
    """Power against the number of firms, one panel per hypothesis and one curve per effect.

    Each curve has its Clopper–Pearson band; a dotted line marks the ``target`` power.

    Parameters
    ----------
    table : DataFrame
        :func:`alliancegov.power.summary.power_table`'s table (``n, hypothesis, table, model,
        outcome, term, power, conf_low, conf_high``; power as a share 0–1).
    codebook : Codebook
    language : {"fr", "en"}
    target : float
        The power aimed at (a share 0–1).
    alpha : float
        The detection rule's significance level, stated in the note.
    bootstrap_replicates : int, optional
        The misalignment test's bootstrap resamples per replicate (B), stated in the note (with
        the hypotheses it tests) when the table has misalignment effects.
    outcome : str
        The choice model's outcome question.

    Returns
    -------
    Figure
        The x axis is logarithmic with a tick at every simulated size; the "all checks" curve of
        a hypothesis is black and dashed. The note under the figure states the detection rule
        (``alpha``) and, with ``bootstrap_replicates``, the misalignment test's B.
    """
    import seaborn as sns
    from matplotlib.ticker import NullLocator

    hypotheses = list(dict.fromkeys(table["hypothesis"]))
    sizes = sorted(table["n"].unique())
    palette = sns.color_palette("colorblind")
    note = message("figures.power_note", language, alpha=number_format(language).general(alpha))
    bootstrapped = list(dict.fromkeys(table.loc[table["table"] == "misalignment", "hypothesis"].astype(str)))
    if bootstrap_replicates and bootstrapped:
        note += " " + message("figures.power_note_bootstrap", language, hypothesis=", ".join(bootstrapped),
                              b=bootstrap_replicates)
    with themed_figure(0.9 + 2.3 * len(hypotheses), nrows=len(hypotheses), ncols=1, sharex=True) as (figure, axes):
        for ax, hypothesis in zip(axes[:, 0], hypotheses):
            part = table[table["hypothesis"] == hypothesis]
            keys = list(dict.fromkeys(zip(part["table"], part["model"].fillna(""), part["outcome"].fillna(""),
                                          part["term"].fillna(""))))
            for i, key in enumerate(keys):
                curve = part[(part["table"] == key[0]) & (part["model"].fillna("") == key[1])
                             & (part["outcome"].fillna("") == key[2]) & (part["term"].fillna("") == key[3])]
                curve = curve.sort_values("n")
                joint = key[0] not in ("choice_ame", "misalignment")
                colour = "0.1" if joint else palette[i % len(palette)]
                ax.fill_between(curve["n"], curve["conf_low"], curve["conf_high"], color=colour, alpha=0.12,
                                linewidth=0)
                ax.plot(curve["n"], curve["power"], marker="o", markersize=3, linewidth=1.2, color=colour,
                        linestyle="--" if joint else "-",
                        label=wrap(power_effect_label(curve.iloc[0], codebook, language, outcome), 34))
            ax.axhline(target, color="0.3", linestyle=":", linewidth=1,
                       label=text_target(target, language))
            ax.set_xscale("log")
            ax.set_xticks(sizes, power_size_labels(sizes, language))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_ylim(0, 1.02)
            ax.set_title(str(hypothesis), loc="left")
            format_shares(ax.yaxis, language)
            ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
        axes[-1, 0].set_xlabel(message("figures.power_x", language))
        figure.suptitle(wrap(message("figures.power_title", language), 80))
        figure.supylabel(message("figures.power_y", language))
        figure.supxlabel(wrap(note, 110), color="0.3")
    return figure


def power_size_labels(sizes: list[int], language: str, min_ratio: float = 1.4) -> list[str]:
    """Tick labels of the sample sizes on a log axis.

    Every size is ticked, but a size closer than ``min_ratio`` to the next labelled larger one is
    left unlabelled so labels never overlap (the largest is always labelled).

    Parameters
    ----------
    sizes : list of int
        The simulated sample sizes.
    language : {"fr", "en"}
        Thousands are split by a narrow space in French.
    min_ratio : float
        Smallest ratio between two labelled sizes.

    Returns
    -------
    list of str
        One label per size, in increasing order of size; ``""`` for an unlabelled one.
    """
    labels, kept = [], None
    for n in sorted(sizes, reverse=True):
        show = kept is None or kept / n >= min_ratio
        kept = n if show else kept
        labels.append(number_format(language).count(n) if show else "")
    return labels[::-1]


def text_target(value: float, language: str) -> str:
    """The target-power line's legend entry (``0,8`` in French).

    Parameters
    ----------
    value : float
        The target power (a share 0–1).
    language : {"fr", "en"}

    Returns
    -------
    str
    """
    return message("figures.power_target", language, value=number_format(language).general(value))


def run(*, table: str, codebook: Sequence[str], outputs: dict[str, str], language: str, alpha: float,
        bootstrap_replicates: int) -> list[Path]:
    """The figures_power rule: the power curves of ``make power``.

    Parameters
    ----------
    table : str
        ``power.csv`` (:func:`alliancegov.power.summary.power_table`).
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        The PNG path of ``power_curves`` (the SVG and PDF are written beside it).
    language : {"fr", "en"}
    alpha : float
        The detection rule's significance level, stated under the figure.
    bootstrap_replicates : int
        The misalignment test's bootstrap resamples per replicate, stated under the figure.

    Returns
    -------
    list of Path
        The PNG file written.
    """
    book = Codebook.from_files(codebook)
    return save_figures({"power_curves": lambda: power_curves(pd.read_csv(table), book, language, alpha=alpha,
                                                              bootstrap_replicates=bootstrap_replicates)}, outputs)
