"""Publication figures, labelled in French or English from the codebook.

Every figure is drawn on a plain Agg-backed :class:`matplotlib.figure.Figure` (never
through pyplot's global state, so nothing opens a window or touches a notebook's
backend) under one theme: the seaborn "colorblind" palette, a bundled font, and the
governance forms always in codebook order with the same colour.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alliancegov.codebook import Codebook, codebook_categorical
from alliancegov.descriptives import form_by_sector_table, likert_shares, mean_confidence_intervals
from alliancegov.formatting import number_format

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

FORM = "governance_form"
FIGURE_WIDTH_INCHES = 6.5
LABEL_WIDTH_CHARS = 28
PNG_DPI = 300

TEXT = {
    "share_of_responses": {"fr": "Part des réponses", "en": "Share of responses"},
    "outcome_by_group_title": {"fr": "{outcome} selon : {group}", "en": "{outcome} by {group}"},
    "score": {"fr": "Score", "en": "Score"},
    "construct_scores_title": {
        "fr": "Scores des construits selon : {outcome}",
        "en": "Construct scores by {outcome}",
    },
    "coefficient_axis": {
        "fr": "Coefficient (log du rapport des chances par rapport à « {base} ») et IC à 95 %",
        "en": "Coefficient (log-odds relative to “{base}”) with 95% CI",
    },
    "choice_title": {
        "fr": "Logit multinomial : {outcome}",
        "en": "Multinomial logit: {outcome}",
    },
    "mean_by_form_title": {
        "fr": "Moyenne selon : {form}, et IC à 95 %",
        "en": "Mean by {form} with 95% CI",
    },
    "responses": {"fr": "Réponses", "en": "Responses"},
    "sample_flow_title": {
        "fr": "Du questionnaire reçu à l'échantillon analysé",
        "en": "From questionnaires received to the analysed sample",
    },
    "wave": {"fr": "Vague {wave}", "en": "Wave {wave}"},
    "received": {"fr": "Reçues", "en": "Received"},
    "excluded": {"fr": "Exclues : {reason}", "en": "Excluded: {reason}"},
    "analysed": {"fr": "Analysées", "en": "Analysed"},
    "level_separator": {"fr": " : ", "en": ": "},
    "group_size": {"fr": "{label} (n = {n})", "en": "{label} (n = {n})"},
    "reliability_title": {
        "fr": "Fiabilité des échelles (vagues regroupées)",
        "en": "Scale reliability (pooled waves)",
    },
    "reliability_axis": {"fr": "Coefficient de fiabilité", "en": "Reliability coefficient"},
    "alpha_with_ci": {"fr": "Alpha de Cronbach et IC à {level} %", "en": "Cronbach's alpha with {level}% CI"},
    "omega": {"fr": "Oméga total de McDonald", "en": "McDonald's omega total"},
    "reliability_threshold": {"fr": "Seuil usuel de {value}", "en": "Usual threshold of {value}"},
    "likert_title": {"fr": "Réponses aux items des échelles", "en": "Answers to the scale items"},
    "likert_axis": {"fr": "Part des réponses valides", "en": "Share of valid answers"},
    "likert_note": {
        "fr": "Items inversés marqués {mark} : réponses telles que données, avant recodage. "
              "Non-réponses exclues ; catégorie neutre centrée sur 0.",
        "en": "Reverse-coded items marked {mark}: answers as given, before recoding. "
              "Missing answers left out; neutral category centred on 0.",
    },
    "reverse_mark": {"fr": "(I)", "en": "(R)"},
    "ame_title": {
        "fr": "Effets marginaux moyens sur la probabilité de chaque forme",
        "en": "Average marginal effects on the probability of each form",
    },
    "ame_axis": {
        "fr": "Variation de la probabilité (points de probabilité) et IC à 95 %",
        "en": "Change in probability (probability points) with 95% CI",
    },
    "predicted_title": {
        "fr": "Probabilités prédites moyennes et IC à 95 %",
        "en": "Average predicted probabilities with 95% CI",
    },
    "predicted_axis": {"fr": "Probabilité prédite", "en": "Predicted probability"},
    "misalignment_title": {
        "fr": "Effet du désalignement sur la performance (bootstrap des deux étapes, IC à 95 %)",
        "en": "Effect of misalignment on performance (two-stage bootstrap, 95% CI)",
    },
    "misalignment_axis": {"fr": "Coefficient", "en": "Coefficient"},
    "misalignment_terms": {
        "fr": {"misaligned": "Désalignement (0/1)", "excess_hierarchy": "Excès de hiérarchie",
               "insufficient_hierarchy": "Hiérarchie insuffisante", "misfit": "Inadéquation (1 − P)"},
        "en": {"misaligned": "Misaligned (0/1)", "excess_hierarchy": "Excess hierarchy",
               "insufficient_hierarchy": "Insufficient hierarchy", "misfit": "Misfit (1 − P)"},
    },
    "misalignment_models": {
        "fr": {"uncorrected": "sans correction", "direction": "sens", "misfit": "continu",
               "corrected_lee": "correction de Lee", "corrected_dmf": "correction de Dubin–McFadden",
               "corrected_dahl": "correction de Dahl"},
        "en": {"uncorrected": "uncorrected", "direction": "direction", "misfit": "continuous",
               "corrected_lee": "Lee correction", "corrected_dmf": "Dubin–McFadden correction",
               "corrected_dahl": "Dahl correction"},
    },
    "km_title": {
        "fr": "Délai entre le premier contrat et le partenariat (Kaplan–Meier, IC à 95 %)",
        "en": "Time from a first contract to a partnership (Kaplan–Meier, 95% CI)",
    },
    "km_axis": {"fr": "Part encore sans partenariat", "en": "Share not yet in partnership"},
    "km_time": {"fr": "Mois depuis le premier contrat", "en": "Months since the first contract"},
    "form_shares_by_wave_title": {
        "fr": "{outcome} selon la vague d'enquête (IC de Wilson à 95 %)",
        "en": "{outcome} by survey wave (Wilson 95% CI)",
    },
}
SAMPLE_FLOW_STEPS = ("received", "excluded", "analysed")
# Indices in the colorblind palette; the first four are taken by the governance forms.
SAMPLE_FLOW_COLOURS = {"received": 7, "excluded": 5, "analysed": 2}
RELIABILITY_COLOURS = {"alpha": 4, "omega": 5}
RELIABILITY_THRESHOLD = 0.7
POOLED_WAVE = "all"
# ColorBrewer RdBu ends (colour-blind safe) with a grey neutral, disagree red → agree blue.
LIKERT_PALETTE = "RdBu"
LIKERT_NEUTRAL_COLOUR = (0.8, 0.8, 0.8)
LIKERT_ITEM_LABEL_CHARS = 34


def text(key: str, language: str, **fields: object) -> str:
    """The fixed figure wording ``key`` in ``language`` ('fr' or 'en'), with ``fields`` filled in."""
    return TEXT[key][language].format(**fields)


def wrap(label: str, width: int = LABEL_WIDTH_CHARS) -> str:
    """``label`` broken into lines of at most ``width`` characters (long French labels)."""
    return textwrap.fill(label, width=width, break_long_words=False)


def form_labels(codebook: Codebook, language: str, outcome: str = FORM) -> dict[str, str]:
    """Outcome answer name (a governance form) → label, in codebook order."""
    return {form: codebook.answer_label(outcome, form, language) for form in codebook.answer_names(outcome)}


def form_colours(codebook: Codebook, outcome: str = FORM) -> dict[str, tuple[float, float, float]]:
    """Outcome answer name → colour, fixed by codebook order so every figure agrees."""
    import seaborn as sns

    forms = codebook.answer_names(outcome)
    return dict(zip(forms, sns.color_palette("colorblind", len(forms)), strict=True))


def form_label_palette(codebook: Codebook, language: str, outcome: str = FORM) -> dict[str, tuple[float, float, float]]:
    """Outcome answer label → colour, for seaborn's ``hue`` on labelled data."""
    labels = form_labels(codebook, language, outcome)
    return {labels[form]: colour for form, colour in form_colours(codebook, outcome).items()}


def theme_rc() -> dict:
    """Matplotlib rc settings of the package theme (seaborn whitegrid, paper context)."""
    import seaborn as sns
    from cycler import cycler

    return {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("paper"),
        # Matplotlib's bundled font, so the PNG does not depend on the fonts installed.
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "axes.prop_cycle": cycler(color=sns.color_palette("colorblind")),
        # Labels come from the codebook; a "$" in one must not start mathtext.
        "text.parse_math": False,
    }


@contextmanager
def themed_figure(height_inches: float, **subplot_options: object) -> Iterator[tuple[Figure, np.ndarray]]:
    """Yield a new Agg figure of page width and its axes array (always 2-D), under the theme.

    ``subplot_options`` go to ``Figure.subplots`` (nrows, ncols, sharex, ...). The figure
    is drawn once on exit so that ticks and layout are resolved under the theme.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(theme_rc()):
        figure = Figure(figsize=(FIGURE_WIDTH_INCHES, height_inches), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.subplots(squeeze=False, **subplot_options)
        yield figure, axes
        figure.draw_without_rendering()


def format_numbers(axis: Axis, language: str) -> None:
    """Use the decimal comma on ``axis`` for French figures."""
    from matplotlib.ticker import FuncFormatter

    if language == "fr":
        # round() hides float noise in tick positions; + 0.0 turns -0.0 into 0.0.
        axis.set_major_formatter(
            FuncFormatter(lambda value, _: f"{round(value, 10) + 0.0:g}".replace(".", ",").replace("-", "\u2212"))
        )


def format_shares(axis: Axis, language: str) -> None:
    """Show shares (0–1) on ``axis`` as percentages, with French spacing in French."""
    from matplotlib.ticker import FuncFormatter

    unit = "\u202f%" if language == "fr" else "%"
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{100 * value:.0f}{unit}"))


def place_form_legend(ax: Axes, codebook: Codebook, language: str, outcome: str = FORM) -> None:
    """Move the outcome legend of ``ax`` under the figure, where long labels fit."""
    handles, labels = ax.get_legend_handles_labels()
    ax.get_legend().remove()
    ax.figure.legend(
        handles, labels, title=codebook.label(outcome, language), loc="outside lower center", ncols=2, frameon=False
    )


def plot_form_by_sector(analysis: pd.DataFrame, codebook: Codebook, language: str, outcome: str = FORM,
                        group: str = "sector") -> Figure:
    """Bar chart of the share of each outcome answer (governance form) within each group (sector).

    Input: the analysis frame with canonical answer names in ``group`` and ``outcome`` (one
    row per analysed response).
    """
    import seaborn as sns

    shares = form_by_sector_table(analysis, codebook, outcome, group)
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

    Input: the analysis frame with ``governance_form`` and one numeric column per scale
    name in ``scales`` (missing scores are left out of that scale's boxes).
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


def forest_by_form(table: pd.DataFrame, codebook: Codebook, language: str, outcome_variable: str, *,
                   x_label: str, title: str) -> Figure:
    """Point ranges (``estimate``, ``conf_low``, ``conf_high``) of each ``term``, one panel per
    ``outcome`` answer in codebook order; terms keep their first-appearance order, top to bottom."""
    outcome = codebook_categorical(table["outcome"], codebook, outcome_variable)
    outcomes = [form for form in outcome.cat.categories if form in set(outcome)]
    forms = form_labels(codebook, language, outcome_variable)
    colours = form_colours(codebook, outcome_variable)
    terms = list(dict.fromkeys(table["term"]))
    position = {term: len(terms) - 1 - rank for rank, term in enumerate(terms)}
    with themed_figure(1.2 + 0.32 * len(terms), ncols=len(outcomes), sharex=True, sharey=True) as (figure, axes):
        for ax, form in zip(axes[0], outcomes, strict=True):
            rows = table[outcome == form]
            ax.errorbar(
                rows["estimate"], rows["term"].map(position),
                xerr=[rows["estimate"] - rows["conf_low"], rows["conf_high"] - rows["estimate"]],
                fmt="o", markersize=3.5, capsize=2, linewidth=1, color=colours[form],
            )
            ax.axvline(0, color="0.3", linestyle="--", linewidth=0.8)
            ax.set_title(wrap(forms[form], 22 if len(outcomes) < 4 else 18))
            format_numbers(ax.xaxis, language)
        axes[0, 0].set_yticks(range(len(terms)), [wrap(codebook.term_label(t, language)) for t in reversed(terms)])
        axes[0, 0].set_ylim(-0.7, len(terms) - 0.3)
        figure.supxlabel(x_label, fontsize="medium")
        figure.suptitle(title)
    return figure


def plot_choice_coefficients(choice_mnl: pd.DataFrame, codebook: Codebook, language: str,
                             outcome_variable: str = FORM) -> Figure:
    """Forest plot of multinomial-logit coefficients with 95% CIs, one panel per outcome.

    Input: tidy coefficients with columns ``outcome`` (governance form), ``term``,
    ``estimate``, ``conf_low``, ``conf_high``. ``Intercept`` rows are left out; terms keep
    the order of their first appearance, top to bottom. The base category, named on the
    axis, is the form(s) without coefficients.
    """
    coefficients = choice_mnl[choice_mnl["term"] != "Intercept"]
    forms = form_labels(codebook, language, outcome_variable)
    base = [form for form in codebook.answer_names(outcome_variable) if form not in set(coefficients["outcome"])]
    return forest_by_form(
        coefficients, codebook, language, outcome_variable,
        x_label=text("coefficient_axis", language, base=", ".join(forms[form] for form in base)),
        title=text("choice_title", language, outcome=codebook.label(outcome_variable, language)),
    )


def plot_ame_forest(choice_ame: pd.DataFrame, codebook: Codebook, language: str,
                    outcome_variable: str = FORM) -> Figure:
    """Forest plot of average marginal effects with 95% CIs, one panel per governance form.

    Input: tidy AMEs with ``outcome`` (every form, the base included), ``term``, ``estimate``,
    ``conf_low``, ``conf_high`` (probability units), as ``choice_ame.csv``.
    """
    return forest_by_form(choice_ame, codebook, language, outcome_variable,
                          x_label=text("ame_axis", language), title=text("ame_title", language))


def plot_predicted_probabilities(predictions: pd.DataFrame, codebook: Codebook, language: str,
                                 by_variable: str | None, outcome_variable: str = FORM) -> Figure:
    """Average predicted probability of each form over each profile variable, with 95% CI bands.

    Input: ``choice_predictions.csv`` (``variable, value, by, outcome, estimate, conf_low,
    conf_high``). One column of panels per profile variable, one row per level of ``by``
    (labelled from the codebook answers of ``by_variable``), one colour per form.
    """
    variables = list(dict.fromkeys(predictions["variable"]))
    by_levels = list(dict.fromkeys(predictions["by"].fillna("")))
    forms = form_labels(codebook, language, outcome_variable)
    colours = form_colours(codebook, outcome_variable)
    with themed_figure(1.0 + 2.2 * len(by_levels), nrows=len(by_levels), ncols=len(variables),
                       sharex="col", sharey=True) as (figure, axes):
        for row, by in enumerate(by_levels):
            for column, variable in enumerate(variables):
                ax = axes[row, column]
                panel = predictions[(predictions["variable"] == variable) & (predictions["by"].fillna("") == by)]
                for form in codebook.answer_names(outcome_variable):
                    curve = panel[panel["outcome"] == form].sort_values("value")
                    if curve.empty:
                        continue
                    ax.plot(curve["value"], curve["estimate"], color=colours[form], linewidth=1.3, label=forms[form])
                    ax.fill_between(curve["value"], curve["conf_low"], curve["conf_high"], color=colours[form],
                                    alpha=0.18, linewidth=0)
                ax.set_ylim(0, 1)
                format_shares(ax.yaxis, language)
                format_numbers(ax.xaxis, language)
                title = codebook.label_or_name(variable, language)
                if by and by_variable:
                    title = codebook.answer_label(by_variable, by, language) + text("level_separator", language) + title
                ax.set_title(wrap(title, 40), fontsize="medium")
        figure.supylabel(text("predicted_axis", language), fontsize="medium")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        figure.suptitle(text("predicted_title", language))
    return figure


def plot_misalignment(misalignment: pd.DataFrame, language: str) -> Figure:
    """Point ranges of the misalignment coefficients in every second-stage model.

    Input: ``misalignment.csv`` (``model, term, estimate, conf_low, conf_high``); only the
    misalignment terms are drawn, one row per model and term.
    """
    labels = TEXT["misalignment_terms"][language]
    models = TEXT["misalignment_models"][language]
    rows = misalignment[misalignment["term"].isin(list(labels))].reset_index(drop=True)
    positions = np.arange(len(rows))[::-1]
    with themed_figure(1.0 + 0.38 * len(rows)) as (figure, axes):
        ax = axes[0, 0]
        ax.errorbar(rows["estimate"], positions, xerr=[rows["estimate"] - rows["conf_low"],
                                                       rows["conf_high"] - rows["estimate"]],
                    fmt="o", markersize=4, capsize=2, linewidth=1, color="0.2")
        ax.axvline(0, color="0.3", linestyle="--", linewidth=0.8)
        ax.set_yticks(positions, [f"{labels[t]} ({models.get(m, m)})" for m, t in zip(rows["model"], rows["term"])])
        ax.set_xlabel(text("misalignment_axis", language))
        figure.suptitle(wrap(text("misalignment_title", language), 70))
        format_numbers(ax.xaxis, language)
    return figure


def plot_kaplan_meier(curves: pd.DataFrame, codebook: Codebook, group: str, language: str) -> Figure:
    """Kaplan–Meier curves (share without the event) with 95% bands, one per group.

    Input: ``stats.survival.kaplan_meier``'s step table (``group, time, survival, conf_low,
    conf_high``); the curves start at 1 at time 0.
    """
    with themed_figure(3.6) as (figure, axes):
        ax = axes[0, 0]
        for level in dict.fromkeys(curves["group"]):
            part = curves[curves["group"] == level]
            times = np.concatenate([[0.0], part["time"].to_numpy(float)])
            label = codebook.answer_label(group, level, language) if group in codebook.variables.index else str(level)
            line, = ax.step(times, np.concatenate([[1.0], part["survival"]]), where="post", linewidth=1.3, label=label)
            low, high = (np.concatenate([[1.0], part[column]]) for column in ("conf_low", "conf_high"))
            ax.fill_between(times, low, high, step="post", alpha=0.2, color=line.get_color(), linewidth=0)
        ax.set_ylim(0, 1.02)
        ax.set(xlabel=text("km_time", language), ylabel=text("km_axis", language))
        ax.set_title(wrap(text("km_title", language), 60))
        format_shares(ax.yaxis, language)
        format_numbers(ax.xaxis, language)
        ax.legend(frameon=False)
    return figure


def plot_performance_by_form(analysis: pd.DataFrame, outcome: str, codebook: Codebook, language: str,
                             form: str = FORM) -> Figure:
    """Mean of ``outcome`` by ``form`` (the governance form) with t-based 95% CIs (point ranges).

    Input: the analysis frame with ``form`` and the numeric column ``outcome`` (a variable or
    scale of the codebook, or a derived column labelled by its name).
    """
    means = mean_confidence_intervals(
        analysis[outcome], codebook_categorical(analysis[form], codebook, form)
    ).astype({"group": str})
    forms = form_labels(codebook, language, form)
    colours = form_colours(codebook, form)
    positions = np.arange(len(means))[::-1]
    with themed_figure(0.9 + 0.45 * len(means)) as (figure, axes):
        ax = axes[0, 0]
        for y, row in zip(positions, means.itertuples(), strict=True):
            ax.errorbar(
                row.mean, y, xerr=[[row.mean - row.conf_low], [row.conf_high - row.mean]],
                fmt="o", markersize=5, capsize=3, linewidth=1.2, color=colours[row.group],
            )
        ax.set_yticks(
            positions,
            [wrap(text("group_size", language, label=forms[row.group], n=row.n), 34) for row in means.itertuples()],
        )
        ax.set_ylim(-0.6, len(means) - 0.4)
        ax.set_xlabel(codebook.label_or_name(outcome, language))
        ax.set_title(text("mean_by_form_title", language, form=codebook.label(form, language)))
        format_numbers(ax.xaxis, language)
    return figure


def sample_flow_bars(sample_flow: pd.DataFrame, language: str) -> pd.DataFrame:
    """Bars of the sample-flow figure: ``wave, step, label, n`` in plotting order.

    Input: ``wave, step, reason, n`` with step in received / excluded / analysed and a
    reason on excluded rows only. Waves keep their order of appearance; within a wave
    come the received bar, one bar per exclusion reason (as listed), then analysed.
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

    Input: ``wave, step, reason, n`` as described in :func:`sample_flow_bars`.
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


def with_count(label: str, n: int, language: str, width: int = LABEL_WIDTH_CHARS) -> str:
    """``label (n = N)`` wrapped to ``width``, never breaking inside "(n = N)" (no-break spaces)."""
    count = text("group_size", language, label="", n=n).strip().replace(" ", "\u00a0")
    return wrap(f"{label} {count}", width)


def plot_reliability(reliability: pd.DataFrame, codebook: Codebook, language: str) -> Figure:
    """Cronbach's alpha with its confidence interval and McDonald's omega per scale, pooled waves.

    Input: the reliability table (``scale, wave, n_complete, alpha, alpha_conf_low,
    alpha_conf_high, omega``, see ``alliancegov.constructs.reliability_table``); only the
    pooled rows (wave ``all``) are drawn, scales in codebook order, top to bottom, each
    labelled with its number of complete responses. A dashed line marks the usual 0.7.
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


def plot_likert_diverging(
    analysis: pd.DataFrame, codebook: Codebook, language: str, scales: list[str], *, recoded: bool = True
) -> Figure:
    """Diverging stacked bars of the answers to every item of ``scales``, one panel per scale.

    Input: a frame with one column per item (answer codes, missing as NaN). By default it is
    the analysis frame, whose reverse-coded items hold RECODED answers; they are turned back
    (reverse coding, (min + max) − x, is its own inverse) so every item is shown as answered,
    which the figure note states. Pass ``recoded=False`` for a frame of raw answers (shown as
    they are).

    Each bar gives the shares of the valid answers of one item (missing left out); the neutral
    answer is centred on 0, disagreement to the left, agreement to the right. Items are
    labelled by their codebook label (wrapped, reverse-coded ones marked), answers by the
    labels of the items' value set (``likert5``), all in ``language``.
    """
    import seaborn as sns
    from matplotlib.ticker import FuncFormatter

    from alliancegov.constructs import reverse_code

    items = {scale: codebook.items(scale) for scale in scales}
    names = [name for rows in items.values() for name in rows["name"]]
    missing = [name for name in names if name not in analysis.columns]
    if missing:
        raise ValueError(f"analysis has no column for items {missing}")
    list_names = set(codebook.variables.loc[names, "list_name"])
    if len(list_names) != 1:
        raise ValueError(f"items of {scales} do not share one value set: {sorted(list_names)}")
    choices = codebook.choices(list_names.pop())
    codes = choices["code"].tolist()
    answers = analysis[names].astype(float)
    if recoded:
        answers = reverse_code(answers, codebook)
    shares = likert_shares(answers, codes)

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
    mark = text("reverse_mark", language)

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
            ax.set_title(codebook.label(scale, language), loc="left", fontweight="bold")
            ax.grid(axis="y", visible=False)
        unit = "\u202f%" if language == "fr" else "%"
        axes[-1, 0].xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(100 * value):.0f}{unit}"))
        axes[-1, 0].set_xlim(-reach, reach)
        axes[-1, 0].set_xlabel(text("likert_axis", language))
        # The note sits under the axis label (part of the axes, so the layout makes room for it).
        axes[-1, 0].annotate(
            wrap(text("likert_note", language, mark=mark), 75), xy=(0.5, 0), xycoords=axes[-1, 0].xaxis.label,
            xytext=(0, -4), textcoords="offset points", ha="center", va="top", fontsize="small", color="0.3",
        )
        handles, labels = axes[0, 0].get_legend_handles_labels()
        order = [labels.index(answer_labels[code]) for code in codes]
        # The key reads left to right like the bars.
        figure.legend([handles[i] for i in order], [wrap(labels[i], 16) for i in order],
                      loc="outside lower center", ncols=len(codes), frameon=False, fontsize="small")
        figure.suptitle(text("likert_title", language))
    return figure


# Metadata that would differ between runs (dates, software stamps) left out of each format.
STABLE_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
FIGURE_FORMATS = ("png", "svg", "pdf")


def save_figure(fig: Figure, path: str | Path, formats: tuple[str, ...] = ("png",)) -> Path:
    """Write ``fig`` in ``formats`` (PNG at 300 dpi, SVG, PDF) byte-identical across runs, then close it.

    ``path`` names the PNG; the other formats go beside it with their own suffix. No date or
    software stamp is written, and SVG element ids come from a fixed hash salt. Parent folders are
    created. Returns the PNG's path.
    """
    import matplotlib
    from matplotlib import pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({**theme_rc(), "svg.hashsalt": "alliancegov", "pdf.compression": 6}):
        for fmt in formats:
            fig.savefig(path.with_suffix(f".{fmt}"), format=fmt, dpi=PNG_DPI, metadata=STABLE_METADATA[fmt])
    # Figures made here are not registered with pyplot, but a caller's pyplot figure would be.
    plt.close(fig)
    return path


def make_figures(
    analysis: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    codebook: Codebook,
    language: str,
    *,
    scales: list[str],
    likert_scales: list[str],
    performance_outcome: str,
    profile_by: str | None,
    out_dir: str | Path,
    outcome: str = FORM,
    group: str = "sector",
    performance: pd.DataFrame | None = None,
    time_to_event: dict | None = None,
    only: Collection[str] | None = None,
) -> list[Path]:
    """Draw and save every report figure in ``out_dir`` (or the stems in ``only``, e.g. those of
    the data alone while the models run); return their paths in report order.

    ``tables`` holds ``choice_mnl``, ``choice_ame``, ``choice_predictions``, ``reliability`` and
    ``sample_flow`` as the pipeline writes them; ``outcome`` is the choice model's outcome and
    ``group`` the categorical variable of the outcome-by-group bars. Without ``scales`` the
    construct-score and reliability figures are not drawn, without ``likert_scales`` the Likert
    one (a survey may have no multi-item scale). ``performance``, when given, is the frame with
    the derived performance outcomes (else ``analysis`` must hold ``performance_outcome``); with
    ``tables["misalignment"]`` the misalignment figure is drawn, and with ``time_to_event`` (the
    hypotheses register's block) the Kaplan–Meier curves.
    Writes ``form_by_sector``, ``construct_scores``, ``choice_coefficients``, ``choice_ame``,
    ``choice_predictions``, ``performance_by_form``, ``sample_flow``, ``reliability`` and
    ``likert_items`` (``.png``).
    """
    out_dir = Path(out_dir)
    figures = {
        "form_by_sector": lambda: plot_form_by_sector(analysis, codebook, language, outcome, group),
        "construct_scores": lambda: plot_construct_scores(analysis, codebook, language, scales, outcome),
        "choice_coefficients": lambda: plot_choice_coefficients(tables["choice_mnl"], codebook, language, outcome),
        "choice_ame": lambda: plot_ame_forest(tables["choice_ame"], codebook, language, outcome),
        "choice_predictions": lambda: plot_predicted_probabilities(tables["choice_predictions"], codebook, language,
                                                                   profile_by, outcome),
        "performance_by_form": lambda: plot_performance_by_form(
            analysis if performance is None else performance, performance_outcome, codebook, language, outcome),
        "sample_flow": lambda: plot_sample_flow(tables["sample_flow"], language),
        "reliability": lambda: plot_reliability(tables["reliability"], codebook, language),
        "likert_items": lambda: plot_likert_diverging(analysis, codebook, language, likert_scales),
    }
    if "misalignment" in tables:
        figures["misalignment"] = lambda: plot_misalignment(tables["misalignment"], language)
    if time_to_event:
        figures["time_to_partnership"] = lambda: plot_kaplan_meier(
            _kaplan_meier_curves(analysis if performance is None else performance, time_to_event),
            codebook, time_to_event["group"], language)
    skipped = ({"construct_scores", "reliability"} if not scales else set()) | (
        {"likert_items"} if not likert_scales else set())
    figures = {stem: draw for stem, draw in figures.items() if stem not in skipped}
    if only is not None:
        unknown = sorted(set(only) - set(figures))
        if unknown:
            raise ValueError(f"cannot draw {unknown}: not a figure of this configuration (or its table is missing)")
        figures = {stem: draw for stem, draw in figures.items() if stem in only}
    # Drawn and saved one at a time so only one figure is held in memory.
    return [save_figure(draw(), out_dir / f"{stem}.png", FIGURE_FORMATS) for stem, draw in figures.items()]


def _kaplan_meier_curves(frame: pd.DataFrame, time_to_event: dict) -> pd.DataFrame:
    from alliancegov.hypotheses import time_to_event as times_and_events
    from alliancegov.stats.survival import kaplan_meier

    time, event = times_and_events(frame, time_to_event)
    known = np.isfinite(time) & frame[time_to_event["group"]].notna().to_numpy()
    return kaplan_meier(time[known], event[known], frame.loc[known, time_to_event["group"]].to_numpy())


# ---- panel: transitions of governance form between consecutive waves ---------------------------

# The panel figure's wording lives with it, so the whole figure arrives in one place.
TEXT.update({
    "alluvial_title": {
        "fr": "Formes de gouvernance d'une vague à la suivante",
        "en": "Governance forms from one wave to the next",
    },
    "alluvial_axis": {"fr": "Entreprises", "en": "Firms"},
    "alluvial_note": {
        "fr": "Barres : entreprises de chaque vague ; bandes : entreprises interrogées à deux vagues consécutives. "
              "Effectifs inférieurs à {minimum} non affichés.",
        "en": "Bars: firms in each wave; bands: firms interviewed in two consecutive waves. "
              "Counts under {minimum} not shown.",
    },
    "alluvial_note_linked": {
        "fr": "Entreprises interrogées à deux vagues consécutives. Effectifs inférieurs à {minimum} non affichés.",
        "en": "Firms interviewed in two consecutive waves. Counts under {minimum} not shown.",
    },
})
ALLUVIAL_BAR_WIDTH = 0.14        # in wave spacings
ALLUVIAL_GAP_SHARE = 0.02        # white space between stacked forms, as a share of the tallest bar
ALLUVIAL_LABEL_SHARE = 0.035     # a thinner band (share of the tallest bar) has no room for its count
ALLUVIAL_BAND_ALPHA = 0.45
ALLUVIAL_CURVE_POINTS = 48
ALLUVIAL_LABEL_POINT = 2         # where along a band its count is written


def transitions_alluvial(counts: pd.DataFrame, codebook: Codebook, language: str, *,
                         totals: pd.DataFrame | None = None, outcome: str = FORM, minimum_cell: int = 5) -> Figure:
    """Alluvial plot of the governance forms of firms across consecutive waves.

    Input: ``counts`` as ``alliancegov.panel.panel_transitions`` writes ``transition_counts``
    (``from_wave, to_wave, from_state, to_state, n``; the pooled ``all`` rows are ignored), and
    optionally ``totals`` as its ``form_by_wave`` (``wave, state, n``). One stacked bar per wave,
    forms in codebook order from the top and in the package colours; between two consecutive
    waves one band per (from, to) pair of forms, as thick as its number of firms and coloured by
    the form they left. With ``totals`` each bar is every firm of its wave, so the part of a bar
    without a band is firms interviewed in one wave only; without it, the larger of the firms
    arriving and leaving. Waves keep the order of ``totals``, else of ``counts``.

    A band's count is written only when it reaches ``minimum_cell`` (and the band has room for
    it), so small cells are not disclosed by a label.
    """
    from matplotlib.patches import Patch

    forms = codebook.answer_names(outcome)
    k = len(forms)
    by_wave = counts[counts["from_wave"].astype(str) != POOLED_WAVE]
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
                            number_format(language).count(n), ha="left", va="center", fontsize="x-small", color="0.15")
        ax.set_xticks(range(len(waves)), [text("wave", language, wave=wave) for wave in waves])
        ax.set_xlim(-0.3, len(waves) - 0.7)
        ax.set_ylim(0, tallest + gap * k)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(text("alluvial_axis", language))
        note = "alluvial_note" if totals is not None else "alluvial_note_linked"
        ax.set_xlabel(wrap(text(note, language, minimum=minimum_cell), 90), fontsize="small", color="0.3")
        ax.set_title(text("alluvial_title", language))
        format_numbers(ax.yaxis, language)
        figure.legend([Patch(color=colours[form]) for form in forms], [labels[form] for form in forms],
                      title=codebook.label(outcome, language), loc="outside lower center", ncols=2, frameon=False)
    return figure


def plot_form_shares_by_wave(shares: pd.DataFrame, codebook: Codebook, language: str, outcome: str = FORM) -> Figure:
    """Share of each governance form in each survey wave, with its interval.

    Input: :func:`alliancegov.descriptives.form_shares_by_wave`'s table (``wave``, ``outcome``,
    ``wave_n``, ``share``, ``conf_low``, ``conf_high``), waves in their survey order. Each form is
    a line across waves, slightly dodged so that intervals do not overlap; waves are labelled with
    their number of firms.
    """
    forms = form_labels(codebook, language, outcome)
    colours = form_colours(codebook, outcome)
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
                        color=colours[form], marker="o", capsize=2, label=forms[form])
        ax.set_xticks(np.arange(len(waves)),
                      [with_count(text("wave", language, wave=w), int(sizes[w]), language) for w in waves])
        ax.set(xlabel="", ylabel=text("share_of_responses", language), ylim=(0, None))
        ax.set_title(text("form_shares_by_wave_title", language, outcome=codebook.label(outcome, language)))
        format_shares(ax.yaxis, language)
        ax.legend()
        place_form_legend(ax, codebook, language, outcome)
    return figure


# ---- power planning (alliancegov.power) --------------------------------------------------------------

POWER_TARGET = 0.8
POWER_TEXT = {
    "title": {"fr": "Puissance selon la taille de l'échantillon (simulée aux estimations actuelles)",
              "en": "Power by sample size (simulated at the current estimates)"},
    "x": {"fr": "Entreprises dans la vague (échelle logarithmique)", "en": "Firms in the wave (log scale)"},
    "y": {"fr": "Puissance et IC de Clopper–Pearson à 95 %", "en": "Power with 95% Clopper–Pearson CI"},
    "target": {"fr": "Puissance visée : {value}", "en": "Target power: {value}"},
    "ame": {"fr": "EMM : {term} → P({outcome})", "en": "AME: {term} → P({outcome})"},
    "all": {"fr": "Toutes les vérifications simulées de {hypothesis}", "en": "All simulated {hypothesis} checks"},
    "note": {"fr": "Détecté : significatif au seuil de {alpha} dans le sens attendu, test du pipeline.",
             "en": "Detected: significant at {alpha} in the expected direction, with the pipeline's test."},
    "note_bootstrap": {"fr": " H7 : bootstrap des deux étapes à {b} rééchantillonnages par réplication "
                             "(légèrement conservateur).",
                       "en": " H7: two-stage bootstrap with {b} resamples per replicate (slightly conservative)."},
}


def power_effect_label(row: pd.Series, codebook: Codebook, language: str, outcome: str = FORM) -> str:
    """Readable label of one effect of the power table (``table, model, outcome, term, hypothesis``)."""
    if row["table"] == "choice_ame":
        return POWER_TEXT["ame"][language].format(term=codebook.term_label(str(row["term"]), language),
                                                  outcome=codebook.answer_label(outcome, str(row["outcome"]), language))
    if row["table"] == "misalignment":
        term = TEXT["misalignment_terms"][language].get(str(row["term"]), str(row["term"]))
        model = TEXT["misalignment_models"][language].get(str(row["model"]), str(row["model"]))
        return f"{term} ({model})"
    return POWER_TEXT["all"][language].format(hypothesis=row["hypothesis"])


def power_curves(table: pd.DataFrame, codebook: Codebook, language: str, *, target: float = POWER_TARGET,
                 alpha: float = 0.05, bootstrap_replicates: int | None = None, outcome: str = FORM) -> Figure:
    """Power against the number of firms, one panel per hypothesis and one curve per effect, with
    Clopper–Pearson bands and a dashed line at the ``target`` power.

    Input: ``alliancegov.power.power_table`` (``n, hypothesis, table, model, outcome, term, power,
    conf_low, conf_high``; power as a share 0–1). The x axis is logarithmic with a tick at every
    simulated size; the "all checks" curve of a hypothesis is black. The note under the figure
    states the detection rule (``alpha``) and, with ``bootstrap_replicates``, the H7 test's B.
    """
    import seaborn as sns
    from matplotlib.ticker import NullLocator

    hypotheses = list(dict.fromkeys(table["hypothesis"]))
    sizes = sorted(table["n"].unique())
    palette = sns.color_palette("colorblind")
    note = POWER_TEXT["note"][language].format(alpha=number_format(language).general(alpha))
    if bootstrap_replicates and (table["table"] == "misalignment").any():
        note += POWER_TEXT["note_bootstrap"][language].format(b=bootstrap_replicates)
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
            ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize="small")
        axes[-1, 0].set_xlabel(POWER_TEXT["x"][language])
        figure.suptitle(wrap(POWER_TEXT["title"][language], 80))
        figure.supylabel(POWER_TEXT["y"][language])
        figure.supxlabel(wrap(note, 110), fontsize="small", color="0.3")
    return figure


def power_size_labels(sizes: list[int], language: str, min_ratio: float = 1.4) -> list[str]:
    """Tick labels of the sample sizes on a log axis: every size is ticked, but a size closer than
    ``min_ratio`` to the next labelled larger one is left unlabelled so labels never overlap
    (the largest is always labelled); thousands split by a narrow space in French."""
    labels, kept = [], None
    for n in sorted(sizes, reverse=True):
        show = kept is None or kept / n >= min_ratio
        kept = n if show else kept
        labels.append(number_format(language).count(n) if show else "")
    return labels[::-1]


def text_target(value: float, language: str) -> str:
    """The target-power line's legend entry (``0,8`` in French)."""
    return POWER_TEXT["target"][language].format(value=number_format(language).general(value))
