"""Any table as LaTeX (booktabs), Markdown, HTML and Word, every text cell escaped.

The writers render a :class:`TableLayout`: a table whose ``part`` column (as the regression and
descriptive tables of :mod:`alliancegov.publication` have) sorts its rows into coefficients, fit
statistics and notes. Every format is byte-stable across runs.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from alliancegov.safe_output import printable

PART_COLUMN = "part"


LABEL_COLUMN = "term"


TABLE_PARTS = ("estimate", "statistic", "fit", "note")


def cell_text(value: object) -> str:
    """A cell as display text: missing values blank, floats as ``%.10g``, then :func:`printable`.

    Parameters
    ----------
    value : object
        A table cell.

    Returns
    -------
    str
        One line of text, free of control characters; not escaped for any format.
    """
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{float(value):.10g}"
    return printable(str(value))


@dataclass(frozen=True)
class TableLayout:
    """What every writer renders: header cells, body rows (with a rule above or not) and notes.

    All cells are display text (:func:`cell_text`), not yet escaped.

    Attributes
    ----------
    header : list of str
        The column headings.
    body : list of list of str
        The rows shown, each as many cells as ``header``.
    rule_above : list of bool
        One per body row: ``rule_above[i]`` is true for the first row of a new part (the fit rows
        of a regression table).
    notes : list of str
        The notes printed under the table.
    """

    header: list[str]
    body: list[list[str]]
    rule_above: list[bool]
    notes: list[str]


def table_layout(table: pd.DataFrame) -> TableLayout:
    """The layout of a table for the writers.

    Parameters
    ----------
    table : DataFrame
        Any table. A non-default index (a cross-tab's row labels) becomes the first column(s).
        If it has a ``part`` column (as :func:`alliancegov.publication.regression_table`), that
        column is not shown: its ``note`` rows become notes (text taken from ``term``), a rule
        separates parts other than estimate/statistic, and the ``term`` header is blank.

    Returns
    -------
    TableLayout
        All cells as text (:func:`cell_text`), unescaped.
    """
    index = table.index
    default_index = isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0 and index.step == 1
    frame = table if default_index else table.reset_index()
    if PART_COLUMN not in frame.columns:
        body = [[cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        return TableLayout([cell_text(c) for c in frame.columns], body, [False] * len(body), [])
    parts = frame[PART_COLUMN].astype(str).tolist()
    shown = frame.drop(columns=PART_COLUMN)
    header = ["" if column == LABEL_COLUMN else cell_text(column) for column in shown.columns]
    notes = [cell_text(text) for text, part in zip(shown[LABEL_COLUMN], parts) if part == "note"]
    body, rule_above, previous = [], [], None
    coefficient_parts = {"estimate", "statistic"}
    for part, row in zip(parts, shown.itertuples(index=False, name=None)):
        if part == "note":
            continue
        new_part = previous is not None and part != previous and not {part, previous} <= coefficient_parts
        body.append([cell_text(v) for v in row])
        rule_above.append(new_part)
        previous = part
    return TableLayout(header, body, rule_above, notes)


LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "²": r"\textsuperscript{2}", "−": "$-$", "·": r"\textperiodcentered{}",
}


LATEX_LABEL = re.compile(r"[A-Za-z0-9:_.\-]+")


def latex_escape(text: str) -> str:
    """``text`` safe in LaTeX text mode.

    The ten specials, ``<`` and ``>`` are escaped, ``²`` and ``·`` written with LaTeX commands,
    and a minus sign (a Unicode minus, or a hyphen starting a number) written ``$-$``.

    Parameters
    ----------
    text : str
        Plain text.

    Returns
    -------
    str

    Examples
    --------
    >>> latex_escape("R&D_1 50% #2 $-0.5")
    'R\\\\&D\\\\_1 50\\\\% \\\\#2 \\\\$$-$0.5'
    """
    escaped = "".join(LATEX_SPECIALS.get(character, character) for character in text)
    return re.sub(r"(?<![\w\\])-(?=[.,]?\d)", "$-$", escaped)


def to_latex(table: pd.DataFrame, caption: str, label: str) -> str:
    """A booktabs ``table`` float holding a plain ``tabular`` (no threeparttable) as a string.

    Parameters
    ----------
    table : DataFrame
        A table as :func:`table_layout` reads it.
    caption : str
        Any text, escaped.
    label : str
        The ``\\label``: letters, digits, ``: _ . -``.

    Returns
    -------
    str
        ``\\toprule``, header, ``\\midrule``, body (``\\midrule`` before the fit rows),
        ``\\bottomrule``, then one ``\\multicolumn{k}{l}{\\footnotesize note}`` row per note. First
        column left-aligned, others centred. Needs ``\\usepackage{booktabs}``. Deterministic,
        ``\\n`` line ends.

    Raises
    ------
    ValueError
        If ``label`` holds other characters.
    """
    if not LATEX_LABEL.fullmatch(label):
        raise ValueError(f"LaTeX label {label!r}: use letters, digits and : _ . - only")
    layout = table_layout(table)
    width = len(layout.header)

    def line(cells: list[str]) -> str:
        return " & ".join(latex_escape(cell) for cell in cells) + r" \\"

    lines = [r"\begin{table}[htbp]", r"\centering", rf"\caption{{{latex_escape(printable(caption))}}}",
             rf"\label{{{label}}}", rf"\begin{{tabular}}{{l{'c' * (width - 1)}}}", r"\toprule",
             line(layout.header), r"\midrule"]
    for cells, rule in zip(layout.body, layout.rule_above):
        lines += [r"\midrule"] if rule else []
        lines.append(line(cells))
    lines.append(r"\bottomrule")
    lines += [rf"\multicolumn{{{width}}}{{l}}{{\footnotesize {latex_escape(note)}}} \\" for note in layout.notes]
    lines += [r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>|&~$])")


def markdown_escape(text: str) -> str:
    r"""``text`` as literal Markdown inline text: ``\ ` * _ [ ] < > | & ~ $`` backslash-escaped.

    Parameters
    ----------
    text : str
        Plain text.

    Returns
    -------
    str

    Examples
    --------
    >>> markdown_escape("a|b 0.1** <i>")
    'a\\|b 0.1\\*\\* \\<i\\>'
    """
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


def to_markdown(table: pd.DataFrame, caption: str | None = None) -> str:
    """A GitHub (pipe) table as a string, notes as paragraphs below, then ``Table: caption`` if given.

    Parameters
    ----------
    table : DataFrame
        A table as :func:`table_layout` reads it.
    caption : str, optional
        The caption line; left out if empty or None.

    Returns
    -------
    str
        One header separator row (first column left-aligned, others centred); every cell escaped
        (:func:`markdown_escape`), so pipes, stars and HTML cannot break the table.
        Deterministic, ``\\n`` line ends.
    """
    layout = table_layout(table)

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(markdown_escape(cell) for cell in cells) + " |"

    lines = [line(layout.header), "|" + "|".join([":---"] + [":---:"] * (len(layout.header) - 1)) + "|"]
    lines += [line(cells) for cells in layout.body]
    for note in layout.notes:
        lines += ["", markdown_escape(note)]
    if caption:
        lines += ["", "Table: " + markdown_escape(printable(caption))]
    return "\n".join(lines) + "\n"


HTML_TEMPLATE = """\
{% if full_document %}<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{{ caption }}</title>
</head>
<body>
{% endif %}<table style="border-collapse: collapse;">
<caption>{{ caption }}</caption>
<thead>
<tr>{% for cell in header %}<th style="{{ rule }} border-bottom: 1px solid; padding: 2px 8px;\
{% if not loop.first %} text-align: center;{% endif %}">{{ cell }}</th>{% endfor %}</tr>
</thead>
<tbody>
{% for cells, rule_above in rows %}<tr>{% for cell in cells %}<td style="padding: 2px 8px;\
{% if rule_above %} {{ rule }}{% endif %}{% if loop.first %} text-align: left;{% else %} text-align: center;{% endif %}\
">{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
<tfoot>
<tr><td colspan="{{ width }}" style="border-top: 1px solid; padding: 0;"></td></tr>
{% for note in notes %}<tr><td colspan="{{ width }}" style="font-size: smaller; padding: 2px 8px;">{{ note }}</td></tr>
{% endfor %}</tfoot>
</table>
{% if full_document %}</body>
</html>
{% endif %}"""


def to_html(table: pd.DataFrame, caption: str, *, full_document: bool = True) -> str:
    """A self-contained HTML table (inline styles only, no external CSS) as a string.

    Rendered with Jinja2 with autoescape on, so every cell, header, note and the caption is
    HTML-escaped (``<script>`` becomes ``&lt;script&gt;``). Notes are ``<tfoot>`` rows spanning
    all columns.

    Parameters
    ----------
    table : DataFrame
        A table as :func:`table_layout` reads it.
    caption : str
        The table's ``<caption>`` (and, in a full document, the page's title).
    full_document : bool
        With it (default) the table is wrapped in a UTF-8 HTML5 page, otherwise only the
        ``<table>`` element is returned.

    Returns
    -------
    str
        Deterministic, ``\\n`` line ends.
    """
    import jinja2

    layout = table_layout(table)
    template = jinja2.Environment(autoescape=True, keep_trailing_newline=True).from_string(HTML_TEMPLATE)
    return template.render(caption=printable(caption), header=layout.header,
                           rows=list(zip(layout.body, layout.rule_above)), notes=layout.notes,
                           width=len(layout.header), rule="border-top: 1px solid;",
                           full_document=full_document)


DOCX_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)


ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def _docx_borders(cell, **edges: bool) -> None:
    """Single black ½-pt borders on the given edges (``top=True``, ``bottom=True``) of a python-docx cell."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    borders = properties.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        properties.append(borders)
    for edge in ("top", "bottom"):
        if edges.get(edge):
            element = OxmlElement(f"w:{edge}")
            for key, value in (("val", "single"), ("sz", "4"), ("space", "0"), ("color", "000000")):
                element.set(qn(f"w:{key}"), value)
            borders.append(element)


def _stable_zip(package: bytes) -> bytes:
    """The zip ``package`` rewritten with fixed member timestamps and attributes (same order, deflated)."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, source.read(member), compresslevel=6)
    return output.getvalue()


def to_docx(table: pd.DataFrame, path: str | Path, caption: str) -> Path:
    """Write ``table`` as a Word document: caption, a real table with a header row, notes below.

    The header row is bold and repeats on each page; rules as booktabs (above and below the
    header, above the fit rows, below the last row); first column left-aligned, others centred;
    notes in 9 pt. Core properties are fixed (created/modified 2000-01-01 UTC, no author,
    revision 1, title = caption) and the zip is rewritten with fixed member timestamps, so the
    same table gives the same bytes on the same Python/zlib.

    Parameters
    ----------
    table : DataFrame
        A table as :func:`table_layout` reads it.
    path : str or Path
        The ``.docx`` file; its parent folders are created.
    caption : str
        The paragraph above the table (Word's Caption style) and the document's title.

    Returns
    -------
    Path
        The path written.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    layout = table_layout(table)
    caption = printable(caption)
    document = Document()
    document.add_paragraph(caption, style="Caption")
    grid = document.add_table(rows=1 + len(layout.body), cols=len(layout.header))
    header_flag = OxmlElement("w:tblHeader")
    grid.rows[0]._tr.get_or_add_trPr().append(header_flag)
    last = len(layout.body)
    for i, cells in enumerate([layout.header, *layout.body]):
        for j, (cell, text) in enumerate(zip(grid.rows[i].cells, cells)):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.bold = i == 0 or None
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
            _docx_borders(cell, top=i == 0 or (i > 0 and layout.rule_above[i - 1]),
                          bottom=i == 0 or i == last)
    for note in layout.notes:
        document.add_paragraph().add_run(note).font.size = Pt(9)
    properties = document.core_properties
    properties.created = properties.modified = DOCX_TIMESTAMP
    properties.author = properties.last_modified_by = ""
    properties.comments = ""
    properties.title = caption
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_stable_zip(buffer.getvalue()))
    return path


def write_publication_tables(table: pd.DataFrame, stem: str | Path, caption: str, label: str) -> list[Path]:
    """Write ``stem.tex``, ``stem.md``, ``stem.html`` and ``stem.docx``.

    Text files are UTF-8 with ``\\n`` line ends and byte-identical across runs; see
    :func:`to_docx` for the Word file.

    Parameters
    ----------
    table : DataFrame
        A table as :func:`table_layout` reads it.
    stem : str or Path
        The files' path without suffix; the suffixes are appended (``out/table.v2`` gives
        ``out/table.v2.tex``). Parent folders are created.
    caption : str
        The caption of every format.
    label : str
        The LaTeX label (see :func:`to_latex`).

    Returns
    -------
    list of Path
        The four paths, in that order.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_name(stem.name + suffix) for suffix in (".tex", ".md", ".html", ".docx")]
    texts = [to_latex(table, caption, label), to_markdown(table, caption), to_html(table, caption)]
    for path, text in zip(paths, texts):
        path.write_text(text, encoding="utf-8", newline="\n")
    to_docx(table, paths[3], caption)
    return paths
