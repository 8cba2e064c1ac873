"""A table as a Word document, byte-stable across runs."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from alliancegov.safe_output import printable
from alliancegov.table_formats.layout import table_layout

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
