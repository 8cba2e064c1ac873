"""The error every refusal of the grammar raises, showing the string with a caret under the token."""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["ExpressionError"]


class ExpressionError(ValueError):
    """An expression or formula the grammar refuses, or cannot evaluate on the data given.

    The message names the source, the offending token and its 1-based column in the original string,
    and shows the string with a caret line under the token.

    Parameters
    ----------
    reason : str
        What is wrong, without the location.
    source, text, token, column
        Keyword-only; as the attributes of the same names.

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
