"""The project's one checked grammar for the expressions and formulas written in its data files.

Configuration, codebook, crosswalk and hypotheses-register files are edited in spreadsheets and sent
between co-authors, so opening a colleague's project must never run their code. Two kinds of strings
in them compute something:

* **expressions** (derived variables, yes/no outcomes, event and censoring times, the codebook's
  ``relevant`` conditions), which used to go to ``DataFrame.eval``/``query``;
* **formulas** (patsy right-hand sides such as ``trust + C(sector, Treatment('services'))``), whose
  terms patsy evaluates with Python's ``eval`` and every builtin in reach.

Each string is parsed with :mod:`ast` and accepted only if every node is on an allow-list: names the
caller declares (codebook columns, derived variables), literals, arithmetic, comparisons, boolean
operators, ``in`` a literal list, and a closed list of functions. Expressions are then evaluated by
walking the checked tree over pandas Series (no ``eval``, no pandas ``eval``); formulas are split by
patsy's own parser, every Python factor is checked with the same allow-list, and only then does patsy
build the design matrix, from the very :class:`patsy.desc.ModelDesc` that was checked. The accepted
grammar is documented for users in ``docs/expressions.md``.

Generic: nothing here knows about the survey.
"""

from __future__ import annotations

import ast
import difflib
import functools
import io
import operator
import re
import tokenize
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ExpressionError", "check_expression", "evaluate", "check_formula", "formula_variables",
           "design_matrix", "design_matrices", "EXPRESSION_FUNCTIONS", "FORMULA_FUNCTIONS", "CONTRASTS",
           "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT", "MAX_TERMS"]

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


class ExpressionError(ValueError):
    """An expression or formula the grammar refuses, or cannot evaluate on the data given.

    The message names the source, the offending token and its 1-based column in the original string,
    and shows the string with a caret line under the token.

    Attributes
    ----------
    source : str
        Where the string comes from, e.g. ``config/config.yaml: choice.formula``.
    text : str
        The string as the user wrote it.
    token : str
        The offending token (shortened to 30 characters).
    column : int
        1-based position of the token in ``text``.
    reason : str
        What is wrong, without the location.
    """

    def __init__(self, reason: str, *, source: str, text: str, token: str, column: int):
        self.reason = reason
        self.source = source
        self.text = text
        self.token = _short(token)
        self.column = column
        shown, caret_at = _window(_printable(text), column - 1)
        width = max(1, min(len(self.token), len(shown) - caret_at))
        super().__init__(f"{source}: `{self.token}` at column {column}: {reason}\n    {shown}\n"
                         f"    {' ' * caret_at}{'^' * width}")

    def __reduce__(self):
        # Keyword-only arguments: rebuild from them, so the error crosses process boundaries (joblib).
        return functools.partial(ExpressionError, source=self.source, text=self.text, token=self.token,
                                 column=self.column), (self.reason,)


def _short(token: str) -> str:
    return token if len(token) <= 30 else token[:29] + "…"


def _printable(text: str) -> str:
    # One character for one character, so that the caret stays under the token.
    return "".join(" " if ch in "\t\r\n" else "?" if unicodedata.category(ch) in ("Cc", "Cf") else ch
                   for ch in text)


def _window(text: str, index: int, width: int = 100) -> tuple[str, int]:
    """At most ``width`` characters of ``text`` around ``index``, and where ``index`` falls in them."""
    if len(text) <= width:
        return text, index
    start = min(max(0, index - width // 2), len(text) - width)
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return prefix + text[start:start + width] + suffix, index - start + len(prefix)


# ---- reading a string --------------------------------------------------------------------------------

class _Source:
    """A user string as the checker reads it.

    Line breaks become spaces, as patsy's tokenizer does, so that a multi-line spreadsheet cell parses
    as one line; leading blanks are set aside because Python would read them as indentation. Offsets
    are character offsets into ``code``; errors report columns in the original ``text``.
    """

    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        flat = text.replace("\r", " ").replace("\n", " ")
        self.lead = len(flat) - len(flat.lstrip())
        self.code = flat[self.lead:]

    def error(self, offset: int, token: str, reason: str) -> ExpressionError:
        return ExpressionError(reason, source=self.source, text=self.text, token=token,
                               column=self.lead + offset + 1)


def _read(text: object, source: str, kind: str) -> _Source:
    """The limits every string must meet before Python or patsy tokenizes it."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected the text of {kind}, got {type(text).__name__}", source=source,
                              text=str(text), token=str(text), column=1)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{kind} is longer than {MAX_LENGTH} characters", source=source, text=text,
                              token=text[MAX_LENGTH], column=MAX_LENGTH + 1)
    for index, character in enumerate(text):
        # Control and invisible formatting characters (bidirectional overrides, zero-width joiners)
        # can make a cell display differently from what is parsed.
        if character not in "\t\r\n" and unicodedata.category(character) in ("Cc", "Cf"):
            raise ExpressionError("control and invisible characters are not allowed",
                                  source=source, text=text, token=f"\\u{ord(character):04x}", column=index + 1)
    src = _Source(text, source)
    if not src.code.strip():
        raise src.error(0, "", f"{kind} is empty")
    _check_tokens(src)
    return src


def _check_tokens(src: _Source) -> None:
    """Refuse what is seen in tokens, not in a syntax tree: `@`, comments, unterminated strings."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(src.code).readline):
            # pandas resolves `@name` from the caller's frame; Python's ast cannot even parse it.
            if token.type == tokenize.OP and token.string in ("@", "@="):
                raise src.error(token.start[1], token.string, "not allowed (pandas reads `@name` as a variable "
                                "of the calling program; matrix products are not part of the grammar)")
            # patsy refuses comments; expressions follow, so that a cell never hides text from the check
            if token.type == tokenize.COMMENT:
                raise src.error(token.start[1], token.string, "comments are not allowed")
    except tokenize.TokenError as exc:
        # patsy's tokenizer takes this for the end of the formula and silently drops the rest.
        if "string" in exc.args[0]:
            column = exc.args[1][1]
            raise src.error(column, src.code[column:column + 3], "this string is never closed") from None
    except SyntaxError:
        return  # malformed: the parser reports it with its position


# ---- the grammar ---------------------------------------------------------------------------------------

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

# Which problem a message names: a forbidden construct if there is one, else an unknown name, else an
# ambiguous precedence, else a misuse of an allowed construct; the leftmost of its tier, the shortest
# token at the same place (the innermost node).
_FORBIDDEN, _UNKNOWN, _AMBIGUOUS, _MISUSE = 0, 1, 2, 3


def _pattern(symbol: str) -> str:
    return r"\s+".join(rf"\b{word}\b" if word.isalpha() else re.escape(word) for word in symbol.split())


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


class _Locator:
    """Character offsets, in ``src.code``, of the nodes Python parsed from ``src.code[start:end]``.

    ``ast`` positions are UTF-8 byte columns; the user counts characters.
    """

    def __init__(self, src: _Source, start: int, end: int):
        self.src = src
        self.start = start
        self.end = end
        self.code = src.code[start:end]
        self._bytes = self.code.encode("utf-8")

    def offset(self, column: int) -> int:
        return self.start + len(self._bytes[:column].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.offset(node.col_offset), self.offset(node.end_col_offset)

    def text(self, node: ast.AST) -> str:
        begin, end = self.span(node)
        return self.src.code[begin:end]

    def find(self, pattern: str, begin: int, end: int) -> tuple[int, str]:
        """The first match of ``pattern`` between two offsets (an operator between its operands)."""
        match = re.compile(pattern).search(self.src.code, begin, end)
        return (match.start(), match.group()) if match else (begin, self.src.code[begin:end].strip())

    def operator(self, symbol: str, left: ast.AST, right: ast.AST) -> tuple[int, str]:
        return self.find(_pattern(symbol), self.span(left)[1], self.span(right)[0])

    def parenthesised(self, node: ast.AST) -> bool:
        begin, end = self.span(node)
        return (self.src.code[self.start:begin].rstrip().endswith("(")
                and self.src.code[end:self.end].lstrip().startswith(")"))

    def parse(self) -> ast.Expression:
        try:
            with warnings.catch_warnings():
                # e.g. "invalid decimal literal" for `1and`: the grammar's own messages say what matters
                warnings.simplefilter("ignore", SyntaxWarning)
                return ast.parse(self.code, mode="eval")
        except SyntaxError as exc:
            if not exc.offset:  # Python found the end of the text too early
                raise self.src.error(self.start + len(self.code.rstrip()), "", f"not a valid expression "
                                     f"({exc.msg}: it stops too early)") from None
            begin = self.start + min(exc.offset - 1, len(self.code))
            width = max(1, (exc.end_offset or 0) - exc.offset) if exc.end_lineno in (None, 1) else 1
            raise self.src.error(begin, self.src.code[begin:begin + width], f"not a valid expression "
                                 f"({exc.msg})") from None
        except (RecursionError, MemoryError):
            raise self.src.error(self.start, self.code[:1], f"nested more than {MAX_DEPTH} levels deep") from None


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
    for offset, name in names:
        if name not in frame.columns:
            raise locator.src.error(offset, name, "not a column of the data")
    functions = {"log": np.log, "log1p": np.log1p, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs,
                 "isna": pd.isna, "notna": pd.notna}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = _Evaluator(locator, frame, functions).value(tree.body)
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


# ---- formulas -----------------------------------------------------------------------------------------

_FORMULA_ATOMS = ("PYTHON_EXPR", "ZERO", "ONE", "NUMBER")


def _patsy_error(src: _Source, exc) -> ExpressionError:
    reason = f"patsy cannot read this formula ({exc.message})"
    origin = exc.origin
    if origin is None:
        return src.error(0, src.code[:1], reason)
    return src.error(origin.start, origin.code[origin.start:origin.end], reason)


def _checked_formula(formula: str, allowed: Iterable[str], source: str):
    """The checked :class:`patsy.desc.ModelDesc` of ``formula`` and the variables with their offsets."""
    from patsy import PatsyError
    from patsy.desc import ModelDesc
    from patsy.eval import EvalFactor
    from patsy.parse_formula import parse_formula

    src = _read(formula, source, "the formula")
    try:
        tree = parse_formula(src.code)
    except PatsyError as exc:
        raise _patsy_error(src, exc) from None
    _limit_formula_depth(src, tree)
    allowed = _allowed(allowed)
    names: list[tuple[int, str]] = []
    checked: set[str] = set()
    _check_terms(src, tree, allowed, names, checked)
    try:
        description = ModelDesc.from_formula(tree)
    except PatsyError as exc:
        raise _patsy_error(src, exc) from None
    for term in description.lhs_termlist + description.rhs_termlist:
        for factor in term.factors:
            # Defence in depth: patsy must evaluate exactly the factors that were checked.
            if not (isinstance(factor, EvalFactor) and factor.code in checked):
                raise src.error(0, src.code[:1], f"patsy produced a factor that was not checked: {factor!r}")
    return description, names


def _limit_formula_depth(src: _Source, tree) -> None:
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            origin = node.origin
            raise src.error(origin.start, origin.code[origin.start:origin.end],
                            f"the formula is nested more than {MAX_DEPTH} levels deep")
        stack.extend((arg, depth + 1) for arg in node.args)


def _check_terms(src: _Source, node, allowed: frozenset[str], names: list, checked: set) -> int:
    """Check a patsy parse tree; return an upper bound on the number of terms it expands to."""
    from patsy.eval import EvalFactor

    if node.type in _FORMULA_ATOMS:
        if node.type == "PYTHON_EXPR":
            origin = node.origin
            locator = _Locator(src, origin.start, origin.end)
            checker = _Checker(locator, allowed, formula=True)
            tree = checker.run()
            # patsy evaluates its own re-spaced copy of the text: it must parse to the same tree.
            try:
                same = ast.dump(ast.parse(node.token.extra, mode="eval")) == ast.dump(tree)
            except SyntaxError:
                same = False
            if not same:
                raise src.error(origin.start, locator.code, "patsy would evaluate a different text")
            names.extend(checker.names)
            checked.add(EvalFactor(node.token.extra).code)
        return 1
    sizes = [_check_terms(src, arg, allowed, names, checked) for arg in node.args]
    if node.type == ":" and len(sizes) == 2:
        total = sizes[0] * sizes[1]
    elif node.type == "*" and len(sizes) == 2:
        total = sizes[0] + sizes[1] + sizes[0] * sizes[1]
    elif node.type == "**" and len(sizes) == 2:
        # patsy raises to at most as many terms as there are: (a + b) ** 100 is (a + b) ** 2.
        extra = node.args[1].token.extra if node.args[1].type in ("ONE", "NUMBER") else "1"
        power = min(int(extra) if extra.isdigit() else 1, sizes[0])
        total, level = 0, 1
        for _ in range(power):
            level *= sizes[0]
            total += level
            if total > MAX_TERMS:
                break
    else:
        total = sum(sizes)
    if total > MAX_TERMS:
        origin = node.token.origin
        raise src.error(origin.start, origin.code[origin.start:origin.end],
                        f"the formula expands to more than {MAX_TERMS} terms")
    return total


def check_formula(formula: str, allowed: Iterable[str], source: str = "formula") -> list[str]:
    """Check a patsy formula against the grammar, without evaluating anything.

    patsy's own parser splits the formula into operators (``~ + - * / : **``, ``0``, ``1``, ``-1``)
    and Python factors; every factor is checked with the expression grammar plus the formula
    functions (``C``, ``I``, ``center``, ``standardize``, ``scale``, and ``Treatment``, ``Sum``,
    ``Poly`` as C()'s contrast).

    Parameters
    ----------
    formula : str
        A right-hand side (``trust + C(sector, Treatment('services'))``) or a whole ``y ~ x`` formula.
    allowed : iterable of str
        The variable names it may use.
    source : str, default="formula"
        Where the string comes from, for the error message, e.g. ``config/config.yaml: choice.formula``.

    Returns
    -------
    variables : list of str
        The variables it uses, each once, in order of first appearance.

    Raises
    ------
    ExpressionError
        If the formula is outside the grammar or patsy cannot parse it.
    """
    _, names = _checked_formula(formula, allowed, source)
    return _in_order(names)


def formula_variables(formula: str, columns: Iterable[str], source: str = "formula") -> list[str]:
    """The data columns a formula uses, in order of appearance, read from its checked syntax tree.

    Replaces the regular expression of ``alliancegov.stats.formulas.formula_variables``: function
    names, keywords and the text in quotes are never taken for columns.

    Parameters
    ----------
    formula : str
        A patsy formula.
    columns : iterable of str
        The columns of the data (every name the formula may use).
    source : str, default="formula"
        Where the string comes from, for the error message.

    Returns
    -------
    variables : list of str
        The columns it uses, each once, in order of first appearance.

    Raises
    ------
    ExpressionError
        If the formula is outside the grammar, including a name that is not a column.
    """
    return check_formula(formula, columns, source)


def _environment():
    """The only namespace patsy evaluates checked factors in.

    Not the security gate: patsy appends its own builtins (``bs``, ``Q``, ...) and Python's
    ``eval`` reaches every builtin from an empty globals dict. The check of each factor is the gate;
    this keeps the caller's variables out and gives the formula functions their numpy meaning.
    """
    import numpy as np
    import pandas as pd
    from patsy import EvalEnvironment, builtins

    namespace = {name: getattr(builtins, name) for name in ("C", "I", "center", "standardize", "scale", *CONTRASTS)}
    namespace.update(log=np.log, log1p=np.log1p, exp=np.exp, sqrt=np.sqrt, abs=np.abs, isna=pd.isna, notna=pd.notna)
    return EvalEnvironment([namespace])


def _design_input(formula: str, data, allowed: Iterable[str] | None, source: str):
    description, names = _checked_formula(formula, data.columns if allowed is None else allowed, source)
    for offset, name in names:
        if name not in data.columns:
            raise _Source(formula, source).error(offset, name, "not a column of the data")
    return description


def design_matrix(formula: str, data, allowed: Iterable[str] | None = None, source: str = "formula", **options):
    """Check a right-hand-side formula, then build its design matrix with patsy.

    Parameters
    ----------
    formula : str
        A right-hand side, e.g. ``asset_specificity + trust + C(sector, Treatment('services'))``.
    data : pandas.DataFrame of shape (n_rows, n_columns)
        The data; variables are its columns.
    allowed : iterable of str, default=None
        The variable names the formula may use; None allows every column of ``data``.
    source : str, default="formula"
        Where the string comes from, for error messages.
    **options
        Passed to :func:`patsy.dmatrix` (``NA_action``, ``return_type``; ``return_type`` defaults to
        ``"dataframe"`` here). ``eval_env`` is fixed by this function.

    Returns
    -------
    matrix : pandas.DataFrame of shape (n_used_rows, n_design_columns)
        The design matrix (or what ``return_type`` asks for); rows with missing values are dropped
        unless ``NA_action`` says otherwise.

    Raises
    ------
    ExpressionError
        If the formula is outside the grammar or uses a variable missing from ``data``.
    patsy.PatsyError
        If patsy cannot build the matrix from these data (e.g. a reference level that does not occur).
    """
    import patsy

    options.setdefault("return_type", "dataframe")
    return patsy.dmatrix(_design_input(formula, data, allowed, source), data, eval_env=_environment(), **options)


def design_matrices(formula: str, data, allowed: Iterable[str] | None = None, source: str = "formula",
                    **options):
    """Check a ``y ~ x`` formula, then build its outcome and design matrices with patsy.

    Parameters
    ----------
    formula : str
        A whole formula, e.g. ``performance_index ~ trust + C(sector, Treatment('services'))``.
    data : pandas.DataFrame of shape (n_rows, n_columns)
        The data; variables are its columns.
    allowed : iterable of str, default=None
        The variable names the formula may use; None allows every column of ``data``.
    source : str, default="formula"
        Where the string comes from, for error messages.
    **options
        Passed to :func:`patsy.dmatrices`, as for :func:`design_matrix`.

    Returns
    -------
    outcome : pandas.DataFrame of shape (n_used_rows, n_outcome_columns)
        The left-hand side.
    design : pandas.DataFrame of shape (n_used_rows, n_design_columns)
        The right-hand side.

    Raises
    ------
    ExpressionError
        If the formula is outside the grammar or uses a variable missing from ``data``.
    patsy.PatsyError
        If patsy cannot build the matrices (e.g. the formula has no left-hand side).
    """
    import patsy

    options.setdefault("return_type", "dataframe")
    return patsy.dmatrices(_design_input(formula, data, allowed, source), data, eval_env=_environment(),
                           **options)
