"""Pool the cleaned waves (rule ``pool``): the responses analysed together, and the pooled
sample flow in which every received response is analysed or excluded with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from alliancegov.clean.stage import CleanWave
from alliancegov.clean.stage import wave_flow as flow_of_wave


def pool_waves(waves: list[CleanWave], rule_order: tuple[str, ...]) -> CleanWave:
    """Stack cleaned waves; the flow gains pooled rows (wave ``all``).

    Parameters
    ----------
    waves : list of CleanWave
        The cleaned waves, in the order their rows are stacked.
    rule_order : tuple of str
        The exclusion rules in the configured order (the order of the pooled flow's rows).

    Returns
    -------
    CleanWave
        Every table of the waves stacked in the order given (index reset); the flow ends with the
        pooled rows (:func:`~alliancegov.clean.stage.wave_flow` of wave ``all``): the waves' responses
        received, excluded per rule and analysed.
    """
    analysed = pd.concat([w.analysed for w in waves], ignore_index=True)
    exclusions = pd.concat([w.exclusions for w in waves], ignore_index=True)
    flows = pd.concat([w.flow for w in waves], ignore_index=True)
    received = int(flows.loc[flows["step"] == "received", "n"].sum())
    flow = pd.concat([flows, flow_of_wave("all", received, exclusions["rule"], rule_order)], ignore_index=True)
    nonresponse = pd.concat([w.nonresponse for w in waves], ignore_index=True)
    respondents = pd.concat([w.respondents for w in waves], ignore_index=True)
    return CleanWave(analysed, exclusions, flow, nonresponse, respondents)


def run(*, data: Sequence[str], exclusions: Sequence[str], flow: Sequence[str], nonresponse: Sequence[str],
        respondents: Sequence[str], outputs: dict[str, str], rules: Sequence[str],
        provenance: Sequence[str] = (), model_variables: dict | None = None) -> CleanWave:
    """The pool rule: the waves checked against each other and against the models, then stacked.

    Parameters
    ----------
    data, exclusions, flow, nonresponse, respondents : sequence of str
        Each wave's files as the clean rule wrote them, waves in the same order in every list.
    outputs : dict of str to str
        ``data`` (Parquet), ``sample_flow``, ``exclusions``, ``nonresponse`` and ``respondents``
        (CSV).
    rules : sequence of str
        The exclusion rules in the configured order.
    provenance : sequence of str, default=()
        The waves' provenance records (JSON): their key fingerprints must agree.
    model_variables : dict, optional
        :func:`~alliancegov.model_inputs.model_variables` of the config: every wave must provide
        each of them.

    Returns
    -------
    CleanWave
        The pooled waves.

    Raises
    ------
    alliancegov.ingest.cells.IngestError
        If the waves were pseudonymised with different keys.
    ValueError
        If a wave cannot provide a model variable (every answer missing, or the column absent).
    """
    import json
    import logging

    from alliancegov.ingest.pseudonymise import check_key_fingerprints
    from alliancegov.model_inputs import check_model_variables

    records = []
    for path in provenance:
        with open(path, encoding="utf-8") as handle:
            records.append(json.load(handle))
    check_key_fingerprints(records)
    waves = [CleanWave.read(wave_data, exclusions=wave_exclusions, flow=wave_flow, nonresponse=wave_nonresponse,
                            respondents=wave_respondents)
             for wave_data, wave_exclusions, wave_flow, wave_nonresponse, wave_respondents
             in zip(data, exclusions, flow, nonresponse, respondents)]
    if model_variables:
        check_model_variables({str(w.flow["wave"].iloc[0]): w.analysed for w in waves}, model_variables)
    pooled = pool_waves(waves, tuple(rules))
    pooled.write(outputs["data"], exclusions=outputs["exclusions"], flow=outputs["sample_flow"],
                 nonresponse=outputs["nonresponse"], respondents=outputs["respondents"])
    logging.getLogger("alliancegov").info("%s", pooled.flow.to_string(index=False))
    return pooled
