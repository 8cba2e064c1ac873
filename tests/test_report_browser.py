"""The HTML report in a real browser: headless Chromium opens it from disk, in French and in English.

Every figure must decode, the console must stay free of errors and the page must fetch nothing
but itself (figures are data URIs). A screenshot of the first screen of each language is kept in
the checkout's ``results/browser/`` for a human to look at. Under CI (``CI`` set, as ``.ci/run``
does) a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib.image import imread

from alliancegov.report.stage import FIGURE_STEMS
from alliancegov.report.text import REPORT_TEXT
from tests.conftest import ROOT, snakemake

SCREENSHOTS = ROOT / "results" / "browser"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WINDOW = (1280, 900)
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)
INSTALL_HINT = "install Debian's chromium and chromium-driver packages (apt-get install chromium chromium-driver)"

pytestmark = pytest.mark.slow


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str):
    """Fail under CI, where a missing browser means a broken CI image, else skip with how to fix it."""
    message = f"{reason}: {INSTALL_HINT}"
    if under_ci():
        pytest.fail(f"CI is set and {message}")
    pytest.skip(message)


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


@pytest.fixture(scope="module")
def english_project(run, tmp_path_factory) -> Path:
    """The shared run's project switched to English, as a user would: same results, ``language=en``.

    The copy keeps modification times and Snakemake's metadata, so only the jobs whose
    ``language`` parameter changed (figures, hypotheses, the report) run again.
    """
    project, _ = run
    copy = tmp_path_factory.mktemp("english") / "project"
    shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns("locks", "incomplete"))
    result = snakemake(copy, "--cores", "2", "results/report/index.html", "--config", "language=en")
    assert result.returncode == 0, result.stderr[-4000:]
    return copy


def requests_of(driver, page: str) -> list[str]:
    """URLs the report asked for (from Chromium's network log): requests of the report's document,
    not of the browser's own pages (``chrome://``, and the new-tab page Chromium 156 opens as
    ``chrome-untrusted://new-tab-page``)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        if message["params"].get("documentURL") == page:
            urls.append(message["params"]["request"]["url"])
    return urls


def png_size(content: bytes) -> tuple[int, int]:
    assert content.startswith(PNG_SIGNATURE) and content[12:16] == b"IHDR"
    return struct.unpack(">II", content[16:24])


@pytest.mark.parametrize("language", ["fr", "en"])
def test_report_renders_in_headless_chromium(language, request, browser):
    # The pipeline runs only once a browser is known to be there: a missing one fails or skips at once.
    project = request.getfixturevalue("english_project") if language == "en" else request.getfixturevalue("run")[0]
    page = (project / "results" / "report" / "index.html").resolve().as_uri()
    browser.get(page)
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.execute_script("return document.documentElement.lang") == language

    images = browser.execute_script("""
        return Array.from(document.images, img => ({
            alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
            shown: img.getBoundingClientRect().width, scheme: new URL(img.src).protocol}));""")
    assert len(images) == len(FIGURE_STEMS) >= 10           # every figure the report knows is on the page
    assert all(image["alt"].strip() for image in images)
    broken = [image["alt"] for image in images if not (image["complete"] and image["width"] > 0
                                                        and image["height"] > 0 and image["shown"] > 0)]
    assert not broken, broken
    assert {image["scheme"] for image in images} == {"data:"}

    headings = browser.execute_script("return Array.from(document.querySelectorAll('h2'), h => h.textContent)")
    text = REPORT_TEXT[language]
    assert text["summary"] in headings and text["provenance"] in headings

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
