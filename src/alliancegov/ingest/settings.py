"""What the config (``ingest``) and the waves sheet (one row per wave) say about reading a wave, and
the columns in which the ingest stage hands its quality flags to the cleaning stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliancegov.ingest.dates import ISO_FORMATS, date_formats
from alliancegov.ingest.numbers import check_locale
from alliancegov.ingest.readers import ReadOptions
from alliancegov.ingest.text_files import delimiter_of

UNKNOWN_VALUE_POLICIES = ("error", "quarantine")


QUARANTINE_COLUMN = "unknown_values"


# Quality flags raised while reading, by cleaning rule: the column holds a description of what was
# wrong ("" where nothing was), never the raw text, so that it may be published.
INGEST_FLAGS = {"unknown_value": QUARANTINE_COLUMN, "invalid_date": "invalid_dates", "short_row": "short_row",
                "blank_firm_id": "blank_firm_id"}


# The raw text of quarantined answers and unreadable dates: kept in the interim ingested file for the
# analyst, dropped by the cleaning stage so that it reaches no published table.
RAW_COLUMN = "quarantined_raw"


@dataclass(frozen=True)
class IngestSettings:
    """``ingest`` in the config.

    Attributes
    ----------
    firm_id_column : str or None
        The identifier hashed into the firm key (None: every response is its own firm, keyed by its
        row).
    required_columns : tuple of str, default=()
        Codebook columns every wave file must hold.
    unknown_values : {"error", "quarantine"}, default="error"
        ``error`` stops on a value that matches no code or label; ``quarantine`` keeps reading,
        leaves such a value missing and describes it in the ``unknown_values`` column, for the
        cleaning stage to exclude the response with its reason.
    locale : {"en", "fr"}, default="en"
        The notation of numbers written as text in waves that declare none
        (:mod:`~alliancegov.ingest.numbers`).

    Raises
    ------
    ValueError
        If ``unknown_values`` or ``locale`` is not one of its values.
    """

    firm_id_column: str | None
    required_columns: tuple[str, ...] = ()
    unknown_values: str = "error"
    locale: str = "en"

    def __post_init__(self) -> None:
        if self.unknown_values not in UNKNOWN_VALUE_POLICIES:
            raise ValueError(f"unknown_values must be one of {UNKNOWN_VALUE_POLICIES}, not {self.unknown_values!r}")
        check_locale(self.locale)

    @classmethod
    def from_config(cls, ingest: dict) -> IngestSettings:
        """From the config's ``ingest`` section.

        Parameters
        ----------
        ingest : dict
            ``required_columns``, optionally ``firm_id_column``, ``unknown_values`` (default
            "error") and ``locale`` (default "en").

        Returns
        -------
        IngestSettings
            The settings.
        """
        return cls(ingest.get("firm_id_column"), tuple(ingest.get("required_columns", ())),
                   ingest.get("unknown_values", "error"), ingest.get("locale") or "en")


@dataclass(frozen=True)
class WaveOptions:
    """What the waves sheet says about one wave's file, beyond its format.

    Attributes
    ----------
    sheet : str or None, default=None
        The workbook sheet to read.
    delimiter : str or None, default=None
        The delimiter of a text file (None: sniffed).
    locale : str or None, default=None
        The notation of its numbers written as text (None: the config's ``ingest.locale``).
    date_formats : tuple of str, default=ISO_FORMATS
        The formats of its dates and times (:mod:`~alliancegov.ingest.dates`).
    """

    sheet: str | None = None
    delimiter: str | None = None
    locale: str | None = None
    date_formats: tuple[str, ...] = ISO_FORMATS

    @classmethod
    def from_sheet(cls, row: dict) -> WaveOptions:
        """From a row of the waves sheet (empty cells meaning "not declared").

        Parameters
        ----------
        row : dict
            Any of ``sheet``, ``delimiter``, ``locale``, ``date_format`` (text; missing or empty
            when not declared).

        Returns
        -------
        WaveOptions
            The options.

        Raises
        ------
        ValueError
            If the delimiter, locale or a date format is not one the readers know.
        """
        def cell(name: str) -> str | None:
            value = row.get(name)
            return str(value).strip() if value is not None and str(value).strip() else None

        locale = cell("locale")
        return cls(sheet=cell("sheet"), delimiter=delimiter_of(cell("delimiter")),
                   locale=check_locale(locale) if locale else None, date_formats=date_formats(cell("date_format")))

    def read_options(self) -> ReadOptions:
        """The options the file readers take.

        Returns
        -------
        ReadOptions
            ``sheet`` and ``delimiter``.
        """
        return ReadOptions(sheet=self.sheet, delimiter=self.delimiter)
