"""The figures' style: the journal's column width, one font size, and the rc settings of the theme.

The style in force (:data:`STYLE`) is set by :func:`figure_style` around the drawing of a rule's
figures (:func:`alliancegov.figures.theme.save_figures`), so that every drawing function reads
the same width and font size without passing them along.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

LABEL_WIDTH_CHARS = 28
PNG_DPI = 300
CM_PER_INCH = 2.54
POINTS_PER_INCH = 72
CHAR_WIDTH_EM = 0.55             # a mean character's width in DejaVu Sans, in ems (wrapping labels to a width)
LINE_STYLES = ("-", "--", ":", "-.")


@dataclass(frozen=True)
class FigureStyle:
    """The look every figure shares: the journal's text (or column) width and one font size.

    Attributes
    ----------
    width_cm : float
        The figures' width in centimetres.
    font_size_pt : float
        The size of every text (titles, labels, ticks, legends, notes), in points at that width.
    """

    width_cm: float = 16.0
    font_size_pt: float = 8.0

    @property
    def width_inches(self) -> float:
        """The width in inches (Matplotlib's unit)."""
        return self.width_cm / CM_PER_INCH

    def characters(self, width_inches: float | None = None) -> int:
        """How many characters of the font fit on one line of ``width_inches`` (the figure's width).

        Parameters
        ----------
        width_inches : float, optional
            The line's width; the figure's by default.

        Returns
        -------
        int
            At least 8.
        """
        width = self.width_inches if width_inches is None else width_inches
        return max(8, int(width * POINTS_PER_INCH / (CHAR_WIDTH_EM * self.font_size_pt)))


STYLE: ContextVar[FigureStyle | None] = ContextVar("figure_style", default=None)


def current_style() -> FigureStyle:
    """The style in force: :func:`figure_style`'s, else the default :class:`FigureStyle`.

    Returns
    -------
    FigureStyle
    """
    return STYLE.get() or FigureStyle()


@contextmanager
def figure_style(style: FigureStyle) -> Iterator[FigureStyle]:
    """Draw the figures made inside the ``with`` block in ``style``.

    Parameters
    ----------
    style : FigureStyle

    Yields
    ------
    FigureStyle
        ``style``.
    """
    token = STYLE.set(style)
    try:
        yield style
    finally:
        STYLE.reset(token)


def wrap_to(label: str, share: float = 1.0) -> str:
    """``label`` broken to fit ``share`` of the figure's width at the figure's font size.

    Parameters
    ----------
    label : str
    share : float
        The fraction of the figure's width the text may take (a panel's: 1 / panels).

    Returns
    -------
    str
    """
    style = current_style()
    return wrap(label, style.characters(style.width_inches * share))


def wrap(label: str, width: int = LABEL_WIDTH_CHARS) -> str:
    """``label`` broken into lines of at most ``width`` characters (long French labels).

    Parameters
    ----------
    label : str
    width : int
        Characters per line; a word longer than that is not broken.

    Returns
    -------
    str
        The label with ``\\n`` between lines.
    """
    return textwrap.fill(label, width=width, break_long_words=False)


FONT_SIZE_KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                  "legend.fontsize", "legend.title_fontsize", "figure.titlesize", "figure.labelsize")


def theme_rc(style: FigureStyle | None = None) -> dict:
    """Matplotlib rc settings of the package theme (seaborn whitegrid, paper context).

    Parameters
    ----------
    style : FigureStyle, optional
        The current style (:data:`STYLE`) by default.

    Returns
    -------
    dict
        rc parameters: the DejaVu Sans font bundled with Matplotlib (the PNG does not depend on
        the fonts installed) at the style's one size for every text, a greyscale colour cycle
        with line styles, and no mathtext (a ``$`` in a codebook label stays a dollar sign).
    """
    import seaborn as sns
    from cycler import cycler

    style = style or current_style()
    return {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("paper"),
        # Matplotlib's bundled font, so the PNG does not depend on the fonts installed.
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        **dict.fromkeys(FONT_SIZE_KEYS, style.font_size_pt),
        "axes.titleweight": "normal",
        "axes.prop_cycle": cycler(color=["0.1", "0.35", "0.55", "0.7"], linestyle=list(LINE_STYLES)),
        # Labels come from the codebook; a "$" in one must not start mathtext.
        "text.parse_math": False,
    }
