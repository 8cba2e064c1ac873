"""Delimited text files: the encoding, the delimiter and the records, each refused rather than guessed
when the file contradicts itself.

* **Encoding**: UTF-8 (with or without byte-order mark). A file that is not UTF-8 anywhere is read
  as cp1252 (Excel's "CSV" on Western Windows), which decodes every byte that matters in French.
  A file that is UTF-8 in places and not in others (cp1252 lines pasted into a UTF-8 export) is
  refused naming its first bad line: either decoding would garble one part of it.
* **Delimiter**: the one of ``;``, ``,`` and tab that splits the most of the first
  :data:`SNIFF_RECORDS` records into the same number of fields (more than one), so that a comma in
  a title row or a free-text answer cannot outvote the real delimiter. The waves sheet's
  ``delimiter`` column overrides it (and allows ``|``).
* **Field size**: a cell may be as long as the file (the standard library stops at 128 KB).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

from alliancegov.ingest.cells import IngestError

SNIFF_RECORDS = 200
SNIFF_CHARACTERS = 1 << 20
DELIMITERS = {";": ";", ",": ",", "\t": "\t", "tab": "\t", "|": "|", "pipe": "|", "semicolon": ";", "comma": ","}
SNIFFED = (";", ",", "\t")

# A cell may legitimately hold a long free-text answer; the csv module refuses fields over 128 KB.
csv.field_size_limit(2**31 - 1)

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                             rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                             rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    """The text of a file and its encoding.

    Parameters
    ----------
    raw : bytes
        The file's bytes.
    path : Path
        The file, for messages.

    Returns
    -------
    text : str
        The decoded text (a UTF-8 byte-order mark removed).
    encoding : {"utf-8", "utf-8-sig", "cp1252"}
        How it was decoded.

    Raises
    ------
    IngestError
        If the text holds NUL bytes (UTF-16?), mixes UTF-8 with another encoding (naming the first
        line that is not UTF-8), or is neither UTF-8 nor cp1252.
    """
    try:
        text = raw.decode("utf-8-sig")
        encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as error:
        if raw.startswith(b"\xef\xbb\xbf") or _UTF8_MULTIBYTE.search(raw):
            line = raw.count(b"\n", 0, error.start) + 1
            start = raw.rfind(b"\n", 0, error.start) + 1
            raise IngestError(
                f"{path}: line {line} is not UTF-8 (byte 0x{raw[error.start]:02x} at character "
                f"{len(raw[start:error.start].decode('utf-8', errors='replace')) + 1}) although other lines are: the "
                "file mixes encodings (text in cp1252 pasted into a UTF-8 file?); re-save it as UTF-8") from error
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise IngestError(f"{path}: the file is neither UTF-8 nor cp1252 text; re-export it as UTF-8") from None
    if "\x00" in text:
        raise IngestError(f"{path}: the file contains NUL bytes (UTF-16 text?); re-export it as UTF-8")
    return text, encoding


def delimiter_of(declared: str | None) -> str | None:
    """The delimiter a waves sheet's ``delimiter`` cell names.

    Parameters
    ----------
    declared : str or None
        ``;``, ``,``, ``|``, ``tab`` (a TSV cell cannot hold a tab), or their names ``semicolon``,
        ``comma``, ``pipe``; empty or None to sniff it.

    Returns
    -------
    str or None
        The delimiter character, or None.

    Raises
    ------
    ValueError
        If the cell names none of them.
    """
    if declared is None or not declared.strip():
        return None
    key = declared.strip().lower() if declared.strip().isalpha() else declared.strip()
    if key not in DELIMITERS:
        raise ValueError(f"unknown delimiter {declared!r}; expected one of {sorted(DELIMITERS)}")
    return DELIMITERS[key]


def sniff_delimiter(text: str, path: Path) -> str:
    """The delimiter of a text: the candidate giving the most records of one width (over one field).

    Parameters
    ----------
    text : str
        The decoded file.
    path : Path
        The file, for messages.

    Returns
    -------
    str
        One of :data:`SNIFFED`; on a tie the one giving more fields.

    Raises
    ------
    IngestError
        If no candidate splits the records into more than one field (another delimiter, such as
        ``|``: name it in the waves sheet).
    """
    scores = {}
    sample = text[:SNIFF_CHARACTERS]
    for delimiter in SNIFFED:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        widths = Counter()
        try:
            for number, row in enumerate(reader):
                if number >= SNIFF_RECORDS:
                    break
                if any(cell.strip() for cell in row):
                    widths[len(row)] += 1
        except csv.Error:
            pass   # the sample's records are judged as far as they parse
        common = [(count, width) for width, count in widths.items() if width > 1]
        scores[delimiter] = max(common, default=(0, 0))
    best = max(SNIFFED, key=lambda d: scores[d])
    if scores[best][0] == 0:
        raise IngestError(f"{path}: none of the delimiters ';', ',' or tab splits the rows into columns; name the "
                          "file's delimiter in the `delimiter` column of the waves sheet (;  ,  |  or tab)")
    return best


def parse_records(text: str, delimiter: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """The records of a delimited text and the line each starts on (the file's first line is 1).

    Parameters
    ----------
    text : str
        The decoded file.
    delimiter : str
        Its delimiter.
    path : Path
        The file, for messages.

    Returns
    -------
    rows : list of list of str
        The records' fields.
    lines : list of int
        The line each record starts on (a quoted cell may span lines).

    Raises
    ------
    IngestError
        If a record is malformed (an unterminated quote...), naming the line it starts on.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error:
        rows = None  # read again record by record below, to name the row at fault
    if rows is not None and reader.line_num == len(rows):  # one line per record: numbering is trivial
        return rows, list(range(1, len(rows) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows, numbers, start = [], [], 1
    try:
        for row in reader:
            rows.append(row)
            numbers.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise IngestError(f"{path}: row {start}: {error}") from error
    return rows, numbers
