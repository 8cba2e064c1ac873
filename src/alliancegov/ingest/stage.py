"""The ingest stage (rule ``ingest``): one wave file read into canonical, pseudonymised form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.vocabulary import NUMERIC_TYPES
from alliancegov.ingest.answers import UnreadableCells, convert_column, join_choice_columns
from alliancegov.ingest.cells import KOBO_META, IngestError, canonical_column, is_blank, name_keys, show_cell
from alliancegov.ingest.crosswalk import apply_crosswalk
from alliancegov.ingest.dates import ISO_FORMATS, parse_dates
from alliancegov.ingest.labels import check_value_labels
from alliancegov.ingest.pseudonymise import firm_keys, key_fingerprint
from alliancegov.ingest.readers import FORMATS, READERS, format_mismatch
from alliancegov.ingest.settings import (  # noqa: F401  (re-exported: the cleaning stage and tests import them here)
    INGEST_FLAGS,
    QUARANTINE_COLUMN,
    RAW_COLUMN,
    UNKNOWN_VALUE_POLICIES,
    IngestSettings,
    WaveOptions,
)

MAX_REPORTED_ERRORS = 20


def sha256_of(path: str | Path) -> str:
    """The SHA-256 digest of a file, read in blocks of 1 MiB.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        The digest, 64 hexadecimal characters.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _listed(problems: list[str]) -> str:
    more = f" (and {len(problems) - MAX_REPORTED_ERRORS} more)" if len(problems) > MAX_REPORTED_ERRORS else ""
    return "; ".join(problems[:MAX_REPORTED_ERRORS]) + more


def _describe(variable: str, cell: object, what: str) -> str:
    """A flagged cell as published: what was wrong and the text's length, never the text itself."""
    text = str(cell).strip() if not isinstance(cell, (float, np.floating)) else show_cell(cell)
    return f"{what} in {variable}, {len(text)} characters"


def _canonical_cells(cells: pd.DataFrame, path: Path, codebook: Codebook,
                     names: dict[str, str]) -> tuple[pd.DataFrame, list[str]]:
    """Columns named as in the codebook, Kobo's 0/1 choice columns joined into their question."""
    multiple = frozenset(codebook.of_type("select_multiple"))
    canonical = [canonical_column(c, multiple, names) for c in cells.columns]
    repeated = sorted({n for n in canonical if canonical.count(n) > 1})
    if repeated:
        headers = [repr(h) for h, n in zip(cells.columns, canonical) if n in repeated]
        raise IngestError(f"{path}: columns {repeated} appear more than once (headers {', '.join(headers)}: case, "
                          "accents, spaces and group prefixes are ignored)")
    cells = cells.set_axis(canonical, axis=1)
    choice_columns = [c for c in canonical if "/" in c]
    for variable in sorted({c.split("/", 1)[0] for c in choice_columns}):
        if variable not in cells.columns:  # only Kobo's 0/1 columns were exported
            try:
                cells[variable] = join_choice_columns(cells, variable, codebook.answer_names(variable))
            except IngestError as error:
                raise IngestError(f"{path}: {error}") from error
    return cells.drop(columns=choice_columns), choice_columns


def ingest_wave(path: str | Path, fmt: str, wave: str, codebook: Codebook, *, key: bytes,
                settings: IngestSettings, crosswalk: pd.DataFrame | None = None,
                options: WaveOptions | None = None) -> tuple[pd.DataFrame, dict]:
    """Read one wave file into canonical, pseudonymised form.

    Parameters
    ----------
    path : str or Path
        The wave's file.
    fmt : {"csv", "kobo_csv", "xlsx", "sav", "dta"}
        Its format.
    wave : str
        The wave's identifier, written in the ``wave`` column.
    codebook : Codebook
        The variables, their types and answers.
    key : bytes
        Keyword-only: the secret key of the firm pseudonyms.
    settings : IngestSettings
        Keyword-only: the firm identifier column, the required columns, the policy for unknown
        values and the default notation of numbers.
    crosswalk : DataFrame, optional
        Keyword-only: the wave's crosswalk to the codebook (:func:`~alliancegov.ingest.crosswalk.load_crosswalk`).
    options : WaveOptions, optional
        Keyword-only: what the waves sheet says of this wave (sheet, delimiter, locale, date
        formats); None for the defaults.

    Returns
    -------
    frame : DataFrame
        One row per response: ``wave``, ``source_row`` (the row in the file, header = row 1 in a
        spreadsheet), ``firm_key``, the quality flags raised while reading (one column per rule of
        :data:`~alliancegov.ingest.settings.INGEST_FLAGS`: a description, "" when not raised),
        ``quarantined_raw`` (the raw text of quarantined answers and unreadable dates), then every
        codebook variable that is neither identifying nor free text, in codebook order (missing
        throughout when this wave's file lacks it).
    provenance : dict
        ``wave``, ``file``, ``format``, ``sha256``, ``rows``, ``instrument_versions``,
        ``ignored_columns``, ``absent_columns``, ``quarantined_rows``, ``invalid_dates``,
        ``blank_firm_ids``, ``crosswalk`` (what it applied), ``select_multiple_columns``, ``locale``,
        ``date_formats``, ``codes_read_by_label``, ``key_fingerprint`` and the reader's details
        (``encoding``, ``sheet``, ``delimiter``, ``header_row``, ``blank_rows_skipped``,
        ``short_rows``...).

    Raises
    ------
    IngestError
        Naming file, row, column and value for anything it cannot read: unknown format, a file
        whose content contradicts its format, file not found, duplicated or missing required
        columns, no responses, value labels contradicting the codebook, numbers that fit no
        reading of the wave's notation, values matching no code or label (with
        ``unknown_values="error"``; at most 20 are listed).
    """
    path = Path(path)
    options = options or WaveOptions()
    locale = options.locale or settings.locale
    if fmt not in READERS:
        raise IngestError(f"{path}: unknown format {fmt!r}; expected one of {FORMATS}")
    if not path.is_file():
        raise IngestError(f"{path}: wave {wave!r} file not found (check config/waves.tsv)")
    mismatch = format_mismatch(path, fmt)
    if mismatch:
        raise IngestError(f"{path}: wave {wave!r}: {mismatch}")
    known = set(codebook.variables["name"]) | set(KOBO_META.values())
    if crosswalk is not None:
        known |= set(crosswalk["source"]) - {""}
    try:
        names = name_keys(sorted(known))
    except IngestError as error:
        raise IngestError(f"{path}: {error}") from error
    table = READERS[fmt](path, known, options.read_options())
    row_numbers = table.row_numbers
    cells, choice_columns = _canonical_cells(table.cells, path, codebook, names)
    labels = {canonical_column(c, frozenset(), names): m for c, m in table.value_labels.items()}
    applied = {}
    if crosswalk is not None:
        try:
            cells, applied = apply_crosswalk(cells, crosswalk)
        except IngestError as error:
            raise IngestError(f"{path}: {error}") from error
        labels = {applied["renamed"].get(c, c): m for c, m in labels.items()}
    cells, read_by_label = check_value_labels(cells, labels, codebook, path, crosswalk) if labels else (cells, 0)
    if cells.empty:
        raise IngestError(f"{path}: the file has a header but no responses")
    missing_required = [c for c in settings.required_columns if c not in cells.columns]
    if missing_required:
        raise IngestError(f"{path}: required columns {missing_required} are missing")

    index = pd.RangeIndex(len(cells))
    cells = cells.reset_index(drop=True)
    out = {"wave": pd.Series(wave, index=index, dtype="str"), "source_row": pd.Series(row_numbers, index=index)}
    unknown, dates, unreadable = [], [], []
    id_columns = {"submission_id", settings.firm_id_column}
    for variable in codebook.variables["name"]:
        if variable not in cells.columns:
            continue
        if codebook.variables.at[variable, "type"] == "datetime":
            out[variable], invalid = parse_dates(cells[variable], options.date_formats)
            dates += [(pos, variable, cell, problem) for pos, cell, problem in invalid]
            continue
        try:
            out[variable], bad = convert_column(cells[variable], variable, codebook, locale=locale,
                                                identifier=variable in id_columns)
        except UnreadableCells as error:
            unreadable += [f"row {row_numbers[p]}, column {variable!r}: {reason}" for p, _, reason in error.cells]
            continue
        unknown += [(pos, variable, cell) for pos, cell in bad]
    if unreadable:
        raise IngestError(f"{path}: {len(unreadable)} number(s) fit no reading of the wave's notation (locale "
                          f"{locale!r}: the waves sheet's `locale` column, else ingest.locale): {_listed(unreadable)}")
    if unknown and settings.unknown_values == "error":
        shown = [f"row {row_numbers[p]}, column {c!r}: unknown value {show_cell(v)}" for p, c, v in unknown]
        raise IngestError(f"{path}: {len(unknown)} value(s) match no code or label in the codebook: {_listed(shown)}")
    flags = {column: pd.Series("", index=index, dtype="str") for column in INGEST_FLAGS.values()}
    raw = pd.Series("", index=index, dtype="str")

    def flag(column: str, position: int, text: str) -> None:
        flags[column].iat[position] = "; ".join(filter(None, [flags[column].iat[position], text]))

    for position, variable, cell in unknown:
        flag(QUARANTINE_COLUMN, position, _describe(variable, cell, "unknown value"))
        raw.iat[position] = "; ".join(filter(None, [raw.iat[position], f"{variable}={show_cell(cell)}"]))
    for position, variable, cell, problem in dates:
        flag(INGEST_FLAGS["invalid_date"], position, _describe(variable, cell, problem))
        raw.iat[position] = "; ".join(filter(None, [raw.iat[position], f"{variable}={show_cell(cell)}"]))
    width = len(table.cells.columns)
    for position, fields in table.short_rows.items():
        flag(INGEST_FLAGS["short_row"], position, f"{fields} of {width} fields")
    frame = pd.DataFrame(out)
    firm_id = settings.firm_id_column
    identifiers = frame[firm_id] if firm_id in frame else pd.Series(pd.NA, index=frame.index, dtype="str")
    if firm_id:
        blank = np.array([is_blank(value) for value in identifiers], dtype=bool)
        flags[INGEST_FLAGS["blank_firm_id"]][blank] = f"{firm_id} is blank"
    # A response without a firm identifier is keyed by its own row: never pooled with another.
    fallback = wave + ":row" + frame["source_row"].astype(str)
    frame.insert(2, "firm_key", firm_keys(identifiers, fallback, key))
    for offset, column in enumerate([*INGEST_FLAGS.values(), RAW_COLUMN], start=3):
        frame.insert(offset, column, flags[column] if column in flags else raw)
    absent = [v for v in codebook.variables["name"] if v not in frame.columns]
    for variable in absent:  # missing by design in this wave's instrument
        numeric = codebook.variables.at[variable, "type"] in NUMERIC_TYPES
        frame[variable] = pd.Series(np.nan if numeric else pd.NA, index=frame.index, dtype=float if numeric else "str")
    # Free text may name people or firms and is never analysed: it goes with the identifiers.
    frame = frame.drop(columns=codebook.of_role("identifying", "free_text"))
    ordered = ["wave", "source_row", "firm_key", *INGEST_FLAGS.values(), RAW_COLUMN] + [
        v for v in codebook.variables["name"] if v in frame.columns]
    provenance = {
        "wave": wave, "file": path.name, "format": fmt, "sha256": sha256_of(path), "rows": int(len(frame)),
        "instrument_versions": sorted(frame["instrument_version"].dropna().unique().tolist())
        if "instrument_version" in frame else [],
        "ignored_columns": sorted(set(cells.columns) - set(codebook.variables["name"])), "absent_columns": absent,
        "quarantined_rows": int((flags[QUARANTINE_COLUMN] != "").sum()),
        "invalid_dates": int((flags[INGEST_FLAGS["invalid_date"]] != "").sum()),
        "blank_firm_ids": int((flags[INGEST_FLAGS["blank_firm_id"]] != "").sum()),
        "crosswalk": applied, "select_multiple_columns": choice_columns,
        "locale": locale, "codes_read_by_label": read_by_label,
        "date_formats": "ISO 8601" if options.date_formats == ISO_FORMATS else list(options.date_formats),
        "key_fingerprint": key_fingerprint(key), **table.details,
    }
    return frame[ordered], provenance


def run(*, raw: str, crosswalk: Sequence[str], codebook: Sequence[str], outputs: dict[str, str], wave: str,
        file_format: str, settings: dict, options: dict | None = None) -> None:
    """The ingest rule: one wave file to a pseudonymised Parquet file and its provenance record.

    Parameters
    ----------
    raw : str
        The wave's file, as the waves sheet names it (read, never written).
    crosswalk : sequence of str
        The wave's crosswalk to the codebook: one CSV path, or none.
    codebook : sequence of str
        The codebook's three files.
    outputs : dict of str to str
        ``data`` (Parquet) and ``provenance`` (JSON).
    wave, file_format : str
        The wave's identifier and file format, from the waves sheet.
    settings : dict
        The config's ``ingest`` section.
    options : dict, optional
        The wave's row of the waves sheet beyond its format: ``sheet``, ``delimiter``, ``locale``,
        ``date_format`` (:meth:`~alliancegov.ingest.settings.WaveOptions.from_sheet`).
    """
    import json
    import logging

    from alliancegov.ingest.crosswalk import load_crosswalk
    from alliancegov.ingest.pseudonymise import load_pseudonymisation_key

    frame, provenance = ingest_wave(
        raw, file_format, wave, Codebook.from_files(codebook), key=load_pseudonymisation_key(settings.get("key_file")),
        settings=IngestSettings.from_config(settings), crosswalk=load_crosswalk(crosswalk[0]) if crosswalk else None,
        options=WaveOptions.from_sheet(options or {}),
    )
    provenance["path"] = raw
    frame.to_parquet(outputs["data"], index=False)
    with open(outputs["provenance"], "w", encoding="utf-8") as handle:
        json.dump(provenance, handle, indent=2, ensure_ascii=False, sort_keys=True)
        handle.write("\n")
    logging.getLogger("alliancegov").info("wave %s: %d rows read from %s", wave, len(frame), raw)
