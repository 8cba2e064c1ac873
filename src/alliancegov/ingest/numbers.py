"""Numbers written as text, read by the notation the wave declares (its ``locale``).

``"1,500"`` is one and a half in French and fifteen hundred in English; ``"2.500"`` the reverse. No
guess can tell them apart, so every wave declares its notation (the ``locale`` column of the waves
sheet, else the config's ``ingest.locale``) and a text cell is read by that notation alone:

* ``en``: decimal point; thousands separated by commas or spaces (``1,500.25``, ``1 500``);
* ``fr``: decimal comma; thousands separated by spaces (ordinary, non-breaking, thin) or points
  (``1 500,25``, ``1.500,25``, ``2.500``).

A thousands separator must split the digits into groups of three, the same separator throughout.
Cells already holding numbers (Excel, SPSS, Stata) are taken as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SPACES = " \u00a0\u202f\u2009"


@dataclass(frozen=True)
class Notation:
    """How a locale writes numbers: its decimal separator and its thousands separators."""

    decimal: str
    thousands: str

    def describe(self) -> str:
        """The notation in words, for error messages.

        Returns
        -------
        str
            E.g. "decimal comma, thousands separated by spaces or points".
        """
        decimal = {".": "decimal point", ",": "decimal comma"}[self.decimal]
        others = sorted({"points" if c == "." else "commas" if c == "," else "spaces" for c in self.thousands})
        return f"{decimal}, thousands separated by {' or '.join(others)}"


LOCALES = {"en": Notation(".", "," + SPACES), "fr": Notation(",", "." + SPACES)}


class NumberError(ValueError):
    """A cell written like a number fits no reading of the wave's notation."""


_NUMBER_LIKE = re.compile(r"[0-9.,'+\-\u2212" + SPACES + r"eE]*[0-9][0-9.,'+\-\u2212" + SPACES + r"eE]*")


def _pattern(notation: Notation) -> re.Pattern:
    decimal = re.escape(notation.decimal)
    groups = "|".join(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+" for sep in notation.thousands)
    return re.compile(rf"(?P<sign>[+\-\u2212]?)(?P<int>{groups}|\d+)?(?:{decimal}(?P<frac>\d+))?"
                      rf"(?P<exp>[eE][+\-]?\d+)?")


_PATTERNS = {name: _pattern(notation) for name, notation in LOCALES.items()}


def check_locale(locale: str) -> str:
    """``locale`` if it is one of :data:`LOCALES`.

    Parameters
    ----------
    locale : str
        A locale name.

    Returns
    -------
    str
        The same name.

    Raises
    ------
    ValueError
        If the locale is not known.
    """
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; expected one of {sorted(LOCALES)}")
    return locale


@dataclass(frozen=True)
class Reading:
    """A number read from a cell, and whether its text is ambiguous for a whole-number column.

    Attributes
    ----------
    value : float
        The number.
    three_decimals : bool
        The text has a decimal separator followed by exactly three digits (``"1,500"`` in ``fr``,
        ``"2.500"`` in ``en``): the same text read in the other notation is a whole number of
        thousands.
    """

    value: float
    three_decimals: bool = False


def read_number(cell: object, locale: str) -> Reading | None:
    """A number from a cell, by the wave's notation.

    Parameters
    ----------
    cell : object
        A raw cell: a number (taken as it is) or text.
    locale : {"en", "fr"}
        The wave's notation (see :data:`LOCALES`).

    Returns
    -------
    Reading or None
        The number, or None when the cell is not written like a number at all (it holds letters
        or other signs: a label, ``"12 employés"``); NaN and infinite text are not numbers.

    Raises
    ------
    NumberError
        If the cell is written with digits and separators only but fits no reading of the notation
        (``"1,5"`` in ``en``, ``"46.5"`` in ``fr``, ``"1.2.3"``).
    """
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, (bool, np.bool_)):
        return Reading(float(cell))
    text = str(cell).strip()
    if not _NUMBER_LIKE.fullmatch(text):
        return None
    match = _PATTERNS[check_locale(locale)].fullmatch(text)
    if match is None or (match["int"] is None and match["frac"] is None):
        raise NumberError(f"{text!r} is not a number in locale {locale!r} ({LOCALES[locale].describe()})")
    digits = re.sub(r"\D", "", match["int"] or "0")
    sign = "-" if match["sign"] in ("-", "\u2212") else ""
    value = float(f"{sign}{digits}.{match['frac'] or '0'}{match['exp'] or ''}")
    grouped = match["int"] is not None and not match["int"].isdigit()
    three = match["frac"] is not None and len(match["frac"]) == 3 and not grouped and match["exp"] is None
    return Reading(value, three)


def plain_number(cell: object) -> float | None:
    """A number written the way every notation agrees on: digits, at most one point, no separator.

    Used where a cell is a code (``1``, or ``1.0`` from a statistics package), never a quantity.

    Parameters
    ----------
    cell : object
        A raw cell.

    Returns
    -------
    float or None
        The number, or None if the cell is not written that way.
    """
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, (bool, np.bool_)):
        return float(cell)
    text = str(cell).strip()
    return float(text) if re.fullmatch(r"[+-]?\d+(\.\d+)?", text) else None
