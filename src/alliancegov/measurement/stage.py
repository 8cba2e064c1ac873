"""The measurement rule: CFA, validity, invariance, common-method variance, nonresponse and the flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.constructs.reliability import cronbach_alpha
from alliancegov.measurement.correlations import correlation_rows, vif_table
from alliancegov.measurement.factors import (
    RELIABILITY_METHODS,
    REPEATED_NOTES,
    cfa_sample,
    cfa_table,
    fit_quietly,
    invariance_rows,
    scalar_invariance,
    validity_table,
)
from alliancegov.measurement.flags import flag_table
from alliancegov.measurement.method import common_method_table, harman_rows, marker_rows, method_factor_rows
from alliancegov.measurement.nonresponse import attrition, early_late, nonresponse_table, response_rates
from alliancegov.measurement.settings import MeasurementSettings

OUTPUTS = ("correlations", "vif", "cfa", "validity", "invariance", "common_method", "nonresponse", "flags")


def diagonal(analysis: pd.DataFrame, codebook: Codebook, settings: MeasurementSettings,
             validity: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """The reliability on the correlation table's diagonal, for each scale among its variables.

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame (items reverse-coded).
    codebook : Codebook
        The scales' items.
    settings : MeasurementSettings
        ``diagonal`` and ``composite_reliability``.
    validity : DataFrame
        The validity table (its ``composite_reliability`` rows).

    Returns
    -------
    dict of str to (float, str)
        Scale -> (value, what it is). Cronbach's alpha on every response, listwise within the scale
        (as ``reliability.csv``'s pooled row); or the CFA's composite reliability, falling back to
        alpha for a scale outside the CFA (the marker).
    """
    composite = validity[validity["measure"] == "composite_reliability"].set_index("scale")["value"]
    values = {}
    for variable in settings.correlation_variables:
        if variable not in set(codebook.scales["scale"]):
            continue
        if settings.diagonal == "composite_reliability" and variable in composite.index:
            values[variable] = (float(composite[variable]), RELIABILITY_METHODS[settings.composite_reliability])
        else:
            alpha, _ = cronbach_alpha(analysis[codebook.items(variable)["name"].tolist()])
            values[variable] = (alpha, "Cronbach's alpha")
    return values


def nonresponse_rows(analysis: pd.DataFrame, sample_flow: pd.DataFrame, settings: MeasurementSettings,
                     frame_sizes: Mapping[str, float | None], cluster: str) -> pd.DataFrame:
    """Response rates, early versus late respondents and attrition (:mod:`alliancegov.measurement.nonresponse`).

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame.
    sample_flow : DataFrame
        ``wave, step, reason, n`` (the pooled sample flow).
    settings : MeasurementSettings
        ``key_variables`` and ``time_variable``.
    frame_sizes : mapping of str to float or None
        Wave -> its sampling frame size.
    cluster : str
        The firm key.

    Returns
    -------
    DataFrame
        :func:`alliancegov.measurement.nonresponse.nonresponse_table`.
    """
    flow = sample_flow[sample_flow["wave"].astype(str) != "all"]
    counts = flow.groupby(["wave", "step"])["n"].sum()
    waves = list(dict.fromkeys(flow["wave"].astype(str)))
    analysed = {wave: int(counts.get((wave, "analysed"), 0)) for wave in waves}
    received = {wave: int(counts.get((wave, "received"), 0)) for wave in waves}
    rows = response_rates(analysed, received, frame_sizes)
    rows += early_late(analysis, settings.key_variables, time_variable=settings.time_variable)
    rows += attrition(analysis, settings.key_variables, cluster=cluster)
    return nonresponse_table(rows)


def measure(analysis: pd.DataFrame, sample_flow: pd.DataFrame, codebook: Codebook, settings: MeasurementSettings, *,
            formulas: Mapping[str, str], frame_sizes: Mapping[str, float | None]) -> dict[str, pd.DataFrame]:
    """Every table of the stage, from the analysis frame.

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame (constructs stage).
    sample_flow : DataFrame
        The pooled sample flow.
    codebook : Codebook
        Scales and items.
    settings : MeasurementSettings
        The stage's settings.
    formulas : mapping of str to str
        Model -> right-hand side whose regressors' VIFs are computed.
    frame_sizes : mapping of str to float or None
        Wave -> its sampling frame size.

    Returns
    -------
    dict of str to DataFrame
        Keyed by ``OUTPUTS``.

    Raises
    ------
    ValueError
        If a variable the settings name is not a column of ``analysis``, or there is no scale.
    """
    settings.check_columns(analysis.columns)
    if not settings.scales:
        raise ValueError("measurement: the codebook has no multi-item scale to analyse (scales.csv is empty); "
                         "leave the measurement section out of the config")
    cluster = settings.cluster if settings.cluster in analysis and analysis[settings.cluster].notna().any() else None
    factors = settings.factors(codebook)
    items = [item for members in factors.values() for item in members]
    sample = cfa_sample(analysis, settings.cluster, settings.repeated_firms)
    result, messages = fit_quietly(sample, factors)
    firms = sample[cluster].nunique() if cluster else len(sample)
    repeated = REPEATED_NOTES[settings.repeated_firms].format(n=len(sample), firms=firms)
    tables = {"cfa": cfa_table(result, messages, repeated)}
    tables["validity"] = validity_table(
        result, sample, factors, composite=settings.composite_reliability, htmt_form=settings.htmt,
        htmt_threshold=settings.htmt_threshold, loading_threshold=settings.loading_threshold,
        reliability_threshold=settings.reliability_threshold, ave_threshold=settings.ave_threshold,
        cross_loading_alpha=settings.cross_loading_alpha)
    tables["invariance"] = invariance_rows(sample, factors, settings.invariance_groups, delta_cfi=settings.delta_cfi,
                                           delta_rmsea=settings.delta_rmsea)
    substantive = [v for v in settings.correlation_variables if v != settings.marker]
    marker, marker_correlation = marker_rows(analysis, substantive, settings.marker)
    tables["common_method"] = common_method_table(
        [*harman_rows(sample, items),
         *method_factor_rows(sample, factors, equal_loadings=settings.method_equal_loadings), *marker])
    tables["correlations"] = correlation_rows(
        analysis, list(settings.correlation_variables), cluster=cluster,
        reliability=diagonal(analysis, codebook, settings, tables["validity"]), missing=settings.missing,
        marker_correlation=marker_correlation, marker=settings.marker)
    tables["vif"] = vif_table(analysis, formulas, threshold=settings.vif_threshold, derived=settings.derived)
    tables["nonresponse"] = nonresponse_rows(analysis, sample_flow, settings, frame_sizes, settings.cluster)
    tables["flags"] = flag_table(tables["validity"], scalar_invariance(tables["invariance"]),
                                 reliability_threshold=settings.reliability_threshold,
                                 ave_threshold=settings.ave_threshold, delta_cfi=settings.delta_cfi,
                                 derived=settings.derived,
                                 index=settings.index, names=analysis.columns)
    return tables


def run(*, data: str, sample_flow: str, codebook: Sequence[str], outputs: dict[str, str], settings: dict,
        performance: dict | None = None, formulas: dict[str, str] | None = None,
        frame_sizes: dict[str, float | None] | None = None) -> dict[str, pd.DataFrame]:
    """The measurement rule: every table of :func:`measure`, written as CSV.

    Parameters
    ----------
    data : str
        Parquet file of the analysis frame.
    sample_flow : str
        The pooled sample flow (CSV).
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        A CSV path for each key of ``OUTPUTS``.
    settings : dict
        The config's ``measurement:`` section.
    performance : dict, optional
        The config's ``performance:`` section (derived variables and index).
    formulas : dict of str to str, optional
        Model -> right-hand side (the choice and performance formulas) for the VIFs.
    frame_sizes : dict of str to float or None, optional
        Wave -> its sampling frame size (the waves sheet's ``frame_size``).

    Returns
    -------
    dict of str to DataFrame
        The tables written.
    """
    import logging

    from alliancegov.frame_columns import named_in, read_frame, with_scale_items
    from alliancegov.safe_output import write_csv

    log = logging.getLogger("alliancegov")
    book = Codebook.from_files(codebook)
    # the columns the settings and formulas name, and every scale with its items (the CFA's default)
    used = with_scale_items({*named_in(settings, performance, formulas), *book.scales.index}, book)
    analysis = read_frame(data, used)
    chosen = MeasurementSettings.from_config(settings, book, performance)
    tables = measure(analysis, pd.read_csv(sample_flow, keep_default_na=False), book, chosen,
                     formulas=formulas or {}, frame_sizes=frame_sizes or {})
    for key in OUTPUTS:
        write_csv(tables[key], outputs[key])
    fit = tables["cfa"][tables["cfa"]["part"] == "fit"].set_index("measure")["estimate"]
    log.info("CFA of %d scales: chi2 = %.1f on %d df, CFI = %.3f, RMSEA = %.3f, SRMR = %.3f", len(chosen.scales),
             fit["chisq"], int(fit["df"]), fit["cfi"], fit["rmsea"], fit["srmr"])
    flagged = tables["flags"][tables["flags"]["flagged"]]
    for note in flagged["note"]:
        log.warning("measurement flag: %s", note)
    if not len(flagged):
        log.info("no scale flagged")
    log.info("correlations of %d variables; VIF above %g: %d terms", len(chosen.correlation_variables),
             chosen.vif_threshold, int(np.nansum(tables["vif"]["above_threshold"].astype(float))))
    return tables
