"""The ingest stage (rule ``ingest``): one wave file read into canonical, pseudonymised form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alliancegov.codebook import NUMERIC_TYPES, Codebook
from alliancegov.ingest.answers import convert_column, join_choice_columns
from alliancegov.ingest.cells import KOBO_META, IngestError, canonical_column, show_cell
from alliancegov.ingest.crosswalk import apply_crosswalk
from alliancegov.ingest.pseudonymise import firm_keys
from alliancegov.ingest.readers import FORMATS, READERS

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


UNKNOWN_VALUE_POLICIES = ("error", "quarantine")


QUARANTINE_COLUMN = "unknown_values"


@dataclass(frozen=True)
class IngestSettings:
    """``ingest`` in the config.

    Attributes
    ----------
    firm_id_column : str or None
        The identifier hashed into the firm key (None: every response is its own firm, keyed by its
        submission id or row).
    required_columns : tuple of str, default=()
        Codebook columns every wave file must hold.
    unknown_values : {"error", "quarantine"}, default="error"
        ``error`` stops on a value that matches no code or label; ``quarantine`` keeps reading,
        leaves such a value missing and describes it in the ``unknown_values`` column, for the
        cleaning stage to exclude the response with its reason.

    Raises
    ------
    ValueError
        If ``unknown_values`` is not one of its values.
    """

    firm_id_column: str | None
    required_columns: tuple[str, ...] = ()
    unknown_values: str = "error"

    def __post_init__(self) -> None:
        if self.unknown_values not in UNKNOWN_VALUE_POLICIES:
            raise ValueError(f"unknown_values must be one of {UNKNOWN_VALUE_POLICIES}, not {self.unknown_values!r}")


def ingest_wave(path: str | Path, fmt: str, wave: str, codebook: Codebook, *, key: bytes,
                settings: IngestSettings, crosswalk: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
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
        Keyword-only: the firm identifier column, the required columns and the policy for unknown
        values.
    crosswalk : DataFrame, optional
        Keyword-only: the wave's crosswalk to the codebook (:func:`~alliancegov.ingest.crosswalk.load_crosswalk`).

    Returns
    -------
    frame : DataFrame
        One row per response: ``wave``, ``source_row`` (the row in the file, header = row 1 in a
        spreadsheet), ``firm_key``, ``unknown_values`` (the quarantined values, empty text if
        none), then every codebook variable that is neither identifying nor free text, in codebook
        order (missing throughout when this wave's file lacks it).
    provenance : dict
        ``wave``, ``file``, ``format``, ``sha256``, ``rows``, ``instrument_versions``,
        ``ignored_columns``, ``absent_columns``, ``quarantined_rows``, ``crosswalk`` (what it
        applied), ``select_multiple_columns`` and the reader's details (``encoding``,
        ``header_row``, ``blank_rows_skipped``...).

    Raises
    ------
    IngestError
        Naming file, row, column and value for anything it cannot read: unknown format, file not
        found, duplicated or missing required columns, no responses, values matching no code or
        label (with ``unknown_values="error"``; at most 20 are listed).
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
        shown = "; ".join(f"row {row_numbers[p]}, column {c!r}: unknown value {show_cell(v)}"
                          for p, c, v in failures[:MAX_REPORTED_ERRORS])
        more = f" (and {len(failures) - MAX_REPORTED_ERRORS} more)" if len(failures) > MAX_REPORTED_ERRORS else ""
        raise IngestError(f"{path}: {len(failures)} value(s) match no code or label in the codebook: {shown}{more}")
    problems = pd.Series("", index=index, dtype="str")
    for position, variable, cell in failures:
        problems.iat[position] = "; ".join(filter(None, [problems.iat[position], f"{variable}={show_cell(cell)}"]))
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


def run(*, raw: str, crosswalk: Sequence[str], codebook: Sequence[str], outputs: dict[str, str], wave: str,
        file_format: str, settings: dict) -> None:
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
    """
    import json
    import logging

    from alliancegov.ingest.crosswalk import load_crosswalk
    from alliancegov.ingest.pseudonymise import load_pseudonymisation_key

    frame, provenance = ingest_wave(
        raw, file_format, wave, Codebook.from_files(codebook), key=load_pseudonymisation_key(settings.get("key_file")),
        settings=IngestSettings(settings.get("firm_id_column"), tuple(settings["required_columns"]),
                                settings.get("unknown_values", "error")),
        crosswalk=load_crosswalk(crosswalk[0]) if crosswalk else None,
    )
    provenance["path"] = raw
    frame.to_parquet(outputs["data"], index=False)
    with open(outputs["provenance"], "w", encoding="utf-8") as handle:
        json.dump(provenance, handle, indent=2, ensure_ascii=False, sort_keys=True)
        handle.write("\n")
    logging.getLogger("alliancegov").info("wave %s: %d rows read from %s", wave, len(frame), raw)
