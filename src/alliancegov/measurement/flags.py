"""Flags that travel: the scales a reader should not take at face value, and the variables they reach.

A scale is flagged when its α or composite reliability is below the reliability cut (.70), its
AVE below the AVE cut (.50), or when scalar invariance across a grouping (waves, sectors) is not
supported, in which case its means must not be compared across that grouping. Each flag lists
the variables that carry the scale: the scale itself, the derived variables computed from it and
the composite index it enters, so that a hypothesis check on any of them gets the note
(:func:`measurement_notes`, called by :mod:`alliancegov.hypotheses`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

FLAG_COLUMNS = ["scale", "criterion", "value", "threshold", "flagged", "comparison", "variables", "note"]
CRITERIA = {"alpha": "alpha", "composite_reliability": "CR", "ave": "AVE"}
WAVE_VARIABLES = ("wave", "survey_year")   # a check using either compares across waves


def carried_by(scale: str, derived: Mapping[str, str], index: Mapping, names: Iterable[str]) -> list[str]:
    """The variables that carry ``scale``: itself, derived variables using it, the index it enters.

    Parameters
    ----------
    scale : str
        The scale's score column.
    derived : mapping of str to str
        Derived variables (name -> expression of the project's grammar).
    index : mapping
        The composite index (``name``, ``components``), or empty.
    names : iterable of str
        Every column an expression may use.

    Returns
    -------
    list of str
        ``scale`` first, then the derived variables whose expression uses it (directly or through
        another derived variable), then the index when one of those is among its components.
    """
    from alliancegov.expressions import ExpressionError, check_expression

    allowed = set(names) | set(derived)
    uses = {}
    for name, expression in derived.items():
        try:
            uses[name] = set(check_expression(expression, allowed, source=f"derived variable {name}"))
        except ExpressionError:
            uses[name] = set()
    carriers = [scale]
    changed = True
    while changed:
        changed = False
        for name, used in uses.items():
            if name not in carriers and used & set(carriers):
                carriers.append(name)
                changed = True
    if index and set(index.get("components", [])) & set(carriers):
        carriers.append(index["name"])
    return carriers


def flag_table(validity: pd.DataFrame, scalar: pd.DataFrame, *, reliability_threshold: float, ave_threshold: float,
               delta_cfi: float, derived: Mapping[str, str], index: Mapping, names: Sequence[str]) -> pd.DataFrame:
    """One row per scale and criterion: its value, the cut, whether it is flagged and where the flag travels.

    Parameters
    ----------
    validity : DataFrame
        :func:`alliancegov.measurement.factors.validity_table` (its ``alpha``,
        ``composite_reliability`` and ``ave`` rows).
    scalar : DataFrame
        :func:`alliancegov.measurement.factors.scalar_invariance`.
    reliability_threshold, ave_threshold : float
        The cuts of α and CR, and of AVE.
    delta_cfi : float
        The invariance cut on ΔCFI, shown as the threshold (-``delta_cfi``) of the invariance rows.
    derived : mapping of str to str
        Derived variables (see :func:`carried_by`).
    index : mapping
        The composite index, or empty.
    names : sequence of str
        The analysis frame's columns.

    Returns
    -------
    DataFrame
        Columns ``FLAG_COLUMNS``. ``criterion`` is ``alpha``, ``composite_reliability``, ``ave`` or
        ``scalar_invariance`` (``value`` the larger loss of CFI of its metric and scalar steps);
        ``comparison`` is empty for the first three (the flag concerns any use of the scale) and
        the grouping (``wave``, ``sector``) for invariance (it concerns comparisons of the scale's
        means across that grouping); ``variables`` lists the carriers separated by spaces;
        ``note`` is the text a hypothesis check gets when ``flagged``.
    """
    rows = []
    for row in validity[validity["measure"].isin(list(CRITERIA))].itertuples():
        threshold = ave_threshold if row.measure == "ave" else reliability_threshold
        flagged = bool(pd.notna(row.value) and row.value < threshold)
        rows.append({"scale": row.scale, "criterion": row.measure, "value": row.value, "threshold": threshold,
                     "flagged": flagged, "comparison": "",
                     "note": f"{row.scale}: {CRITERIA[row.measure]} {row.value:.2f} < {threshold:.2f}" if flagged
                     else ""})
    for row in scalar.itertuples():
        rows.append({"scale": row.scale, "criterion": "scalar_invariance", "value": row.delta_cfi,
                     "threshold": -delta_cfi, "flagged": not row.held, "comparison": row.grouping,
                     "note": (f"{row.scale}: scalar invariance across {row.grouping} not supported "
                              f"(do not compare its means across {row.grouping})") if not row.held else ""})
    table = pd.DataFrame(rows, columns=FLAG_COLUMNS)
    carriers = {scale: " ".join(carried_by(scale, derived, index, names)) for scale in table["scale"].unique()}
    table["variables"] = table["scale"].map(carriers)
    return table


def check_variables(check: dict, columns, table_formulas: dict[str, list[str]]) -> tuple[set[str], set[str]]:
    """The variables a check uses itself, and those of the model behind the table it reads.

    Parameters
    ----------
    check : dict
        One check of the register (with the ``time_to_event`` keys for a survival check).
    columns : iterable of str
        The analysis frame's columns.
    table_formulas : dict of str to list of str
        Model table -> formulas (or single variables) of its model.

    Returns
    -------
    own : set of str
        Variables named by the check: ``variable``, ``outcome``, ``group``, ``time``, those of its
        ``formula`` and of its ``expression``, ``event`` and ``censor_time``, and the variables
        of its ``where`` values (a term ``x[level]`` counts as ``x``).
    model : set of str
        The variables of ``table_formulas[check["table"]]`` for a check reading a table (the
        ``importance`` table for a ``largest_share`` check).
    """
    from alliancegov.expressions import ExpressionError, check_expression, formula_variables

    columns = list(columns)
    own = {str(check[key]) for key in ("variable", "outcome", "group", "time") if check.get(key)}
    own |= {str(value).split("[")[0] for value in (check.get("where") or {}).values()}
    for key, read in (("formula", formula_variables), ("expression", check_expression), ("event", check_expression),
                      ("censor_time", check_expression)):
        if check.get(key):
            try:
                own |= set(read(str(check[key]), columns))
            except ExpressionError:
                continue
    # a largest_share check reads the importance table without naming it
    table = check.get("table") or ("importance" if check.get("test") == "largest_share" else "")
    model = set()
    for formula in table_formulas.get(table, []):
        try:
            model |= set(formula_variables(formula, columns))
        except ExpressionError:
            continue
    return own, model


def measurement_notes(check: dict, flags: pd.DataFrame, columns, table_formulas: dict[str, list[str]]) -> str:
    """The measurement flags that concern a check, as one note.

    A reliability or validity flag (α or CR below .70, AVE below .50; ``comparison`` empty)
    concerns every check whose variables, or whose model's variables, include a variable that
    carries the scale (the flag's ``variables``: the scale, the derived variables and index built
    from it). A scalar-invariance flag across a grouping concerns a check only when the check
    itself uses both a carrier of the scale and the grouping variable (``wave`` or
    ``survey_year`` for waves): it compares the scale's means across that grouping.

    Parameters
    ----------
    check : dict
        One check of the register.
    flags : DataFrame
        ``measurement_flags.csv``: ``scale, criterion, flagged, comparison, variables, note``.
    columns : iterable of str
        The analysis frame's columns.
    table_formulas : dict of str to list of str
        Model table -> formulas of its model.

    Returns
    -------
    str
        ``"measurement: <note>; <note>"`` (a note reached only through the model's variables ends
        with "(in the model)"), or ``""`` when no flag concerns the check.
    """
    own, model = check_variables(check, columns, table_formulas)
    flagged = flags[flags["flagged"].astype(str).str.lower() == "true"]
    notes = []
    for row in flagged.itertuples():
        carriers = set(str(row.variables).split())
        comparison = str(row.comparison) if pd.notna(row.comparison) else ""
        if not comparison:
            if carriers & own:
                notes.append(str(row.note))
            elif carriers & model:
                notes.append(f"{row.note} (in the model)")
        else:
            grouping = set(WAVE_VARIABLES) if comparison == "wave" else {comparison}
            if carriers & own and grouping & own:
                notes.append(str(row.note))
    return "measurement: " + "; ".join(dict.fromkeys(notes)) if notes else ""
