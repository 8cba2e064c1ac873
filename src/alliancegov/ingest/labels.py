"""The value labels SPSS and Stata files carry, held against the codebook before any code is read.

A ``.sav`` or ``.dta`` file stores answers as codes and, usually, its own code → label map. When the
file says 1 = Services and 2 = Textile-habillement while the codebook says the opposite, reading
the codes would silently swap every firm's sector; reading the labels would silently disagree with
what the crosswalk or codebook declare. Neither is guessed: the run stops naming the variable, the
code, the file's label and the codebook's. Where they agree, nothing changes; a code the codebook
does not have but whose label names one of its answers is read by that label, as a CSV answer is.
A label the codebook does not know (an older wording of a revised label) can be declared in the
crosswalk like any other spelling of an answer (``variable, source_value = the label, value``).
"""

from __future__ import annotations

import pandas as pd

from alliancegov.codebook.labels import normalise_label
from alliancegov.codebook.tables import Codebook
from alliancegov.ingest.answers import answer_lookups
from alliancegov.ingest.cells import IngestError, is_blank, map_distinct, match_key

MAX_REPORTED_LABELS = 20


def _codebook_label(codebook: Codebook, variable: str, answer: object) -> str:
    """The French and English labels of a canonical answer, as a message shows them."""
    for list_column in ("list_name", "missing_list"):
        list_name = codebook.variables.at[variable, list_column]
        if not list_name:
            continue
        for row in codebook.choices(list_name).itertuples():
            if row.name == answer or (not isinstance(answer, str) and float(row.code) == answer):
                return f"{row.label_fr!r} / {row.label_en!r}"
    return repr(answer)


def _recodes(crosswalk: pd.DataFrame | None, variable: str) -> dict[str, str]:
    if crosswalk is None:
        return {}
    rows = crosswalk[(crosswalk["variable"] == variable) & (crosswalk["source_value"] != "")]
    return {normalise_label(a): b for a, b in zip(rows["source_value"], rows["value"])}


def check_value_labels(cells: pd.DataFrame, value_labels: dict[str, dict], codebook: Codebook, path,
                       crosswalk: pd.DataFrame | None = None) -> tuple[pd.DataFrame, int]:
    """Hold each labelled column's code → label map against the codebook (and the crosswalk).

    For every code the file labels in a column of a codebook variable with answers, the answer its
    label names (matched like a CSV answer: name, French or English label, case and accents
    ignored; or, for a label the codebook does not know, the crosswalk's recode of that label) must
    be the answer its code means: the crosswalk's recode of that code if the crosswalk recodes it,
    else the codebook's answer with that code.

    Parameters
    ----------
    cells : DataFrame
        The wave's cells, columns already renamed by the crosswalk (canonical names).
    value_labels : dict of str to dict
        Per column (canonical name), the file's code → label map.
    codebook : Codebook
        The variables' answers and codes.
    path : str or Path
        The file, for messages.
    crosswalk : DataFrame, optional
        The wave's crosswalk (:func:`~alliancegov.ingest.crosswalk.load_crosswalk`).

    Returns
    -------
    cells : DataFrame
        The cells, where a code unknown to the codebook (and not recoded) carries a label naming
        an answer, with that label in place of the code.
    read_by_label : int
        The number of cells so replaced.

    Raises
    ------
    IngestError
        If a label names another answer than its code means, or names none while the code means
        one: listing variable, code, the file's label and the codebook's (or crosswalk's) answer.
    """
    problems, replaced = [], 0
    out = cells.copy()
    for variable, labels in value_labels.items():
        if variable not in out.columns or variable not in codebook.variables.index:
            continue
        by_code, by_label = answer_lookups(codebook, variable)
        if not by_code:
            continue
        recodes = _recodes(crosswalk, variable)
        substitutes = {}
        for code, label in labels.items():
            key = match_key(code)
            named = by_label.get(normalise_label(label))
            if named is None and normalise_label(label) in recodes:   # the crosswalk declares what the label means
                spelt = recodes[normalise_label(label)]
                named = by_label.get(normalise_label(spelt), by_code.get(match_key(spelt)))
            if key in recodes:
                target = recodes[key]
                declared = by_label.get(normalise_label(target), by_code.get(match_key(target)))
                where = f"the crosswalk recodes it to {target!r}"
            else:
                declared = by_code.get(key)
                where = f"codebook label {_codebook_label(codebook, variable, declared)}"
            if declared is not None and named != declared:
                problems.append(f"variable {variable!r}, code {key}: file label {label!r}, {where}")
            elif declared is None and named is not None:
                substitutes[key] = label
        if substitutes:
            column = out[variable]
            codes, distinct = map_distinct(column, lambda cell: None if is_blank(cell) else match_key(cell))
            keys = pd.Series(distinct[codes], index=column.index)
            hit = keys.isin(list(substitutes))
            replaced += int(hit.sum())
            out[variable] = column.astype(object).where(~hit, keys.map(substitutes))
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED_LABELS])
        more = f" (and {len(problems) - MAX_REPORTED_LABELS} more)" if len(problems) > MAX_REPORTED_LABELS else ""
        raise IngestError(f"{path}: the file's value labels disagree with the codebook: {shown}{more}. Reading "
                          "the codes would give these answers another meaning than the file's labels: declare the "
                          "file's coding in the wave's crosswalk (variable, source_value, value) or correct the "
                          "labels")
    return out, replaced
