"""Pool the cleaned waves (rule ``pool``): the responses analysed together, and the pooled
sample flow in which every received response is analysed or excluded with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from alliancegov.clean import CleanWave
from alliancegov.clean import wave_flow as flow_of_wave


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
        pooled rows (:func:`~alliancegov.clean.wave_flow` of wave ``all``): the waves' responses
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
        respondents: Sequence[str], outputs: dict[str, str], rules: Sequence[str]) -> CleanWave:
    """The pool rule.

    Parameters
    ----------
    data, exclusions, flow, nonresponse, respondents : sequence of str
        Each wave's files as the clean rule wrote them, waves in the same order in every list.
    outputs : dict of str to str
        ``data`` (Parquet), ``sample_flow``, ``exclusions``, ``nonresponse`` and ``respondents``
        (CSV).
    rules : sequence of str
        The exclusion rules in the configured order.

    Returns
    -------
    CleanWave
        The pooled waves.
    """
    import logging

    waves = [CleanWave.read(wave_data, exclusions=wave_exclusions, flow=wave_flow, nonresponse=wave_nonresponse,
                            respondents=wave_respondents)
             for wave_data, wave_exclusions, wave_flow, wave_nonresponse, wave_respondents
             in zip(data, exclusions, flow, nonresponse, respondents)]
    pooled = pool_waves(waves, tuple(rules))
    pooled.write(outputs["data"], exclusions=outputs["exclusions"], flow=outputs["sample_flow"],
                 nonresponse=outputs["nonresponse"], respondents=outputs["respondents"])
    logging.getLogger("alliancegov").info("%s", pooled.flow.to_string(index=False))
    return pooled
