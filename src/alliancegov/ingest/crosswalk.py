"""A wave's crosswalk to the codebook: renamed, dropped and recoded questions of a revised
instrument.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alliancegov.codebook.labels import normalise_label
from alliancegov.ingest.cells import IngestError, is_blank, map_distinct, match_key

CROSSWALK_COLUMNS = ["source", "variable", "source_value", "value"]


def load_crosswalk(path: str | Path) -> pd.DataFrame:
    """A wave's crosswalk to the codebook: ``source, variable, source_value, value`` (CSV).

    * ``source`` and ``variable``: the wave's column ``source`` is the codebook's ``variable``;
    * ``source`` without ``variable``: the wave's column is not used (recorded as dropped);
    * ``variable``, ``source_value`` and ``value``: in that variable, answers spelt
      ``source_value`` (case, accents and spaces ignored) mean ``value``.

    Parameters
    ----------
    path : str or Path
        The crosswalk's CSV file.

    Returns
    -------
    DataFrame
        The four columns, as stripped text (empty cells as empty strings); other columns dropped.

    Raises
    ------
    IngestError
        If one of the four columns is missing.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CROSSWALK_COLUMNS if c not in table.columns]
    if missing:
        raise IngestError(f"{path}: crosswalk columns {missing} are missing; expected {CROSSWALK_COLUMNS}")
    return table[CROSSWALK_COLUMNS].map(str.strip)


def apply_crosswalk(cells: pd.DataFrame, crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Rename, drop and recode the columns of ``cells`` (canonical names) as the crosswalk says.

    Parameters
    ----------
    cells : DataFrame
        The wave's raw cells, columns named canonically.
    crosswalk : DataFrame
        :func:`load_crosswalk`'s table.

    Returns
    -------
    cells : DataFrame
        The cells with the dropped columns removed, the others renamed, and the recoded answers
        replaced by their ``value`` (renaming comes first: recodes name the codebook's variable).
    applied : dict
        ``renamed`` (source → variable, for the columns present), ``dropped`` (list of source
        columns removed) and ``values_recoded`` (number of cells recoded), for the provenance record.

    Raises
    ------
    IngestError
        If a column is renamed onto a column the file already has (which is not itself renamed or
        dropped), or two columns are renamed onto the same variable: naming both columns.
    """
    columns = crosswalk[crosswalk["source"] != ""]
    kept = columns[columns["variable"] != ""]
    renames = dict(zip(kept["source"], kept["variable"]))
    dropped = [c for c in columns.loc[columns["variable"] == "", "source"] if c in cells.columns]
    _check_renames(cells.drop(columns=dropped), renames)
    out = cells.drop(columns=dropped).rename(columns=renames)
    recodes = crosswalk[(crosswalk["source_value"] != "") & (crosswalk["variable"] != "")]
    recoded = 0
    for variable, rows in recodes.groupby("variable"):
        if variable not in out.columns:
            continue
        mapping = {normalise_label(a): b for a, b in zip(rows["source_value"], rows["value"])}
        column = out[variable]
        codes, distinct = map_distinct(column, lambda cell: None if is_blank(cell) else match_key(cell))
        keys = pd.Series(distinct[codes], index=column.index)
        hit = keys.isin(list(mapping))
        recoded += int(hit.sum())
        out[variable] = column.where(~hit, keys.map(mapping))
    applied = {"renamed": {k: v for k, v in renames.items() if v in out.columns}, "dropped": dropped,
               "values_recoded": recoded}
    return out, applied


def _check_renames(cells: pd.DataFrame, renames: dict[str, str]) -> None:
    """Refuse renames that would leave two columns with one name (pandas would keep both)."""
    present = {source: target for source, target in renames.items() if source in cells.columns and source != target}
    problems = []
    for source, target in present.items():
        if target in cells.columns and target not in present:
            problems.append(f"the crosswalk renames column {source!r} to {target!r}, but the file already has a "
                            f"column {target!r}")
    by_target: dict[str, list[str]] = {}
    for source, target in present.items():
        by_target.setdefault(target, []).append(source)
    problems += [f"the crosswalk renames the columns {sources} all to {target!r}"
                 for target, sources in by_target.items() if len(sources) > 1]
    if problems:
        raise IngestError("; ".join(problems) + ": drop one of them in the crosswalk (a source with no variable)")
