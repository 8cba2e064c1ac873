"""The report printed to PDF by headless Chromium (rule ``report_pdf``, ``make pdf``).

The page's print stylesheet sets A4 pages and lets every table wrap its cells rather than lose
a column. Chromium is the browser the test suite already drives; it is not a Python package, so
the PDF is a separate target (``make pdf``), not part of ``make run``, which needs only Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "install Chromium (Debian: apt-get install chromium) or set CHROMIUM to its executable"
PDF_SIGNATURE = b"%PDF-"


def chromium_binary() -> str:
    """The headless browser: ``CHROMIUM`` if set, else the first of :data:`BROWSERS` on the PATH.

    Returns
    -------
    str
        The executable's path.

    Raises
    ------
    RuntimeError
        If none is found, saying how to install one.
    """
    for name in (os.environ.get("CHROMIUM"), *BROWSERS):
        found = shutil.which(name) if name else None
        if found:
            return found
    raise RuntimeError(f"no Chromium to print the report with: {INSTALL_HINT}")


def print_pdf(html: str | Path, pdf: str | Path, *, timeout: float = 180) -> Path:
    """Print the page ``html`` to ``pdf`` with headless Chromium, without headers or footers.

    Parameters
    ----------
    html : str or Path
        The report's HTML file.
    pdf : str or Path
        The PDF written (parent folders created).
    timeout : float
        Seconds before the browser is given up.

    Returns
    -------
    Path
        ``pdf``.

    Raises
    ------
    RuntimeError
        If no browser is found, it fails, or what it writes is not a PDF.
    """
    pdf = Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="alliancegov-chromium-") as profile:
        command = [chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                   Path(html).resolve().as_uri()]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0 or not pdf.exists() or not pdf.read_bytes().startswith(PDF_SIGNATURE):
        raise RuntimeError(f"Chromium did not print {html} to {pdf} (exit {result.returncode}): "
                           f"{result.stderr[-2000:]}")
    return pdf


def run(*, html: str, outputs: Mapping[str, str]) -> Path:
    """The report_pdf rule: one report printed to PDF.

    Parameters
    ----------
    html : str
        The report (``results/report/index.<language>.html``).
    outputs : mapping of str to str
        ``pdf``: the PDF's path.

    Returns
    -------
    Path
        The PDF written.
    """
    import logging

    path = print_pdf(html, outputs["pdf"])
    logging.getLogger("alliancegov").info("%s printed to %s", html, path)
    return path
