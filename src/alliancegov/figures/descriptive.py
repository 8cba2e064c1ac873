"""Figures of the data alone.

Governance forms by group, construct scores, the sample flow and scale reliability; the answers
to the scale items in :mod:`~alliancegov.figures.likert`. The rule's ``run`` draws them all.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.validation import codebook_categorical
from alliancegov.figures.likert import plot_likert_diverging
from alliancegov.figures.style import wrap_to
from alliancegov.figures.theme import (
    FORM,
    FigureStyle,
    form_label_palette,
    form_labels,
    format_numbers,
    format_shares,
    place_form_legend,
    save_figures,
    themed_figure,
    with_count,
)
from alliancegov.formatting import number_format, wave_labels
from alliancegov.frame_columns import named_in, read_frame
from alliancegov.messages import message
from alliancegov.messages.labels import Labeller

if TYPE_CHECKING:
    from matplotlib.figure import Figure


SAMPLE_FLOW_STEPS = ("received", "excluded", "analysed")
RELIABILITY_COLOURS = {"alpha": "0.15", "omega": "0.5"}   # greys: the markers tell them apart too
RELIABILITY_THRESHOLD = 0.7
POOLED_WAVE = "all"
LINE_SPACING = 1.25        # a text line of the flow diagram, in font sizes
BOX_PAD = 0.5              # the boxes' padding, in font sizes
MAIN_COLUMN = 0.27         # centre of the received and analysed boxes, as a share of the width
SIDE_COLUMN = 0.56         # left edge of the exclusions' box


def plot_form_by_sector(shares: pd.DataFrame, codebook: Codebook, language: str, outcome: str = FORM,
                        group: str = "sector") -> Figure:
    """Bar chart of the share of each outcome answer (governance form) within each group (sector).

    Parameters
    ----------
    shares : DataFrame
        ``form_by_sector.csv``: :func:`alliancegov.descriptives.form_by_sector_table`'s layout: one
        row per group × outcome answer with columns ``group``, ``outcome`` (named after the
        variables) and ``share``; a share suppressed for disclosure (missing) draws no bar.
    codebook : Codebook
        Labels of the variables and their answers.
    language : {"fr", "en"}
    outcome, group : str
        The variables of the bars' colours and of the x axis.

    Returns
    -------
    Figure
        Shares as percentages on the y axis, the outcome legend under the figure; no title (the
        report's caption gives it).
    """
    import seaborn as sns

    shares = shares.astype({group: str, outcome: str})
    forms = form_labels(codebook, language, outcome)
    sectors = {name: codebook.answer_label(group, name, language) for name in codebook.answer_names(group)}
    shares["sector_label"] = shares[group].map(sectors)
    shares["form_label"] = shares[outcome].map(forms)
    with themed_figure(4.2) as (figure, axes):
        ax = axes[0, 0]
        sns.barplot(
            data=shares, x="sector_label", y="share", hue="form_label", order=list(sectors.values()),
            hue_order=list(forms.values()), palette=form_label_palette(codebook, language, outcome), saturation=1,
            ax=ax,
        )
        ax.set(xlabel=codebook.label(group, language), ylabel=message("figures.share_of_responses", language))
        format_shares(ax.yaxis, language)
        place_form_legend(ax, codebook, language, outcome)
    return figure


def plot_construct_scores(analysis: pd.DataFrame, codebook: Codebook, language: str, scales: list[str],
                          outcome: str = FORM) -> Figure:
    """Box plots of each scale score in ``scales`` by governance form.

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame with the ``outcome`` column and one numeric column per scale name in
        ``scales`` (missing scores are left out of that scale's boxes).
    codebook : Codebook
        Labels of the scales and of the forms.
    language : {"fr", "en"}
    scales : list of str
        The scales drawn, in this order along the x axis.
    outcome : str
        The governance form variable.

    Returns
    -------
    Figure
    """
    import seaborn as sns

    forms = form_labels(codebook, language, outcome)
    scale_labels = {scale: wrap_to(codebook.label(scale, language), 0.9 / max(len(scales), 1)) for scale in scales}
    scores = (
        analysis.assign(form_label=codebook_categorical(analysis[outcome], codebook, outcome).map(forms))
        .melt(id_vars="form_label", value_vars=scales, var_name="scale", value_name="score")
        .dropna(subset=["form_label", "score"])
    )
    scores["scale_label"] = scores["scale"].map(scale_labels)
    with themed_figure(3.8) as (figure, axes), warnings.catch_warnings():
        # seaborn 0.13.2 still passes bxp(vert=...), deprecated in matplotlib 3.11; nothing to fix on our side.
        warnings.filterwarnings("ignore", message="vert: bool was deprecated", category=DeprecationWarning)
        ax = axes[0, 0]
        sns.boxplot(
            data=scores, x="scale_label", y="score", hue="form_label",
            order=list(scale_labels.values()), hue_order=list(forms.values()),
            palette=form_label_palette(codebook, language, outcome), saturation=1, fliersize=2, linewidth=0.8, ax=ax,
        )
        ax.set(xlabel="", ylabel=message("figures.score", language))
        format_numbers(ax.yaxis, language)
        place_form_legend(ax, codebook, language, outcome)
    return figure


def sample_flow_boxes(sample_flow: pd.DataFrame, language: str, waves: dict[str, str] | None = None,
                      labeller: Labeller | None = None) -> dict[str, list[str]]:
    """The text of the sample-flow diagram's boxes: received, excluded (by reason), analysed.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n`` with step in received / excluded / analysed and a reason on
        excluded rows; the pooled rows (wave ``all``) give the totals, or the waves' sums without them.
    language : {"fr", "en"}
        Language of the words.
    waves : dict of str to str, optional
        Wave identifier → its label (its year).
    labeller : Labeller, optional
        Names of the exclusion rules (the message catalogue's); without it, as written.

    Returns
    -------
    dict of str to list of str
        ``received``, ``excluded`` and ``analysed``: each box's lines, the first with the total
        (``"Responses received (n = 909)"``), then the waves' counts on one line; the excluded box
        lists the reasons that excluded at least one response, in the order of the rules.

    Raises
    ------
    ValueError
        If a step is not one of :data:`SAMPLE_FLOW_STEPS`.
    """
    unknown = sorted(set(sample_flow["step"].astype(str)) - set(SAMPLE_FLOW_STEPS))
    if unknown:
        raise ValueError(f"sample_flow steps must be among {SAMPLE_FLOW_STEPS}, not {unknown}")
    numbers, waves = number_format(language), waves or {}
    flow = sample_flow.assign(wave=sample_flow["wave"].astype(str), reason=sample_flow["reason"].fillna("").astype(str))
    by_wave = flow[flow["wave"] != POOLED_WAVE]
    pooled = flow[flow["wave"] == POOLED_WAVE] if (flow["wave"] == POOLED_WAVE).any() else by_wave
    separator = message("figures.level_separator", language).replace(" ", "\u00a0")   # a count stays with its label
    boxes = {}
    for step in SAMPLE_FLOW_STEPS:
        rows = pooled[pooled["step"] == step]
        total = int(rows["n"].sum())
        lines = [message("figures.group_size", language, label=message(f"report.steps.{step}", language),
                         n=numbers.count(total))]
        if step == "excluded":
            reasons = rows.groupby("reason", sort=False)["n"].sum()
            lines += [f"{labeller.value(reason) if labeller else reason}{separator}{numbers.count(int(n))}"
                      for reason, n in reasons.items() if n > 0]
        else:
            counts = by_wave[by_wave["step"] == step].groupby("wave", sort=False)["n"].sum()
            lines.append(" · ".join(f"{waves.get(wave, wave)}{separator}{numbers.count(int(n))}"
                                    for wave, n in counts.items()))
        boxes[step] = lines
    return boxes


def plot_sample_flow(sample_flow: pd.DataFrame, language: str, waves: dict[str, str] | None = None,
                     labeller: Labeller | None = None) -> Figure:
    """A CONSORT-style flow diagram: responses received, excluded by reason, analysed.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n`` (see :func:`sample_flow_boxes`).
    language : {"fr", "en"}
    waves : dict of str to str, optional
        Wave identifier → its label (its year).
    labeller : Labeller, optional
        Names of the exclusion rules.

    Returns
    -------
    Figure
        Black boxes on white joined by arrows: received, then analysed below it, the exclusions'
        box to the side; every text in the figure's one font size.
    """
    boxes = sample_flow_boxes(sample_flow, language, waves, labeller)
    main = {step: [wrap_to(line, 0.46) for line in boxes[step]] for step in ("received", "analysed")}
    side = [wrap_to(line, 0.42) for line in boxes["excluded"]]
    height = {step: sum(line.count("\n") + 1 for line in lines) for step, lines in (*main.items(), ("excluded", side))}
    pad = 2 * BOX_PAD / LINE_SPACING        # a box's padding, in lines, both sides
    gap = 1.2
    total = height["received"] + height["excluded"] + height["analysed"] + 3 * pad + 2 * gap
    with themed_figure(0.2 + total * LINE_SPACING * 8 / 72) as (figure, axes):
        ax = axes[0, 0]
        ax.set_axis_off()
        ax.set(xlim=(0, 1), ylim=(0, total))
        box = {"boxstyle": f"square,pad={BOX_PAD}", "facecolor": "white", "edgecolor": "0.1", "linewidth": 0.8}
        tops = {"received": total - pad / 2,
                "excluded": total - height["received"] - 1.5 * pad - gap,
                "analysed": height["analysed"] + pad / 2}
        ax.text(MAIN_COLUMN, tops["received"], "\n".join(main["received"]), ha="center", va="top", bbox=box,
                linespacing=LINE_SPACING)
        ax.text(MAIN_COLUMN, tops["analysed"], "\n".join(main["analysed"]), ha="center", va="top", bbox=box,
                linespacing=LINE_SPACING)
        ax.text(SIDE_COLUMN, tops["excluded"], "\n".join(side), ha="left", va="top", bbox=box,
                linespacing=LINE_SPACING)
        arrow = {"arrowstyle": "-|>", "color": "0.1", "linewidth": 0.8, "shrinkA": 0, "shrinkB": 0}
        start, end = tops["received"] - height["received"] - pad / 2, tops["analysed"] + pad / 2
        ax.annotate("", xy=(MAIN_COLUMN, end), xytext=(MAIN_COLUMN, start), arrowprops=arrow)
        branch = tops["excluded"] - height["excluded"] / 2
        ax.annotate("", xy=(SIDE_COLUMN - 0.012, branch), xytext=(MAIN_COLUMN, branch), arrowprops=arrow)
    return figure


def plot_reliability(reliability: pd.DataFrame, codebook: Codebook, language: str) -> Figure:
    """Cronbach's alpha with its confidence interval and McDonald's omega per scale, pooled waves.

    Parameters
    ----------
    reliability : DataFrame
        The reliability table (``scale, wave, n_complete, alpha, alpha_conf_low,
        alpha_conf_high, omega``, see :func:`alliancegov.constructs.reliability.reliability_table`); only the
        pooled rows (wave ``all``) are drawn.
    codebook : Codebook
        The scales' order and labels.
    language : {"fr", "en"}

    Returns
    -------
    Figure
        Scales in codebook order (then any other scale of the table), top to bottom, each
        labelled with its number of complete responses. A dashed line marks the usual 0.7.

    Raises
    ------
    ValueError
        If ``reliability`` has no pooled rows.
    """

    pooled = reliability[reliability["wave"].astype(str) == POOLED_WAVE].set_index("scale")
    scales = [scale for scale in codebook.scales["scale"] if scale in pooled.index]
    scales += [scale for scale in pooled.index if scale not in scales]
    if not scales:
        raise ValueError(f"reliability has no pooled rows (wave {POOLED_WAVE!r})")
    rows = pooled.loc[scales]
    positions = np.arange(len(scales))[::-1]
    with themed_figure(1.3 + 0.36 * len(scales)) as (figure, axes):
        ax = axes[0, 0]
        threshold = message("figures.reliability_threshold", language,
                         value=number_format(language).general(RELIABILITY_THRESHOLD))
        ax.axvline(RELIABILITY_THRESHOLD, color="0.3", linestyle="--", linewidth=0.8, label=threshold)
        ax.errorbar(
            rows["alpha"], positions + 0.12,
            xerr=[rows["alpha"] - rows["alpha_conf_low"], rows["alpha_conf_high"] - rows["alpha"]],
            fmt="o", markersize=4, capsize=2, linewidth=1, color=RELIABILITY_COLOURS["alpha"],
            label=message("figures.alpha_with_ci", language, level=95),
        )
        ax.plot(rows["omega"], positions - 0.12, "D", markersize=4, linestyle="none",
                color=RELIABILITY_COLOURS["omega"], label=message("figures.omega", language))
        labels = [
            with_count(codebook.label(scale, language), int(row.n_complete), language, 34)
            for scale, row in zip(scales, rows.itertuples(), strict=True)
        ]
        ax.set_yticks(positions, labels)
        ax.set_ylim(-0.6, len(scales) - 0.4)
        low = np.nanmin(rows[["alpha_conf_low", "omega", "alpha"]].to_numpy(float))
        ax.set_xlim(min(0.5, np.floor(low * 10) / 10), 1.0)
        ax.set_xlabel(message("figures.reliability_axis", language))
        format_numbers(ax.xaxis, language)
        handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
        keys = [message("figures.alpha_with_ci", language, level=95), message("figures.omega", language),
                threshold]
        figure.legend([handles[key] for key in keys], keys, loc="outside lower center", ncols=3, frameon=False)
    return figure




def run(*, analysis: str, form_by_sector: str, sample_flow: str, codebook: Sequence[str], outputs: dict[str, str],
        language: str, outcome: str, group: str, scales: Sequence[str], likert_scales: Sequence[str],
        reliability: str | None = None, likert_items: str | None = None, waves: str | None = None,
        style: FigureStyle | dict | None = None) -> list[Path]:
    """The figures_descriptive rule: the figures of the data alone, in one language.

    They are drawn as soon as the responses are scored, beside the models.

    Parameters
    ----------
    analysis : str
        Parquet file of the analysis frame (the scale scores of the box plots).
    form_by_sector, sample_flow : str
        The descriptives stage's form-by-group table and the pooled sample flow (CSV).
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        PNG path of each figure by stem (the SVG and PDF are written beside it).
    language : {"fr", "en"}
    outcome, group : str
        The variables of the outcome-by-group bars.
    scales : sequence of str
        Scales of the construct-score boxes and the reliability figure (none: neither is drawn).
    likert_scales : sequence of str
        Scales whose items' answers are drawn (none: no Likert figure).
    reliability, likert_items : str, optional
        The constructs stage's reliability table and the descriptives stage's item table (CSV),
        needed when ``scales`` and ``likert_scales`` are given.
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
    labeller = Labeller(book, language, outcome, names)
    draw = {
        "form_by_sector": lambda: plot_form_by_sector(pd.read_csv(form_by_sector), book, language, outcome, group),
        "construct_scores": lambda: plot_construct_scores(read_frame(analysis, named_in(list(scales), outcome)), book,
                                                          language, list(scales), outcome),
        "sample_flow": lambda: plot_sample_flow(pd.read_csv(sample_flow, keep_default_na=False), language, names,
                                                labeller),
        "reliability": lambda: plot_reliability(pd.read_csv(reliability), book, language),
        "likert_items": lambda: plot_likert_diverging(pd.read_csv(likert_items), book, language, list(likert_scales)),
    }
    if not scales:
        del draw["construct_scores"], draw["reliability"]
    if not likert_scales:
        del draw["likert_items"]
    return save_figures(draw, outputs, style)
