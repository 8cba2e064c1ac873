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
from alliancegov.figures.theme import (
    FORM,
    form_label_palette,
    form_labels,
    format_numbers,
    format_shares,
    place_form_legend,
    save_figures,
    themed_figure,
    with_count,
    wrap,
)
from alliancegov.figures.wording import text
from alliancegov.formatting import number_format

if TYPE_CHECKING:
    from matplotlib.figure import Figure


SAMPLE_FLOW_STEPS = ("received", "excluded", "analysed")
# Indices in the colorblind palette; the first four are taken by the governance forms.
SAMPLE_FLOW_COLOURS = {"received": 7, "excluded": 5, "analysed": 2}
RELIABILITY_COLOURS = {"alpha": 4, "omega": 5}
RELIABILITY_THRESHOLD = 0.7
POOLED_WAVE = "all"


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
        Shares as percentages on the y axis, the outcome legend under the figure.
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
        ax.set(xlabel=codebook.label(group, language), ylabel=text("share_of_responses", language))
        ax.set_title(text("outcome_by_group_title", language, outcome=codebook.label(outcome, language),
                          group=codebook.label(group, language)))
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
    scale_labels = {scale: wrap(codebook.label(scale, language), 18) for scale in scales}
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
        ax.set(xlabel="", ylabel=text("score", language))
        ax.set_title(text("construct_scores_title", language, outcome=codebook.label(outcome, language)))
        format_numbers(ax.yaxis, language)
        place_form_legend(ax, codebook, language, outcome)
    return figure


def sample_flow_bars(sample_flow: pd.DataFrame, language: str) -> pd.DataFrame:
    """Bars of the sample-flow figure: ``wave, step, label, n`` in plotting order.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n`` with step in received / excluded / analysed and a reason on
        excluded rows only.
    language : {"fr", "en"}
        Language of the labels.

    Returns
    -------
    DataFrame
        Columns ``wave, step, label, n``, index reset. Waves keep their order of appearance;
        within a wave come the received bar, one bar per exclusion reason (as listed), then
        analysed.

    Raises
    ------
    ValueError
        If a step is not one of :data:`SAMPLE_FLOW_STEPS`.
    """
    flow = sample_flow.assign(
        reason=sample_flow["reason"].fillna("").astype(str),
        step_rank=sample_flow["step"].map({step: rank for rank, step in enumerate(SAMPLE_FLOW_STEPS)}),
        wave_rank=sample_flow["wave"].map({wave: rank for rank, wave in enumerate(pd.unique(sample_flow["wave"]))}),
    )
    if flow["step_rank"].isna().any():
        raise ValueError(f"sample_flow steps must be among {SAMPLE_FLOW_STEPS}")
    flow["label"] = [
        text(step, language, reason=reason) for step, reason in zip(flow["step"], flow["reason"], strict=True)
    ]
    ordered = flow.sort_values(["wave_rank", "step_rank"], kind="stable")
    return ordered[["wave", "step", "label", "n"]].reset_index(drop=True)


def plot_sample_flow(sample_flow: pd.DataFrame, language: str) -> Figure:
    """Horizontal bars per wave: responses received, excluded for each reason, analysed.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n`` as described in :func:`sample_flow_bars`.
    language : {"fr", "en"}

    Returns
    -------
    Figure
        One panel per wave, sharing the x axis (responses); each bar labelled with its count.
    """
    import seaborn as sns

    bars = sample_flow_bars(sample_flow, language)
    waves = list(pd.unique(bars["wave"]))
    palette = sns.color_palette("colorblind")
    tallest_wave = bars.groupby("wave", sort=False).size().max()
    with themed_figure(0.8 + 0.3 * tallest_wave * len(waves), nrows=len(waves), sharex=True) as (figure, axes):
        for ax, wave in zip(axes[:, 0], waves, strict=True):
            rows = bars[bars["wave"] == wave]
            positions = np.arange(len(rows))[::-1]
            container = ax.barh(
                positions, rows["n"], color=[palette[SAMPLE_FLOW_COLOURS[step]] for step in rows["step"]]
            )
            ax.bar_label(container, labels=[str(int(n)) for n in rows["n"]], padding=2, fontsize="small")
            ax.set_yticks(positions, [wrap(label, 40) for label in rows["label"]])
            ax.set_title(text("wave", language, wave=wave), loc="left")
            ax.margins(x=0.12)
        axes[-1, 0].set_xlabel(text("responses", language))
        figure.suptitle(text("sample_flow_title", language))
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
    import seaborn as sns

    pooled = reliability[reliability["wave"].astype(str) == POOLED_WAVE].set_index("scale")
    scales = [scale for scale in codebook.scales["scale"] if scale in pooled.index]
    scales += [scale for scale in pooled.index if scale not in scales]
    if not scales:
        raise ValueError(f"reliability has no pooled rows (wave {POOLED_WAVE!r})")
    rows = pooled.loc[scales]
    palette = sns.color_palette("colorblind")
    positions = np.arange(len(scales))[::-1]
    with themed_figure(1.3 + 0.36 * len(scales)) as (figure, axes):
        ax = axes[0, 0]
        threshold = text("reliability_threshold", language,
                         value=number_format(language).general(RELIABILITY_THRESHOLD))
        ax.axvline(RELIABILITY_THRESHOLD, color="0.3", linestyle="--", linewidth=0.8, label=threshold)
        ax.errorbar(
            rows["alpha"], positions + 0.12,
            xerr=[rows["alpha"] - rows["alpha_conf_low"], rows["alpha_conf_high"] - rows["alpha"]],
            fmt="o", markersize=4, capsize=2, linewidth=1, color=palette[RELIABILITY_COLOURS["alpha"]],
            label=text("alpha_with_ci", language, level=95),
        )
        ax.plot(rows["omega"], positions - 0.12, "D", markersize=4, linestyle="none",
                color=palette[RELIABILITY_COLOURS["omega"]], label=text("omega", language))
        labels = [
            with_count(codebook.label(scale, language), int(row.n_complete), language, 34)
            for scale, row in zip(scales, rows.itertuples(), strict=True)
        ]
        ax.set_yticks(positions, labels)
        ax.set_ylim(-0.6, len(scales) - 0.4)
        low = np.nanmin(rows[["alpha_conf_low", "omega", "alpha"]].to_numpy(float))
        ax.set_xlim(min(0.5, np.floor(low * 10) / 10), 1.0)
        ax.set_xlabel(text("reliability_axis", language))
        ax.set_title(text("reliability_title", language))
        format_numbers(ax.xaxis, language)
        handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
        keys = [text("alpha_with_ci", language, level=95), text("omega", language),
                threshold]
        figure.legend([handles[key] for key in keys], keys, loc="outside lower center", ncols=3, frameon=False)
    return figure




def run(*, analysis: str, form_by_sector: str, sample_flow: str, codebook: Sequence[str], outputs: dict[str, str],
        language: str, outcome: str, group: str, scales: Sequence[str], likert_scales: Sequence[str],
        reliability: str | None = None, likert_items: str | None = None) -> list[Path]:
    """The figures_descriptive rule: the figures of the data alone.

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

    Returns
    -------
    list of Path
        The PNG files written.
    """
    book = Codebook.from_files(codebook)
    draw = {
        "form_by_sector": lambda: plot_form_by_sector(pd.read_csv(form_by_sector), book, language, outcome, group),
        "construct_scores": lambda: plot_construct_scores(pd.read_parquet(analysis), book, language, list(scales),
                                                          outcome),
        "sample_flow": lambda: plot_sample_flow(pd.read_csv(sample_flow, keep_default_na=False), language),
        "reliability": lambda: plot_reliability(pd.read_csv(reliability), book, language),
        "likert_items": lambda: plot_likert_diverging(pd.read_csv(likert_items), book, language, list(likert_scales)),
    }
    if not scales:
        del draw["construct_scores"], draw["reliability"]
    if not likert_scales:
        del draw["likert_items"]
    return save_figures(draw, outputs)
