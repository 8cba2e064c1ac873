"""The HTML reports in a real browser: headless Chromium opens both languages of one run from disk.

Every figure must decode, the console must stay free of errors and the page must fetch nothing
but itself (figures are data URIs). What a reader sees (the page's visible text, outside the
configuration and software of Appendix B) must hold no raw identifier of the pipeline and no word
of the other language. Printed (CSS print media at the width of an A4 page), no table may lose a
column, and the PDF printed by headless Chromium holds, in its extracted text, every column header
of every table of the Results and Appendix A and the text of each one's last column. A screenshot
of the first screen of each language is kept in the checkout's ``results/browser/`` for a human
to look at. Under CI (``CI`` set, as ``.ci/run`` does) a missing
browser fails the test instead of skipping it.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from matplotlib.image import imread

from alliancegov.messages import message, section
from tests.conftest import ROOT, snakemake

SCREENSHOTS = ROOT / "results" / "browser"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WINDOW = (1280, 900)
A4_PRINTABLE_PX = 680    # 210 mm less Chromium's default 1 cm margins, at 96 px per inch (about 718 px), rounded down
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)
INSTALL_HINT = "install Debian's chromium and chromium-driver packages (apt-get install chromium chromium-driver)"
# A raw name of the pipeline: snake_case (governance_form, rrr_conf_low, no_consent), a patsy or tidy term
# (C(sector...), sector[textile]), a configuration key (choice.profiles), a boolean or missing-value spelling
# of pandas.
RAW_IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\bC\(|\b\w+\[\w+\]|\b(True|False|NaN|nan|<NA>|None)\b"
                            r"|\b(choice|figures|report|performance|misalignment|measurement|qc|ingest|disclosure|"
                            r"importance|hypotheses)\.[a-z]\w*")
# Words that belong to one language only: none may appear in the other language's report.
WORDS = {
    "en": {"the", "and", "with", "of", "standard", "errors", "firms", "responses", "wave", "waves", "between",
           "which", "supported", "not", "yes", "interval", "share", "partnership", "performance index"},
    "fr": {"le", "la", "les", "des", "avec", "erreurs", "entreprises", "réponses", "vague", "vagues", "entre",
           "oui", "intervalle", "partenariat", "contrats", "confirmée", "moyenne", "selon"},
}

pytestmark = pytest.mark.slow


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str):
    """Fail under CI, where a missing browser means a broken CI image, else skip with how to fix it."""
    message_ = f"{reason}: {INSTALL_HINT}"
    if under_ci():
        pytest.fail(f"CI is set and {message_}")
    pytest.skip(message_)


def browser_binaries() -> tuple[str, str]:
    """Chromium and its driver: ``CHROMIUM`` / ``CHROMEDRIVER`` if set, else found on PATH."""
    chromium = shutil.which(os.environ.get("CHROMIUM") or "chromium") or shutil.which("chromium-browser")
    driver = shutil.which(os.environ.get("CHROMEDRIVER") or "chromedriver")
    if chromium is None:
        unavailable("no chromium executable (CHROMIUM or on PATH)")
    if driver is None:
        unavailable("no chromedriver executable (CHROMEDRIVER or on PATH)")
    return chromium, driver


@pytest.fixture
def browser(tmp_path) -> Iterator:
    chromium, driver_path = browser_binaries()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # An explicit driver path keeps Selenium Manager from trying to download one.
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def requests_of(driver, page: str) -> list[str]:
    """URLs the report asked for (from Chromium's network log): requests of the report's document,
    not of the browser's own pages (``chrome://``, and the new-tab page Chromium 156 opens as
    ``chrome-untrusted://new-tab-page``)."""
    urls = []
    for entry in driver.get_log("performance"):
        message_ = json.loads(entry["message"])["message"]
        if message_["method"] != "Network.requestWillBeSent":
            continue
        if message_["params"].get("documentURL") == page:
            urls.append(message_["params"]["request"]["url"])
    return urls


def png_size(content: bytes) -> tuple[int, int]:
    assert content.startswith(PNG_SIGNATURE) and content[12:16] == b"IHDR"
    return struct.unpack(">II", content[16:24])


def reader_text(browser) -> str:
    """The page's visible text but Appendix B (the configuration as run and the software's names are code)."""
    return browser.execute_script("""
        const page = document.body.cloneNode(true);
        page.querySelectorAll('#provenance, code, pre').forEach(node => node.remove());
        document.body.appendChild(page); page.style.position = 'absolute';
        const text = page.innerText; page.remove(); return text;""")


class ReportTables(HTMLParser):
    """The tables of the Results and of Appendix A in an HTML report: each one's caption, header
    cells and body rows, as text (the provenance tables of Appendix B are file names and hashes)."""

    SECTIONS = {"results", "appendix-tables"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.sections: list[str] = []
        self.caption: list[str] | None = None
        self.last_caption = ""
        self.cell: list[str] | None = None
        self.part = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.sections.append(dict(attrs).get("id", ""))
        elif not self.SECTIONS & set(self.sections):
            return
        elif tag == "figcaption":
            self.caption = []
        elif tag == "table":
            self.tables.append({"caption": self.last_caption, "header": [], "rows": []})
        elif tag in ("thead", "tbody"):
            self.part = tag
        elif tag == "tr" and self.part == "tbody":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "section":
            self.sections.pop()
        elif tag == "figcaption" and self.caption is not None:
            self.last_caption, self.caption = "".join(self.caption), None
        elif tag in ("th", "td") and self.cell is not None:
            text, self.cell = "".join(self.cell), None
            (self.tables[-1]["header"] if self.part == "thead" else self.tables[-1]["rows"][-1]).append(text)

    def handle_data(self, data):
        for collected in (self.caption, self.cell):
            if collected is not None:
                collected.append(data)


def squeezed(text: str) -> str:
    """``text`` as compared with a PDF's extracted text: compatibility-normalised (the PDF's ``ﬁ``
    ligature is ``fi``) and without any whitespace (a header or cell may wrap onto several lines)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def clipped_columns(html: str, pdf_text: str) -> list[tuple[str, str]]:
    """(caption, text) of every column header, and of the last column's first filled data cell, of
    the report's tables that the PDF's text does not hold between the table's caption and the next
    table's; a table whose caption is not found is reported whole."""
    tables = ReportTables(html).tables
    assert len(tables) >= 20, len(tables)
    text = squeezed(pdf_text)
    starts, cursor = [], 0
    for table in tables:
        found = text.find(squeezed(table["caption"]), cursor)
        starts.append(found)
        cursor = found if found >= 0 else cursor
    missing = []
    for i, table in enumerate(tables):
        if starts[i] < 0:
            missing.append((table["caption"], "the caption"))
            continue
        following = [start for start in starts[i + 1:] if start >= 0]
        window = text[starts[i]:following[0] if following else len(text)]
        last = next((row[-1] for row in table["rows"] if row and row[-1].strip()), None)
        assert last is not None and table["header"][-1].strip(), table["caption"]
        for cell in [*table["header"], last]:
            if squeezed(cell) not in window:
                missing.append((table["caption"], cell))
    return missing


@pytest.mark.parametrize("language", ["fr", "en"])
def test_report_renders_in_headless_chromium(language, run, browser):
    project, _ = run
    report = project / "results" / "report" / f"index.{language}.html"
    page = report.resolve().as_uri()
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page)
    # a report of about 3 MB (figures embedded) may still be parsing when get() returns on a loaded machine
    WebDriverWait(browser, 60).until(lambda driver: driver.execute_script("return document.readyState") == "complete")
    assert browser.execute_script("return document.documentElement.lang") == language

    images = browser.execute_script("""
        return Array.from(document.images, img => ({
            alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
            shown: img.getBoundingClientRect().width, scheme: new URL(img.src).protocol}));""")
    drawn = sorted((project / "results" / "figures" / language).glob("*.png"))
    assert len(images) == len(drawn) >= 10            # every figure of the run, in this language, is on the page
    assert all(image["alt"].strip() for image in images)
    broken = [image["alt"] for image in images if not (image["complete"] and image["width"] > 0
                                                        and image["height"] > 0 and image["shown"] > 0)]
    assert not broken, broken
    assert {image["scheme"] for image in images} == {"data:"}

    headings = browser.execute_script("return Array.from(document.querySelectorAll('h2'), h => h.textContent)")
    assert any(message("report.results", language) in heading for heading in headings)
    assert any(message("report.appendix_provenance", language) in heading for heading in headings)
    # the simulated-data banner on the first screen, with the seed of the simulator's record
    banner = browser.execute_script("""
        const b = document.getElementById('simulated-data');
        return b ? [b.innerText, b.getBoundingClientRect().bottom, innerHeight] : null;""")
    seed = json.loads((ROOT / "data" / "raw" / "simulated.json").read_text(encoding="utf-8"))["seed"]
    assert banner is not None and str(seed) in banner[0] and banner[1] <= banner[2]

    text = reader_text(browser)
    raw = sorted(set(match.group(0) for match in RAW_IDENTIFIER.finditer(text)))
    assert not raw, raw[:20]
    rule_codes = set(section("rules", language))
    assert not rule_codes & set(re.findall(r"\w+", text))
    other = "en" if language == "fr" else "fr"
    words = set(re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower()))
    foreign = sorted((WORDS[other] & words) | {phrase for phrase in WORDS[other] if " " in phrase and phrase in text})
    assert not foreign, foreign

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    external = [url for url in requests_of(browser, page) if url != page and not url.startswith("data:")]
    assert not external, external

    screenshot = browser.get_screenshot_as_png()
    width, height = png_size(screenshot)
    viewport = browser.execute_script("return [innerWidth * devicePixelRatio, innerHeight * devicePixelRatio]")
    assert (width, height) == tuple(viewport)
    pixels = imread(io.BytesIO(screenshot), format="png")
    assert pixels.std() > 0.01   # not a blank page: the title and the summary are on the first screen
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"report_{language}.png").write_bytes(screenshot)

    # The console check above is only worth something if the console is really captured.
    browser.execute_script("console.error('alliancegov console probe')")
    assert any("alliancegov console probe" in entry["message"] for entry in browser.get_log("browser"))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_printed_tables_keep_every_column(language, run, browser):
    """Under the print stylesheet at the width of an A4 page, every table fits its page: no column
    is cut off or left to a scroll bar that paper does not have."""
    project, _ = run
    browser.get((project / "results" / "report" / f"index.{language}.html").resolve().as_uri())
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": A4_PRINTABLE_PX, "height": 1000,
                                                                   "deviceScaleFactor": 1, "mobile": False})
    tables = browser.execute_script("""
        return Array.from(document.querySelectorAll('table'), t => ({
            id: (t.closest('figure') || t.parentElement).id, width: t.getBoundingClientRect().right,
            columns: t.rows.length ? t.rows[0].cells.length : 0}));""")
    assert len(tables) >= 20
    cut = [table["id"] for table in tables if table["width"] > A4_PRINTABLE_PX + 1]
    assert not cut, cut


def test_the_reports_print_to_pdf_with_the_headless_browser(run, tmp_path):
    browser_binaries()
    from pypdf import PdfReader
    project, _ = run
    copy = tmp_path / "project"
    shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns("locks", "incomplete"))
    result = snakemake(copy, "--cores", "2", "results/report/index.fr.pdf", "results/report/index.en.pdf")
    assert result.returncode == 0, result.stderr[-4000:]
    for language in ("fr", "en"):
        pdf = copy / "results" / "report" / f"index.{language}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        pages = PdfReader(pdf).pages
        assert len(pages) >= 10    # the whole report, not a first screen
        # Chromium draws no text outside the page or a clipping box, so a column lost to the print layout
        # is missing from the extracted text (checked by hand: a print stylesheet hiding the last column,
        # or letting the tables overflow the page, fails here).
        html = (copy / "results" / "report" / f"index.{language}.html").read_text(encoding="utf-8")
        missing = clipped_columns(html, "\n".join(page.extract_text() for page in pages))
        assert not missing, (language, missing[:10])
    # only the PDF jobs ran: the models and the HTML reports were not touched
    assert "rule report_pdf" in result.stdout + result.stderr
    assert not re.search(r"rule (choice|performance|report|hypotheses):", result.stdout + result.stderr)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(copy / "results" / "report" / "index.en.pdf", SCREENSHOTS / "report_en.pdf")

