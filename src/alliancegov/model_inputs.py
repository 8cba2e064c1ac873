"""What the models need from every wave, read from the config's formulas, and the check that each
wave has it before any model is fitted.

A wave whose file lacks a model variable altogether (the column absent, renamed without a crosswalk,
or every answer missing) does not make a pooled model fail: listwise deletion silently drops the
whole wave, or a wave fixed effect becomes a column of zeros and a later job dies with "information
matrix is singular". The pool stage stops instead, naming the wave and the columns.

A model variable is traced back to the codebook columns it is computed from: a scale to its items
(a score needs ``min_items`` of them answered), a derived variable to the variables of its
expression, the performance index to its components (``min_components`` of them), a
``question__code`` column to its question. Columns the stages add (the firm key, the misalignment
measures) need nothing from the wave.
"""

from __future__ import annotations

from alliancegov.codebook.tables import Codebook

# The config's model sections: each field is a formula, a variable, or a mapping of formulas.
MODEL_FIELDS = (("choice", "outcome"), ("choice", "formula"), ("choice", "variants"), ("performance", "outcome"),
                ("performance", "form"), ("performance", "formula"), ("misalignment", "outcome"),
                ("misalignment", "controls"), ("misalignment", "switching"))


def _requirement(name: str, codebook: Codebook, config: dict, allowed: set[str], seen: frozenset = frozenset()):
    """What ``name`` needs: a codebook column, ``{"at_least": k, "of": [...]}``, or None (nothing)."""
    from alliancegov.expressions import check_expression

    performance = config.get("performance", {})
    derived = performance.get("derived", {})
    index = performance.get("index") or {}
    if name in seen:
        return None
    seen = seen | {name}
    if name in codebook.variables.index:
        return name
    if name in codebook.scales.index:
        items = codebook.items(name)["name"].tolist()
        return {"at_least": int(codebook.scales.at[name, "min_items"]), "of": items}
    if name in derived:
        used = check_expression(derived[name], allowed, source=f"performance.derived.{name}")
        parts = [r for r in (_requirement(v, codebook, config, allowed, seen) for v in used) if r is not None]
        return {"at_least": len(parts), "of": parts} if parts else None
    if index and name == index["name"]:
        parts = [r for r in (_requirement(v, codebook, config, allowed, seen) for v in index["components"])
                 if r is not None]
        return {"at_least": min(int(index["min_components"]), len(parts)), "of": parts} if parts else None
    question = name.rsplit("__", 1)[0]
    if "__" in name and question in codebook.variables.index:
        return question
    return None


def model_variables(config: dict, codebook: Codebook) -> dict[str, dict]:
    """Every variable of the config's models, with where it is used and what it needs from a wave.

    Parameters
    ----------
    config : dict
        The validated configuration: ``choice.formula``, ``choice.variants``, ``choice.outcome``,
        ``performance.formula``, ``performance.outcome``, ``performance.form``,
        ``misalignment.controls``, ``misalignment.switching.formula`` and ``misalignment.outcome``.
    codebook : Codebook
        The variables and scales.

    Returns
    -------
    dict of str to dict
        Per variable (in order of first use): ``fields``, the config fields that use it, and
        ``needs``: a codebook column, or ``{"at_least": k, "of": [needs, ...]}``. Variables the
        stages compute from nothing in the waves are left out. Plain JSON types, so that the
        workflow can pass it to the pool rule as a param.

    Raises
    ------
    alliancegov.expressions.ExpressionError
        If a formula does not pass the checked grammar.
    """
    from alliancegov.config_strings import analysis_names
    from alliancegov.expressions import formula_variables

    allowed = analysis_names(codebook, config)
    used: dict[str, list[str]] = {}
    for section, field in MODEL_FIELDS:
        value = config.get(section, {}).get(field)
        if field == "switching":   # the per-form equation's formula (its excluded variables are the choice model's)
            value = {"formula": value["formula"]} if value else None
        texts = value.items() if isinstance(value, dict) else [("", value)] if value else []
        for name, text in texts:
            where = f"{section}.{field}" + (f".{name}" if name else "")
            names = [text] if field in ("outcome", "form") else formula_variables(text, allowed, source=where)
            for variable in names:
                used.setdefault(variable, [])
                if where not in used[variable]:
                    used[variable].append(where)
    out = {}
    for variable, fields in used.items():
        needs = _requirement(variable, codebook, config, allowed)
        if needs is not None:
            out[variable] = {"fields": fields, "needs": needs}
    return out


def _met(needs, answered: set[str]) -> bool:
    if isinstance(needs, str):
        return needs in answered
    return sum(_met(part, answered) for part in needs["of"]) >= needs["at_least"]


def _columns(needs) -> list[str]:
    return [needs] if isinstance(needs, str) else [c for part in needs["of"] for c in _columns(part)]


def missing_model_variables(frame, variables: dict[str, dict]) -> list[str]:
    """The model variables one wave cannot provide, described.

    Parameters
    ----------
    frame : DataFrame
        The wave's analysed responses.
    variables : dict of str to dict
        :func:`model_variables`.

    Returns
    -------
    list of str
        One description per variable whose needs the wave does not meet, e.g. "'trust'
        (choice.formula) needs at least 2 of tr1, tr2, tr3 answered; answered: none"; empty when
        the wave has everything.
    """
    answered = {column for column in frame.columns if frame[column].notna().any()}
    problems = []
    for variable, entry in variables.items():
        needs = entry["needs"]
        if _met(needs, answered):
            continue
        columns = list(dict.fromkeys(_columns(needs)))
        have = [c for c in columns if c in answered]
        what = (f"column {needs!r}, absent or never answered" if isinstance(needs, str)
                else f"at least {needs['at_least']} of {', '.join(columns)} answered (answered: "
                     f"{', '.join(have) or 'none'})")
        problems.append(f"{variable!r} ({', '.join(entry['fields'])}) needs {what}")
    return problems


def check_model_variables(waves: dict[str, object], variables: dict[str, dict]) -> None:
    """Stop when a wave cannot provide a model variable, before any model is fitted.

    Parameters
    ----------
    waves : dict of str to DataFrame
        Each wave's analysed responses, by wave.
    variables : dict of str to dict
        :func:`model_variables`.

    Raises
    ------
    ValueError
        Naming each wave and the model variables it lacks, with the columns they are computed from.
    """
    problems = []
    for wave, frame in waves.items():
        missing = missing_model_variables(frame, variables)
        if missing:
            rows = "no analysed response" if len(frame) == 0 else f"{len(frame)} analysed responses"
            problems.append(f"wave {wave!r} ({rows}): " + "; ".join(missing))
    if problems:
        raise ValueError("a model variable is missing from a whole wave: " + " | ".join(problems) + ". Pooled, "
                         "such a wave would be silently left out of the models (or make them fail with a singular "
                         "information matrix): check the wave's file and crosswalk, or take the variable out of "
                         "the model formulas")
