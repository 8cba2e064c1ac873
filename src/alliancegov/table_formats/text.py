"""A table as LaTeX (booktabs), Markdown or HTML text, every cell escaped for its format."""

from __future__ import annotations

import re

import pandas as pd

from alliancegov.safe_output import printable
from alliancegov.table_formats.layout import table_layout

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
