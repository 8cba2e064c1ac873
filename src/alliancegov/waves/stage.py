"""The waves stage (rule ``waves``): the choice model across waves, the governance forms of each
wave and the panel of re-interviewed firms, as published tables and the figures' hand-overs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.descriptives import form_by_sector_table


def form_shares_by_wave(analysis: pd.DataFrame, codebook: Codebook, waves: list[str],
                        outcome: str = "governance_form", level: float = 0.95) -> pd.DataFrame:
    """:func:`form_by_sector_table` by survey wave (in the order of ``waves``), with Wilson score
    intervals of each share (``conf_low``, ``conf_high``): firms are independent within a wave.

    Parameters
    ----------
    analysis : DataFrame
        The pooled analysis frame, with a ``wave`` column.
    codebook : Codebook
        Orders the outcome's answers.
    waves : list of str
        The waves, in survey order.
    outcome : str, default="governance_form"
        The column of the governance form.
    level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per wave × form, zeros included: ``wave``, the outcome (named after its column),
        ``n`` (firms), ``share`` (of the wave's firms, 0–1), ``wave_n`` (firms in the wave),
        ``conf_low, conf_high`` (Wilson interval of the share; NaN for a wave with no response).
    """
    from statsmodels.stats.proportion import proportion_confint

    table = form_by_sector_table(analysis, codebook, outcome, "wave", group_levels=waves)
    totals = table.groupby("wave", sort=False)["n"].transform("sum")
    low, high = proportion_confint(table["n"], totals.where(totals > 0), alpha=1 - level, method="wilson")
    return table.assign(wave_n=totals.astype("int64"), conf_low=np.asarray(low, float),
                        conf_high=np.asarray(high, float))


def run(*, data: str, codebook: Sequence[str], outputs: dict[str, str], spec: dict, waves: Sequence[str],
        minimum_cell: int) -> None:
    """The waves rule.

    Parameters
    ----------
    data : str
        Parquet file of the analysis frame.
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        CSV paths of ``form_shares``, and of ``choice_waves`` and ``choice_stability`` (with the
        multinomial logit) and the panel tables (:data:`alliancegov.waves.panel.PANEL_FILES`' stems;
        when firms are linked across waves); Parquet paths of the figures' hand-overs
        ``transition_counts`` and ``form_by_wave`` (unsuppressed, not for publication) with the
        panel tables. The tables written are those named here.
    spec : dict
        The config's ``choice`` section.
    waves : sequence of str
        The waves in survey order.
    minimum_cell : int
        Published counts below it are suppressed, with secondary suppression.
    """
    import logging

    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.disclosure import suppress_tidy_crosstab
    from alliancegov.frame_columns import named_in, read_frame
    from alliancegov.safe_output import write_csv
    from alliancegov.waves.models import wave_tables
    from alliancegov.waves.panel import PANEL_FILES, SAME_ALLIANCE, panel_transitions, publishable_panel_tables

    choice = ChoiceSpec.from_config(spec)
    book = Codebook.from_files(codebook)
    forms = book.answer_names(choice.outcome)
    # the choice model's columns, the wave identifiers and the panel's "still the same alliance?" answer
    analysis = read_frame(data, named_in(spec) | {SAME_ALLIANCE})
    log = logging.getLogger("alliancegov")
    if "choice_waves" in outputs:
        for name, table in wave_tables(analysis, choice, forms).items():
            write_csv(table, outputs[name])
    shares = form_shares_by_wave(analysis, book, list(waves), choice.outcome)
    write_csv(suppress_tidy_crosstab(shares, "wave", choice.outcome, minimum=minimum_cell,
                                     shares=["share", "conf_low", "conf_high"]), outputs["form_shares"])
    log.info("waves in order: %s", ", ".join(waves))
    if "transition_counts" not in outputs:
        return
    panel = panel_transitions(analysis, choice.outcome, forms, waves=list(waves))
    for name, table in publishable_panel_tables(panel, minimum=minimum_cell).items():
        write_csv(table, outputs[PANEL_FILES[name]])
    for name in ("transition_counts", "form_by_wave"):
        panel[name].to_parquet(outputs[name], index=False)
    log.info("firms linked: %s", panel["panel_links"]["n_linked"].tolist())
