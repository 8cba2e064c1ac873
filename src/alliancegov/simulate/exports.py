"""A canonical frame written the way survey tools export it: KoboToolbox CSV (French labels, group
prefixes), Excel (English labels), SPSS and Stata (numeric codes, value labels, user-missing
codes), a French spreadsheet CSV; and the bundled example (``python -m alliancegov.simulate``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.simulate.mess import add_mess
from alliancegov.simulate.population import FRAME_SIZE, simulate_waves


def _labelled(df: pd.DataFrame, codebook: Codebook, language: str, *, likert_as_labels: bool) -> pd.DataFrame:
    """Codebook variables only, select_one answers (and optionally Likert) as labels."""
    out = {}
    for name in codebook.variables["name"]:
        column = df[name]
        vtype = codebook.variables.at[name, "type"]
        if vtype == "select_one" or (vtype == "likert" and likert_as_labels):
            lookup = _label_lookup(codebook, name, language, by="name" if vtype == "select_one" else "code")
            key = column if vtype == "select_one" else column.map(lambda v: None if pd.isna(v) else int(v))
            out[name] = [lookup.get(k, k) if k is not None and not pd.isna(k) else "" for k in key]
        else:
            out[name] = column
    return pd.DataFrame(out)


def _answer_table(codebook: Codebook, variable: str) -> pd.DataFrame:
    """The answers and the missing-value codes of one variable (value-set rows)."""
    lists = [codebook.variables.at[variable, c] for c in ("list_name", "missing_list")]
    tables = [codebook.choices(name) for name in lists if name]
    return pd.concat(tables, ignore_index=True) if tables else codebook.value_sets.iloc[:0]


def _label_lookup(codebook: Codebook, variable: str, language: str, by: str) -> dict:
    table = _answer_table(codebook, variable)
    return dict(zip(table[by], table[f"label_{language}"]))


def _format_number(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


KOBO_META_COLUMNS = {
    "submission_id": "_uuid",
    "submission_time": "_submission_time",
    "instrument_version": "__version__",
}


def write_kobo_csv(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """A KoboToolbox 'labels' export: ``;``-separated, fully quoted, French labels, ``group/name``;
    a select_multiple question as its space-joined choice names and one 0/1 column per choice.

    Likert answers are written as their French labels, numbers plainly (no ``.0``), Kobo's system
    fields under their Kobo names (``_uuid``, ``_submission_time``, ``__version__``) with ``_id``
    and ``_index`` added; UTF-8, ``\n`` line ends.

    Parameters
    ----------
    df : DataFrame
        A canonical frame holding every codebook variable.
    path : str or Path
        The CSV file to write.
    codebook : Codebook
        The variables, their groups and labels.
    """
    labelled = _labelled(df, codebook, "fr", likert_as_labels=True)
    columns = {}
    for name in codebook.variables["name"]:
        group = codebook.variables.at[name, "group"]
        header = KOBO_META_COLUMNS.get(name) or (f"{group}/{name}" if group else name)
        values = labelled[name]
        if codebook.variables.at[name, "type"] in ("integer", "decimal"):
            values = values.map(_format_number)
        columns[header] = values.fillna("").astype(str)
        if codebook.variables.at[name, "type"] == "select_multiple":
            chosen = df[name].map(lambda v: None if v is None or pd.isna(v) or v == "" else set(str(v).split()))
            for choice in codebook.answer_names(name):
                columns[f"{header}/{choice}"] = chosen.map(lambda c, x=choice: "" if c is None else str(int(x in c)))
    export = pd.DataFrame(columns)
    export.insert(0, "_id", np.arange(1, len(export) + 1).astype(str))
    export["_index"] = np.arange(1, len(export) + 1).astype(str)
    export.to_csv(path, sep=";", index=False, quoting=1, encoding="utf-8", lineterminator="\n")


def write_xlsx(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """An Excel sheet with canonical headers, English labels for select_one, Likert codes.

    One sheet, ``responses``; whole numbers as integers, blanks as empty cells, text starting with
    ``=`` stored as text rather than a formula; the workbook's dates are fixed so that the file is
    reproducible.

    Parameters
    ----------
    df : DataFrame
        A canonical frame holding every codebook variable.
    path : str or Path
        The ``.xlsx`` file to write.
    codebook : Codebook
        The variables and their labels.
    """
    from openpyxl import Workbook

    labelled = _labelled(df, codebook, "en", likert_as_labels=False)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "responses"
    sheet.append(list(labelled.columns))
    for record in labelled.itertuples(index=False):
        sheet.append(
            [
                None
                if (v is None or (isinstance(v, float) and np.isnan(v)) or v == "")
                else (int(v) if isinstance(v, float) and v.is_integer() else v)
                for v in record
            ]
        )
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # typed text, as a respondent's answer is, not a live formula
    stamp = pd.Timestamp("2025-06-30T12:00:00").to_pydatetime()
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.save(path)


def _numeric_export(df: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, dict, dict]:
    """Codebook variables as statistical packages store them: numeric codes, value labels, missing codes."""
    out, value_labels, missing_codes = {}, {}, {}
    for name, vtype in zip(codebook.variables["name"], codebook.variables["type"]):
        if vtype in ("text", "datetime", "select_multiple"):
            out[name] = df[name].fillna("").astype(str)
            continue
        answers = _answer_table(codebook, name)
        if vtype == "select_one":
            out[name] = df[name].map(dict(zip(answers["name"], answers["code"].astype(float)))).astype(float)
        else:
            out[name] = pd.to_numeric(df[name], errors="coerce").astype(float)
        if len(answers):
            value_labels[name] = dict(zip(answers["code"].astype(float), answers["label_fr"]))
        codes = codebook.missing_codes(name)
        if codes:
            missing_codes[name] = [float(c) for c in codes]
    return pd.DataFrame(out), value_labels, missing_codes


def write_sav(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """An SPSS file: numeric codes with French value labels and declared user-missing codes.

    Parameters
    ----------
    df : DataFrame
        A canonical frame holding every codebook variable.
    path : str or Path
        The ``.sav`` file to write.
    codebook : Codebook
        The variables, their codes, French labels and missing-value codes.
    """
    import pyreadstat

    out, value_labels, missing_codes = _numeric_export(df, codebook)
    pyreadstat.write_sav(out, str(path), column_labels=codebook.variables["label_fr"].tolist(),
                         variable_value_labels=value_labels, missing_ranges=missing_codes)


def write_dta(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """A Stata file: numeric codes with French value labels (missing-value codes stay plain codes).

    Parameters
    ----------
    df : DataFrame
        A canonical frame holding every codebook variable.
    path : str or Path
        The ``.dta`` file to write.
    codebook : Codebook
        The variables, their codes and French labels.
    """
    import pyreadstat

    out, value_labels, _ = _numeric_export(df, codebook)
    pyreadstat.write_dta(out, str(path), column_labels=codebook.variables["label_fr"].tolist(),
                         variable_value_labels=value_labels)


def write_plain_csv(df: pd.DataFrame, path: str | Path, codebook: Codebook) -> None:
    """A plain spreadsheet CSV as French Excel saves it: cp1252, ``;``, French labels, decimal comma.

    select_one answers as French labels, Likert answers as codes; ``\r\n`` line ends.

    Parameters
    ----------
    df : DataFrame
        A canonical frame holding every codebook variable.
    path : str or Path
        The CSV file to write.
    codebook : Codebook
        The variables and their labels.
    """
    labelled = _labelled(df, codebook, "fr", likert_as_labels=False)
    for name in codebook.of_type("integer", "decimal", "likert"):
        labelled[name] = labelled[name].map(_format_number).str.replace(".", ",", regex=False)
    labelled.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")


WRITERS = {"kobo_csv": (write_kobo_csv, "csv"), "xlsx": (write_xlsx, "xlsx"), "sav": (write_sav, "sav")}


EXAMPLE_PLAN = ((2024, "kobo_csv"), (2025, "xlsx"), (2026, "sav"))
SIMULATION_RECORD = "simulated.json"   # beside the waves: the reports say the data are simulated, with the seed
GENERATOR = "alliancegov.simulate"


def write_simulation_record(out_dir: str | Path, seed: int, truth_file: str | Path | None = None) -> Path:
    """Write ``simulated.json`` beside simulated waves: what drew them, so that no reader takes them for a survey.

    Parameters
    ----------
    out_dir : str or Path
        The waves' folder.
    seed : int
        The seed the waves were drawn with.
    truth_file : str or Path, optional
        The true parameters used (default: the packaged ``truth.yaml``).

    Returns
    -------
    Path
        The record: a JSON object ``{generator, seed, truth_sha256}`` (keys sorted, byte-stable).
    """
    import hashlib
    import json

    from alliancegov.simulate.truth import TRUTH_FILE

    truth = hashlib.sha256(Path(truth_file or TRUTH_FILE).read_bytes()).hexdigest()
    path = Path(out_dir) / SIMULATION_RECORD
    path.write_text(json.dumps({"generator": GENERATOR, "seed": int(seed), "truth_sha256": truth}, indent=2,
                               sort_keys=True) + "\n", encoding="utf-8")
    return path


def example_frame_sizes(codebook: Codebook, *, seed: int = 20261127, n_per_wave: int = 300) -> dict[str, int]:
    """The simulated sampling frame of each wave of the bundled example (``frame_size`` in the waves sheet).

    Parameters
    ----------
    codebook : Codebook
        The codebook the waves follow.
    seed : int, default=20261127
        Keyword-only: the example's seed.
    n_per_wave : int, default=300
        Keyword-only: firms per wave.

    Returns
    -------
    dict of str to int
        Wave name (``w{year}``) -> firms in its frame.
    """
    waves = simulate_waves(n_per_wave, [year for year, _ in EXAMPLE_PLAN], seed=seed, codebook=codebook)
    return {wave["wave"].iloc[0]: int(wave[FRAME_SIZE].iloc[0]) for wave in waves}


def make_example(out_dir: str | Path, codebook: Codebook, *, seed: int = 20261127, n_per_wave: int = 300) -> list[Path]:
    """Write the bundled example: three waves (2024 Kobo CSV, 2025 Excel, 2026 SPSS).

    Each wave is simulated (:func:`~alliancegov.simulate.population.simulate_waves`), messed
    (:func:`~alliancegov.simulate.mess.add_mess`, seeded by ``seed + year``) and exported. The
    waves' simulated frame sizes (:func:`example_frame_sizes`) belong in the waves sheet.

    Parameters
    ----------
    out_dir : str or Path
        The folder to write into (created if needed).
    codebook : Codebook
        The codebook the waves follow.
    seed : int, default=20261127
        Keyword-only: seeds the simulation and the mess.
    n_per_wave : int, default=300
        Keyword-only: firms per wave (before the mess adds duplicates).

    Returns
    -------
    list of Path
        The files written: ``wave_2024.csv``, ``wave_2025.xlsx``, ``wave_2026.sav`` and the
        simulator's record ``simulated.json`` (:func:`write_simulation_record`).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    waves = simulate_waves(n_per_wave, [year for year, _ in EXAMPLE_PLAN], seed=seed, codebook=codebook)
    paths = []
    for (year, fmt), wave in zip(EXAMPLE_PLAN, waves):
        messy, _ = add_mess(wave, codebook, seed=seed + year)
        writer, suffix = WRITERS[fmt]
        path = out_dir / f"wave_{year}.{suffix}"
        writer(messy, path, codebook)
        paths.append(path)
    return [*paths, write_simulation_record(out_dir, seed)]


def main(argv: list[str] | None = None) -> None:
    """``python -m alliancegov.simulate OUT_DIR``: write the bundled example waves.

    Parameters
    ----------
    argv : list of str, optional
        The command-line arguments (default ``sys.argv[1:]``): ``OUT_DIR``, ``--codebook`` (default
        ``config/codebook``), ``--seed``, ``--n-per-wave``. Prints the paths written, then each
        wave's simulated frame size (for the waves sheet's ``frame_size`` column).
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.partition("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--codebook", default="config/codebook")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--n-per-wave", type=int, default=300)
    args = parser.parse_args(argv)
    codebook = Codebook.from_dir(args.codebook)
    for path in make_example(args.out_dir, codebook, seed=args.seed, n_per_wave=args.n_per_wave):
        print(path)
    for wave, size in example_frame_sizes(codebook, seed=args.seed, n_per_wave=args.n_per_wave).items():
        print(f"{wave}\tframe_size\t{size}")
