"""A user string as the checker reads it: its limits, the characters and tokens it may hold, and where
each node that Python parses from it stands, in characters of the original string."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import unicodedata
import warnings

from alliancegov.expressions.errors import ExpressionError
from alliancegov.expressions.grammar import MAX_DEPTH, MAX_LENGTH


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


def _pattern(symbol: str) -> str:
    return r"\s+".join(rf"\b{word}\b" if word.isalpha() else re.escape(word) for word in symbol.split())


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
