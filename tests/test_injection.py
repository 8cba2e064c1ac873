"""End to end: hostile text planted in every user-supplied input comes out inert in every published file.

One pipeline run on a copy of the project whose raw wave, waves sheet, codebook, hypotheses register
and configuration carry script tags, event-handler attributes, spreadsheet formulas and LaTeX
commands, and whose codebook labels, report title and hypothesis claim also carry "Trojan Source"
bidirectional controls and zero-width characters. Afterwards free text is nowhere under
``results/``; HTML holds the planted text as text, never as elements or attributes; every CSV cell a
spreadsheet would run is a quoted text cell while negative numbers stay numbers; Markdown, LaTeX,
Word and SVG outputs escape what they carry; and no published file holds an invisible format
character (Unicode category Cf).
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
import zipfile
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pyreadstat
import pytest
import yaml

from alliancegov.safe_output import FORMULA_ESCAPE, FORMULA_PREFIXES, visible_text
from tests.conftest import copy_project, snakemake

pytestmark = pytest.mark.slow

FREE_TEXT_MARK = "FREETEXT-7f3a"
FREE_TEXT = [f'<script>alert("{FREE_TEXT_MARK}")</script>', f'=HYPERLINK("http://x.invalid","{FREE_TEXT_MARK}")',
             f"@SUM(1) {FREE_TEXT_MARK}"]
# Submission ids and unknown sector answers of quarantined rows: every OWASP formula prefix and HTML.
HOSTILE = ['=HYPERLINK("http://x.invalid","q")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=2+2", '<script>alert("q")</script>',
           '<img src=x onerror=alert("q")>']
# "Trojan Source": a right-to-left override and isolates reorder what a reader sees ("ab\u202ecd" shows
# as "abdc"), zero-width characters and a byte-order mark hide; all are Unicode category Cf.
TROJAN = " ab\u202ecd\u2066ef\u2069\u200d\u200b\ufeff\u061c\u200f"
TROJAN_SHOWN = " abcdef"
TITLE = '<script>alert("title")</script> =HYPERLINK("http://x.invalid","t") & <b>bold</b>' + TROJAN
DESCRIPTION = '=HYPERLINK("http://x.invalid","wave") <script>alert("wave")</script>'
# A zero-width space before the "=": the CSV writer must remove it before it looks for formulas.
CLAIM_PREFIX = '\u200b=HYPERLINK("http://x.invalid","claim") <script>alert("claim")</script>' + TROJAN + " "
VARIABLE_LABEL = '<img src=x onerror=alert("variable")> Forme' + TROJAN
SCALE_LABEL = '<script>alert("scale")</script> Confiance & =1+1' + TROJAN
VALUE_LABEL = '<svg onload=alert("value")> Textile-habillement'
# Alternative model names reach the publication tables: HTML and every LaTeX special character.
VARIANT_MARKUP = r"<img src=x onerror=alert(1)> R&D_$x^2 \input{evil} 50% #1 ~"
VARIANT_MARKUP_LATEX = (r"\textless{}img src=x onerror=alert(1)\textgreater{} R\&D\_\$x\textasciicircum{}2 "
                        r"\textbackslash{}input\{evil\} 50\% \#1 \textasciitilde{}")
VARIANT_FORMULA = '=HYPERLINK("http://x.invalid","variant")'
EXTRA_COLUMN = "@SUM(1)<img src=x onerror=alert(1)>"
# Elements and attributes no planted text may create in an HTML page.
FORBIDDEN_TAGS = {"script", "svg", "math", "iframe", "object", "embed", "img", "link", "base", "form", "input"}


def plant(project: Path) -> list[str]:
    """Write the hostile inputs into the project copy; return the submission ids of the quarantined rows."""
    config_path = project / "config" / "config.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["ingest"]["unknown_values"] = "quarantine"
    config["report"]["title"] = TITLE
    variants = config["choice"]["variants"]
    assert len(variants) == 2
    config["choice"]["variants"] = dict(zip([VARIANT_MARKUP, VARIANT_FORMULA], variants.values()))
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")

    waves_path = project / "config" / "waves.tsv"
    waves = pd.read_csv(waves_path, sep="\t", dtype=str, keep_default_na=False)
    waves.loc[0, "description"] = DESCRIPTION
    waves.to_csv(waves_path, sep="\t", index=False)
    kobo = project / waves.loc[0, "file"]
    assert waves.loc[0, "format"] == "kobo_csv"

    codebook = project / "config" / "codebook"
    variables = pd.read_csv(codebook / "variables.csv", dtype=str, keep_default_na=False)
    variables.loc[variables["name"] == "governance_form", "label_fr"] = VARIABLE_LABEL
    variables.to_csv(codebook / "variables.csv", index=False)
    scales = pd.read_csv(codebook / "scales.csv", dtype=str, keep_default_na=False)
    scales.loc[scales["scale"] == "trust", "label_fr"] = SCALE_LABEL
    scales.to_csv(codebook / "scales.csv", index=False)
    value_sets = pd.read_csv(codebook / "value_sets.csv", dtype=str, keep_default_na=False)
    textile = (value_sets["list_name"] == "sector") & (value_sets["name"] == "textile")
    old_label = value_sets.loc[textile, "label_fr"].item()
    value_sets.loc[textile, "label_fr"] = VALUE_LABEL
    value_sets.to_csv(codebook / "value_sets.csv", index=False)
    # The SPSS wave is exported again with the revised label, as a survey tool would: value labels
    # that disagree with the codebook stop the run (alliancegov.ingest.labels).
    sav = project / "data" / "raw" / "wave_2026.sav"
    cells, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    labels = {name: {code: VALUE_LABEL if name == "sector" and label == old_label else label
                     for code, label in mapping.items()} for name, mapping in meta.variable_value_labels.items()}
    pyreadstat.write_sav(cells, str(sav), column_labels=meta.column_labels, variable_value_labels=labels,
                         missing_ranges=meta.missing_ranges)

    register_path = project / "config" / "hypotheses.yaml"
    register = yaml.safe_load(register_path.read_text(encoding="utf-8"))
    for language in ("fr", "en"):   # the French report shows claim_fr; hypotheses.csv holds claim_en
        register["hypotheses"][0][f"claim_{language}"] = CLAIM_PREFIX + register["hypotheses"][0][f"claim_{language}"]
    register_path.write_text(yaml.safe_dump(register, allow_unicode=True, sort_keys=False), encoding="utf-8")

    raw = pd.read_csv(kobo, sep=";", dtype=str, keep_default_na=False)
    sector = "profil/sector"
    assert (raw[sector] == old_label).any()
    raw[sector] = raw[sector].replace(old_label, VALUE_LABEL)   # the wave answers with the new label
    raw.loc[:len(FREE_TEXT) - 1, "commentaire/comment"] = FREE_TEXT
    # Rows no earlier exclusion rule takes, so that unknown_value is the reason given.
    eligible = raw.index[(raw["qualite/consent"] == "Oui") & ~raw["_uuid"].duplicated(keep=False)
                         & ~raw["identification/registry_number"].duplicated(keep=False)]
    quarantined = eligible[eligible >= len(FREE_TEXT)][:len(HOSTILE)]
    raw.loc[quarantined, sector] = HOSTILE
    raw.loc[quarantined, "_uuid"] = [f"{text} sid{i}" for i, text in enumerate(HOSTILE)]
    raw[EXTRA_COLUMN] = "1"
    raw.to_csv(kobo, sep=";", index=False, encoding="utf-8", quoting=csv.QUOTE_ALL)
    return [f"{text} sid{i}".strip() for i, text in enumerate(HOSTILE)]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    project = tmp_path_factory.mktemp("hostile")
    copy_project(project)
    submission_ids = plant(project)
    result = snakemake(project, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    files = sorted(p for p in (project / "results").rglob("*") if p.is_file())
    return project / "results", files, submission_ids


def readable_text(path: Path) -> str:
    """What a reader of the file would see, as text (Parquet and Word unpacked, anything else decoded)."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as package:
            return "\n".join(package.read(name).decode("utf-8", errors="replace") for name in package.namelist())
    return path.read_bytes().decode("utf-8", errors="replace")


class Page(HTMLParser):
    """Every element, attribute and text node of an HTML page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def test_free_text_reaches_no_output(planted):
    _, files, _ = planted
    leaks = [str(path) for path in files if FREE_TEXT_MARK in readable_text(path)]
    assert not leaks, leaks


def test_html_outputs_hold_planted_text_as_text_only(planted):
    results, files, _ = planted
    pages = [path for path in files if path.suffix == ".html"]
    assert results / "report" / "index.fr.html" in pages and len(pages) >= 3
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html.lower(), path
        page = Page(html)
        for tag, attributes in page.elements:
            handlers = [name for name in attributes if name.startswith("on")]
            assert not handlers, (path, tag, attributes)
            if tag == "img":   # the report's figures, and nothing a planted <img> could have made
                assert attributes["src"].startswith("data:image/png;base64,"), (path, attributes["src"][:40])
            else:
                assert tag not in FORBIDDEN_TAGS, (path, tag, attributes)
    html = (results / "report" / "index.fr.html").read_text(encoding="utf-8")
    for tag in ("title", "h1"):
        inner = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL).group(1)
        assert "<" not in inner and unescape(inner) == visible_text(TITLE), (tag, inner)
    assert visible_text(CLAIM_PREFIX).strip() in Page(html).text       # shown to the reader, verbatim
    # the variants' columns are numbered (1), (2)... (issue 19: no configuration name heads a column), so their
    # planted names never reach the publication tables, raw or escaped
    choice = Page((results / "tables" / "publication" / "fr" / "choice_models.html").read_text(encoding="utf-8"))
    assert VARIANT_MARKUP not in choice.text and "(2)" in choice.text


def formula_cells(path: Path) -> tuple[list[str], list[str]]:
    """Cells starting with a formula prefix: those that are numbers, and those that are not."""
    numbers, text = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            for cell in row:
                if cell.startswith(FORMULA_PREFIXES):
                    try:
                        float(cell)
                        numbers.append(cell)
                    except ValueError:
                        text.append(cell)
    return numbers, text


def test_csv_outputs_neutralise_formulas_and_keep_numbers(planted):
    results, files, submission_ids = planted
    tables = [path for path in files if path.suffix == ".csv"]
    assert len(tables) > 30
    negative_numbers = 0
    for path in tables:
        numbers, formulas = formula_cells(path)
        assert not formulas, (path, formulas[:5])
        negative_numbers += sum(cell.startswith("-") for cell in numbers)
    assert negative_numbers > 50             # negative estimates written as bare numbers, not quoted text
    mnl = pd.read_csv(results / "tables" / "choice_mnl.csv")
    assert pd.api.types.is_float_dtype(mnl["estimate"]) and (mnl["estimate"] < 0).any()

    exclusions = pd.read_csv(results / "qc" / "exclusions.csv", dtype=str, keep_default_na=False)
    quarantined = exclusions[exclusions["rule"] == "unknown_value"]
    shown = {sid if not sid.startswith(FORMULA_PREFIXES) else FORMULA_ESCAPE + sid for sid in submission_ids}
    assert set(quarantined["submission_id"]) == shown
    # the published reason describes the answer; its text stays in the interim ingested file
    assert quarantined["offending"].str.fullmatch(r"unknown value in sector, \d+ characters").all()
    for text in HOSTILE:
        assert not quarantined["offending"].str.contains(text.strip(), regex=False).any(), text

    claims = pd.read_csv(results / "tables" / "hypotheses.csv", dtype=str, keep_default_na=False)["claim"]
    assert claims.str.startswith(FORMULA_ESCAPE + visible_text(CLAIM_PREFIX)).any()
    variants = pd.read_csv(results / "tables" / "choice_variants.csv", dtype=str, keep_default_na=False)
    assert {FORMULA_ESCAPE + VARIANT_FORMULA, VARIANT_MARKUP} <= set(variants["model"])


def latex_problems(latex: str) -> list[str]:
    """Lines of a LaTeX table where text was not escaped: a command that reads or writes files, a
    special character left active, or a stray ``&`` adding a column."""
    width = len(re.search(r"\\begin\{tabular\}\{([lcr]+)\}", latex).group(1))
    problems = []
    for line in latex.splitlines():
        active = re.sub(r"\$-\$", "", line)    # the writer's own minus signs
        if re.search(r"\\(input|include|write|immediate|openin|openout|catcode|def)\b", line):
            problems.append(line)
        elif re.search(r"(?<!\\)[#%_^~$]", active):
            problems.append(line)
        elif line.endswith("\\\\") and not line.startswith("\\multicolumn"):
            if len(re.findall(r"(?<!\\)&", line)) != width - 1:
                problems.append(line)
    return problems


def test_publication_tables_escape_planted_text(planted):
    results, _, _ = planted
    folder = results / "tables" / "publication" / "fr"
    markdown_tables = sorted(folder.parent.glob("*/*.md"))
    assert {path.parent.name for path in markdown_tables} == {"fr", "en"}   # both languages' tables
    for path in markdown_tables:
        markdown = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<!\\)<[A-Za-z/!?]", markdown), path   # no raw HTML for a renderer to run
    latex = (folder / "choice_models.tex").read_text(encoding="utf-8")
    assert VARIANT_MARKUP_LATEX not in latex and VARIANT_MARKUP not in latex and "(2)" in latex
    for path in folder.glob("*.tex"):
        problems = latex_problems(path.read_text(encoding="utf-8"))
        assert not problems, (path, problems[:3])
    documents = {}
    for path in folder.glob("*.docx"):
        with zipfile.ZipFile(path) as package:
            documents[path.stem] = ElementTree.fromstring(package.read("word/document.xml"))
        # Word runs fields (HYPERLINK, INCLUDETEXT, DDE...), not text that merely looks like a formula.
        fields = [e.tag for e in documents[path.stem].iter() if e.tag.endswith(("}fldSimple", "}instrText"))]
        assert not fields, (path, fields)
    assert VARIANT_MARKUP not in "".join(documents["choice_models"].itertext())


def test_figures_and_provenance_stay_inert(planted):
    results, files, _ = planted
    svgs = [path for path in files if path.suffix == ".svg"]
    assert svgs
    for path in svgs:
        for element in ElementTree.parse(path).iter():
            name = element.tag.rsplit("}", 1)[-1]
            assert name not in {"script", "foreignObject"}, (path, name)
            assert not [key for key in element.attrib if key.rsplit("}", 1)[-1].startswith("on")], (path, name)
    labelled = [path.name for path in svgs if "&lt;svg onload=alert(" in path.read_text(encoding="utf-8")]
    assert "form_by_sector.svg" in labelled          # the planted value label did reach the figures
    for path in files:
        if path.suffix == ".json":
            record = json.loads(path.read_text(encoding="utf-8"))
            if path.stem == "w2024":
                assert EXTRA_COLUMN in record["ignored_columns"]


PUBLISHED_TEXT = (".csv", ".tex", ".md", ".html", ".docx", ".svg", ".txt")


def test_no_published_file_holds_an_invisible_format_character(planted):
    results, files, _ = planted
    assert visible_text(TROJAN) == TROJAN_SHOWN
    published = [path for path in files if path.suffix in PUBLISHED_TEXT and "logs" not in path.parts]
    assert {path.suffix for path in published} == set(PUBLISHED_TEXT)
    hidden = {}
    for path in published:
        found = sorted({f"U+{ord(c):04X}" for c in readable_text(path) if unicodedata.category(c) == "Cf"})
        if found:
            hidden[str(path.relative_to(results))] = found
    assert not hidden, hidden
    # The labels did reach the outputs, shown in their stored order without the hidden characters.
    report = Page((results / "report" / "index.fr.html").read_text(encoding="utf-8")).text
    for label in (VARIABLE_LABEL, SCALE_LABEL, TITLE):
        assert visible_text(label) in report, label
    svgs = [path.read_text(encoding="utf-8") for path in files if path.suffix == ".svg"]
    assert any("Confiance" in svg and TROJAN_SHOWN.strip() in svg for svg in svgs)   # labels may be wrapped
    latex = (results / "tables" / "publication" / "fr" / "choice_models.tex").read_text(encoding="utf-8")
    assert "Confiance \\& =1+1" + TROJAN_SHOWN in latex
