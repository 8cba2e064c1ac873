"""Expressions: :func:`check_expression` checks one against the grammar; :func:`evaluate` checks it, then
computes it element by element over the columns of a frame by walking its syntax tree with pandas and
numpy operators (never Python's or pandas' ``eval``)."""

from __future__ import annotations

import ast
import operator
from collections.abc import Iterable

from alliancegov.expressions.checker import _allowed, _Checker, _in_order, _require_columns
from alliancegov.expressions.grammar import _ARITHMETIC, _COMPARISONS, _LOGICAL, _implementations, _is_text, _literal
from alliancegov.expressions.reading import _Locator, _read

__all__ = ["check_expression", "evaluate"]


def _checked_expression(expression: str, allowed: Iterable[str], source: str
                        ) -> tuple[ast.Expression, _Locator, list[tuple[int, str]]]:
    src = _read(expression, source, "the expression")
    locator = _Locator(src, 0, len(src.code))
    checker = _Checker(locator, _allowed(allowed), formula=False)
    return checker.run(), locator, checker.names


def check_expression(expression: str, allowed: Iterable[str], source: str = "expression") -> list[str]:
    """Check an expression against the grammar, without evaluating anything.

    Parameters
    ----------
    expression : str
        A pandas-style expression, e.g. ``(equity_stake != 'none') | (new_legal_entity == 'yes')``.
    allowed : iterable of str
        The variable names it may use (codebook columns and declared derived variables).
    source : str, default="expression"
        Where the string comes from, for the error message, e.g.
        ``config/codebook/variables.csv row 12, column relevant``.

    Returns
    -------
    variables : list of str
        The variables it uses, each once, in order of first appearance.

    Raises
    ------
    ExpressionError
        If the string is outside the grammar (see ``docs/expressions.md``).
    """
    _, _, names = _checked_expression(expression, allowed, source)
    return _in_order(names)


def evaluate(expression: str, frame, allowed: Iterable[str] | None = None, source: str = "expression"):
    """Check an expression, then compute it element by element over the columns of ``frame``.

    The checked tree is walked with pandas/numpy operators, never with Python's or pandas' ``eval``,
    and gives what ``frame.eval(expression, engine="python")`` gives. Missing values follow pandas:
    ``==``, ``<``, ``<=``, ``>``, ``>=`` and ``in`` are False where a value is missing, ``!=`` and
    ``not in`` are True there, arithmetic and the functions give NaN; with pandas' nullable dtypes
    (``Int64``, ``Float64``, ``string``) comparisons with numbers give <NA> there instead, while a
    comparison with a text is always true or false (pandas reads ``x == 'a'`` as ``x in ['a']``).
    To decide how missing values count, say it: ``notna(x) & (x != 'a')`` leaves them out,
    ``isna(x) | (x == 'a')`` takes them in.
    Division of a column by zero gives ±inf (0/0 gives NaN), ``log(0)`` gives -inf and ``log`` of a
    negative number NaN, silently, as numpy does; the caller may turn inf into NaN. Arithmetic on
    numbers written out alone is Python's, as in pandas: ``1 // 0`` raises an ExpressionError.

    Parameters
    ----------
    expression : str
        A checked-grammar expression, e.g. ``log(employees_now / employees_start)``.
    frame : pandas.DataFrame of shape (n_rows, n_columns)
        The data; variables are its columns.
    allowed : iterable of str, default=None
        The variable names the expression may use; None allows every column of ``frame``.
    source : str, default="expression"
        Where the string comes from, for error messages.

    Returns
    -------
    values : pandas.Series of shape (n_rows,)
        The expression's value per row, on ``frame``'s index (a constant expression is repeated).

    Raises
    ------
    ExpressionError
        If the expression is outside the grammar, uses a variable missing from ``frame``, or applies
        an operator to values it cannot take (e.g. ``&`` on numbers, ``+`` on text).
    """
    import numpy as np
    import pandas as pd

    tree, locator, names = _checked_expression(expression, frame.columns if allowed is None else allowed, source)
    _require_columns(locator.src, names, frame.columns)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = _Evaluator(locator, frame, _implementations()).value(tree.body)
    return result if isinstance(result, pd.Series) else pd.Series(result, index=frame.index)


class _Evaluator:
    """Computes a checked expression tree over the columns of a frame."""

    def __init__(self, locator: _Locator, frame, functions: dict):
        self.at = locator
        self.frame = frame
        self.functions = functions

    def value(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._column(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.BinOp):
            symbol, function = {**_ARITHMETIC, **_LOGICAL}[type(node.op)]
            left, right = self.value(node.left), self.value(node.right)
            where = self.at.operator(symbol, node.left, node.right)
            if type(node.op) in _LOGICAL:
                left, right = self._condition(left, where), self._condition(right, where)
            return self._apply(function, where, left, right)
        if isinstance(node, ast.BoolOp):
            symbol, function = _LOGICAL[ast.BitAnd if isinstance(node.op, ast.And) else ast.BitOr]
            values = [self.value(value) for value in node.values]
            where = self.at.operator("and" if symbol == "&" else "or", node.values[0], node.values[1])
            result = self._condition(values[0], where)
            for value in values[1:]:
                result = self._apply(function, where, result, self._condition(value, where))
            return result
        if isinstance(node, ast.Compare):
            return self._compare(node)
        # The checker leaves only calls of the expression functions, with one positional argument.
        where = (self.at.span(node)[0], node.func.id)
        return self._apply(self.functions[node.func.id], where, self.value(node.args[0]))

    def _column(self, node: ast.Name):
        import pandas as pd

        column = self.frame[node.id]
        if not isinstance(column, pd.Series):
            raise self.at.src.error(self.at.span(node)[0], node.id, "names more than one column of the data")
        return column

    def _unary(self, node: ast.UnaryOp):
        operand = self.value(node.operand)
        where = (self.at.span(node)[0], "not" if isinstance(node.op, ast.Not) else self.at.text(node)[:1])
        if isinstance(node.op, ast.USub):
            return self._apply(operator.neg, where, operand)
        if isinstance(node.op, ast.UAdd):
            return self._apply(operator.pos, where, operand)
        return self._negate(self._condition(operand, where))

    def _compare(self, node: ast.Compare):
        # A chain a < b < c is (a < b) & (b < c), as pandas reads it; `in` is never chained.
        operands = [node.left, *node.comparators]
        left, result = self.value(node.left), None
        for index, op in enumerate(node.ops):
            symbol, function = _COMPARISONS[type(op)]
            left_node, right_node = operands[index], operands[index + 1]
            where = self.at.operator(symbol, left_node, right_node)
            if isinstance(op, (ast.In, ast.NotIn)):
                part = self._member(left, [_literal(element) for element in right_node.elts], isinstance(op, ast.NotIn))
            else:
                right = self.value(right_node)
                # pandas turns `x == 'a'` into `x in ['a']`: a missing value is never equal to a text,
                # whatever the column's missing-value marker (NaN or pd.NA).
                if isinstance(op, (ast.Eq, ast.NotEq)) and _is_text(right_node):
                    part = self._member(left, [right_node.value], isinstance(op, ast.NotEq))
                elif isinstance(op, (ast.Eq, ast.NotEq)) and _is_text(left_node):
                    part = self._member(right, [left_node.value], isinstance(op, ast.NotEq))
                else:
                    part = self._apply(function, where, left, right)
                left = right
            result = part if result is None else self._apply(operator.and_, where, result, part)
        return result

    def _member(self, value, members: list, negated: bool):
        found = value.isin(members) if hasattr(value, "isin") else value in members
        return self._negate(found) if negated else found

    def _condition(self, value, where: tuple[int, str]):
        import numpy as np
        import pandas as pd

        if isinstance(value, (bool, np.bool_)) or (isinstance(value, pd.Series)
                                                   and pd.api.types.is_bool_dtype(value.dtype)):
            return value
        kind = value.dtype if isinstance(value, pd.Series) else type(value).__name__
        raise self.at.src.error(*where, f"needs conditions (true/false values: comparisons, isna, notna) on "
                                f"both sides, not {kind}")

    @staticmethod
    def _negate(value):
        import numpy as np

        return ~value if hasattr(value, "dtype") and np.ndim(value) else not value

    def _apply(self, function, where: tuple[int, str], *operands):
        try:
            return function(*operands)
        except (TypeError, ValueError, ArithmeticError, NotImplementedError) as exc:
            raise self.at.src.error(*where, f"cannot be computed on these values ({exc})") from exc
