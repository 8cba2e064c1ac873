"""Every string of the project's data files that computes something, checked before any job runs.

The config's formulas and expressions, the codebook's ``relevant`` conditions and the hypotheses
register's expressions and formulas go through the project's one checked grammar
(:mod:`alliancegov.expressions`) when the workflow is built, so that a file edited in a
spreadsheet and sent by a co-author can never run code, and a typo stops the run at once, naming
the file, the field, the offending token and its position, instead of failing in a job an hour in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from alliancegov.codebook.tables import Codebook

# Columns the stages add to the codebook's variables, which checks and formulas may read.
META_COLUMNS = ("wave", "source_row", "firm_key", "survey_year")
MISALIGNMENT_COLUMNS = ("aligned", "aligned_form", "misaligned", "excess_hierarchy", "insufficient_hierarchy",
                        "misfit")


@dataclass(frozen=True)
class ConfigString:
    """One string that computes something, and where it is written.

    Attributes
    ----------
    source : str
        The file and the field, as an error message names them (``config/config.yaml:
        choice.formula``).
    kind : {"expression", "formula"}
    text : str
    """

    source: str
    kind: str
    text: str


def analysis_names(codebook: Codebook, config: dict) -> set[str]:
    """The column names a formula or an expression of this project may use.

    Parameters
    ----------
    codebook : Codebook
    config : dict
        The validated configuration.

    Returns
    -------
    set of str
        The codebook's analysed variables (not the identifying or free-text ones, which ingestion
        drops), its scales, the columns the constructs stage adds (``question__code`` for every
        select_one question, ``question__choice`` and ``question__n`` for every select_multiple
        one), the waves' meta columns, the performance section's derived variables and index, and
        the misalignment measures.
    """
    dropped = set(codebook.of_role("identifying", "free_text"))
    names = {name for name in codebook.variables["name"] if name not in dropped}
    names |= set(codebook.scales["scale"])
    names |= {f"{name}__code" for name in codebook.of_type("select_one")}
    for name in codebook.of_type("select_multiple"):
        names |= {f"{name}__{choice}" for choice in codebook.answer_names(name)} | {f"{name}__n"}
    performance = config.get("performance", {})
    names |= set(performance.get("derived", {}))
    names |= {performance["index"]["name"]} if performance.get("index") else set()
    return names | set(META_COLUMNS) | set(MISALIGNMENT_COLUMNS)


def config_strings(config: dict, config_file: str) -> Iterator[ConfigString]:
    """The formulas and expressions of the configuration.

    Parameters
    ----------
    config : dict
    config_file : str
        The file's name in messages.

    Yields
    ------
    ConfigString
    """
    choice = config.get("choice", {})
    performance = config.get("performance", {})
    switching = config.get("misalignment", {}).get("switching") or {}
    formulas = [("choice.formula", choice.get("formula")),
                *((f"choice.variants.{name}", text) for name, text in (choice.get("variants") or {}).items()),
                ("performance.formula", performance.get("formula")),
                ("performance.interaction", performance.get("interaction")),
                ("misalignment.controls", config.get("misalignment", {}).get("controls")),
                ("misalignment.switching.formula", switching.get("formula")),
                *((f"importance.groups.{name}", text)
                  for name, text in (config.get("importance", {}).get("groups") or {}).items())]
    expressions = [("choice.binary_outcome", choice.get("binary_outcome")),
                   *((f"performance.derived.{name}", text) for name, text in performance.get("derived", {}).items())]
    for kind, fields in (("formula", formulas), ("expression", expressions)):
        for field, text in fields:
            if text:
                yield ConfigString(f"{config_file}: {field}", kind, text)


def register_strings(register: dict, register_file: str) -> Iterator[ConfigString]:
    """The formulas and expressions of the hypotheses register.

    Parameters
    ----------
    register : dict
        The register as read from its YAML file.
    register_file : str
        The file's name in messages.

    Yields
    ------
    ConfigString
    """
    blocks = [("time_to_event", register.get("time_to_event") or {})]
    for hypothesis in register.get("hypotheses", []):
        blocks += [(f"{hypothesis.get('id')} check {number}", check)
                   for number, check in enumerate(hypothesis.get("checks", []), start=1)]
    for where, block in blocks:
        for field, kind in (("expression", "expression"), ("event", "expression"), ("censor_time", "expression"),
                            ("subset", "expression"), ("exposure", "expression"), ("formula", "formula")):
            if block.get(field):
                yield ConfigString(f"{register_file}: {where}, {field}", kind, str(block[field]))


def codebook_strings(codebook: Codebook, variables_file: str) -> Iterator[ConfigString]:
    """The codebook's ``relevant`` conditions (XLSForm's skip logic).

    Parameters
    ----------
    codebook : Codebook
    variables_file : str
        The file's name in messages.

    Yields
    ------
    ConfigString
        One per question with a condition, its source naming the spreadsheet row (the header is
        row 1) and the question.
    """
    for row, (name, condition) in enumerate(zip(codebook.variables["name"], codebook.variables["relevant"]),
                                            start=2):
        if condition:
            yield ConfigString(f"{variables_file} row {row} ({name}), column relevant", "expression", condition)


def check_project_strings(config: dict, codebook: Codebook, register: dict, *, config_file: str,
                          register_file: str, variables_file: str) -> int:
    """Check every formula and expression of the project's data files against the grammar.

    Parameters
    ----------
    config : dict
        The validated configuration.
    codebook : Codebook
    register : dict
        The hypotheses register.
    config_file, register_file, variables_file : str
        The files' names, for the messages.

    Returns
    -------
    int
        The number of strings checked.

    Raises
    ------
    alliancegov.expressions.ExpressionError
        At the first string that does not pass, naming the file, the field, the offending token
        and its position.
    """
    from alliancegov.expressions import check_expression, check_formula

    allowed = analysis_names(codebook, config)
    strings = [*config_strings(config, config_file), *register_strings(register, register_file),
               *codebook_strings(codebook, variables_file)]
    for string in strings:
        check = check_formula if string.kind == "formula" else check_expression
        check(string.text, allowed, source=string.source)
    return len(strings)
