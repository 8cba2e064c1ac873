"""The figures' common look and output.

The theme, the governance forms' labels, colours and markers, locale-aware axes, and byte-stable
saving.

Every figure is drawn on a plain Agg-backed :class:`matplotlib.figure.Figure` (never through
pyplot's global state, so nothing opens a window or touches a notebook's backend) under one
theme: the journal's column width (:class:`FigureStyle`, from the config's ``figures.width_cm``),
one font size for every text, a bundled font, and the governance forms always in codebook order
with the same colour and marker. The forms' colours run from dark to light (cividis, made for
colour-vision deficiencies), so a greyscale print still tells them apart, and lines add a
marker per form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alliancegov.codebook.tables import Codebook
from alliancegov.figures.style import (
    LABEL_WIDTH_CHARS,
    PNG_DPI,
    FigureStyle,
    current_style,
    figure_style,
    theme_rc,
    wrap,
)
from alliancegov.messages import message
from alliancegov.safe_output import visible_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure


FORM = "governance_form"
FORM_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
FORM_PALETTE_RANGE = (0.0, 0.8)  # the part of cividis used: its lightest yellow is too pale on white


def with_count(label: str, n: int, language: str, width: int = LABEL_WIDTH_CHARS) -> str:
    """``label (n = N)`` wrapped to ``width``, never breaking inside "(n = N)" (no-break spaces).

    Parameters
    ----------
    label : str
    n : int
        The count shown.
    language : {"fr", "en"}
    width : int
        Characters per line.

    Returns
    -------
    str
    """
    count = message("figures.group_size", language, label="", n=n).strip().replace(" ", "\u00a0")
    return wrap(f"{label} {count}", width)


def form_labels(codebook: Codebook, language: str, outcome: str = FORM) -> dict[str, str]:
    """Outcome answer name (a governance form) → label, in codebook order.

    Parameters
    ----------
    codebook : Codebook
    language : {"fr", "en"}
    outcome : str
        The outcome question.

    Returns
    -------
    dict of str to str
    """
    return {form: codebook.answer_label(outcome, form, language) for form in codebook.answer_names(outcome)}


def form_colours(codebook: Codebook, outcome: str = FORM) -> dict[str, tuple[float, float, float]]:
    """Outcome answer name → colour, fixed by codebook order so every figure agrees.

    Parameters
    ----------
    codebook : Codebook
    outcome : str
        The outcome question.

    Returns
    -------
    dict of str to tuple of (float, float, float)
        RGB colours (0–1) of cividis from dark to light (:data:`FORM_PALETTE_RANGE`), in codebook
        order: distinct in greyscale and for colour-vision deficiencies.
    """
    from matplotlib import colormaps

    forms = codebook.answer_names(outcome)
    low, high = FORM_PALETTE_RANGE
    points = np.linspace(low, high, len(forms)) if len(forms) > 1 else np.array([low])
    return {form: tuple(float(c) for c in colormaps["cividis"](point)[:3]) for form, point in zip(forms, points)}


def form_markers(codebook: Codebook, outcome: str = FORM) -> dict[str, str]:
    """Outcome answer name → marker, fixed by codebook order (lines stay apart without colour).

    Parameters
    ----------
    codebook : Codebook
    outcome : str
        The outcome question.

    Returns
    -------
    dict of str to str
        Matplotlib marker codes of :data:`FORM_MARKERS`, cycled.
    """
    forms = codebook.answer_names(outcome)
    return {form: FORM_MARKERS[i % len(FORM_MARKERS)] for i, form in enumerate(forms)}


def form_label_palette(codebook: Codebook, language: str, outcome: str = FORM) -> dict[str, tuple[float, float, float]]:
    """Outcome answer label → colour, for seaborn's ``hue`` on labelled data.

    Parameters
    ----------
    codebook : Codebook
    language : {"fr", "en"}
    outcome : str
        The outcome question.

    Returns
    -------
    dict of str to tuple of (float, float, float)
        The colours of :func:`form_colours`, keyed by the labels of :func:`form_labels`.
    """
    labels = form_labels(codebook, language, outcome)
    return {labels[form]: colour for form, colour in form_colours(codebook, outcome).items()}


@contextmanager
def themed_figure(height_inches: float, **subplot_options: object) -> Iterator[tuple[Figure, np.ndarray]]:
    """Yield a new Agg figure of the style's width and its axes array (always 2-D), under the theme.

    The figure is drawn once on exit so that ticks and layout are resolved under the theme.

    Parameters
    ----------
    height_inches : float
        The figure's height (its width is the current :class:`FigureStyle`'s), scaled with the
        font size (heights are given for 8-point text).
    **subplot_options : object
        Passed to ``Figure.subplots`` (nrows, ncols, sharex, ...).

    Yields
    ------
    tuple of (Figure, ndarray of Axes of shape (nrows, ncols))
        The figure (constrained layout) and its axes.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    style = current_style()
    with matplotlib.rc_context(theme_rc(style)):
        figure = Figure(figsize=(style.width_inches, height_inches * style.font_size_pt / 8), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.subplots(squeeze=False, **subplot_options)
        yield figure, axes
        figure.draw_without_rendering()


def format_numbers(axis: Axis, language: str) -> None:
    """Use the decimal comma on ``axis`` for French figures.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
    language : {"fr", "en"}
        In French tick labels get a decimal comma and a true minus sign (−); in English the axis
        is left as it is.
    """
    from matplotlib.ticker import FuncFormatter

    if language == "fr":
        # round() hides float noise in tick positions; + 0.0 turns -0.0 into 0.0.
        axis.set_major_formatter(
            FuncFormatter(lambda value, _: f"{round(value, 10) + 0.0:g}".replace(".", ",").replace("-", "\u2212"))
        )


def format_shares(axis: Axis, language: str) -> None:
    """Show shares (0–1) on ``axis`` as percentages, with French spacing in French.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
    language : {"fr", "en"}
        French puts a narrow no-break space before ``%``.
    """
    from matplotlib.ticker import FuncFormatter

    unit = "\u202f%" if language == "fr" else "%"
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{100 * value:.0f}{unit}"))


def place_form_legend(ax: Axes, codebook: Codebook, language: str, outcome: str = FORM) -> None:
    """Move the outcome legend of ``ax`` under the figure, where long labels fit.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes with a legend.
    codebook : Codebook
        Gives the legend's title (the outcome's label).
    language : {"fr", "en"}
    outcome : str
        The outcome question.
    """
    handles, labels = ax.get_legend_handles_labels()
    ax.get_legend().remove()
    ax.figure.legend(
        handles, labels, title=codebook.label(outcome, language), loc="outside lower center", ncols=2, frameon=False
    )


def _visible_formatter(inner):
    """``inner`` (a matplotlib tick formatter) with its labels passed through :func:`visible_text`."""
    from matplotlib.ticker import Formatter

    class VisibleFormatter(Formatter):
        def __call__(self, x, pos=None):
            return visible_text(inner(x, pos))

        def format_ticks(self, values):
            return [visible_text(label) for label in inner.format_ticks(values)]

        def format_data(self, value):
            return visible_text(inner.format_data(value))

        def format_data_short(self, value):
            return visible_text(inner.format_data_short(value))

        def get_offset(self):
            return visible_text(inner.get_offset())

        def set_locs(self, locs):
            inner.set_locs(locs)

    return VisibleFormatter()


def remove_invisible_text(fig: Figure) -> None:
    """Remove the invisible format characters (:func:`~alliancegov.safe_output.visible_text`) from
    every text of ``fig``: titles, axis and tick labels, legends, annotations.

    Labels come from the codebook and the data, and the SVG and PDF files carry them as text.
    Text artists are edited in place; tick labels are made again by their formatter at every
    draw, so an axis whose labels (as last drawn) held such a character gets its formatters
    wrapped. A figure without any is left untouched.

    Parameters
    ----------
    fig : Figure
        A figure drawn at least once (as :func:`themed_figure` leaves it).
    """
    from matplotlib.text import Text

    def hidden(artist) -> bool:
        return any(visible_text(label.get_text()) != label.get_text() for label in artist.findobj(Text))

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if hidden(axis):
                axis.set_major_formatter(_visible_formatter(axis.get_major_formatter()))
                axis.set_minor_formatter(_visible_formatter(axis.get_minor_formatter()))
    for label in fig.findobj(Text):
        shown = label.get_text()
        if visible_text(shown) != shown:
            label.set_text(visible_text(shown))


# Metadata that would differ between runs (dates, software stamps) left out of each format.
STABLE_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
FIGURE_FORMATS = ("png", "svg", "pdf")


def save_figure(fig: Figure, path: str | Path, formats: tuple[str, ...] = ("png",)) -> Path:
    """Write ``fig`` in ``formats`` (PNG at 300 dpi, SVG, PDF) byte-identical across runs, then close it.

    No date or software stamp is written, SVG element ids come from a fixed hash salt, and no text
    keeps an invisible format character (:func:`remove_invisible_text`).

    Parameters
    ----------
    fig : Figure
    path : str or Path
        Names the PNG; the other formats go beside it with their own suffix. Parent folders are
        created.
    formats : tuple of str
        Among ``png``, ``svg`` and ``pdf``.

    Returns
    -------
    Path
        The PNG's path (``path``).
    """
    import matplotlib
    from matplotlib import pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_invisible_text(fig)
    with matplotlib.rc_context({**theme_rc(), "svg.hashsalt": "alliancegov", "pdf.compression": 6}):
        for fmt in formats:
            fig.savefig(path.with_suffix(f".{fmt}"), format=fmt, dpi=PNG_DPI, metadata=STABLE_METADATA[fmt])
    # Figures made here are not registered with pyplot, but a caller's pyplot figure would be.
    plt.close(fig)
    return path


def save_figures(draw: dict[str, Callable[[], Figure]], outputs: dict[str, str],
                 style: FigureStyle | dict | None = None) -> list[Path]:
    """Draw and save each figure of ``draw`` (stem → function drawing it) at ``outputs[stem]``.

    Parameters
    ----------
    draw : dict of str to callable
        Figures by stem, in the order to draw them.
    outputs : dict of str to str
        PNG path by stem (a rule's outputs); the SVG and PDF go beside it (:data:`FIGURE_FORMATS`).
    style : FigureStyle or dict, optional
        Width and font size (a dict of :class:`FigureStyle`'s fields, as the config gives them);
        the default style without it.

    Returns
    -------
    list of Path
        The PNG files written.

    Raises
    ------
    ValueError
        If ``draw`` and the PNG paths of ``outputs`` do not name the same figures.
    """
    wanted = {stem for stem in outputs if not stem.endswith(tuple(f"_{fmt}" for fmt in FIGURE_FORMATS[1:]))}
    if wanted != set(draw):
        raise ValueError(f"figures to draw {sorted(draw)} and outputs {sorted(wanted)} differ")
    style = FigureStyle(**style) if isinstance(style, dict) else style or FigureStyle()
    with figure_style(style):
        # One at a time, so only one figure is held in memory.
        return [save_figure(figure(), outputs[stem], FIGURE_FORMATS) for stem, figure in draw.items()]
