"""Numbers as journals print them: one formatter per locale, used by the report's cells and notes."""

from __future__ import annotations

import pandas as pd
import pytest

from alliancegov.disclosure import SUPPRESSION_MARKER
from alliancegov.formatting import number_format, wave_labels
from alliancegov.messages.labels import Labeller
from alliancegov.publication import significance_stars
from alliancegov.report.cells import cell_text, present_long

NARROW_NBSP = "\u202f"


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", ["<\u00a00,001", "0,046", "0,001", "1,000"]),
    ("en", ["<\u00a00.001", "0.046", "0.001", "1.000"]),
])
def test_p_values_have_three_decimals_and_a_floor(language, expected):
    numbers = number_format(language)
    assert [numbers.p_value(p) for p in (6.442476503e-14, 0.04567, 0.0010004, 1.0)] == expected
    assert numbers.p_value(0.0) != f"0{numbers.decimal_mark}000"      # never 0.000


def test_counts_are_integers_with_the_locale_separator_and_estimates_keep_digits():
    french, english = number_format("fr"), number_format("en")
    assert french.count(861) == "861" and french.count(12345) == f"12{NARROW_NBSP}345"
    assert english.count(12345) == "12,345"
    assert english.estimate(0.123456) == "0.123" and french.estimate(-1.5) == "-1,500"
    # a small non-zero estimate (an intercept's relative-risk ratio) keeps two significant digits, never 0.000
    assert english.estimate(0.000219) == "0.00022" and english.estimate(0.0) == "0.000"


def test_cells_by_column_kind(codebook):
    labeller, numbers = Labeller(codebook, "fr"), number_format("fr")
    assert cell_text(861.0, "n_obs", numbers, labeller, whole=True) == "861"          # a count, not 861,000
    assert cell_text(2.5e-9, "p_value", numbers, labeller, whole=False) == "<\u00a00,001"
    assert cell_text(0.4321, "p_holm", numbers, labeller, whole=False) == "0,432"
    assert cell_text(True, "converged", numbers, labeller, whole=False) == labeller.value("True") != "True"
    assert cell_text("no_consent", "reason", numbers, labeller, whole=False) == "pas de consentement"


def test_suppressed_cells_show_one_symbol(codebook):
    table = pd.DataFrame({"sector": ["textile", "services"], "n": [None, 12], "share": [None, 0.6],
                          "suppressed": ["True", "False"]})
    shown = present_long(table, Labeller(codebook, "en"), number_format("en"))
    assert shown.iloc[0, 1:3].tolist() == [SUPPRESSION_MARKER, SUPPRESSION_MARKER]
    assert shown.iloc[1, 1:3].tolist() == ["12", "0.600"]
    assert "<NA>" not in shown.to_string() and "nan" not in shown.to_string()


def test_stars_are_configurable():
    assert significance_stars(0.004) == "**"                                 # .05/.01/.001 by default
    assert significance_stars(0.0004) == "***" and significance_stars(0.2) == ""
    assert significance_stars(0.04, (0.1, 0.05, 0.01)) == "**"


def test_waves_are_named_by_their_year():
    sheet = pd.DataFrame({"wave": ["w2024", "w2025"], "year": ["2024", "2025"], "file": ["a.csv", "b.xlsx"]})
    assert wave_labels(sheet) == {"w2024": "2024", "w2025": "2025"}
