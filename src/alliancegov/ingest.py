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
from pathlib import Path

import numpy as np
import pandas as pd

from alliancegov.codebook import NUMERIC_TYPES, Codebook, normalise_label

FORMATS = ("csv", "kobo_csv", "xlsx", "sav", "dta")
KOBO_META = {"_uuid": "submission_id", "_submission_time": "submission_time", "__version__": "instrument_version"}
MAX_REPORTED_ERRORS = 20


class IngestError(ValueError):
    """A raw wave cannot be read; the message names the file, row, column and value."""


# ---- readers: each returns (cells as a DataFrame, first data row number, details) ---------------

def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode as UTF-8 (with or without BOM), else cp1252; refuse bytes only latin-1 would take."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            return text, "utf-8-sig"
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise IngestError(f"{path}: the file is neither UTF-8 nor cp1252 text; re-export it as UTF-8")


def read_csv_cells(path: Path) -> tuple[pd.DataFrame, int, dict]:
    """A delimited text file as strings; encoding and delimiter detected."""
    raw = path.read_bytes()
    if not raw.strip():
        raise IngestError(f"{path}: the file is empty")
    text, encoding = _decode(raw, path)
    first_line = text.splitlines()[0]
    delimiter = max([";", ",", "\t"], key=first_line.count)
    try:
        cells = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            quoting=csv.QUOTE_MINIMAL, on_bad_lines="error", engine="python")
    except pd.errors.ParserError as error:
        raise IngestError(f"{path}: {error}") from error
    first_row = 2
    hxl = len(cells) and all(str(v).startswith("#") or v == "" for v in cells.iloc[0])
    if hxl:  # KoboToolbox's optional HXL hashtag row under the header
        cells, first_row = cells.iloc[1:].reset_index(drop=True), 3
    return cells, first_row, {"encoding": encoding, "delimiter": delimiter}


def read_xlsx_cells(path: Path) -> tuple[pd.DataFrame, int, dict]:
    cells = pd.read_excel(path, dtype=object, header=0)
    return cells, 2, {"encoding": "xlsx"}


def read_spss_cells(path: Path) -> tuple[pd.DataFrame, int, dict]:
    """SPSS/Stata with user-missing codes kept as values (pyreadstat would turn them into NaN)."""
    import pyreadstat

    reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    cells, meta = reader(str(path), user_missing=True)
    return cells, 1, {"encoding": meta.file_encoding or "binary"}


READERS = {"csv": read_csv_cells, "kobo_csv": read_csv_cells, "xlsx": read_xlsx_cells,
           "sav": read_spss_cells, "dta": read_spss_cells}


# ---- column and value mapping ----------------------------------------------------------------------

def canonical_column(header: str) -> str:
    """``group/subgroup/question`` → ``question``; Kobo's system names → codebook names."""
    header = str(header).strip()
    return KOBO_META.get(header, header.rsplit("/", 1)[-1])


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


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or (isinstance(cell, str) and not cell.strip())


def convert_column(cells: pd.Series, variable: str, codebook: Codebook) -> tuple[pd.Series, list[tuple[int, object]]]:
    """Convert one column of raw cells to canonical values.

    Returns the converted series and the (position, cell) pairs that could not be converted.
    """
    vtype = codebook.variables.at[variable, "type"]
    if vtype in ("text", "datetime"):
        return cells.map(lambda c: pd.NA if _is_blank(c) else str(c).strip()).astype("str"), []
    unique = pd.unique(cells.astype(object))
    mapping: dict[object, object] = {}
    if vtype == "select_one":
        lookup = _answer_lookup(codebook, variable, "name")
        for cell in unique:
            if _is_blank(cell):
                mapping[cell] = None
                continue
            number = _parse_number(cell)
            key = normalise_label(int(number) if number is not None and number.is_integer() else cell)
            mapping[cell] = lookup.get(key, _UNMAPPED)
    else:
        lookup = _answer_lookup(codebook, variable, "code")
        for cell in unique:
            if _is_blank(cell):
                mapping[cell] = np.nan
                continue
            number = _parse_number(cell)
            mapping[cell] = number if number is not None else lookup.get(normalise_label(cell), _UNMAPPED)
    converted = cells.astype(object).map(mapping)
    bad = converted.map(lambda v: v is _UNMAPPED)
    failures = [(int(i), cells.iloc[i]) for i in np.flatnonzero(bad.to_numpy())]
    converted = converted.mask(bad)
    if vtype == "select_one":
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


def ingest_wave(path: str | Path, fmt: str, wave: str, codebook: Codebook, *, key: bytes,
                firm_id_column: str, required_columns: list[str]) -> tuple[pd.DataFrame, dict]:
    """Read one wave file into canonical, pseudonymised form.

    Returns the canonical frame (``wave``, ``source_row``, ``firm_key`` then every non-identifying
    codebook variable) and a provenance record. Raises :class:`IngestError` naming file, row,
    column and value for anything it cannot read.
    """
    path = Path(path)
    if fmt not in READERS:
        raise IngestError(f"{path}: unknown format {fmt!r}; expected one of {FORMATS}")
    if not path.is_file():
        raise IngestError(f"{path}: wave {wave!r} file not found (check config/waves.tsv)")
    cells, first_row, details = READERS[fmt](path)
    if cells.empty:
        raise IngestError(f"{path}: the file has a header but no responses")
    names = [canonical_column(c) for c in cells.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise IngestError(f"{path}: columns {duplicated} appear more than once")
    cells.columns = names
    known = set(codebook.variables["name"])
    missing_required = [c for c in required_columns if c not in cells.columns]
    if missing_required:
        raise IngestError(f"{path}: required columns {missing_required} are missing")

    out = {"wave": pd.Series(wave, index=cells.index, dtype="str"),
           "source_row": pd.Series(np.arange(first_row, first_row + len(cells)), index=cells.index)}
    failures = []
    for variable in codebook.variables["name"]:
        if variable not in cells.columns:
            continue
        converted, bad = convert_column(cells[variable].reset_index(drop=True), variable, codebook)
        converted.index = cells.index
        out[variable] = converted
        failures += [(first_row + pos, variable, cell) for pos, cell in bad]
    if failures:
        shown = "; ".join(f"row {r}, column {c!r}: unknown value {v!r}" for r, c, v in failures[:MAX_REPORTED_ERRORS])
        more = f" (and {len(failures) - MAX_REPORTED_ERRORS} more)" if len(failures) > MAX_REPORTED_ERRORS else ""
        raise IngestError(f"{path}: {len(failures)} value(s) match no code or label in the codebook: {shown}{more}")
    frame = pd.DataFrame(out)
    frame.insert(2, "firm_key", firm_keys(frame[firm_id_column], frame["submission_id"], key))
    absent = [v for v in codebook.variables["name"] if v not in frame.columns]
    for variable in absent:  # missing by design in this wave's instrument
        numeric = codebook.variables.at[variable, "type"] in NUMERIC_TYPES
        frame[variable] = pd.Series(np.nan if numeric else pd.NA, index=frame.index, dtype=float if numeric else "str")
    frame = frame.drop(columns=codebook.of_role("identifying"))
    ordered = ["wave", "source_row", "firm_key"] + [v for v in codebook.variables["name"] if v in frame.columns]
    provenance = {
        "wave": wave, "file": path.name, "format": fmt, "sha256": sha256_of(path), "rows": int(len(frame)),
        "instrument_versions": sorted(frame["instrument_version"].dropna().unique().tolist()),
        "ignored_columns": sorted(set(names) - known), "absent_columns": absent, **details,
    }
    return frame[ordered].reset_index(drop=True), provenance
