"""HTML report: self-contained, escaped, numbered, in the words of its language, reproducible apart
from the generated-at line.

The pages here are built from small tables in memory through the report's own pieces (context,
registry entries, sections, page); the whole report of the bundled example is checked on a real
run in ``tests/test_report_run.py`` and in a browser in ``tests/test_report_browser.py``.
"""

from __future__ import annotations

import base64
import re
import struct
import sys
import zlib
from html import escape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from alliancegov.messages import catalogue, languages, message
from alliancegov.report import provenance
from alliancegov.report.context import ReportContext
from alliancegov.report.document import build_sections
from alliancegov.report.narrative import sample_counts
from alliancegov.report.registry import FigureEntry, TableEntry, check_coverage, registry
from alliancegov.report.render import Page, read_caption, render_page, write_report
from alliancegov.report.stage import language_links, report_settings, report_title
from tests.conftest import ROOT

PLANTED = "<script>alert(1)</script>"
FIGURE_STEMS = ["form_by_sector", "choice_coefficients", "performance_by_form", "sample_flow"]
ENTRIES = (
    (TableEntry("choice_mnl", "choice", "models", "choice_mnl", options={"columns": "outcome", "exponentiate": True}),
     TableEntry("choice_ame", "choice", "models", "choice_ame", options={"columns": "outcome"}),
     TableEntry("choice_fit", "choice", "fit", "choice_fit", appendix=True),
     TableEntry("reliability", "measurement", "long", "reliability", appendix=True),
     TableEntry("performance_ols", "performance", "models", "performance_ols", options={"columns": "outcome"})),
    tuple(FigureEntry(stem, section) for stem, section in (("form_by_sector", "choice"),
                                                          ("choice_coefficients", "choice"),
                                                          ("performance_by_form", "performance"),
                                                          ("sample_flow", "choice"))),
)
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))


def png_bytes(red: int) -> bytes:
    """A valid 1×1 RGB PNG whose pixel has the given red value (distinct files, no plotting needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, 0, 0]))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture
def figures(tmp_path):
    paths = {}
    for red, stem in enumerate(FIGURE_STEMS):
        paths[stem] = tmp_path / f"{stem}.png"
        paths[stem].write_bytes(png_bytes(red))
    return paths


@pytest.fixture
def sources():
    coefficients = pd.DataFrame({
        "outcome": ["licensing", "licensing", "joint_venture", "joint_venture"],
        "term": ["Intercept", "asset_specificity", "Intercept", PLANTED],
        "estimate": [0.2, 0.123456, -0.4, -1.5],
        "std_error": [0.1, 0.2, 0.2, 0.3],
        "statistic": [2.0, 0.61728, -2.0, -5.0],
        "p_value": [0.0455, 0.5371, 0.0455, 0.0000005],
        "conf_low": [0.0, -0.27, -0.8, -2.09],
        "conf_high": [0.4, 0.52, 0.0, -0.91],
    })
    performance = coefficients.iloc[:2].assign(outcome="performance_index", model="by_form", se_type="cluster")
    performance["term"] = ["Intercept", "governance_form[licensing]"]
    return {
        "choice_mnl": coefficients,
        "choice_ame": coefficients[coefficients["term"] != "Intercept"].assign(estimate=[0.05, -0.2]),
        "choice_fit": pd.DataFrame({"statistic": ["n_obs", "n_clusters", "mcfadden_r2", "converged"],
                                    "value": [861.0, 300.0, 0.1234, 1.0]}),
        "performance_ols": performance,
        "reliability": pd.DataFrame({"wave": ["all"], "scale": ["trust"], "n_items": [3], "n": [861],
                                     "alpha": [0.81234]}),
    }


def page_html(language: str, sources: dict, figures: dict, *, captions: dict | None = None, config: dict | None = None,
              provenance_records: list | None = None, generated_at: str = "2025-01-01 00:00 UTC",
              title: str = "Gouvernance des alliances", notes: tuple = (), simulated: str = "",
              codebook=None, entries: tuple = ENTRIES) -> str:
    """One report page from in-memory tables, as the report rule assembles it."""
    from alliancegov.codebook.tables import Codebook
    from alliancegov.codebook.vocabulary import CODEBOOK_FILES
    from tests.conftest import CODEBOOK_DIR

    book = codebook or Codebook.from_files([CODEBOOK_DIR / name for name in CODEBOOK_FILES])
    context = ReportContext(language=language, codebook=book, sources=sources,
                            settings=report_settings(CONFIG, book, language), waves={"w2024": "2024"})
    results, appendix = build_sections(context, figures, captions or {}, list(sources), entries)
    page = Page(language=language, title=title, abstract="", simulated=simulated, notes=notes,
                generated_at=generated_at, git_commit="0" * 40)
    return render_page(page, results, appendix, provenance=provenance_records or [], config=config or {})


def test_every_figure_is_embedded_and_nothing_is_fetched(sources, figures):
    html = page_html("fr", sources, figures)

    assert html.count("data:image/png;base64,") == len(FIGURE_STEMS)
    for path in figures.values():
        assert "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode() in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.IGNORECASE)
    assert "@import" not in html and "<link" not in html and "<script" not in html


def test_data_is_escaped_everywhere(sources, figures):
    html = page_html("en", sources, figures, captions={"sample_flow": PLANTED}, notes=(PLANTED,),
                     config={"label": PLANTED},
                     provenance_records=[{"wave": "w2024", "file": f"{PLANTED}.csv", "format": "csv",
                                          "sha256": "b" * 64, "rows": 3}])

    assert "<script" not in html
    # a table's term, a caption (and its image's alt text), a note, a file name, a configuration value
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6


def test_tables_and_figures_are_numbered_in_order_the_appendix_apart(sources, figures):
    html = page_html("en", sources, figures)
    labels = re.findall(r'<span class="label">(Table|Figure) (A?\d+)\.</span>', html)

    # a section's tables, then its figures; the appendix's tables by section (measurement before choice)
    assert labels == [("Table", "1"), ("Table", "2"), ("Figure", "1"), ("Figure", "2"), ("Figure", "3"),
                      ("Table", "3"), ("Figure", "4"), ("Table", "A1"), ("Table", "A2")]
    assert html.index('id="table-1"') < html.index('id="table-3"') < html.index(
        'id="table-A1"')


def test_headings_and_notes_follow_the_language(sources, figures, codebook):
    french, english = page_html("fr", sources, figures), page_html("en", sources, figures)

    for language, html in (("fr", french), ("en", english)):
        assert f'<html lang="{language}">' in html
        outcome = codebook.label("governance_form", language)   # headings name the outcome by its label
        assert escape(message("report.sections.choice", language, outcome=outcome)).replace("&#x27;", "&#39;") in html
        assert message("report.sections.performance", language) in html
        assert message("report.appendix_tables", language) in html
        labels = {"outcome": outcome, "base": codebook.answer_label("governance_form", "repeated_contract", language)}
        assert escape(message("tables.choice_mnl.caption", language, **labels)).replace("&#x27;", "&#39;") in html
    assert message("report.appendix_tables", "fr") not in english
    assert message("tables.choice_ame.caption", "en") not in french


def test_models_side_by_side_with_labelled_columns_and_rows(sources, figures, codebook):
    html = page_html("en", sources, figures)
    choice = html[html.index('id="table-1"'):html.index("</figure>", html.index('id="table-1"'))]
    header = re.findall(r"<th>(.*?)</th>", choice)

    assert header[1:] == [codebook.answer_label("governance_form", "licensing", "en"),
                          codebook.answer_label("governance_form", "joint_venture", "en")]
    assert codebook.label("asset_specificity", "en") in choice and ">asset_specificity<" not in choice
    assert "rrr" not in choice.lower() and "conf_low" not in choice


def test_numbers_have_three_decimals_the_local_mark_and_p_below_a_thousandth(sources, figures):
    english, french = page_html("en", sources, figures), page_html("fr", sources, figures)

    # the RRR of asset specificity, exp(0.123456), and its p-value
    assert "1.131" in english and "1,131" in french
    assert "0.537" in english and "0,537" in french
    assert "&lt;\u00a00.001" in english and "&lt;\u00a00,001" in french     # "<" kept with its bound
    assert "e-0" not in english and "e-0" not in french     # no scientific notation
    # a count is an integer: the reliability table's n
    appendix = english[english.index('id="table-A1"'):]
    assert "<td>861</td>" in appendix and "861.000" not in appendix


def test_only_the_generated_at_line_differs_between_runs(sources, figures):
    first = page_html("fr", sources, figures).splitlines()
    second = page_html("fr", sources, figures, generated_at="2030-06-30 12:00 UTC").splitlines()

    assert len(first) == len(second)
    differing = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert len(differing) == 1 and "2030-06-30" in differing[0][1]


def test_provenance_shows_file_names_versions_and_no_secret(sources, figures):
    html = page_html("en", sources, figures, config={"pseudonymisation": {"salt": "tres-secret-sel"}},
                     provenance_records=[{"wave": "w2024", "file": "/home/alice/enquete/vague1.sav",
                                          "format": "spss", "sha256": "a" * 64, "rows": 120}])

    assert "vague1.sav" in html and "/home/alice" not in html
    assert "a" * 64 in html
    assert "tres-secret-sel" not in html and "&lt;redacted&gt;" in html
    assert f"<td>{pd.__version__}</td>" in html
    assert "0" * 40 in html
    assert "snakemake" not in sys.modules, "reporting versions must not import snakemake"


def test_the_simulated_data_banner_comes_first_with_the_seed(sources, figures, tmp_path):
    record = tmp_path / "simulated.json"
    record.write_text('{"generator": "alliancegov.simulate", "seed": 20261127, "truth_sha256": "c"}', encoding="utf-8")
    banner = provenance.simulated_banner(provenance.simulation_record([record]), False, "fr")
    html = page_html("fr", sources, figures, simulated=banner)

    assert "20261127" in banner and 'id="simulated-data"' in html
    assert html.index('id="simulated-data"') < html.index("<h2")
    assert provenance.simulated_banner(None, False, "en") == ""
    assert provenance.simulated_banner(None, True, "en") == message("report.simulated_flag", "en")
    assert 'id="simulated-data"' not in page_html("fr", sources, figures)


def test_a_run_table_without_a_place_in_the_report_is_refused(sources, figures):
    with pytest.raises(ValueError, match="no place for the tables"):
        check_coverage(["choice_mnl", "brand_new_table"], ENTRIES[0])
    tables, _ = registry()
    check_coverage([entry.source for entry in tables], tables)


def test_write_report_writes_utf8(tmp_path, sources, figures):
    html = page_html("fr", sources, figures)

    path = write_report(html, tmp_path / "out" / "report.html")

    assert path.read_text(encoding="utf-8") == html


def test_git_commit_is_unknown_outside_a_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    assert provenance.git_commit() == "unknown"


def test_sample_counts_do_not_count_the_pooled_rows_twice():
    flow = pd.DataFrame({
        "wave": ["a", "a", "a", "b", "b", "b", "all", "all", "all"],
        "step": ["received", "excluded", "analysed"] * 3,
        "reason": ["", "speeder", ""] * 3,
        "n": [10, 2, 8, 5, 1, 4, 15, 3, 12],
    })
    assert sample_counts(flow) == {"received": 15, "excluded": 3, "analysed": 12, "waves": 2}


def test_captions_come_from_the_caption_files_escaped(tmp_path):
    path = tmp_path / "figure_sample_flow.rst"
    path.write_text("Effets marginaux\nmoyens (``margins, dydx(*)`` de Stata).\n", encoding="utf-8")
    assert read_caption(path) == "Effets marginaux moyens (margins, dydx(*) de Stata)."


def test_every_registered_figure_has_a_caption_in_both_languages():
    root = ROOT / "workflow" / "report"
    _, figures = registry()
    for entry in figures:
        english, french = root / f"figure_{entry.stem}.rst", root / "fr" / f"figure_{entry.stem}.rst"
        assert english.read_text(encoding="utf-8").strip() and french.read_text(encoding="utf-8").strip(), entry.stem
        assert english.read_text(encoding="utf-8") != french.read_text(encoding="utf-8"), entry.stem


def keys(node, prefix=""):
    if not isinstance(node, dict):
        return {prefix}
    return {key for name, value in node.items() for key in keys(value, f"{prefix}.{name}" if prefix else name)}


def test_the_message_catalogues_hold_the_same_keys_and_every_table_a_caption():
    assert set(languages()) >= {"fr", "en"}
    assert keys(catalogue("fr")) == keys(catalogue("en"))
    tables, _ = registry()
    for language in languages():
        for entry in tables:
            assert message(f"tables.{entry.key}.caption", language).strip(), (language, entry.key)


def test_title_links_and_settings_per_language(codebook):
    title = {"fr": "Gouvernance", "en": "Governance"}
    assert report_title(title, "en") == "Governance" and report_title("Un titre", "en") == "Un titre"
    with pytest.raises(KeyError, match="'de'"):
        report_title(title, "de")
    links = language_links("fr", ["fr", "en"], "results/report/index.fr.html")
    assert links == ({"href": "index.en.html", "language": "en", "name": "English"},)
    french, english = report_settings(CONFIG, codebook, "fr"), report_settings(CONFIG, codebook, "en")
    assert french["choice_se"] != english["choice_se"]
    assert french["significance"] == CONFIG["report"]["significance"]


def test_caption_files_exist_for_the_rules_report(tmp_path):
    assert (ROOT / "workflow" / "report" / "html_report.rst").exists()
    assert Path(read_caption(ROOT / "workflow" / "report" / "html_report.rst"))


def test_the_run_ends_with_the_reports_paths_and_a_one_line_summary():
    from alliancegov.report.summary import summary_text

    checks = pd.DataFrame({"hypothesis": ["H1", "H1", "H2", "H3"],
                           "verdict": ["supported", "supported", "no effect", "supported"]})
    flow = pd.DataFrame({"wave": ["w1", "w1", "w1", "all"], "step": ["received", "excluded", "analysed", "analysed"],
                         "reason": ["", "speeder", "", ""], "n": [1300, 10, 1290, 1290]})
    fit = pd.DataFrame({"statistic": ["n_obs", "n_clusters"], "value": [1290.0, 900.0]})
    text = summary_text(["results/report/index.fr.html", "results/report/index.en.html"], checks, flow, fit, "en",
                        simulated={"seed": 7})
    lines = text.splitlines()
    assert lines[1:3] == ["  results/report/index.fr.html", "  results/report/index.en.html"]
    assert lines[3] == "1,290 responses analysed from 900 firms in 1 waves; 2 of 3 hypotheses supported."
    assert lines[4] == "Simulated data (seed 7)."
    assert "1\u202f290" in summary_text(["a.html"], checks, flow, fit, "fr").splitlines()[2]
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = make[make.index("\nrun:"):].split("\n\n")[0].splitlines()
    assert recipe[-1].strip() == "@cat results/report/summary.txt"


def test_a_section_with_nothing_to_show_is_left_out_with_one_sentence(sources, figures):
    only_choice = {key: sources[key] for key in ("choice_mnl", "choice_ame", "choice_fit")}
    html = page_html("en", only_choice, {})
    for key in ("measurement", "performance", "waves"):
        assert f'<section id="{key}">' not in html
        assert html.count(message(f"report.left_out.{key}", "en")) == 1
    assert '<section id="choice">' in html and html.count('<p class="left-out">') == 3
    assert "<h3>1.1 " in html and "<h3>1.2 " not in html     # the shown sections alone are numbered
