"""What every table of a report is made from: the run's tables, labels, number format and settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.formatting import NumberFormat, number_format
from alliancegov.messages.labels import Labeller


@dataclass
class Presented:
    """One table as the report shows it.

    Attributes
    ----------
    table : DataFrame or None
        Strings: a plain table, or a regression layout (``part`` and ``term`` columns, ``note``
        rows) as :func:`alliancegov.publication.regression_table` gives; None for an empty table.
    notes : list of str
        Notes under the table besides its ``note`` rows and its catalogue note.
    """

    table: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportContext:
    """The run as one report sees it.

    Parameters
    ----------
    language : str
        The report's language.
    codebook : Codebook
        Labels of the study's questions.
    sources : mapping of str to DataFrame
        The run's CSV tables by file stem, read with blanks as missing.
    settings : mapping of str to object
        Run settings a table entry may name (``$performance_cov_type``) and its note may quote
        (``{choice_replicates}``): see :func:`alliancegov.report.stage.report_settings`.
    outcome : str
        The choice model's question.
    waves : mapping of str to str
        Wave identifier → its label.
    extra : mapping of str to object
        Inputs of the report's own tables (the analysis frame, the sample flow, the register,
        the measurement tables).
    """

    language: str
    codebook: Codebook
    sources: Mapping[str, pd.DataFrame]
    settings: Mapping[str, object]
    outcome: str = "governance_form"
    waves: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def labeller(self) -> Labeller:
        """The labels of this report's language."""
        return Labeller(self.codebook, self.language, self.outcome, self.waves)

    @property
    def numbers(self) -> NumberFormat:
        """The number format of this report's language."""
        return number_format(self.language)

    def setting(self, value: object) -> object:
        """``value``, or the run setting it names when it is a string ``"$name"``.

        Parameters
        ----------
        value : object
            A value of a registry entry.

        Returns
        -------
        object

        Raises
        ------
        KeyError
            For a ``$name`` the settings do not have.
        """
        if isinstance(value, str) and value.startswith("$"):
            return self.settings[value[1:]]
        return value

    def rows(self, source: str, where: Mapping[str, object] | None = None) -> pd.DataFrame:
        """The rows of the table ``source`` whose columns hold the values of ``where``.

        Parameters
        ----------
        source : str
            A file stem of :attr:`sources`.
        where : mapping of str to object, optional
            Column → value (or ``"$setting"``), compared as text.

        Returns
        -------
        DataFrame
            A copy, index reset.
        """
        table = self.sources[source]
        keep = pd.Series(True, index=table.index)
        for column, value in (where or {}).items():
            keep &= table[column].astype(str) == str(self.setting(value))
        return table[keep].reset_index(drop=True)
