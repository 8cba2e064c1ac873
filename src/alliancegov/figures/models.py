"""Figures of the models.

Choice coefficients, marginal effects and predicted probabilities, performance by form,
misalignment effects (:mod:`alliancegov.figures.misalignment`) and the time to partnership.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.validation import codebook_categorical
from alliancegov.figures.misalignment import plot_form_overlap, plot_misalignment
from alliancegov.figures.style import LINE_STYLES, wrap_to
from alliancegov.figures.theme import (
    FORM,
    FigureStyle,
    form_colours,
    form_labels,
    form_markers,
    format_numbers,
    format_shares,
    save_figures,
    themed_figure,
    wrap,
)
from alliancegov.messages import message
from alliancegov.messages.labels import Labeller

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def forest_by_form(table: pd.DataFrame, codebook: Codebook, language: str, outcome_variable: str, *,
                   x_label: str) -> Figure:
    """Point ranges of each ``term``, one panel per ``outcome`` answer in codebook order.

    Parameters
    ----------
    table : DataFrame
        Tidy rows with ``outcome``, ``term``, ``estimate``, ``conf_low``, ``conf_high``.
    codebook : Codebook
        Labels of the forms and terms, and the forms' order.
    language : {"fr", "en"}
    outcome_variable : str
        The question whose answers ``outcome`` holds.
    x_label : str
        The shared x-axis label.

    Returns
    -------
    Figure
        One panel per outcome present in ``table``, sharing both axes, each in its form's colour
        and marker with a dashed line at 0, titled by its form (wrapped to the panel's width);
        terms keep their first-appearance order, top to bottom.
    """
    outcome = codebook_categorical(table["outcome"], codebook, outcome_variable)
    outcomes = [form for form in outcome.cat.categories if form in set(outcome)]
    forms = form_labels(codebook, language, outcome_variable)
    colours, markers = form_colours(codebook, outcome_variable), form_markers(codebook, outcome_variable)
    terms = list(dict.fromkeys(table["term"]))
    position = {term: len(terms) - 1 - rank for rank, term in enumerate(terms)}
    with themed_figure(1.2 + 0.32 * len(terms), ncols=len(outcomes), sharex=True, sharey=True) as (figure, axes):
        for ax, form in zip(axes[0], outcomes, strict=True):
            rows = table[outcome == form]
            ax.errorbar(
                rows["estimate"], rows["term"].map(position),
                xerr=[rows["estimate"] - rows["conf_low"], rows["conf_high"] - rows["estimate"]],
                fmt=markers[form], markersize=3.5, capsize=2, linewidth=1, color=colours[form],
            )
            ax.axvline(0, color="0.3", linestyle="--", linewidth=0.8)
            ax.set_title(wrap_to(forms[form], 0.62 / len(outcomes)))
            format_numbers(ax.xaxis, language)
        labeller = Labeller(codebook, language, outcome_variable)
        axes[0, 0].set_yticks(range(len(terms)), [wrap(labeller.term(t)) for t in reversed(terms)])
        axes[0, 0].set_ylim(-0.7, len(terms) - 0.3)
        figure.supxlabel(wrap_to(x_label))
    return figure


def plot_choice_coefficients(choice_mnl: pd.DataFrame, codebook: Codebook, language: str,
                             outcome_variable: str = FORM) -> Figure:
    """Forest plot of multinomial-logit coefficients with 95% CIs, one panel per outcome.

    Parameters
    ----------
    choice_mnl : DataFrame
        Tidy coefficients with columns ``outcome`` (governance form), ``term``, ``estimate``,
        ``conf_low``, ``conf_high`` (log-odds relative to the base category).
    codebook : Codebook
    language : {"fr", "en"}
    outcome_variable : str
        The governance form variable.

    Returns
    -------
    Figure
        ``Intercept`` rows are left out; terms keep the order of their first appearance, top to
        bottom. The base category, named on the axis, is the form(s) without coefficients.
    """
    coefficients = choice_mnl[choice_mnl["term"] != "Intercept"]
    forms = form_labels(codebook, language, outcome_variable)
    base = [form for form in codebook.answer_names(outcome_variable) if form not in set(coefficients["outcome"])]
    return forest_by_form(
        coefficients, codebook, language, outcome_variable,
        x_label=message("figures.coefficient_axis", language, base=", ".join(forms[form] for form in base)),
    )


def plot_ame_forest(choice_ame: pd.DataFrame, codebook: Codebook, language: str,
                    outcome_variable: str = FORM) -> Figure:
    """Forest plot of average marginal effects with 95% CIs, one panel per governance form.

    Parameters
    ----------
    choice_ame : DataFrame
        Tidy AMEs with ``outcome`` (every form, the base included), ``term``, ``estimate``,
        ``conf_low``, ``conf_high`` (probability units), as ``choice_ame.csv``.
    codebook : Codebook
    language : {"fr", "en"}
    outcome_variable : str
        The governance form variable.

    Returns
    -------
    Figure
        The x axis in probability points.
    """
    return forest_by_form(choice_ame, codebook, language, outcome_variable,
                          x_label=message("figures.ame_axis", language))


def plot_predicted_probabilities(predictions: pd.DataFrame, codebook: Codebook, language: str,
                                 by_variable: str | None, outcome_variable: str = FORM) -> Figure:
    """Average predicted probability of each form over each profile variable, with 95% CI bands.

    Parameters
    ----------
    predictions : DataFrame
        ``choice_predictions.csv`` (``variable, value, by, outcome, estimate, conf_low,
        conf_high``; probabilities 0–1).
    codebook : Codebook
    language : {"fr", "en"}
    by_variable : str or None
        The question whose answers label the levels of ``by``.
    outcome_variable : str
        The governance form variable.

    Returns
    -------
    Figure
        One column of panels per profile variable (its label on the x axis), one row per level of
        ``by`` (its answer's label as the panel's title), one colour and marker per form;
        probabilities as percentages.
    """
    variables = list(dict.fromkeys(predictions["variable"]))
    by_levels = list(dict.fromkeys(predictions["by"].fillna("")))
    forms = form_labels(codebook, language, outcome_variable)
    colours, markers = form_colours(codebook, outcome_variable), form_markers(codebook, outcome_variable)
    with themed_figure(1.2 + 2.2 * len(by_levels), nrows=len(by_levels), ncols=len(variables),
                       sharex="col", sharey=True) as (figure, axes):
        for row, by in enumerate(by_levels):
            for column, variable in enumerate(variables):
                ax = axes[row, column]
                panel = predictions[(predictions["variable"] == variable) & (predictions["by"].fillna("") == by)]
                for form in codebook.answer_names(outcome_variable):
                    curve = panel[panel["outcome"] == form].sort_values("value")
                    if curve.empty:
                        continue
                    ax.plot(curve["value"], curve["estimate"], color=colours[form], linewidth=1.3, label=forms[form],
                            marker=markers[form], markersize=3)
                    ax.fill_between(curve["value"], curve["conf_low"], curve["conf_high"], color=colours[form],
                                    alpha=0.18, linewidth=0)
                ax.set_ylim(0, 1)
                format_shares(ax.yaxis, language)
                format_numbers(ax.xaxis, language)
                if row == len(by_levels) - 1:
                    ax.set_xlabel(wrap_to(codebook.label_or_name(variable, language), 0.9 / len(variables)))
                if by and by_variable:
                    ax.set_title(wrap_to(codebook.answer_label(by_variable, by, language), 0.9 / len(variables)))
        figure.supylabel(message("figures.predicted_axis", language))
        handles, labels = axes[0, 0].get_legend_handles_labels()
        figure.legend(handles, [wrap_to(label, 0.45) for label in labels], loc="outside lower center", ncols=2,
                      frameon=False)
    return figure


def plot_kaplan_meier(curves: pd.DataFrame, codebook: Codebook, group: str, language: str) -> Figure:
    """Kaplan–Meier curves (share without the event) with 95% bands, one per group.

    Parameters
    ----------
    curves : DataFrame
        :func:`alliancegov.stats.survival.kaplan_meier`'s step table (``group, time, survival,
        conf_low, conf_high``); the x axis reads "months since the first contract", so ``time``
        is in months.
    codebook : Codebook
        Labels of the groups when ``group`` is a codebook question.
    group : str
        The grouping variable (else the groups are shown as written).
    language : {"fr", "en"}

    Returns
    -------
    Figure
        The curves start at 1 at time 0; one line style per group (greyscale-safe).
    """
    with themed_figure(3.6) as (figure, axes):
        ax = axes[0, 0]
        for rank, level in enumerate(dict.fromkeys(curves["group"])):
            part = curves[curves["group"] == level]
            times = np.concatenate([[0.0], part["time"].to_numpy(float)])
            label = codebook.answer_label(group, level, language) if group in codebook.variables.index else str(level)
            line, = ax.step(times, np.concatenate([[1.0], part["survival"]]), where="post", linewidth=1.3, label=label,
                            linestyle=LINE_STYLES[rank % len(LINE_STYLES)])
            low, high = (np.concatenate([[1.0], part[column]]) for column in ("conf_low", "conf_high"))
            ax.fill_between(times, low, high, step="post", alpha=0.2, color=line.get_color(), linewidth=0)
        ax.set_ylim(0, 1.02)
        ax.set(xlabel=message("figures.km_time", language), ylabel=message("figures.km_axis", language))
        format_shares(ax.yaxis, language)
        format_numbers(ax.xaxis, language)
        ax.legend(frameon=False)
    return figure


def plot_performance_by_form(means: pd.DataFrame, codebook: Codebook, language: str, form: str = FORM) -> Figure:
    """Mean performance by governance form with its confidence interval (point ranges).

    Parameters
    ----------
    means : DataFrame
        :func:`alliancegov.performance.means_by_form`'s table: one row per form in codebook
        order, columns ``outcome`` (a variable or scale of the codebook, or a derived column
        labelled by its name), ``form`` (named after the form variable), ``n``, ``estimate``,
        ``conf_low``, ``conf_high``.
    codebook : Codebook
    language : {"fr", "en"}
    form : str
        The form variable.

    Returns
    -------
    Figure
        One point range per form, top to bottom, labelled with its n; the x axis names the
        outcome (the codebook's label, or the catalogue's for a derived index).
    """
    outcome = str(means["outcome"].iloc[0])
    means = means.rename(columns={form: "group", "estimate": "mean"}).astype({"group": str})
    forms = form_labels(codebook, language, form)
    colours, markers = form_colours(codebook, form), form_markers(codebook, form)
    positions = np.arange(len(means))[::-1]
    with themed_figure(0.9 + 0.45 * len(means)) as (figure, axes):
        ax = axes[0, 0]
        for y, row in zip(positions, means.itertuples(), strict=True):
            ax.errorbar(
                row.mean, y, xerr=[[row.mean - row.conf_low], [row.conf_high - row.mean]],
                fmt=markers[row.group], markersize=5, capsize=3, linewidth=1.2, color=colours[row.group],
            )
        ax.set_yticks(
            positions,
            [wrap(message("figures.group_size", language, label=forms[row.group], n=row.n), 34)
             for row in means.itertuples()],
        )
        ax.set_ylim(-0.6, len(means) - 0.4)
        ax.set_xlabel(wrap_to(Labeller(codebook, language, form).variable(outcome)))
        format_numbers(ax.xaxis, language)
    return figure


def run(*, codebook: Sequence[str], outputs: dict[str, str], language: str, outcome: str, profile_by: str | None,
        choice_mnl: str | None = None, choice_ame: str | None = None, choice_predictions: str | None = None,
        performance_by_form: str | None = None, misalignment: str | None = None, counterfactual: str | None = None,
        form_overlap: str | None = None, time_to_partnership: str | None = None,
        survival_group: str | None = None, style: FigureStyle | dict | None = None) -> list[Path]:
    """The figures_models rule: every model figure, drawn from the tables the model stages wrote.

    Parameters
    ----------
    choice_mnl, choice_ame, choice_predictions : str, optional
        The choice stage's CSV tables (coefficients, marginal effects, predicted probabilities).
    performance_by_form, misalignment, counterfactual, form_overlap : str, optional
        The performance and misalignment stages' CSV tables (``performance_by_form``,
        ``misalignment``, ``misalignment_counterfactual``, ``form_overlap``).
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        PNG path of each figure by stem (the SVG and PDF are written beside it): the figures drawn,
        whose tables are given (those of the stages the config turns on).
    language : {"fr", "en"}
    outcome : str
        The choice model's outcome (the governance form).
    profile_by : str or None
        The categorical variable of the predicted-probability panels.
    time_to_partnership : str, optional
        The hypotheses stage's Kaplan–Meier table, when the register has a ``time_to_event`` block.
    survival_group : str, optional
        That block's ``group`` variable.
    style : FigureStyle or dict, optional
        The figures' width and font size (the config's ``figures.width_cm`` and ``font_size_pt``).

    Returns
    -------
    list of Path
        The PNG files written.
    """
    book = Codebook.from_files(codebook)

    def overlap_figure():
        overlap = pd.read_csv(form_overlap)
        return plot_form_overlap(overlap, book, language, float(overlap["trim"].iloc[0]), outcome)

    draw = {
        "choice_coefficients": lambda: plot_choice_coefficients(pd.read_csv(choice_mnl), book, language, outcome),
        "choice_ame": lambda: plot_ame_forest(pd.read_csv(choice_ame), book, language, outcome),
        "choice_predictions": lambda: plot_predicted_probabilities(pd.read_csv(choice_predictions), book, language,
                                                                   profile_by, outcome),
        "performance_by_form": lambda: plot_performance_by_form(pd.read_csv(performance_by_form), book, language,
                                                                outcome),
        "misalignment": lambda: plot_misalignment(pd.read_csv(misalignment),
                                                  pd.read_csv(counterfactual) if counterfactual else None, language),
        "form_overlap": overlap_figure,
    }
    if time_to_partnership:
        draw["time_to_partnership"] = lambda: plot_kaplan_meier(pd.read_csv(time_to_partnership), book,
                                                                survival_group, language)
    return save_figures({stem: figure for stem, figure in draw.items() if stem in outputs}, outputs, style)
