"""How a table of the run is laid out in the report, by the ``presenter`` of its registry entry.

``models``: models side by side in publication layout (columns from the values of one column,
labelled terms as rows, the N and fit rows); ``long``: the tidy rows with labelled columns;
``fit``: fit statistics by model; ``crosstab``: observed against predicted forms;
``predictions``: predicted probabilities by profile. The report's own tables (Table 1, the
sample flow, the measurement section, the hypotheses) have presenters of their own
(:data:`PRESENTERS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from alliancegov.messages import message
from alliancegov.publication import descriptive_table, fit_cells, regression_table
from alliancegov.report.cells import cell_text, numeric_columns, present_long
from alliancegov.report.context import Presented, ReportContext
from alliancegov.report.hypotheses import present_hypotheses, present_hypotheses_summary
from alliancegov.report.measurement import present_measurement
from alliancegov.report.registry import TableEntry
from alliancegov.table_formats import LABEL_COLUMN, PART_COLUMN

FIT_MARK = "(fit)"   # the fit rows of choice_variants and choice_waves (outcome column)
COUNT_STATISTICS = {"n", "n_obs", "n_params", "n_missing", "n_clusters", "wald_df", "df_resid", "f_df_model",
                    "f_df_resid", "n_dropped", "npar", "imputations", "df"}


def present_models(entry: TableEntry, context: ReportContext) -> Presented:
    """Models side by side: one column per value of ``entry.options["columns"]`` (or one column).

    Options of the entry: ``columns`` (the column whose values head the columns), ``rows`` (a
    column whose values group the rows, ``"form: term"``), ``where``, ``exponentiate``,
    ``statistic`` (``std_error`` or ``conf_int``), ``numbered`` (columns headed ``(1)``, ``(2)``...),
    ``fit`` (``source`` and ``where`` of the fit statistics: one ``statistic, value`` table, or one
    per column by ``outcome``). Rows whose ``rows`` value is ``(fit)`` are the models' fit statistics.

    Parameters
    ----------
    entry : TableEntry
        The registry entry.
    context : ReportContext

    Returns
    -------
    Presented
        The regression layout; None as table when the source has no rows.
    """
    options = entry.options
    labeller = context.labeller
    table = context.rows(entry.source, options.get("where"))
    if table.empty:
        return Presented(None)
    by, group = options.get("columns"), options.get("rows")
    fit_rows = table[table[group].astype(str) == FIT_MARK] if group else table.iloc[:0]
    table = table.drop(fit_rows.index)
    if by:
        names = list(dict.fromkeys(table[by].astype(str)))
        forms = set(context.codebook.answer_names(context.outcome))
        headers = ({name: f"({i})" for i, name in enumerate(names, start=1)} if options.get("numbered")
                   else {name: labeller.answer(name) if name in forms else str(labeller.value(name, "variable"))
                         for name in names})
        models = {headers[name]: rows.drop(columns=[by]) for name, rows in table.groupby(table[by].astype(str),
                                                                                           sort=False)}
        models = {headers[name]: models[headers[name]] for name in names}
    else:
        headers, models = {}, {labeller.column("estimate"): table}
    models = {name: rows.drop(columns=["outcome"]) if "outcome" in rows and group != "outcome" else rows
              for name, rows in models.items()}
    fit = {headers[str(name)]: fit_cells(dict(zip(rows["term"], rows["estimate"].astype(float))), context.language)
           for name, rows in fit_rows.groupby(by, sort=False)} if len(fit_rows) else {}
    fit |= _fit_from(options.get("fit"), list(models), context)
    layout = regression_table(models, statistic=options.get("statistic", "std_error"),
                              significance=context.settings["significance"], stars=context.settings["stars"],
                              exponentiate=bool(options.get("exponentiate")), fit=fit, term_labels=labeller.term,
                              language=context.language)
    return Presented(layout)


def _fit_from(spec: Mapping | None, columns: list[str], context: ReportContext) -> dict[str, dict[str, object]]:
    """Fit rows from another table: per column by ``outcome``, else the one model's under the first column."""
    if not spec:
        return {}
    rows = context.rows(spec["source"], spec.get("where"))
    if "outcome" in rows:
        labelled = {str(context.labeller.value(name, "variable")): part for name, part in rows.groupby("outcome",
                                                                                                       sort=False)}
        return {column: fit_cells(dict(zip(part["statistic"], part["value"].astype(float))), context.language)
                for column, part in labelled.items() if column in columns}
    return {columns[0]: fit_cells(dict(zip(rows["statistic"], rows["value"].astype(float))), context.language)}


def present_long_table(entry: TableEntry, context: ReportContext) -> Presented:
    """The tidy rows, the entry's ``show`` columns (or all but bookkeeping), labelled.

    Parameters
    ----------
    entry : TableEntry
        Options ``where``, ``show``, ``answers`` (columns of answer codes).
    context : ReportContext

    Returns
    -------
    Presented
    """
    table = context.rows(entry.source, entry.options.get("where"))
    if table.empty:
        return Presented(None)
    return Presented(present_long(table, context.labeller, context.numbers, show=entry.options.get("show"),
                                  answers=entry.options.get("answers", ())))


def present_fit(entry: TableEntry, context: ReportContext) -> Presented:
    """Fit statistics as rows, one column per model (``outcome``) or one column of values.

    Parameters
    ----------
    entry : TableEntry
        Option ``where``.
    context : ReportContext

    Returns
    -------
    Presented
    """
    table = numeric_columns(context.rows(entry.source, entry.options.get("where")))
    labeller, numbers = context.labeller, context.numbers
    if "outcome" not in table:
        table = table.assign(outcome="")
    outcomes = list(dict.fromkeys(table["outcome"].astype(str)))
    statistics = list(dict.fromkeys(table["statistic"].astype(str)))
    values = table.set_index([table["outcome"].astype(str), table["statistic"].astype(str)])["value"]

    def shown(statistic: str, value: object) -> str:
        if pd.isna(value):
            return ""
        if statistic == "converged":
            return str(labeller.value(str(bool(value))))
        if statistic in COUNT_STATISTICS:
            return numbers.count(int(value))
        return cell_text(float(value), statistic, numbers, labeller, whole=False)

    rows = [[str(labeller.value(statistic))] + [shown(statistic, values.get((outcome, statistic)))
                                                 for outcome in outcomes]
            for statistic in statistics]
    headers = [labeller.column("statistic_name")] + [str(labeller.value(o)) if o else labeller.column("value")
                                                      for o in outcomes]
    return Presented(pd.DataFrame(rows, columns=headers))


def present_crosstab(entry: TableEntry, context: ReportContext) -> Presented:
    """Observed forms (rows) against predicted forms (columns), counts.

    Parameters
    ----------
    entry : TableEntry
    context : ReportContext

    Returns
    -------
    Presented
    """
    table = context.sources[entry.source]
    labeller, numbers = context.labeller, context.numbers
    rows = [[message("report.total", context.language) if str(name) == "Total" else str(labeller.value(str(name)))]
            + [numbers.count(int(v)) if pd.notna(v) else "" for v in values]
            for name, *values in table.itertuples(index=False, name=None)]
    headers = [message("report.observed", context.language)] + [
        message("report.total", context.language) if column == "Total" else str(labeller.value(column))
        for column in table.columns[1:]]
    return Presented(pd.DataFrame(rows, columns=headers), [message("report.predicted", context.language) + "."])


def present_predictions(entry: TableEntry, context: ReportContext) -> Presented:
    """Predicted probabilities: a row per profile point (variable, group, value), a column per form.

    Parameters
    ----------
    entry : TableEntry
    context : ReportContext

    Returns
    -------
    Presented
    """
    table = numeric_columns(context.sources[entry.source])
    labeller, numbers = context.labeller, context.numbers
    separator = "; " if numbers.decimal_mark == "," else ", "
    table = table.assign(by=table["by"].fillna("").astype(str))
    forms = list(dict.fromkeys(table["outcome"].astype(str)))
    records = []
    for (variable, by, value), rows in table.groupby(["variable", "by", "value"], sort=False):
        cells = rows.set_index(rows["outcome"].astype(str))
        record = [labeller.variable(str(variable)), str(labeller.value(by)) if by else "", numbers.estimate(value)]
        for form in forms:
            row = cells.loc[form] if form in cells.index else None
            record.append("" if row is None else f"{numbers.fixed(row['estimate'], 3)} "
                          f"[{numbers.fixed(row['conf_low'], 3)}{separator}{numbers.fixed(row['conf_high'], 3)}]")
        records.append(record)
    headers = [labeller.column("profile"), labeller.column("by"), labeller.column("value_at")]
    return Presented(pd.DataFrame(records, columns=headers + [str(labeller.value(f)) for f in forms]))


def present_sample_flow(entry: TableEntry, context: ReportContext) -> Presented:
    """The sample flow: responses received, excluded by rule and analysed, a column per wave and the total.

    Parameters
    ----------
    entry : TableEntry
    context : ReportContext
        ``extra["sample_flow"]``: ``wave, step, reason, n`` (pooled rows: wave ``all``).

    Returns
    -------
    Presented
    """
    flow = context.extra["sample_flow"].copy()
    flow["reason"] = flow["reason"].fillna("").astype(str)
    labeller, numbers, language = context.labeller, context.numbers, context.language
    waves = [w for w in dict.fromkeys(flow["wave"].astype(str)) if w != "all"] + ["all"]
    counts = flow.assign(wave=flow["wave"].astype(str)).set_index(["step", "reason", "wave"])["n"]
    records = []
    for (step, reason), _ in flow.groupby(["step", "reason"], sort=False):
        label = message(f"report.steps.{step}", language)
        if reason:
            label = f"{label} : {labeller.value(reason)}" if language == "fr" else f"{label}: {labeller.value(reason)}"
        records.append([label] + [numbers.count(int(counts.get((step, reason, w), 0))) for w in waves])
    headers = [""] + [message("report.wave", language, wave=labeller.wave(w)) for w in waves[:-1]] + [
        message("report.total", language)]
    return Presented(pd.DataFrame(records, columns=headers))


def present_descriptives(entry: TableEntry, context: ReportContext) -> Presented:
    """Table 1: the model variables overall and by governance form, small cells suppressed.

    Parameters
    ----------
    entry : TableEntry
    context : ReportContext
        ``extra["data"]`` (the analysis frame), ``extra["descriptives"]`` (its variables) and
        the ``minimum_cell`` setting.

    Returns
    -------
    Presented
    """
    spec = context.extra["descriptives"]
    table = descriptive_table(context.extra["data"], context.codebook, continuous=spec["continuous"],
                              categorical=spec["categorical"], by=context.outcome, language=context.language,
                              minimum_cell=int(context.settings["minimum_cell"]),
                              weights=context.settings.get("weights"))
    return Presented(table)


PRESENTERS: dict[str, Callable[[TableEntry, ReportContext], Presented]] = {
    "models": present_models, "long": present_long_table, "fit": present_fit, "crosstab": present_crosstab,
    "predictions": present_predictions, "sample_flow": present_sample_flow, "descriptives": present_descriptives,
    "measurement": present_measurement, "hypotheses": present_hypotheses,
    "hypotheses_summary": present_hypotheses_summary,
}


def present(entry: TableEntry, context: ReportContext) -> Presented:
    """The table of ``entry``, laid out by its presenter.

    Parameters
    ----------
    entry : TableEntry
    context : ReportContext

    Returns
    -------
    Presented

    Raises
    ------
    ValueError
        For a presenter the report does not have.
    """
    if entry.presenter not in PRESENTERS:
        raise ValueError(f"table {entry.key!r}: unknown presenter {entry.presenter!r}; known: {sorted(PRESENTERS)}")
    return PRESENTERS[entry.presenter](entry, context)


__all__ = ["LABEL_COLUMN", "PART_COLUMN", "PRESENTERS", "present"]
