"""The constructs stage (rule ``constructs``): the pooled responses scored into the analysis frame,
with the reliability and item statistics of the scales."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.constructs.reliability import item_table, reliability_table
from alliancegov.constructs.scores import reverse_code, score_responses


def build_analysis(pooled: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The analysis frame (:func:`score_responses`) and the reliability table of its recoded items.

    Parameters
    ----------
    pooled : DataFrame
        The pooled responses, items as given, with ``wave``.
    codebook : Codebook
        The items, scales and value sets.

    Returns
    -------
    analysis : DataFrame
        :func:`score_responses` of ``pooled``.
    reliability : DataFrame
        :func:`reliability_table`'s rows.
    """
    analysis = score_responses(pooled, codebook)
    return analysis, reliability_table(analysis, codebook)


def run(*, data: str, codebook: Sequence[str], outputs: dict[str, str]) -> pd.DataFrame:
    """The constructs rule: items recoded, scales scored, reliability and item statistics.

    Parameters
    ----------
    data : str
        Parquet file of the pooled responses.
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``data`` (the analysis frame, Parquet), ``reliability`` and ``item_statistics`` (CSV).

    Returns
    -------
    DataFrame
        The analysis frame.
    """
    import logging

    from alliancegov.safe_output import write_csv

    book = Codebook.from_files(codebook)
    pooled = pd.read_parquet(data)   # every column: the analysis frame it writes carries them all
    analysis, reliability = build_analysis(pooled, book)
    analysis.to_parquet(outputs["data"], index=False)
    write_csv(reliability, outputs["reliability"])
    write_csv(item_table(reverse_code(pooled, book), book), outputs["item_statistics"])
    logging.getLogger("alliancegov").info("%d responses scored on %d scales", len(analysis), len(book.scales))
    return analysis
