"""One self-contained HTML page: figures embedded as data URIs, inline CSS, no script.

Everything that comes from data (table cells, notes, captions, file names, the title, the
configuration) reaches the page as text and is escaped by the Jinja2 environment, which
autoescapes. The page then loses every invisible format character
(:func:`alliancegov.safe_output.visible_text`), wherever it came from. Apart from the
``generated_at`` line the page is a pure function of its inputs and of the software versions
it reports, so two runs on the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alliancegov.messages import section
from alliancegov.report.document import FigureBlock, Section
from alliancegov.report.provenance import config_yaml, provenance_table, software_versions
from alliancegov.safe_output import visible_text

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "report.html.j2"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CODE_COLUMNS = ("file", "sha256")   # the provenance table's literal names, shown as code


@dataclass(frozen=True)
class Page:
    """What one report page says besides its sections.

    Attributes
    ----------
    language : str
        The page's language.
    title : str
        Its title.
    abstract : str
        The sentence under the title.
    simulated : str
        The simulated-data banner's detail (``""``: real data, no banner).
    other_languages : tuple of dict
        ``href``, ``language`` and ``name`` of the same report in the other languages.
    notes : tuple of str
        The methods notes.
    warnings : tuple of str
        The estimation's own warnings (English, marked so on the page).
    generated_at : str
        Printed as is; the only run-dependent line.
    git_commit : str
        The code version.
    """

    language: str
    title: str
    abstract: str
    simulated: str = ""
    other_languages: tuple = ()
    notes: tuple = ()
    warnings: tuple = ()
    generated_at: str = ""
    git_commit: str = "unknown"


def png_data_uri(path: str | Path) -> str:
    """The PNG file at ``path`` as a ``data:image/png;base64,...`` URI.

    Parameters
    ----------
    path : str or Path
        A PNG file.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the file is not a PNG (no PNG signature).
    """
    content = Path(path).read_bytes()
    if not content.startswith(PNG_SIGNATURE):
        raise ValueError(f"{path} is not a PNG file")
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def read_caption(path: str | Path) -> str:
    """A caption file (reStructuredText, shared with Snakemake's report) as one line of plain text.

    Parameters
    ----------
    path : str or Path
        The caption file (UTF-8).

    Returns
    -------
    str
        The caption: inline literals lose their backquotes, line breaks become spaces.
    """
    text = Path(path).read_text(encoding="utf-8")
    return " ".join(re.sub(r"``(.+?)``", r"\1", text).split())


def report_environment() -> Environment:
    """The Jinja2 environment of the report templates, autoescaping everything.

    Returns
    -------
    jinja2.Environment
        Loads from ``templates/``; undefined variables are errors (``StrictUndefined``).
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES_DIR),
                       autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True,
                                                    default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_page(page: Page, results: Sequence[Section], appendix: Sequence[Section], *,
                provenance: Sequence[Mapping], config: Mapping) -> str:
    """The report as one HTML page.

    Parameters
    ----------
    page : Page
        Title, abstract, banner, languages, notes.
    results, appendix : sequence of Section
        The numbered sections (:func:`alliancegov.report.document.build_sections`).
    provenance : sequence of mapping
        One record per input file (:func:`~alliancegov.report.provenance.provenance_table`).
    config : mapping
        The run configuration (shown with secrets redacted).

    Returns
    -------
    str
        The page, free of invisible format characters (bidirectional controls, zero-width
        characters: :func:`~alliancegov.safe_output.visible_text`) in its labels, cells,
        captions, title, notes and configuration alike.

    Raises
    ------
    ValueError
        If a figure is not a PNG.
    """

    text = section("report", page.language)
    columns = section("columns", page.language)
    figures = {item.stem: png_data_uri(item.path) for part in (*results, *appendix) for item in part.blocks
               if isinstance(item, FigureBlock)}
    inputs = provenance_table(list(provenance))
    software = software_versions(page.language)
    template = report_environment().get_template(TEMPLATE_NAME)
    # One pass over the whole page: the markup is ASCII, so only text from the data can hold Cf characters.
    return visible_text(template.render(
        language=page.language, title=page.title, text=text, abstract=page.abstract, simulated=page.simulated,
        other_languages=page.other_languages, results=results, appendix=appendix, figures=figures,
        notes=page.notes, warnings=page.warnings, generated_at=page.generated_at, git_commit=page.git_commit,
        provenance={"header": [columns.get(c, c) for c in inputs.columns],
                    "rows": [[str(v) for v in row] for row in inputs.itertuples(index=False)],
                    "code_columns": [i for i, c in enumerate(inputs.columns) if c in CODE_COLUMNS]},
        software={"header": [columns["package"], columns["version"]],
                  "rows": [[str(v) for v in row] for row in software.itertuples(index=False)]},
        config_yaml=config_yaml(dict(config)),
    ))


def write_report(html: str, path: str | Path) -> Path:
    """Write ``html`` as UTF-8 with ``\\n`` line endings, creating parent folders.

    Parameters
    ----------
    html : str
        The page.
    path : str or Path
        The file written.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8", newline="\n")
    return path
