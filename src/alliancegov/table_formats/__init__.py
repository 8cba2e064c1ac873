"""Any table as LaTeX (booktabs), Markdown, HTML and Word, every text cell escaped.

The writers render a :class:`~alliancegov.table_formats.layout.TableLayout`
(:mod:`~alliancegov.table_formats.layout`): LaTeX, Markdown and HTML text in
:mod:`~alliancegov.table_formats.text`, Word in :mod:`~alliancegov.table_formats.docx`. Every
format is byte-stable across runs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alliancegov.table_formats.docx import to_docx
from alliancegov.table_formats.layout import (
    COEFFICIENT_PARTS,
    LABEL_COLUMN,
    PART_COLUMN,
    TABLE_PARTS,
    TableLayout,
    cell_text,
    table_layout,
)
from alliancegov.table_formats.text import latex_escape, markdown_escape, to_html, to_latex, to_markdown

__all__ = ["COEFFICIENT_PARTS", "LABEL_COLUMN", "PART_COLUMN", "TABLE_PARTS", "TableLayout", "cell_text",
           "latex_escape", "markdown_escape", "table_layout", "to_docx", "to_html", "to_latex", "to_markdown",
           "write_publication_tables"]


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
