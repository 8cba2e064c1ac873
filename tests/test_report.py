"""HTML report: self-contained, escaped, bilingual, reproducible apart from the generated_at line."""

from __future__ import annotations

import base64
import re
import struct
import sys
import zlib
from pathlib import Path

import pandas as pd
import pytest

from alliancegov.report import provenance, stage
from alliancegov.report.stage import render_report, write_report

PLANTED = "<script>alert(1)</script>"
FIGURE_STEMS = ["form_by_sector", "construct_scores", "choice_coefficients", "performance_by_form", "sample_flow"]
FRENCH_HEADINGS = [
    "Synthèse", "Échantillon", "Modèle de choix : governance_form", "Performance", "Mesure",
    "Notes de méthode", "Provenance",
]
ENGLISH_HEADINGS = [
    "Summary", "Sample", "Choice model: governance_form", "Performance", "Measurement", "Methods notes", "Provenance",
]


def png_bytes(red: int) -> bytes:
    """A valid 1×1 RGB PNG whose pixel has the given red value (distinct files, no plotting needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, 0, 0]))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture(autouse=True)
def fixed_commit(monkeypatch):
    monkeypatch.setattr(stage, "git_commit", lambda: "0" * 40)


@pytest.fixture
def figures(tmp_path):
    paths = {}
    for red, stem in enumerate(FIGURE_STEMS):
        paths[stem] = tmp_path / f"{stem}.png"
        paths[stem].write_bytes(png_bytes(red))
    return paths


@pytest.fixture
def inputs(figures):
    coefficients = pd.DataFrame(
        {
            "outcome": ["licensing", "joint_venture"],
            "term": ["asset_specificity", PLANTED],
            "estimate": [0.123456, -1.5],
            "std_error": [0.2, 0.3],
            "statistic": [0.61728, -5.0],
            "p_value": [0.5371, 0.0000005],
            "conf_low": [-0.27, -2.09],
            "conf_high": [0.52, -0.91],
        }
    )
    return dict(
        title="Gouvernance des alliances PME–grandes entreprises",
        figures=figures,
        tables={
            "reliability": pd.DataFrame({"scale": ["trust"], "n_items": [3], "alpha": [0.81234]}),
            "choice_mnl": coefficients,
            "choice_fit": pd.DataFrame({"statistic": ["pseudo_r2", "n"], "value": [0.1, 200.0]}),
            "performance_ols": coefficients.drop(columns="outcome"),
            "performance_fit": pd.DataFrame({"statistic": ["r2"], "value": [0.25]}),
            "form_by_sector": pd.DataFrame(
                {"sector": ["textile"], "governance_form": ["licensing"], "n": [3], "share": [1.0]}
            ),
        },
        sample_flow=pd.DataFrame(
            {
                "wave": [1, 1, 1, 2, 2],
                "step": ["received", "excluded", "analysed", "received", "analysed"],
                "reason": ["", PLANTED, "", "", ""],
                "n": [120, 20, 100, 100, 100],
            }
        ),
        provenance=[
            {"wave": 1, "file": "/home/alice/enquete/vague1.sav", "format": "spss", "sha256": "a" * 64, "rows": 120},
            {"wave": 2, "file": f"{PLANTED}.csv", "format": "kobo_csv", "sha256": "b" * 64, "rows": 100},
        ],
        config={"waves": [1, 2], "pseudonymisation": {"salt": "tres-secret-sel"}, "label": PLANTED},
        notes=["Les scores sont des moyennes d'items.", PLANTED],
        generated_at="2025-01-01T00:00:00+00:00",
        captions={stem: f"Légende de {stem} {PLANTED}" for stem in figures},
    )


def test_every_figure_is_embedded_and_nothing_is_fetched(inputs, figures):
    html = render_report(language="fr", **inputs)

    assert html.count("data:image/png;base64,") == len(FIGURE_STEMS)
    for path in figures.values():
        assert "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode() in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.IGNORECASE)
    assert "@import" not in html and "<link" not in html


def test_data_is_escaped_everywhere(inputs):
    html = render_report(language="en", **inputs)

    assert "<script" not in html
    # table cell, sample-flow reason, file name, config value and note
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5


def test_headings_follow_the_language(inputs):
    french = render_report(language="fr", **inputs)
    english = render_report(language="en", **inputs)

    for heading in FRENCH_HEADINGS:
        assert f">{heading}</h2>" in french
    for heading in ENGLISH_HEADINGS:
        assert f">{heading}</h2>" in english
    assert "Synthèse" not in english
    assert '<html lang="fr">' in french


def test_numbers_have_three_decimals_with_the_local_separator(inputs):
    assert "<td>0.123</td>" in render_report(language="en", **inputs)
    assert "<td>0,123</td>" in render_report(language="fr", **inputs)


def test_only_the_generated_at_line_differs_between_runs(inputs):
    first = render_report(language="fr", **inputs).splitlines()
    second = render_report(language="fr", **{**inputs, "generated_at": "2030-06-30T12:00:00+00:00"}).splitlines()

    assert len(first) == len(second)
    differing = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert len(differing) == 1 and "2030-06-30" in differing[0][1]


def test_provenance_shows_file_names_versions_and_no_secret(inputs):
    html = render_report(language="en", **inputs)

    assert "vague1.sav" in html and "/home/alice" not in html
    assert "a" * 64 in html
    assert "tres-secret-sel" not in html and "&lt;redacted&gt;" in html
    assert f"<td>pandas</td>\n      <td>{pd.__version__}</td>" in html
    assert "0" * 40 in html
    assert "snakemake" not in sys.modules, "reporting versions must not import snakemake"


def test_missing_blocks_are_omitted_and_unknown_keys_rejected(inputs):
    html = render_report(language="en", **{**inputs, "figures": {}, "tables": {}})

    assert "<img" not in html and "Scale reliability" not in html
    # a section with nothing to show is left out, with one sentence saying why
    for section in ("measurement", "choice", "performance", "waves"):
        assert f'<section id="{section}">' not in html
    assert ">Performance</h2>" not in html
    assert html.count('<p class="left-out">') == 4
    assert "Performance: section left out, as the configuration has no performance section" in html
    assert "the waves sheet lists a single wave" in html
    with_choice = render_report(language="en", **{**inputs, "figures": {},
                                                   "tables": {"choice_mnl": inputs["tables"]["choice_mnl"]}})
    assert '<section id="choice">' in with_choice and with_choice.count('<p class="left-out">') == 3
    with pytest.raises(ValueError, match="reliabilty"):
        render_report(language="en", **{**inputs, "tables": {"reliabilty": pd.DataFrame()}})


def test_write_report_writes_utf8(tmp_path, inputs):
    html = render_report(language="fr", **inputs)

    path = write_report(html, tmp_path / "out" / "report.html")

    assert path.read_text(encoding="utf-8") == html


def test_git_commit_is_unknown_outside_a_repository(tmp_path, monkeypatch):
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)

    assert provenance.git_commit() == "unknown"


def test_sample_counts_do_not_count_the_pooled_rows_twice():
    from alliancegov.report.sections import sample_counts

    flow = pd.DataFrame({
        "wave": ["a", "a", "a", "b", "b", "b", "all", "all", "all"],
        "step": ["received", "excluded", "analysed"] * 3,
        "reason": ["", "speeder", ""] * 3,
        "n": [10, 2, 8, 5, 1, 4, 15, 3, 12],
    })
    assert sample_counts(flow) == {"received": 15, "excluded": 3, "analysed": 12, "waves": 2}


def test_captions_come_from_the_caption_files_escaped(inputs, tmp_path):
    from alliancegov.report.stage import read_caption

    path = tmp_path / "figure_sample_flow.rst"
    path.write_text("Effets marginaux\nmoyens (``margins, dydx(*)`` de Stata).\n", encoding="utf-8")
    assert read_caption(path) == "Effets marginaux moyens (margins, dydx(*) de Stata)."
    html = render_report(language="fr", **{**inputs, "captions": {"sample_flow": read_caption(path)}})
    assert "<figcaption>Effets marginaux moyens (margins, dydx(*) de Stata).</figcaption>" in html
    assert html.count("<figcaption>") == 1
    escaped = render_report(language="fr", **inputs)
    assert escaped.count("<figcaption>Légende de") == len(FIGURE_STEMS)
    assert "<script" not in escaped


def test_every_figure_has_a_caption_in_both_languages():
    root = Path(__file__).resolve().parents[1] / "workflow" / "report"
    for stem in stage.FIGURE_STEMS:
        english, french = root / f"figure_{stem}.rst", root / "fr" / f"figure_{stem}.rst"
        assert english.read_text(encoding="utf-8").strip() and french.read_text(encoding="utf-8").strip(), stem
        assert english.read_text(encoding="utf-8") != french.read_text(encoding="utf-8"), stem


def test_table_cells_and_headers_show_codebook_labels(codebook):
    from alliancegov.report.cells import label_cells

    table = pd.DataFrame({"outcome": ["joint_venture", "licensing"], "term": ["sector[textile]", "asset_specificity"],
                          "sector": ["services", "not_an_answer"], "estimate": [0.5, -1.0]})
    french = label_cells(table, codebook, "fr", "governance_form")
    assert french["outcome"].tolist() == [codebook.answer_label("governance_form", "joint_venture", "fr"),
                                          codebook.answer_label("governance_form", "licensing", "fr")]
    assert french["term"].tolist() == [
        codebook.label("sector", "fr") + " : " + codebook.answer_label("sector", "textile", "fr"),
        codebook.label("asset_specificity", "fr")]
    assert french["sector"].tolist() == [codebook.answer_label("sector", "services", "fr"), "not_an_answer"]
    assert french["estimate"].tolist() == [0.5, -1.0]
    english = label_cells(table, codebook, "en", "governance_form")
    assert english["outcome"].iloc[0] == codebook.answer_label("governance_form", "joint_venture", "en") != french[
        "outcome"].iloc[0]


def test_hypotheses_summary_has_one_row_per_hypothesis_with_translated_verdicts():
    from alliancegov.report.cells import translate_verdicts
    from alliancegov.report.hypotheses import hypotheses_summary

    checks = pd.DataFrame({"hypothesis": ["H1", "H1", "H2"], "claim": ["a", "a", "b"], "rule": ["all", "all", "any"],
                           "check_verdict": ["supported", "inconclusive", "supported"],
                           "verdict": ["inconclusive", "inconclusive", "no effect"],
                           "verdict_on": "p_adjusted (Benjamini–Hochberg over 3 checks), alpha 0.05"})
    summary = hypotheses_summary(checks)
    assert summary.to_dict("list") == {"hypothesis": ["H1", "H2"], "claim": ["a", "b"], "rule": ["all", "any"],
                                       "verdict": ["inconclusive", "no effect"], "checks_supported": ["1/2", "1/1"]}
    assert translate_verdicts(summary, "fr")["verdict"].tolist() == ["non concluante", "absence d'effet"]
    from alliancegov.report.hypotheses import hypotheses_notes

    notes = hypotheses_notes(checks, "en")
    assert notes["hypotheses_summary"].startswith("How checks make a hypothesis' verdict — all: contradicted if")
    assert "; any: supported if" in notes["hypotheses_summary"] and "majority" not in notes["hypotheses_summary"]
    assert "Benjamini–Hochberg over 3 checks" in notes["hypotheses_summary"] and "Cohen's" in notes["hypotheses"]


def test_every_block_of_an_optional_section_counts_towards_showing_it():
    """A section is left out when none of its blocks is shown: the template's blocks of each optional
    section are the ones alliancegov.report.sections knows, so a block added later cannot be hidden."""
    from alliancegov.report.sections import SECTION_CONTENT

    template = (Path(stage.__file__).with_name("templates") / "report.html.j2").read_text(encoding="utf-8")
    for section, content in SECTION_CONTENT.items():
        body = template[template.index(f'<section id="{section}">'):]
        body = body[:body.index("</section>")]
        blocks = set(re.findall(r'(?:figure|table|noted_table)\("(\w+)"\)', body))
        blocks |= set(re.findall(r'table_notes\.get\("(\w+)"\)', body))
        assert blocks == set(content), section
