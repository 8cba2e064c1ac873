"""The clean stage (rule ``clean``): one ingested wave to its analysed responses and the accounts
of the others, every response analysed or excluded for exactly one reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancegov.clean.nonresponse import item_nonresponse, respondent_nonresponse, split_missing_codes
from alliancegov.clean.quality import QualitySettings, quality_flags
from alliancegov.codebook.tables import Codebook
from alliancegov.ingest.settings import INGEST_FLAGS, RAW_COLUMN


@dataclass
class CleanWave:
    """A cleaned wave (or the pooled waves): the analysed responses and the accounts of the others.

    Attributes
    ----------
    analysed : DataFrame
        The responses kept, one row per response, missing codes as missing.
    exclusions : DataFrame
        One row per excluded response: ``wave, firm_key, source_row, submission_id, rule,
        offending``.
    flow : DataFrame
        The sample flow (:func:`wave_flow`): ``wave, step, reason, n``.
    nonresponse : DataFrame
        ``wave, variable, kind, n, share`` (:func:`item_nonresponse`, among analysed responses).
    respondents : DataFrame
        ``wave, firm_key, source_row, items, dont_know, refused, not_applicable, blank,
        share_missing`` (:func:`respondent_nonresponse`, analysed responses).
    TABLES : tuple of str
        The tables written as CSV besides ``analysed`` (a class constant, not a field).
    """

    analysed: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame
    nonresponse: pd.DataFrame
    respondents: pd.DataFrame

    TABLES = ("exclusions", "flow", "nonresponse", "respondents")

    @classmethod
    def read(cls, data: str, **tables: str) -> CleanWave:
        """A wave as :meth:`write` wrote it: the Parquet file of ``analysed`` and one CSV per table.

        Parameters
        ----------
        data : str
            The Parquet file of ``analysed``.
        **tables : str
            A CSV path for each name of :attr:`TABLES`.

        Returns
        -------
        CleanWave
            The wave; in the tables no value is read as missing, and ``firm_key``,
            ``submission_id`` and ``reason`` are read as text.
        """
        def read(path: str) -> pd.DataFrame:
            return pd.read_csv(path, dtype={"firm_key": str, "submission_id": str, "reason": str},
                               keep_default_na=False)

        return cls(pd.read_parquet(data), *(read(tables[name]) for name in cls.TABLES))

    def write(self, data: str, **tables: str) -> None:
        """Write ``analysed`` as Parquet at ``data`` and every table of :attr:`TABLES` as CSV.

        Parameters
        ----------
        data : str
            The Parquet file for ``analysed`` (written without the index).
        **tables : str
            A CSV path for each name of :attr:`TABLES`.
        """
        from alliancegov.safe_output import write_csv

        self.analysed.to_parquet(data, index=False)
        for name in self.TABLES:
            write_csv(getattr(self, name), tables[name])


def clean_wave(ingested: pd.DataFrame, codebook: Codebook, settings: QualitySettings, *,
               survey_year: int) -> CleanWave:
    """Missing codes → missing, flags, first-matching-rule exclusion, row accounting.

    Parameters
    ----------
    ingested : DataFrame
        One wave's ingested responses (one ``wave`` value), with ``firm_key``, ``source_row`` and
        the ingestion's flag columns (:data:`~alliancegov.ingest.settings.INGEST_FLAGS`; a frame
        without them raises none of those flags).
    codebook : Codebook
        The survey's codebook.
    settings : QualitySettings
        The checks and the exclusion rules in order.
    survey_year : int
        The wave's survey year (bounds written ``survey_year``).

    Returns
    -------
    CleanWave
        ``analysed``: the responses no configured rule flags, missing codes as missing, with a
        ``survey_year`` column and without the raw text of quarantined answers or the flag columns
        of the reading (``unknown_values`` is kept); ``exclusions``: the others, each with the first
        configured rule it raises and its description; the flow, and nonresponse among the analysed
        responses.
    """
    wave = str(ingested["wave"].iloc[0])
    values, kinds = split_missing_codes(ingested.reset_index(drop=True), codebook)
    flags, offending = quality_flags(values, codebook, settings, survey_year, kinds)
    active = flags[list(settings.exclusion_rules)]
    if active.shape[1]:
        reason = active.idxmax(axis=1).where(active.any(axis=1))
    else:  # no exclusion rule configured: every response is analysed
        reason = pd.Series(np.nan, index=flags.index, dtype=object)
    excluded = reason.notna()
    rows = np.flatnonzero(excluded.to_numpy())
    exclusions = pd.DataFrame({
        "wave": wave,
        "firm_key": values.loc[excluded, "firm_key"].to_numpy(),
        "source_row": values.loc[excluded, "source_row"].to_numpy(),
        "submission_id": (values["submission_id"] if "submission_id" in values
                          else pd.Series("", index=values.index, dtype="str"))[excluded].to_numpy(),
        "rule": reason[excluded].to_numpy(),
        "offending": [offending.at[i, reason.iat[i]] for i in rows],
    })
    flow = wave_flow(wave, len(values), exclusions["rule"], settings.exclusion_rules)
    # The raw text of quarantined answers stays in the interim ingested file; the reading's other flag
    # columns are only ever read here.
    internal = [c for c in [*INGEST_FLAGS.values(), RAW_COLUMN] if c in values and c != INGEST_FLAGS["unknown_value"]]
    analysed = values.loc[~excluded].drop(columns=internal).reset_index(drop=True).assign(survey_year=survey_year)
    kept = kinds.loc[~excluded].reset_index(drop=True)   # nonresponse among the analysed responses
    nonresponse = item_nonresponse(kept)
    nonresponse.insert(0, "wave", wave)
    respondents = respondent_nonresponse(kept, analysed)
    respondents.insert(0, "wave", wave)
    return CleanWave(analysed, exclusions, flow, nonresponse, respondents)


def wave_flow(wave: str, received: int, rules_applied: pd.Series, rule_order: tuple[str, ...]) -> pd.DataFrame:
    """Sample flow of one wave: received, excluded per rule (zeros kept), analysed.

    Parameters
    ----------
    wave : str
        The wave's label (``all`` for the pooled waves).
    received : int
        Responses received.
    rules_applied : Series of str
        The rule of each excluded response.
    rule_order : tuple of str
        The rules in the order of their rows.

    Returns
    -------
    DataFrame
        ``wave, step, reason, n``: a ``received`` row, one ``excluded`` row per rule of
        ``rule_order`` (reason the rule), then ``analysed`` (``received`` minus the exclusions);
        ``reason`` is "" on the other rows.
    """
    counts = rules_applied.value_counts()
    rows = [(wave, "received", "", received)]
    rows += [(wave, "excluded", rule, int(counts.get(rule, 0))) for rule in rule_order]
    rows.append((wave, "analysed", "", received - int(counts.sum())))
    return pd.DataFrame(rows, columns=["wave", "step", "reason", "n"])


def run(*, data: str, codebook: Sequence[str], outputs: dict[str, str], year: int, qc: dict) -> CleanWave:
    """The clean rule: one ingested wave to its analysed responses and the accounts of the others.

    Parameters
    ----------
    data : str
        Parquet file of the ingested wave.
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``data`` (Parquet) and a CSV path per table of :attr:`CleanWave.TABLES`.
    year : int
        The wave's survey year (bounds such as "founded before the survey").
    qc : dict
        The config's ``qc`` section.

    Returns
    -------
    CleanWave
        The cleaned wave, as written.
    """
    import logging

    result = clean_wave(pd.read_parquet(data), Codebook.from_files(codebook), QualitySettings.from_config(qc),
                        survey_year=year)
    result.write(**outputs)
    logging.getLogger("alliancegov").info("%s", result.flow.to_string(index=False))
    return result
