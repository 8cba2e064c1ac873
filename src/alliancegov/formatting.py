"""Numbers as a reader of each language expects them: one formatter per locale.

Tables, figures and the report all write numbers through :func:`number_format`, so a French
reader sees ``0,123`` and ``12 345`` (a narrow no-break space) everywhere and an English one
``0.123`` and ``12,345``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class NumberFormat:
    """How one language writes numbers.

    Parameters
    ----------
    decimal_mark : str
        Between the integer and the fractional part (``","`` in French).
    thousands_separator : str
        Between groups of three digits in counts (a narrow no-break space in French).
    """

    decimal_mark: str
    thousands_separator: str

    def fixed(self, value: object, digits: int = 3) -> str:
        """``value`` with ``digits`` decimals (integers as integers); ``""`` if missing.

        Parameters
        ----------
        value : object
            A number, or a string (returned unchanged), or a missing value.
        digits : int
            Decimals of a non-integer number.

        Returns
        -------
        str
            The number written with this locale's decimal mark; ``-0.000`` becomes ``0.000``; no
            thousands separator (a table column lines up on its decimal mark).

        Examples
        --------
        >>> number_format("en").fixed(-0.00001), number_format("fr").fixed(1.23456, 2)
        ('0.000', '1,23')
        >>> number_format("en").fixed(250)
        '250'
        """
        if isinstance(value, str):
            return value
        if value is None or pd.isna(value):
            return ""
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, numbers.Integral):
            return str(int(value))
        text = f"{float(value):.{digits}f}"
        if text.startswith("-") and float(text) == 0:
            text = text[1:]
        return text.replace(".", self.decimal_mark)

    def general(self, value: float) -> str:
        """``value`` in Python's shortest general form (``g``) with this locale's decimal mark.

        Parameters
        ----------
        value : float

        Returns
        -------
        str
            E.g. ``0,7`` in French for a threshold, ``1e-05`` for a tiny value.
        """
        return f"{value:g}".replace(".", self.decimal_mark)

    def count(self, n: int) -> str:
        """A whole number with this locale's thousands separator (``12 345``, ``12,345``).

        Parameters
        ----------
        n : int

        Returns
        -------
        str
        """
        return f"{int(n):,}".replace(",", self.thousands_separator)


NUMBER_FORMATS = {"fr": NumberFormat(",", "\u202f"), "en": NumberFormat(".", ",")}


def number_format(language: str) -> NumberFormat:
    """The number formatter of ``language``.

    Parameters
    ----------
    language : {"fr", "en"}

    Returns
    -------
    NumberFormat

    Raises
    ------
    ValueError
        For a language without a formatter.
    """
    if language not in NUMBER_FORMATS:
        raise ValueError(f"no number format for language {language!r}; known: {sorted(NUMBER_FORMATS)}")
    return NUMBER_FORMATS[language]
