"""The report's measurement tables, from the measurement stage's CSVs.

Each table is shaped for a reader: labels of the scales and variables in the report's language,
the columns that matter, the flagged rows only where the stage flags; its caption and note are
the catalogue's (``tables.measurement_*``).
"""

from __future__ import annotations

import pandas as pd

from alliancegov.correlation_matrix import correlation_matrix
from alliancegov.messages import message
from alliancegov.report.cells import present_long
from alliancegov.report.context import Presented, ReportContext
from alliancegov.report.registry import TableEntry

PER_SCALE = ("alpha", "composite_reliability", "ave")
FIT_COUNTS = ("n_obs", "n_dropped", "npar", "df")
SHOWN = {
    "measurement_flags": ["scale", "criterion", "value", "threshold", "comparison"],
    "measurement_validity": ["measure", "scale", "other_scale", "item", "value", "statistic", "threshold"],
    "measurement_loadings": ["factor", "item", "estimate", "std_error", "conf_low", "conf_high", "std_all"],
    "measurement_invariance": ["grouping", "scale", "model", "chisq", "df", "delta_chisq", "delta_df", "p_delta", "cfi",
                               "delta_cfi", "rmsea", "delta_rmsea", "held"],
    "measurement_common_method": ["test", "quantity", "variable_a", "variable_b", "value", "df", "p_value"],
    "measurement_nonresponse": ["analysis", "wave", "variable", "n_a", "n_b", "mean_a", "mean_b", "estimate",
                                "conf_low", "conf_high", "p_value"],
    "measurement_vif": ["model", "term", "df", "gvif", "criterion_vif", "threshold", "above_threshold"],
}


def _flagged(table: pd.DataFrame) -> pd.Series:
    return table["flagged"].astype(str).str.lower() == "true"


def measurement_rows(key: str, context: ReportContext) -> pd.DataFrame:
    """The rows and columns of one measurement table, before labelling.

    Parameters
    ----------
    key : str
        A ``measurement_*`` key of the registry.
    context : ReportContext
        Its sources hold the measurement stage's CSVs.

    Returns
    -------
    DataFrame
    """
    sources = context.sources
    if key == "measurement_flags":
        return sources["measurement_flags"][_flagged(sources["measurement_flags"])]
    if key in ("measurement_reliability", "measurement_validity"):
        validity = sources["measurement_validity"]
        if key == "measurement_validity":
            others = validity[~validity["measure"].isin(PER_SCALE)]
            return others[_flagged(others)]
        per_scale = validity[validity["measure"].isin(PER_SCALE)]
        wide = per_scale.pivot(index="scale", columns="measure", values="value").reindex(columns=list(PER_SCALE))
        return wide.reindex(list(dict.fromkeys(per_scale["scale"]))).reset_index().rename_axis(columns=None)
    if key in ("measurement_loadings", "measurement_fit"):
        cfa = sources["measurement_cfa"]
        return cfa[cfa["part"] == ("loading" if key == "measurement_loadings" else "fit")]
    if key == "measurement_common_method":
        method = sources["common_method"]
        return method[~method["quantity"].isin(["method_share", "trait_share"])]
    if key == "measurement_vif":
        return sources["vif"].rename(columns={"criterion": "criterion_vif"})
    return sources[{"measurement_invariance": "measurement_invariance",
                    "measurement_nonresponse": "nonresponse_bias"}[key]]


def present_measurement(entry: TableEntry, context: ReportContext) -> Presented:
    """One measurement table as the report shows it.

    Parameters
    ----------
    entry : TableEntry
        A ``measurement_*`` entry.
    context : ReportContext
        The ``measurement`` setting (the config's section: the correlation table's significance
        convention and the marker).

    Returns
    -------
    Presented
        The correlation matrix keeps its layout and notes; the CFA's fit shows counts as
        integers; the flags table notes the scales whose means must not be compared across
        waves.
    """
    labeller, numbers, language = context.labeller, context.numbers, context.language
    if entry.key == "measurement_correlations":
        settings = context.settings.get("measurement") or {}
        shown = settings.get("correlations") or {}
        matrix = correlation_matrix(context.sources["correlations"], context.codebook, language=language,
                                    significance=shown.get("significance", "stars"),
                                    stars=shown.get("stars", (0.05, 0.01, 0.001)),
                                    marker=(settings.get("common_method") or {}).get("marker"))
        return Presented(matrix)
    rows = measurement_rows(entry.key, context)
    if rows.empty:
        return Presented(None)
    if entry.key == "measurement_fit":
        cells = [[str(labeller.value(measure)),
                  numbers.count(int(value)) if measure in FIT_COUNTS else numbers.fixed(value, 3),
                  numbers.p_value(p) if pd.notna(p) else ""]
                 for measure, value, p in zip(rows["measure"], rows["estimate"], rows["p_value"])]
        return Presented(pd.DataFrame(cells, columns=[labeller.column("measure"), labeller.column("value"),
                                                      labeller.column("p_value")]))
    show = SHOWN.get(entry.key, ["scale", *PER_SCALE])
    counts = rows.assign(**{"value": [int(v) if q == "n_items" else v for q, v in zip(rows["quantity"], rows["value"])]}
                         ) if "quantity" in rows else rows
    table = present_long(counts, labeller, numbers, show=show)
    notes = []
    if entry.key == "measurement_flags":
        failing = rows[(rows["criterion"] == "scalar_invariance") & (rows["comparison"].astype(str) == "wave")]
        if len(failing):
            notes.append(message("report.wave_means", language,
                                 scales=", ".join(labeller.variable(s) for s in failing["scale"])))
    return Presented(table, notes)
