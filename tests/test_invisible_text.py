"""Invisible format characters (Unicode category Cf: bidirectional controls, zero-width characters,
the byte-order mark) never reach a published text: CSV, LaTeX, Markdown, HTML, Word, the report
and the figures."""

from __future__ import annotations

import sys
import unicodedata
import zipfile

import pandas as pd
import pytest

from alliancegov.codebook.tables import Codebook
from alliancegov.descriptives import form_by_sector_table
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


def test_the_report_page_loses_them(tmp_path):
    from tests.test_report import page_html

    sources = {"reliability": pd.DataFrame({"wave": ["all"], "scale": [TROJAN], f"alpha{BIDI}": [0.5]})}
    html = page_html("en", sources, {}, title=f"Title {TROJAN}{ZERO_WIDTH}", notes=(f"Note {ZERO_WIDTH}",),
                     config={"report": {"title": f"Title {TROJAN}"}},
                     provenance_records=[{"wave": "w1", "file": "wave\u2067.csv", "format": "csv", "sha256": "a" * 64,
                                          "rows": 3}])
    assert format_characters(html) == []
    assert "<title>Title abcd</title>" in html and "Note " in html


def labelled(codebook: Codebook) -> Codebook:
    """The codebook with Trojan Source labels on the governance form, one of its answers and a sector."""
    variables, value_sets = codebook.variables.copy(), codebook.value_sets.copy()
    variables.loc["governance_form", "label_en"] = f"Form {TROJAN}"
    first_form = (value_sets["list_name"] == codebook.variables.at["governance_form", "list_name"]).idxmax()
    value_sets.loc[first_form, "label_en"] = f"Contract\u200d {BIDI}"
    textile = (value_sets["list_name"] == "sector") & (value_sets["name"] == "textile")
    value_sets.loc[textile, "label_en"] = f"Textile\u2066{ZERO_WIDTH}"
    return Codebook(variables=variables, value_sets=value_sets, scales=codebook.scales.copy())


def test_figure_texts_lose_them_in_every_format(codebook, tmp_path):
    import numpy as np
    from matplotlib.text import Text

    from alliancegov.figures.descriptive import plot_form_by_sector
    from alliancegov.figures.theme import save_figure

    book = labelled(codebook)
    rng = np.random.default_rng(0)
    analysis = pd.DataFrame({"sector": rng.choice(book.answer_names("sector"), 120),
                             "governance_form": rng.choice(book.answer_names("governance_form"), 120)})
    figure = plot_form_by_sector(form_by_sector_table(analysis, book), book, "en")
    figure.axes[0].set_title(f"{figure.axes[0].get_title()} {TROJAN}")
    save_figure(figure, tmp_path / "f.png", ("png", "svg", "pdf"))
    svg = (tmp_path / "f.svg").read_text(encoding="utf-8")   # SVG keeps every text as a comment beside its glyphs
    assert format_characters(svg) == []
    assert "Textile" in svg and "abcd" in svg
    drawn = [artist.get_text() for artist in figure.findobj(Text)]   # what the PNG and PDF were drawn from
    assert format_characters("".join(drawn)) == [] and any("Textile" in text for text in drawn)


@pytest.mark.parametrize("character", list(BIDI + ZERO_WIDTH))
def test_each_listed_character_is_a_format_character(character):
    assert unicodedata.category(character) == "Cf"
    assert visible_text(f"a{character}b") == "ab"
