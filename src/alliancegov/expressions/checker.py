"""The allow-list walk over a parsed string, shared by expressions and the Python factors of formulas.

Every node must be one the grammar allows (:mod:`alliancegov.expressions.grammar`); names must be
declared variables, written in plain characters (no look-alikes that Python reads as other names).
Also the small helpers on the names a walk found: as a set of allowed names, in order, among the data's
columns.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable

from alliancegov.expressions.grammar import (
    _ARITHMETIC,
    _COMPARISONS,
    _CONSTRUCTS,
    _EXPRESSION_SIGNATURES,
    _FORMULA_SIGNATURES,
    _LOGICAL,
    _REFUSED_OPERATORS,
    _SCALARS,
    CONTRASTS,
    MAX_DEPTH,
    MAX_EXPONENT,
    _is_literal,
    _number,
    _Signature,
)
from alliancegov.expressions.reading import _Locator, _Source

# Which problem a message names: a forbidden construct if there is one, else an unknown name, else an
# ambiguous precedence, else a misuse of an allowed construct; the leftmost of its tier, the shortest
# token at the same place (the innermost node).
_FORBIDDEN, _UNKNOWN, _AMBIGUOUS, _MISUSE = 0, 1, 2, 3


class _Checker:
    """Walks a parsed string and records every construct outside the grammar.

    Parameters
    ----------
    locator : _Locator
        The string and its positions.
    allowed : frozenset of str
        Variable names the string may use.
    formula : bool
        Whether the string is a patsy factor: formula functions allowed; ``and``, ``or``, ``not``,
        ``in`` and chained comparisons refused, because patsy evaluates them with Python's rules,
        which do not apply them element by element.
    """

    def __init__(self, locator: _Locator, allowed: frozenset[str], formula: bool):
        self.at = locator
        self.allowed = allowed
        self.formula = formula
        self.functions = _FORMULA_SIGNATURES if formula else _EXPRESSION_SIGNATURES
        self.problems: list[tuple[int, int, str, str]] = []
        self.names: list[tuple[int, str]] = []

    def run(self) -> ast.Expression:
        tree = self.at.parse()
        self._limit_depth(tree)
        self._value(tree.body)
        if self.problems:
            _, offset, token, reason = min(self.problems, key=lambda p: (p[0], p[1], len(p[2])))
            raise self.at.src.error(offset, token, reason)
        return tree

    def _limit_depth(self, tree: ast.Expression) -> None:
        # Iteratively, before any recursive walk (ours, patsy's or Python's compiler) meets the tree.
        stack = [(tree.body, 1, tree.body)]
        while stack:
            node, depth, anchor = stack.pop()
            anchor = node if hasattr(node, "col_offset") else anchor
            if depth > MAX_DEPTH:
                raise self.at.src.error(self.at.span(anchor)[0], self.at.text(anchor),
                                        f"nested more than {MAX_DEPTH} levels deep")
            stack.extend((child, depth + 1, anchor) for child in ast.iter_child_nodes(node))

    def _problem(self, tier: int, offset: int, token: str, reason: str) -> None:
        self.problems.append((tier, offset, token, reason))

    def _refuse(self, tier: int, node: ast.AST, reason: str) -> None:
        self._problem(tier, self.at.span(node)[0], self.at.text(node), reason)

    # -- a node where a value is expected

    def _value(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if type(node.value) not in _SCALARS:
                self._refuse(_MISUSE, node, "only numbers, text in quotes, True, False and None are literals")
        elif isinstance(node, ast.Name):
            self._variable(node)
        elif isinstance(node, ast.BinOp):
            self._binary(node)
        elif isinstance(node, ast.UnaryOp):
            self._unary(node)
        elif isinstance(node, ast.BoolOp):
            self._boolean(node)
        elif isinstance(node, ast.Compare):
            self._compare(node)
        elif isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            where = "after `in`/`not in`" + (" or as C()'s levels" if self.formula else "")
            self._refuse(_MISUSE, node, f"lists, tuples and sets are only allowed {where}")
            self._children(node)
        else:
            self._construct(node)

    def _children(self, node: ast.AST) -> None:
        # Inside a refused or misused construct, keep looking: a forbidden call there must be named.
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._value(child)
            else:
                self._children(child)

    def _construct(self, node: ast.AST) -> None:
        begin, end = self.at.span(node)
        token = self.at.text(node)
        if isinstance(node, ast.Attribute):
            dot, text = self.at.find(r"\.\s*", self.at.span(node.value)[1], end)
            begin = dot + len(text)
            token = self.at.src.code[begin:end]
        elif isinstance(node, ast.Subscript):
            begin, token = self.at.find(r"\[", self.at.span(node.value)[1], end)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            first = node.value if isinstance(node, ast.DictComp) else node.elt
            begin, token = self.at.find(r"\bfor\b", self.at.span(first)[1], end)
        elif isinstance(node, ast.IfExp):
            begin, token = self.at.find(r"\bif\b", self.at.span(node.body)[1], self.at.span(node.test)[0])
        elif isinstance(node, ast.NamedExpr):
            begin, token = self.at.operator(":=", node.target, node.value)
        elif isinstance(node, ast.Dict):
            token = "{"
        elif isinstance(node, ast.JoinedStr):
            token = re.match(r"[A-Za-z]*('''|\"\"\"|'|\")", token).group()
        elif isinstance(node, (ast.Lambda, ast.Await, ast.Yield, ast.YieldFrom, ast.Starred)):
            token = re.match(r"\*|\w+(\s+from\b)?", token).group()
        reason = f"{_CONSTRUCTS.get(type(node), 'this kind of Python expression')} is not allowed"
        if isinstance(node, ast.Attribute) and node.attr in self.functions:
            reason += f" (write {node.attr}(...))"
        self._problem(_FORBIDDEN, begin, token, reason)
        self._children(node)

    def _identifier(self, name: str, written: str, offset: int) -> bool:
        """Whether a name is written in plain characters and is not a dunder; records why not."""
        if written != name:
            # Python reads identifiers after NFKC normalisation: `ｅｖａｌ` is `eval`.
            self._problem(_FORBIDDEN, offset, written, f"written with characters that Python reads as `{name}`; "
                          "write names in plain characters")
            return False
        if name.startswith("__"):
            self._problem(_FORBIDDEN, offset, name, "names starting with `__` are not allowed")
            return False
        return True

    def _variable(self, node: ast.Name) -> None:
        begin = self.at.span(node)[0]
        if not self._identifier(node.id, self.at.text(node), begin):
            return
        if node.id in self.allowed:
            self.names.append((begin, node.id))
        elif node.id in self.functions:
            self._problem(_MISUSE, begin, node.id, f"a function: write {node.id}(...)")
        else:
            close = difflib.get_close_matches(node.id, sorted(self.allowed), n=3)
            hint = f" (did you mean {', '.join(f'`{c}`' for c in close)}?)" if close else ""
            self._problem(_UNKNOWN, begin, node.id, f"not a variable of this data{hint}")

    def _binary(self, node: ast.BinOp) -> None:
        kind = type(node.op)
        if kind in _ARITHMETIC:
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and not isinstance(side.value, (int, float)):
                    self._refuse(_MISUSE, side, f"`{_ARITHMETIC[kind][0]}` computes with numbers, not text or None")
            if kind is ast.Pow:
                self._power(node)
        elif kind in _LOGICAL:
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and not isinstance(side.value, bool):
                    self._refuse(_MISUSE, side, f"`{_LOGICAL[kind][0]}` combines conditions (true/false values)")
        else:
            begin, token = self.at.operator(_REFUSED_OPERATORS[kind], node.left, node.right)
            self._problem(_FORBIDDEN, begin, token, "this operator is not allowed")
        self._value(node.left)
        self._value(node.right)

    def _power(self, node: ast.BinOp) -> None:
        # Python computes integer powers exactly: `9 ** 9 ** 9` would not finish. A small literal
        # exponent on a base without `**` keeps every computation on literals small.
        exponent = _number(node.right)
        if exponent is None or abs(exponent) > MAX_EXPONENT:
            self._refuse(_MISUSE, node.right, f"the exponent of `**` must be a number written out, between "
                         f"-{MAX_EXPONENT} and {MAX_EXPONENT}")
        if any(isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Pow) for inner in ast.walk(node.left)):
            begin, token = self.at.operator("**", node.left, node.right)
            self._problem(_MISUSE, begin, token, "`**` cannot apply to a result of `**` (use sqrt, exp or log)")

    def _unary(self, node: ast.UnaryOp) -> None:
        operand = node.operand
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if isinstance(operand, ast.Constant) and not isinstance(operand.value, (int, float)):
                self._refuse(_MISUSE, node, "a sign applies to numbers, not to text or None")
        else:
            if isinstance(operand, ast.Constant) and not isinstance(operand.value, bool):
                self._refuse(_MISUSE, node, "`~` and `not` apply to conditions (true/false values)")
            if isinstance(node.op, ast.Not):
                if self.formula:
                    self._problem(_MISUSE, self.at.span(node)[0], "not", "not allowed in formulas: write "
                                  "~(...) inside I(...)")
                self._require_parentheses(operand, "not")
        self._value(operand)

    def _boolean(self, node: ast.BoolOp) -> None:
        word = "and" if isinstance(node.op, ast.And) else "or"
        if self.formula:
            begin, token = self.at.operator(word, node.values[0], node.values[1])
            self._problem(_MISUSE, begin, token, f"not allowed in formulas: write {'&' if word == 'and' else '|'} "
                          "inside I(...)")
        for value in node.values:
            self._require_parentheses(value, word)
            self._value(value)

    def _require_parentheses(self, node: ast.AST, outer: str) -> None:
        # pandas reads `a == 1 | b == 2` as `(a == 1) | (b == 2)`, Python as `a == (1 | b) == 2`:
        # where the two readings differ, ask for parentheses instead of choosing one.
        if isinstance(node, ast.BinOp) and type(node.op) in _LOGICAL and not self.at.parenthesised(node):
            begin, token = self.at.operator(_LOGICAL[type(node.op)][0], node.left, node.right)
            self._problem(_AMBIGUOUS, begin, token, f"put parentheses around this `{token}` expression next to "
                          f"`{outer}`: pandas and Python would read it differently")

    def _compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        if len(node.ops) > 1 and self.formula:
            begin, token = self.at.operator(_COMPARISONS[type(node.ops[1])][0], operands[1], operands[2])
            self._problem(_MISUSE, begin, token, "chained comparisons are not allowed in formulas")
        listed = set()
        for index, op in enumerate(node.ops):
            right = operands[index + 1]
            begin, token = self.at.operator(_COMPARISONS[type(op)][0], operands[index], right)
            if isinstance(op, (ast.Is, ast.IsNot)):
                self._problem(_MISUSE, begin, token, "not allowed: test missing values with isna(x) or notna(x)")
            elif isinstance(op, (ast.In, ast.NotIn)):
                listed.add(index + 1)
                if self.formula:
                    self._problem(_MISUSE, begin, token, "not allowed in formulas")
                elif len(node.ops) > 1:
                    self._problem(_MISUSE, begin, token, "cannot be chained with other comparisons")
                self._literals(right, f"`{token}` needs a list of literals, like ['a', 'b']",
                               (ast.List, ast.Tuple, ast.Set))
        for index, operand in enumerate(operands):
            self._require_parentheses(operand, _COMPARISONS[type(node.ops[max(index - 1, 0)])][0])
            if index not in listed:
                self._value(operand)

    def _literals(self, node: ast.AST, reason: str, containers: tuple[type, ...] = (ast.List, ast.Tuple),
                  numbers: bool = False) -> None:
        if not isinstance(node, containers):
            self._refuse(_MISUSE, node, reason)
            self._value(node)
            return
        for element in node.elts:
            if not (_number(element) is not None if numbers else _is_literal(element)):
                self._refuse(_MISUSE, element, reason)
                self._value(element)

    def _call(self, node: ast.Call, contrast: bool = False) -> None:
        function = node.func
        if not isinstance(function, ast.Name):
            self._refuse(_MISUSE, function, f"only these functions can be called: {self._function_list()}")
            self._children(node)
            return
        name = function.id
        begin = self.at.span(function)[0]
        if not self._identifier(name, self.at.text(function), begin):
            self._call_arguments(node)
            return
        signature = self.functions.get(name)
        if signature is None:
            if name in _FORMULA_SIGNATURES:
                self._problem(_MISUSE, begin, name, "only allowed in formulas")
            else:
                self._problem(_FORBIDDEN, begin, name, f"not an allowed function; allowed: {self._function_list()}")
            self._call_arguments(node)
            return
        if name in CONTRASTS and not contrast:
            self._problem(_MISUSE, begin, name, f"only allowed as the contrast of C(), as in C(x, {name}(...))")
        self._arguments(node, name, signature)

    def _call_arguments(self, node: ast.Call) -> None:
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            self._value(argument)

    def _function_list(self) -> str:
        return ", ".join(name for name in self.functions if name not in CONTRASTS)

    def _arguments(self, node: ast.Call, name: str, signature: _Signature) -> None:
        parameters = dict(signature.parameters)
        given: dict[str, ast.AST] = {}
        for index, argument in enumerate(node.args):
            if isinstance(argument, ast.Starred):
                self._construct(argument)
            elif index >= len(parameters):
                self._refuse(_MISUSE, argument, f"{name}() takes at most {len(parameters)} "
                             f"argument{'s' if len(parameters) > 1 else ''}")
                self._value(argument)
            else:
                given[signature.parameters[index][0]] = argument
        for keyword in node.keywords:
            begin = self.at.offset(keyword.col_offset)
            if keyword.arg is None:
                self._problem(_FORBIDDEN, begin, "**", "keyword unpacking is not allowed")
                self._value(keyword.value)
                continue
            written = re.match(r"\w*", self.at.src.code[begin:]).group()
            if not self._identifier(keyword.arg, written, begin):
                self._value(keyword.value)
            elif parameters.get(keyword.arg, "value") == "value" or not signature.by_name:
                # Options may be named; the data a function applies to is always its first argument.
                options = [p for p, kind in signature.parameters if kind != "value"] if signature.by_name else []
                expected = f"its keyword arguments are {', '.join(options)}" if options else "it takes none"
                self._problem(_MISUSE, begin, keyword.arg, f"not a keyword argument of {name}(): {expected}")
                self._value(keyword.value)
            elif keyword.arg in given:
                self._problem(_MISUSE, begin, keyword.arg, f"{name}() is given `{keyword.arg}` twice")
                self._value(keyword.value)
            else:
                given[keyword.arg] = keyword.value
        for parameter, _ in signature.parameters[:signature.required]:
            if parameter not in given:
                end = self.at.span(node)[1]
                self._problem(_MISUSE, end - 1, self.at.src.code[end - 1:end], f"{name}() needs its argument "
                              f"`{parameter}`")
        for parameter, argument in given.items():
            self._argument(argument, parameters[parameter], f"`{parameter}` of {name}()")

    def _argument(self, node: ast.AST, kind: str, what: str) -> None:
        if kind == "value":
            self._value(node)
        elif kind == "literals":
            self._literals(node, f"{what} must be a list of literals, like ['a', 'b']")
        elif kind == "numbers":
            self._literals(node, f"{what} must be a list of numbers, like [1, 2, 4]", numbers=True)
        elif (kind == "contrast" and isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in CONTRASTS):
            self._call(node, contrast=True)
        else:
            accepted = {"literal": _is_literal(node),
                        "flag": isinstance(node, ast.Constant) and isinstance(node.value, bool),
                        "count": isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0,
                        "contrast": False}[kind]
            if not accepted:
                expected = {"literal": "a literal (a number, text in quotes, True, False or None)",
                            "flag": "True or False", "count": "a whole number",
                            "contrast": f"one of {', '.join(f'{c}(...)' for c in CONTRASTS)}"}[kind]
                self._refuse(_MISUSE, node, f"{what} must be {expected}")
                if not (kind == "contrast" and isinstance(node, ast.Name)):  # C(x, Helmert): say what C takes
                    self._value(node)


def _allowed(names: Iterable[str]) -> frozenset[str]:
    return frozenset(str(name) for name in names)


def _in_order(names: list[tuple[int, str]]) -> list[str]:
    return list(dict.fromkeys(name for _, name in sorted(names)))


def _require_columns(src: _Source, names: list[tuple[int, str]], columns) -> None:
    """Refuse the first checked name that is not among the data's columns."""
    for offset, name in names:
        if name not in columns:
            raise src.error(offset, name, "not a column of the data")
