"""Read a raw survey wave (Kobo/plain CSV, Excel, SPSS, Stata) into the codebook's canonical form.

Canonical form: one row per submitted response, columns named as in the codebook; select_one
answers as choice names (``"textile"``, or a missing-value name such as ``"dont_know"``);
Likert, integer and decimal answers as floats (missing-value codes such as 98 kept as such,
for the cleaning stage to classify); text as strings. ``source_row`` is the row of the response
in its file (spreadsheet numbering: the header is row 1) so that every error and exclusion
points back to it. Identifying fields are replaced by a keyed pseudonymous ``firm_key`` right
here and never leave this stage.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alliancegov.codebook import NUMERIC_TYPES, Codebook, normalise_label

FORMATS = ("csv", "kobo_csv", "xlsx", "sav", "dta")
KOBO_META = {"_uuid": "submission_id", "_submission_time": "submission_time", "__version__": "instrument_version"}
MAX_REPORTED_ERRORS = 20


class IngestError(ValueError):
    """A raw wave cannot be read; the message names the file, row, column and value."""


# ---- readers: each returns the cells under the header, their row numbers in the file, details ------

HEADER_SEARCH_ROWS = 10


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode as UTF-8 (with or without BOM), else cp1252; refuse bytes only latin-1 would take."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise IngestError(f"{path}: the file contains NUL bytes (UTF-16 text?); re-export it as UTF-8")
        if encoding == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            return text, "utf-8-sig"
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise IngestError(f"{path}: the file is neither UTF-8 nor cp1252 text; re-export it as UTF-8")


@dataclass
class RawTable:
    """Cells of a wave file under its header row, with each row's number in the file."""

    cells: pd.DataFrame       # one column per header cell, one row per non-blank data row
    row_numbers: np.ndarray   # spreadsheet numbering: the file's first line or row is 1
    details: dict             # encoding, delimiter, header row, blank rows skipped


def find_header_row(rows: list[list[object]], known: set[str]) -> int:
    """Index of the header among the first rows: the first row naming at least two known variables.

    Excel sheets and some CSV exports put a title or notes above the header. Falls back to 0 so that
    a file naming no known variable fails later on its required columns, with their names.
    """
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {canonical_column(c) for c in row if not _is_blank(c)}
        if len(names & known) >= 2:
            return index
    return 0


def _table_from_rows(rows: list[list[object]], row_numbers: list[int], path: Path, known: set[str],
                     details: dict) -> RawTable:
    if not rows:
        raise IngestError(f"{path}: the file is empty")
    header_index = find_header_row(rows, known)
    header = ["" if _is_blank(c) else str(c).strip() for c in rows[header_index]]
    while header and header[-1] == "":
        header.pop()
    body, numbers, blank, width = [], [], 0, len(header)
    for row, number in zip(rows[header_index + 1:], row_numbers[header_index + 1:]):
        if _blank_row(row):
            blank += 1
            continue
        if len(row) != width:
            if len(row) > width and not all(_is_blank(c) for c in row[width:]):
                raise IngestError(f"{path}: row {number} has {len(row)} fields but the header (row "
                                  f"{row_numbers[header_index]}) has {width}")
            row = list(row[:width]) + [""] * (width - len(row))
        body.append(row)
        numbers.append(number)
    if any(name == "" for name in header):
        raise IngestError(f"{path}: the header (row {row_numbers[header_index]}) has an empty column name "
                          f"at position {header.index('') + 1}")
    cells = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header)
    details |= {"header_row": int(row_numbers[header_index]), "blank_rows_skipped": blank}
    return RawTable(cells, np.asarray(numbers, dtype=int), details)


def _blank_row(row: list[object]) -> bool:
    try:  # a text row (CSV): one C-level join instead of a Python call per cell
        return not "".join(row).strip()
    except TypeError:  # a spreadsheet row holds numbers, dates or NaN
        return all(_is_blank(c) for c in row)


def _parse_csv(text: str, delimiter: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """The records of a delimited text and the line each starts on (the file's first line is 1)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error:
        rows = None  # read again record by record below, to name the row at fault
    if rows is not None and reader.line_num == len(rows):  # one line per record: numbering is trivial
        return rows, list(range(1, len(rows) + 1))
    # A quoted cell spans lines (or a record is malformed): number the records as they are read.
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


def read_csv_table(path: Path, known: set[str]) -> RawTable:
    """A delimited text file: encoding and delimiter detected, title rows above the header skipped.

    A row with more fields than the header is an error; a shorter row is padded with blanks, as
    spreadsheet programs write rows whose last answers are empty.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise IngestError(f"{path}: the file is empty")
    text, encoding = _decode(raw, path)
    sample = text[:20000].splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = max([";", ",", "\t"], key=lambda d: max(line.count(d) for line in sample))
    rows, numbers = _parse_csv(text, delimiter, path)
    table = _table_from_rows(rows, numbers, path, known, {"encoding": encoding, "delimiter": delimiter})
    first = table.cells.iloc[0] if len(table.cells) else None
    if first is not None and all(str(v).startswith("#") or v == "" for v in first):
        # KoboToolbox's optional HXL hashtag row under the header
        table.cells = table.cells.iloc[1:].reset_index(drop=True)
        table.row_numbers = table.row_numbers[1:]
        table.details["hxl_row"] = True
    return table


def read_xlsx_table(path: Path, known: set[str]) -> RawTable:
    """The first sheet of a workbook; title rows above the header skipped."""
    try:
        sheet = pd.read_excel(path, header=None, dtype=object)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:  # damaged or mislabelled workbook
        raise IngestError(f"{path}: not a readable .xlsx workbook ({type(error).__name__}: {error})") from error
    rows = sheet.to_numpy(dtype=object).tolist()
    return _table_from_rows(rows, list(range(1, len(rows) + 1)), path, known, {"encoding": "xlsx"})


def read_spss_table(path: Path, known: set[str]) -> RawTable:
    """SPSS/Stata with user-missing codes kept as values (pyreadstat would turn them into NaN)."""
    import pyreadstat

    reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    try:
        cells, meta = reader(str(path), user_missing=True)
    except pyreadstat.ReadstatError as error:
        raise IngestError(f"{path}: not a readable {path.suffix} file ({error})") from error
    details = {"encoding": meta.file_encoding or "binary", "header_row": 0, "blank_rows_skipped": 0}
    return RawTable(cells, np.arange(1, len(cells) + 1), details)


READERS = {"csv": read_csv_table, "kobo_csv": read_csv_table, "xlsx": read_xlsx_table,
           "sav": read_spss_table, "dta": read_spss_table}


# ---- column and value mapping ----------------------------------------------------------------------

def canonical_column(header: str, select_multiple: frozenset[str] = frozenset()) -> str:
    """``group/subgroup/question`` → ``question``; Kobo's system names → codebook names.

    Kobo's 0/1 column of one choice of a select_multiple question, ``group/question/choice``,
    becomes ``question/choice``.
    """
    header = str(header).strip()
    if header in KOBO_META:
        return KOBO_META[header]
    parts = header.split("/")
    if len(parts) >= 2 and parts[-2] in select_multiple:
        return "/".join(parts[-2:])
    return parts[-1]


def join_choice_columns(cells: pd.DataFrame, variable: str, choices: list[str]) -> pd.Series:
    """One select_multiple answer from Kobo's ``variable/choice`` 0/1 columns: the chosen names, joined.

    A row whose 0/1 cells are all blank is unanswered (missing), not "nothing chosen".
    """
    columns = [c for c in cells.columns if c.startswith(f"{variable}/")]
    unknown = [c for c in columns if c.split("/", 1)[1] not in choices]
    if unknown:
        raise IngestError(f"columns {unknown} name no choice of {variable!r} in the codebook")
    chosen = {}
    for column in columns:
        codes, numbers = map_distinct(cells[column], lambda c: np.nan if _is_blank(c) else _parse_number(c))
        chosen[column] = pd.Series(numbers[codes], index=cells.index, dtype=float)
    chosen = pd.DataFrame(chosen, index=cells.index, columns=columns)
    answered = chosen.notna().any(axis=1)
    order = [c for c in choices if f"{variable}/{c}" in columns]
    # each chosen name followed by a space, concatenated across columns, then the last space trimmed
    joined = np.full(len(cells), "", dtype=object)
    for name in order:
        joined = joined + np.where(chosen[f"{variable}/{name}"].to_numpy() == 1, name + " ", "")
    joined = pd.Series(joined, index=cells.index, dtype=object).str.rstrip()
    return joined.where(answered)


def _answer_lookup(codebook: Codebook, variable: str, value: str) -> dict[str, object]:
    """Normalised spelling (name, French or English label, code) → canonical value.

    ``value`` is ``"name"`` for select_one (canonical answers are names) or ``"code"`` for Likert.
    """
    lookup: dict[str, object] = {}
    for list_column in ("list_name", "missing_list"):
        list_name = codebook.variables.at[variable, list_column]
        if not list_name:
            continue
        for row in codebook.choices(list_name).itertuples():
            target = row.name if value == "name" else float(row.code)
            for spelling in (row.name, row.label_fr, row.label_en, str(row.code)):
                lookup[normalise_label(spelling)] = target
    return lookup


def _parse_number(cell: object) -> float | None:
    """A number from a cell: ``12``, ``12.5``, ``'1 234,5'`` (French), or None if not a number."""
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _show(cell: object) -> str:
    """A raw cell as an error message shows it: numbers plainly, text quoted."""
    return f"{cell:g}" if isinstance(cell, (float, np.floating)) else repr(str(cell))


def _match_key(cell: object) -> str:
    """A cell as answers are matched: a whole number as its code (``1.0`` from Stata/SPSS is
    code ``1``), anything else as its normalised label."""
    number = _parse_number(cell)
    return normalise_label(int(number) if number is not None and number.is_integer() else cell)


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or (isinstance(cell, str) and not cell.strip())


def map_distinct(cells: pd.Series, convert) -> tuple[np.ndarray, np.ndarray]:
    """``convert`` called once per distinct cell: the codes of the cells and the converted values.

    ``converted[codes]`` is the converted column. A column holds few distinct answers, so this is
    one Python call per answer rather than per response. Blank cells (None, NaN) are one value.
    """
    codes, distinct = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=False)
    converted = np.empty(len(distinct), dtype=object)
    for position, cell in enumerate(distinct):
        converted[position] = convert(cell)
    return codes, converted


def convert_column(cells: pd.Series, variable: str, codebook: Codebook) -> tuple[pd.Series, list[tuple[int, object]]]:
    """Convert one column of raw cells to canonical values.

    Returns the converted series and the (position, cell) pairs that could not be converted.
    """
    vtype = codebook.variables.at[variable, "type"]
    if vtype in ("text", "datetime"):
        codes, text = map_distinct(cells, lambda c: pd.NA if _is_blank(c) else str(c).strip())
        return pd.Series(text[codes], index=cells.index).astype("str"), []
    if vtype == "select_multiple":
        lookup = _answer_lookup(codebook, variable, "name")
        order = {name: i for i, name in enumerate(codebook.answer_names(variable))}

        def convert(cell: object) -> object:
            if _is_blank(cell):
                return None
            whole = lookup.get(normalise_label(cell))   # a missing-value label, or a single choice
            tokens = [whole] if whole is not None else [
                lookup.get(normalise_label(token), _UNMAPPED) for token in str(cell).split()]
            return _UNMAPPED if _UNMAPPED in tokens else " ".join(
                sorted(set(tokens), key=lambda token: order.get(token, -1)))
    elif vtype == "select_one":
        lookup = _answer_lookup(codebook, variable, "name")

        def convert(cell: object) -> object:
            return None if _is_blank(cell) else lookup.get(_match_key(cell), _UNMAPPED)
    else:
        lookup = _answer_lookup(codebook, variable, "code")

        def convert(cell: object) -> object:
            if _is_blank(cell):
                return np.nan
            number = _parse_number(cell)
            return number if number is not None else lookup.get(normalise_label(cell), _UNMAPPED)
    codes, converted = map_distinct(cells, convert)
    unmapped = np.array([value is _UNMAPPED for value in converted], dtype=bool)
    converted[unmapped] = None
    bad = unmapped[codes]
    failures = [(int(i), cells.iloc[i]) for i in np.flatnonzero(bad)]
    converted = pd.Series(converted[codes], index=cells.index)
    if vtype in ("select_one", "select_multiple"):
        return converted.astype("str"), failures
    return converted.astype(float), failures


_UNMAPPED = object()


# ---- pseudonymisation --------------------------------------------------------------------------------

DEFAULT_KEY_FILE = Path("~/.config/alliancegov/hmac.key")
KEY_ENV = "ALLIANCEGOV_HMAC_KEY"


def load_pseudonymisation_key(key_file: str | Path | None = None) -> bytes:
    """The secret key of the firm pseudonyms.

    From the environment variable ``ALLIANCEGOV_HMAC_KEY`` if set, else from ``key_file``
    (default ``~/.config/alliancegov/hmac.key``), created with a random key on first use. The
    key stays outside the repository and ``results/``; keep it to link later waves to earlier ones.
    """
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8")
    path = Path(key_file or DEFAULT_KEY_FILE).expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def firm_keys(identifiers: pd.Series, fallback: pd.Series, key: bytes) -> pd.Series:
    """Pseudonymous firm keys: HMAC-SHA256 of the normalised identifier, 16 hex characters.

    Rows without an identifier get a key from their submission id (``fallback``), so they are
    never pooled with another firm.
    """
    def one(identifier: object, submission: object) -> str:
        text = f"firm:{normalise_label(identifier)}" if not _is_blank(identifier) else f"submission:{submission}"
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    return pd.Series([one(i, s) for i, s in zip(identifiers, fallback)], index=identifiers.index, dtype="str")


# ---- the stage ---------------------------------------------------------------------------------------

def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


UNKNOWN_VALUE_POLICIES = ("error", "quarantine")
QUARANTINE_COLUMN = "unknown_values"


@dataclass(frozen=True)
class IngestSettings:
    """``ingest`` in the config.

    ``firm_id_column``: the identifier hashed into the firm key (None: every response is its own
    firm, keyed by its submission id or row). ``unknown_values``: ``error`` stops on a value that
    matches no code or label;
    ``quarantine`` keeps reading, leaves such a value missing and describes it in the
    ``unknown_values`` column, for the cleaning stage to exclude the response with its reason.
    """

    firm_id_column: str | None
    required_columns: tuple[str, ...] = ()
    unknown_values: str = "error"

    def __post_init__(self) -> None:
        if self.unknown_values not in UNKNOWN_VALUE_POLICIES:
            raise ValueError(f"unknown_values must be one of {UNKNOWN_VALUE_POLICIES}, not {self.unknown_values!r}")


CROSSWALK_COLUMNS = ["source", "variable", "source_value", "value"]


def load_crosswalk(path: str | Path) -> pd.DataFrame:
    """A wave's crosswalk to the codebook: ``source, variable, source_value, value`` (CSV).

    * ``source`` and ``variable``: the wave's column ``source`` is the codebook's ``variable``;
    * ``source`` without ``variable``: the wave's column is not used (recorded as dropped);
    * ``variable``, ``source_value`` and ``value``: in that variable, answers spelt
      ``source_value`` (case, accents and spaces ignored) mean ``value``.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CROSSWALK_COLUMNS if c not in table.columns]
    if missing:
        raise IngestError(f"{path}: crosswalk columns {missing} are missing; expected {CROSSWALK_COLUMNS}")
    return table[CROSSWALK_COLUMNS].map(str.strip)


def apply_crosswalk(cells: pd.DataFrame, crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Rename, drop and recode the columns of ``cells`` (canonical names) as the crosswalk says."""
    columns = crosswalk[crosswalk["source"] != ""]
    kept = columns[columns["variable"] != ""]
    renames = dict(zip(kept["source"], kept["variable"]))
    dropped = [c for c in columns.loc[columns["variable"] == "", "source"] if c in cells.columns]
    out = cells.drop(columns=dropped).rename(columns=renames)
    recodes = crosswalk[(crosswalk["source_value"] != "") & (crosswalk["variable"] != "")]
    recoded = 0
    for variable, rows in recodes.groupby("variable"):
        if variable not in out.columns:
            continue
        mapping = {normalise_label(a): b for a, b in zip(rows["source_value"], rows["value"])}
        column = out[variable]
        codes, distinct = map_distinct(column, lambda cell: None if _is_blank(cell) else _match_key(cell))
        keys = pd.Series(distinct[codes], index=column.index)
        hit = keys.isin(list(mapping))
        recoded += int(hit.sum())
        out[variable] = column.where(~hit, keys.map(mapping))
    applied = {"renamed": {k: v for k, v in renames.items() if v in out.columns}, "dropped": dropped,
               "values_recoded": recoded}
    return out, applied


def ingest_wave(path: str | Path, fmt: str, wave: str, codebook: Codebook, *, key: bytes,
                settings: IngestSettings, crosswalk: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """Read one wave file into canonical, pseudonymised form.

    Returns the canonical frame (``wave``, ``source_row``, ``firm_key``, ``unknown_values``, then
    every codebook variable that is neither identifying nor free text) and a provenance record.
    Raises :class:`IngestError` naming file, row, column and value for anything it cannot read.
    """
    path = Path(path)
    if fmt not in READERS:
        raise IngestError(f"{path}: unknown format {fmt!r}; expected one of {FORMATS}")
    if not path.is_file():
        raise IngestError(f"{path}: wave {wave!r} file not found (check config/waves.tsv)")
    known = set(codebook.variables["name"]) | set(KOBO_META.values())
    if crosswalk is not None:
        known |= set(crosswalk["source"]) - {""}
    table = READERS[fmt](path, known)
    cells, row_numbers = table.cells, table.row_numbers
    multiple = frozenset(codebook.of_type("select_multiple"))
    names = [canonical_column(c, multiple) for c in cells.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise IngestError(f"{path}: columns {duplicated} appear more than once")
    cells.columns = names
    choice_columns = [c for c in names if "/" in c]
    for variable in sorted({c.split("/", 1)[0] for c in choice_columns}):
        if variable not in cells.columns:  # only Kobo's 0/1 columns were exported
            try:
                cells[variable] = join_choice_columns(cells, variable, codebook.answer_names(variable))
            except IngestError as error:
                raise IngestError(f"{path}: {error}") from error
    cells = cells.drop(columns=choice_columns)
    applied = {}
    if crosswalk is not None:
        cells, applied = apply_crosswalk(cells, crosswalk)
    if cells.empty:
        raise IngestError(f"{path}: the file has a header but no responses")
    missing_required = [c for c in settings.required_columns if c not in cells.columns]
    if missing_required:
        raise IngestError(f"{path}: required columns {missing_required} are missing")

    index = pd.RangeIndex(len(cells))
    cells = cells.reset_index(drop=True)
    out = {"wave": pd.Series(wave, index=index, dtype="str"), "source_row": pd.Series(row_numbers, index=index)}
    failures = []
    for variable in codebook.variables["name"]:
        if variable in cells.columns:
            out[variable], bad = convert_column(cells[variable], variable, codebook)
            failures += [(pos, variable, cell) for pos, cell in bad]
    if failures and settings.unknown_values == "error":
        shown = "; ".join(f"row {row_numbers[p]}, column {c!r}: unknown value {_show(v)}"
                          for p, c, v in failures[:MAX_REPORTED_ERRORS])
        more = f" (and {len(failures) - MAX_REPORTED_ERRORS} more)" if len(failures) > MAX_REPORTED_ERRORS else ""
        raise IngestError(f"{path}: {len(failures)} value(s) match no code or label in the codebook: {shown}{more}")
    problems = pd.Series("", index=index, dtype="str")
    for position, variable, cell in failures:
        problems.iat[position] = "; ".join(filter(None, [problems.iat[position], f"{variable}={_show(cell)}"]))
    frame = pd.DataFrame(out)
    # A response without a firm identifier is keyed by its submission (or its row): never pooled with another.
    fallback = frame["submission_id"] if "submission_id" in frame else wave + ":row" + frame["source_row"].astype(str)
    identifiers = frame[settings.firm_id_column] if settings.firm_id_column in frame else pd.Series(
        pd.NA, index=frame.index, dtype="str")
    frame.insert(2, "firm_key", firm_keys(identifiers, fallback, key))
    frame.insert(3, QUARANTINE_COLUMN, problems)
    absent = [v for v in codebook.variables["name"] if v not in frame.columns]
    for variable in absent:  # missing by design in this wave's instrument
        numeric = codebook.variables.at[variable, "type"] in NUMERIC_TYPES
        frame[variable] = pd.Series(np.nan if numeric else pd.NA, index=frame.index, dtype=float if numeric else "str")
    # Free text may name people or firms and is never analysed: it goes with the identifiers.
    frame = frame.drop(columns=codebook.of_role("identifying", "free_text"))
    ordered = ["wave", "source_row", "firm_key", QUARANTINE_COLUMN] + [
        v for v in codebook.variables["name"] if v in frame.columns]
    provenance = {
        "wave": wave, "file": path.name, "format": fmt, "sha256": sha256_of(path), "rows": int(len(frame)),
        "instrument_versions": sorted(frame["instrument_version"].dropna().unique().tolist())
        if "instrument_version" in frame else [],
        "ignored_columns": sorted(set(cells.columns) - set(codebook.variables["name"])), "absent_columns": absent,
        "quarantined_rows": int((problems != "").sum()), "crosswalk": applied,
        "select_multiple_columns": choice_columns, **table.details,
    }
    return frame[ordered], provenance
