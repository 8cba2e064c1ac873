"""The rules the three codebook tables obey together, checked when a
:class:`~alliancegov.codebook.tables.Codebook` is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from alliancegov.codebook.vocabulary import MISSING_KINDS, ROLES, VARIABLE_TYPES, CodebookError

if TYPE_CHECKING:
    from alliancegov.codebook.tables import Codebook


def check_consistency(codebook: Codebook) -> None:
    """Check that the codebook's tables agree with one another and with its vocabulary.

    Parameters
    ----------
    codebook : Codebook
        The tables to check.

    Raises
    ------
    CodebookError
        Naming every problem found: duplicated variable names, an unknown type or role, a
        ``list_name`` or ``missing_list`` that is not in ``value_sets.csv``, a select_one,
        select_multiple or likert variable without ``list_name``, a value set repeating a code or
        a name, a missing-value name not among
        :data:`~alliancegov.codebook.vocabulary.MISSING_KINDS`, scales of ``scales.csv`` and
        ``variables.csv`` that differ, or a ``min``/``max`` that is neither a number nor
        ``survey_year``.
    """
    problems = []
    names = codebook.variables["name"]
    if names.duplicated().any():
        problems.append(f"duplicated variable names: {sorted(names[names.duplicated()])}")
    bad_types = set(codebook.variables["type"]) - VARIABLE_TYPES
    if bad_types:
        problems.append(f"unknown types {sorted(bad_types)}; allowed {sorted(VARIABLE_TYPES)}")
    bad_roles = set(codebook.variables["role"]) - ROLES
    if bad_roles:
        problems.append(f"unknown roles {sorted(bad_roles)}; allowed {sorted(ROLES)}")
    lists = set(codebook.value_sets["list_name"])
    for column in ("list_name", "missing_list"):
        used = set(codebook.variables[column]) - {""}
        if used - lists:
            problems.append(f"{column} not in value_sets.csv: {sorted(used - lists)}")
    needs_list = codebook.variables["type"].isin(["select_one", "select_multiple", "likert"]) \
        & codebook.variables["list_name"].eq("")
    if needs_list.any():
        problems.append(f"select_one/likert variables without list_name: {list(names[needs_list])}")
    for list_name, rows in codebook.value_sets.groupby("list_name"):
        for key in ("code", "name"):
            if rows[key].duplicated().any():
                problems.append(f"value set {list_name!r} repeats a {key}")
    missing_names = set(codebook.value_sets.loc[codebook.value_sets["list_name"].isin(codebook.missing_lists), "name"])
    if missing_names - set(MISSING_KINDS):
        problems.append(f"missing-value names must be among {MISSING_KINDS}")
    scales_used = set(codebook.variables["scale"]) - {""}
    if scales_used != set(codebook.scales["scale"]):
        problems.append(f"scales.csv and variables.csv disagree: {sorted(scales_used ^ set(codebook.scales['scale']))}")
    for column in ("min", "max"):
        bounds = codebook.variables[column]
        bad = bounds[(bounds != "") & (bounds != "survey_year") & pd.to_numeric(bounds, errors="coerce").isna()]
        if len(bad):
            problems.append(f"{column} must be a number or 'survey_year': {dict(bad)}")
    if problems:
        raise CodebookError("invalid codebook: " + "; ".join(problems))
