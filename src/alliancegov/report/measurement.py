"""The report's "Measurement" tables, from the measurement stage's CSVs, with a note under each.

Each table is shaped for a reader (labels of the scales and variables in the report's language,
the columns that matter, the flagged rows first) and gets a note saying what its tests and
intervals are (:data:`alliancegov.report.text.MEASUREMENT_NOTES`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.correlation_matrix import correlation_matrix
from alliancegov.formatting import number_format
from alliancegov.report.text import MEASUREMENT_COLUMNS, MEASUREMENT_NOTES, MEASUREMENT_VALUES
from alliancegov.table_formats import LABEL_COLUMN, PART_COLUMN

MEASUREMENT_KEYS = ("measurement_flags", "measurement_correlations", "measurement_reliability",
                    "measurement_validity", "measurement_loadings", "measurement_fit", "measurement_invariance",
                    "measurement_common_method", "measurement_nonresponse", "measurement_vif")
FILES = ("correlations", "vif", "cfa", "validity", "invariance", "common_method", "nonresponse", "flags")


def _labelled(table: pd.DataFrame, columns: list[str], codebook: Codebook | None, language: str) -> pd.DataFrame:
    """``columns`` of ``table``, names of scales and variables as codebook labels, coded values and
    headers translated."""
    out = table[columns].copy()
    values = MEASUREMENT_VALUES[language]
    for column in ("criterion", "comparison", "grouping", "model", "held", "measure"):
        if column in out:
            out[column] = out[column].map(lambda v: values.get(str(v), v) if pd.notna(v) else v)
    for column in ("scale", "other_scale", "variable", "variable_a", "variable_b", "factor"):
        if column in out and codebook is not None:
            out[column] = out[column].map(lambda v: codebook.label_or_name(v, language) if isinstance(v, str) and v
                                          else v)
    return out.rename(columns=MEASUREMENT_COLUMNS[language])


def measurement_tables(files: Mapping[str, str], codebook: Codebook | None, language: str,
                       settings: Mapping | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The Measurement section's tables and the note under each.

    Parameters
    ----------
    files : mapping of str to str
        The measurement stage's CSVs by key (``correlations``, ``vif``, ``cfa``, ``validity``,
        ``invariance``, ``common_method``, ``nonresponse``, ``flags``).
    codebook : Codebook, optional
        Labels of the scales and variables.
    language : {"fr", "en"}
        Language of the headers and notes.
    settings : mapping, optional
        The config's ``measurement:`` section (the correlation table's significance convention and
        the marker).

    Returns
    -------
    tables : dict of str to DataFrame
        Keyed by ``MEASUREMENT_KEYS``: the flagged scales, the wide correlation matrix, α/CR/AVE
        per scale, the flagged items and pairs, the loadings, the CFA's fit, the invariance steps,
        the common-method checks, the nonresponse comparisons and the VIFs.
    notes : dict of str to str
        The note under each table, in ``language``.
    """
    settings = settings or {}
    read = {key: pd.read_csv(path, keep_default_na=False, na_values=[""]) for key, path in files.items()}
    tables = {}
    flags = read["flags"]
    flagged = flags[flags["flagged"].astype(str).str.lower() == "true"]
    tables["measurement_flags"] = _labelled(flagged, ["scale", "criterion", "value", "threshold", "comparison", "note"],
                                            codebook, language)
    shown = settings.get("correlations") or {}
    matrix = correlation_matrix(read["correlations"], codebook, language=language,
                                significance=shown.get("significance", "stars"),
                                stars=shown.get("stars", (0.05, 0.01, 0.001)),
                                marker=(settings.get("common_method") or {}).get("marker"))
    tables["measurement_correlations"] = matrix[matrix[PART_COLUMN] != "note"].drop(columns=PART_COLUMN).rename(
        columns={LABEL_COLUMN: ""})
    correlation_notes = list(matrix.loc[matrix[PART_COLUMN] == "note", LABEL_COLUMN])
    validity = read["validity"]
    per_scale = validity[validity["measure"].isin(["alpha", "composite_reliability", "ave"])]
    wide = per_scale.pivot(index="scale", columns="measure", values="value").reindex(
        columns=["alpha", "composite_reliability", "ave"]).reset_index()
    wide.columns.name = None
    wide["scale"] = pd.Categorical(wide["scale"], categories=list(dict.fromkeys(per_scale["scale"])))
    tables["measurement_reliability"] = _labelled(wide.sort_values("scale").astype({"scale": str}),
                                                  ["scale", "alpha", "composite_reliability", "ave"], codebook,
                                                  language)
    others = validity[~validity["measure"].isin(["alpha", "composite_reliability", "ave"])]
    others = others[others["flagged"].astype(str).str.lower() == "true"]
    tables["measurement_validity"] = _labelled(others, ["measure", "scale", "other_scale", "item", "value",
                                                        "statistic", "threshold", "method"], codebook, language)
    cfa = read["cfa"]
    loadings = cfa[cfa["part"] == "loading"]
    tables["measurement_loadings"] = _labelled(loadings, ["factor", "item", "estimate", "std_error", "conf_low",
                                                          "conf_high", "std_all"], codebook, language)
    fit = cfa[cfa["part"] == "fit"]
    counts = fit["measure"].isin(["n_obs", "n_dropped", "npar", "df"])
    numbers = number_format(language)
    shown_fit = fit.assign(estimate=[numbers.fixed(int(v) if count else v, 3)
                                     for v, count in zip(fit["estimate"], counts)])
    tables["measurement_fit"] = _labelled(shown_fit.astype({"estimate": object}), ["measure", "estimate", "p_value"],
                                          codebook, language)
    invariance = read["invariance"]
    tables["measurement_invariance"] = _labelled(invariance, [
        "grouping", "scale", "model", "chisq", "df", "delta_chisq", "delta_df", "p_delta", "cfi", "delta_cfi",
        "rmsea", "delta_rmsea", "held"], codebook, language)
    method = read["common_method"].astype({"df": "Int64"})
    method = method[~method["quantity"].isin(["method_share", "trait_share"])]
    tables["measurement_common_method"] = _labelled(method, ["test", "quantity", "variable_a",
                                                                        "variable_b", "value", "df", "p_value"],
                                                    codebook, language)
    tables["measurement_nonresponse"] = _labelled(read["nonresponse"].astype({"n_a": "Int64", "n_b": "Int64"}), [
        "analysis", "wave", "variable", "n_a", "n_b", "mean_a", "mean_b", "estimate", "conf_low", "conf_high",
        "p_value", "note"], codebook, language)
    tables["measurement_vif"] = _labelled(read["vif"].rename(columns={"criterion": "criterion_vif"}),
                                          ["model", "term", "df", "gvif", "criterion_vif", "threshold", "warning"],
                                          codebook, language)
    notes = {key: MEASUREMENT_NOTES[language][key] for key in MEASUREMENT_KEYS}
    notes["measurement_correlations"] = " ".join(correlation_notes)
    notes["measurement_fit"] = notes["measurement_fit"] + " " + str(fit.loc[fit["measure"] == "chisq", "note"].iloc[0])
    return tables, notes


def wave_comparison_warning(files: Mapping[str, str], codebook: Codebook | None, language: str) -> str:
    """A sentence naming the scales whose means must not be compared across waves, or ``""``.

    Parameters
    ----------
    files : mapping of str to str
        The measurement stage's CSVs by key (its ``flags``).
    codebook : Codebook, optional
        Labels of the scales.
    language : {"fr", "en"}
        Language of the sentence.

    Returns
    -------
    str
    """
    flags = pd.read_csv(files["flags"], keep_default_na=False)
    failing = flags[(flags["criterion"] == "scalar_invariance") & (flags["comparison"] == "wave")
                    & (flags["flagged"].astype(str).str.lower() == "true")]["scale"]
    if failing.empty:
        return ""
    names = [codebook.label_or_name(s, language) if codebook is not None else s for s in failing]
    return MEASUREMENT_NOTES[language]["wave_means"].format(scales=", ".join(names))
