"""Numbers as a reader of each language expects them: one formatter per locale.

Tables, figures and the report all write numbers through :func:`number_format`, so a French
reader sees ``0,123``, ``< 0,001`` and ``12 345`` (a narrow no-break space) everywhere and an
English one ``0.123``, ``< 0.001`` and ``12,345``. Survey waves are named for readers by
:func:`wave_labels` (their year, not their identifier).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import pandas as pd

SMALLEST_SHOWN = 1e-6   # an estimate closer to 0 is written "< 0.000001"


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

    def estimate(self, value: object, digits: int = 3) -> str:
        """An estimate with ``digits`` decimals; a smaller non-zero one with two significant digits.

        Parameters
        ----------
        value : object
            The number (missing: ``""``).
        digits : int
            Decimals of an ordinary estimate.

        Returns
        -------
        str
            ``0,123``; ``0,00024`` rather than ``0,000`` (an intercept's relative-risk ratio);
            below 10⁻⁶ in absolute value ``< 0,000001`` (or ``> −0,000001``).

        Examples
        --------
        >>> number_format("fr").estimate(0.000218), number_format("en").estimate(-12.3456)
        ('0,00022', '-12.346')
        """
        if value is None or isinstance(value, str) or pd.isna(value):
            return "" if not isinstance(value, str) else value
        value = float(value)
        floor = 10.0 ** -digits
        if value == 0 or abs(value) >= floor or not math.isfinite(value):
            return self.fixed(value, digits)
        if abs(value) < SMALLEST_SHOWN:
            return ("> −" if value < 0 else "< ") + self.fixed(SMALLEST_SHOWN, 6)
        return self.fixed(value, 1 - math.floor(math.log10(abs(value))))

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

    def p_value(self, p: object, digits: int = 3) -> str:
        """A p-value as journals print it: ``digits`` decimals, ``< 0.001`` below the last one.

        Parameters
        ----------
        p : object
            A p-value in [0, 1], or a missing value.
        digits : int
            Decimals shown; a p-value under ``10 ** -digits`` is written ``< 0.001`` (for 3).

        Returns
        -------
        str
            ``""`` if missing. Never ``0.000``; ``<`` and its bound joined by a no-break space.

        Examples
        --------
        >>> number_format("fr").p_value(6.4e-14), number_format("en").p_value(0.04567)
        ('<\xa00,001', '0.046')
        """
        if p is None or isinstance(p, str) or pd.isna(p):
            return "" if not isinstance(p, str) else p
        floor = 10.0 ** -digits
        if float(p) < floor:   # a no-break space: "<" never ends a line apart from its bound
            return "<\u00a0" + self.fixed(floor, digits)
        return self.fixed(float(p), digits)

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


def wave_labels(waves: pd.DataFrame) -> dict[str, str]:
    """How a reader names each survey wave: its year, or its description when years repeat.

    Parameters
    ----------
    waves : DataFrame
        The waves sheet (``config/waves.tsv``): columns ``wave``, ``year`` and optionally
        ``description``.

    Returns
    -------
    dict of str to str
        Wave identifier → its year (``"2024"``); waves sharing a year are told apart by their
        description (``"2024, second round"``), or by their identifier when they have none.
    """
    years = waves["year"].astype(str)
    shared = years.duplicated(keep=False)
    labels = {}
    for wave, year, repeated, description in zip(waves["wave"].astype(str), years, shared,
                                                 waves.get("description", pd.Series([""] * len(waves)))):
        extra = str(description).strip() if isinstance(description, str) and description.strip() else wave
        labels[wave] = f"{year}, {extra}" if repeated else year
    return labels
