"""What the grammar allows: its limits, its functions and their arguments, its operators and literals.

Data and small tests on syntax-tree nodes, shared by the checker (what may be written) and the
evaluator (what it computes); the walk that enforces them is :mod:`alliancegov.expressions.checker`.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

__all__ = ["MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT", "MAX_TERMS", "EXPRESSION_FUNCTIONS", "FORMULA_FUNCTIONS",
           "CONTRASTS"]

MAX_LENGTH = 5000
"""Longest string accepted, in characters (the project's longest formula has about 150)."""
MAX_DEPTH = 100
"""Deepest nesting of operations accepted in an expression, a formula factor or a formula."""
MAX_EXPONENT = 10
"""Largest absolute value of the literal exponent of ``**``."""
MAX_TERMS = 1000
"""Most terms a formula may expand to, counted before patsy removes duplicates."""

EXPRESSION_FUNCTIONS = ("log", "log1p", "exp", "sqrt", "abs", "isna", "notna")
FORMULA_FUNCTIONS = EXPRESSION_FUNCTIONS + ("C", "I", "center", "standardize", "scale")
CONTRASTS = ("Treatment", "Sum", "Poly")


def _implementations() -> dict:
    """What the expression functions compute: numpy's element-wise functions and pandas' missing-value tests.

    Returns
    -------
    functions : dict of str to callable
        One entry per name of ``EXPRESSION_FUNCTIONS``.
    """
    import numpy as np
    import pandas as pd

    return {"log": np.log, "log1p": np.log1p, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs,
            "isna": pd.isna, "notna": pd.notna}


@dataclass(frozen=True)
class _Signature:
    """Parameters of an allowed function: ``(name, kind)`` in positional order; with ``by_name``, the
    parameters other than ``value`` ones may also be given as keyword arguments.

    Kinds: ``value`` (any checked expression), ``literal`` (number, text, True/False/None),
    ``literals`` (list or tuple of literals), ``numbers`` (list or tuple of numbers), ``contrast``
    (a call of one of ``CONTRASTS``), ``flag`` (True or False), ``count`` (integer >= 0).
    """

    parameters: tuple[tuple[str, str], ...]
    required: int = 1
    by_name: bool = False


_ONE_VALUE = _Signature((("x", "value"),))
_EXPRESSION_SIGNATURES = dict.fromkeys(EXPRESSION_FUNCTIONS, _ONE_VALUE)
_STANDARDIZE = _Signature((("x", "value"), ("center", "flag"), ("rescale", "flag"), ("ddof", "count")),
                          by_name=True)
_FORMULA_SIGNATURES = {
    **_EXPRESSION_SIGNATURES,
    "C": _Signature((("data", "value"), ("contrast", "contrast"), ("levels", "literals")), by_name=True),
    "I": _ONE_VALUE,
    "center": _ONE_VALUE,
    "standardize": _STANDARDIZE,
    "scale": _STANDARDIZE,
    "Treatment": _Signature((("reference", "literal"),), required=0, by_name=True),
    "Sum": _Signature((("omit", "literal"),), required=0, by_name=True),
    "Poly": _Signature((("scores", "numbers"),), required=0, by_name=True),
}

_ARITHMETIC = {ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
               ast.Div: ("/", operator.truediv), ast.FloorDiv: ("//", operator.floordiv),
               ast.Mod: ("%", operator.mod), ast.Pow: ("**", operator.pow)}
_LOGICAL = {ast.BitAnd: ("&", operator.and_), ast.BitOr: ("|", operator.or_)}
_REFUSED_OPERATORS = {ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitXor: "^"}
_COMPARISONS = {ast.Eq: ("==", operator.eq), ast.NotEq: ("!=", operator.ne), ast.Lt: ("<", operator.lt),
                ast.LtE: ("<=", operator.le), ast.Gt: (">", operator.gt), ast.GtE: (">=", operator.ge),
                ast.In: ("in", None), ast.NotIn: ("not in", None), ast.Is: ("is", None),
                ast.IsNot: ("is not", None)}
_CONSTRUCTS = {ast.Attribute: "attribute access", ast.Subscript: "indexing or slicing",
               ast.Lambda: "a lambda function", ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
               ast.DictComp: "a comprehension", ast.GeneratorExp: "a generator expression",
               ast.NamedExpr: "an assignment expression", ast.JoinedStr: "an f-string",
               ast.Starred: "a starred argument", ast.IfExp: "a conditional expression (x if c else y)",
               ast.Dict: "a dictionary", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield"}
_SCALARS = (str, int, float, bool, type(None))


def _number(node: ast.AST) -> float | None:
    """The value of a number literal (``-2`` included), None for anything else."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


def _is_literal(node: ast.AST) -> bool:
    return _number(node) is not None or (isinstance(node, ast.Constant) and type(node.value) in _SCALARS)


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _literal(node: ast.AST) -> object:
    number = _number(node)
    return node.value if number is None else number
