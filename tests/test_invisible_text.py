"""Invisible format characters (Unicode category Cf: bidirectional controls, zero-width characters,
the byte-order mark) never reach a published text: CSV, LaTeX, Markdown, HTML, Word."""

from __future__ import annotations

import sys
import unicodedata
import zipfile

import pandas as pd
import pytest

from alliancegov.safe_output import printable, visible_text, visible_text_cells, write_csv
from alliancegov.table_formats import write_publication_tables

# "Trojan Source": a right-to-left override shows "ab\u202ecd" as "abdc"; the rest are invisible.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060\u00ad"
TROJAN = "ab\u202ecd"


def format_characters(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cf"]


def test_every_format_character_of_the_unicode_database_is_removed():
    every = "".join(chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf")
    assert set(BIDI + ZERO_WIDTH) <= set(every)
    assert visible_text(every) == ""
    assert visible_text(f"x{BIDI}y{ZERO_WIDTH}z") == "xyz"
    assert visible_text(TROJAN) == "abcd"


def test_visible_characters_and_line_breaks_stay():
    kept = "Textile-habillement\u00a0: 12\u202f% — R&D\n\tα→β 🙂 \u0301e\r\n"
    assert visible_text(kept) == kept
    ascii_text = "plain ASCII, returned as is"
    assert visible_text(ascii_text) is ascii_text
    assert printable(f"x {TROJAN}\nb\u200d\x07") == "x abcd b"


def test_csv_cells_and_headers_lose_them_before_formulas_are_neutralised(tmp_path):
    table = pd.DataFrame({f"term{ZERO_WIDTH}": [TROJAN, "\u200b=HYPERLINK(\"x\")", None],
                          "group": pd.Categorical([f"g\u2066{BIDI}", "h", "h"]), "estimate": [-1.5, 0.25, 2.0]})
    path = write_csv(table, tmp_path / "t.csv")
    text = path.read_text(encoding="utf-8")
    assert format_characters(text) == []
    read_back = pd.read_csv(path)
    assert list(read_back.columns) == ["term", "group", "estimate"]
    assert read_back["term"].tolist()[:2] == ["abcd", "'=HYPERLINK(\"x\")"]   # the hidden formula is neutralised
    assert read_back["group"].tolist()[0] == "g" and read_back["estimate"].tolist() == [-1.5, 0.25, 2.0]
    assert table[f"term{ZERO_WIDTH}"].iloc[0] == TROJAN, "the input must not be modified"
    pd.testing.assert_frame_equal(visible_text_cells(table[["estimate"]]), table[["estimate"]])


def test_publication_formats_lose_them(tmp_path):
    table = pd.DataFrame({"term": [f"Confiance {TROJAN}", "N", f"note{ZERO_WIDTH}"],
                          f"Mod\u00e8le {BIDI}": ["0.5**", "250", ""], "part": ["estimate", "fit", "note"]})
    paths = write_publication_tables(table, tmp_path / "t", f"Caption {TROJAN}\u200d", "tab:t")
    for path in paths[:3]:
        text = path.read_text(encoding="utf-8")
        assert format_characters(text) == [], path.name
        assert "abcd" in text and "Confiance" in text, path.name
    with zipfile.ZipFile(paths[3]) as package:
        for name in package.namelist():
            assert format_characters(package.read(name).decode("utf-8", errors="replace")) == [], name


@pytest.mark.parametrize("character", list(BIDI + ZERO_WIDTH))
def test_each_listed_character_is_a_format_character(character):
    assert unicodedata.category(character) == "Cf"
    assert visible_text(f"a{character}b") == "ab"
