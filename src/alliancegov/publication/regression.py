"""Models side by side, as R's modelsummary or Stata's esttab set them: two or three rows per term.

The estimate (with stars, if asked), its standard error in parentheses or its interval in
brackets, and, by default, its exact p-value on a row of its own; then the N and fit rows, then
notes in the table's language saying what the numbers are (:mod:`alliancegov.messages`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from alliancegov.formatting import NumberFormat, number_format
from alliancegov.messages import message, section
from alliancegov.table_formats import LABEL_COLUMN, PART_COLUMN

DEFAULT_STARS = (0.05, 0.01, 0.001)
COUNT_STATISTICS = ("n_obs", "n", "n_clusters", "imputations")


def significance_stars(p_value: float, stars: Sequence[float] = DEFAULT_STARS) -> str:
    """One ``*`` per threshold in ``stars`` that ``p_value`` is strictly below.

    Parameters
    ----------
    p_value : float
        A p-value; None or NaN for none.
    stars : sequence of float
        The thresholds.

    Returns
    -------
    str
        The stars; ``""`` if ``p_value`` is missing.

    Examples
    --------
    >>> [significance_stars(p) for p in (0.0009, 0.004, 0.04, 0.2, 0.05)]
    ['***', '**', '*', '', '']
    """
    if p_value is None or pd.isna(p_value):
        return ""
    return "*" * sum(float(p_value) < threshold for threshold in stars)


def _model_rows(tidy: pd.DataFrame, name: str, statistic: str, needs_p: bool) -> pd.DataFrame:
    """The rows of one tidy table keyed by ``(outcome, term)``; ``outcome`` is ``None`` if absent."""
    needed = ["term", "estimate"]
    needed += ["std_error"] if statistic == "std_error" else ["conf_low", "conf_high"]
    needed += ["p_value"] if needs_p else []
    missing = [column for column in needed if column not in tidy.columns]
    if missing:
        raise ValueError(f"model {name!r}: missing columns {missing}")
    rows = tidy.assign(outcome=tidy["outcome"] if "outcome" in tidy.columns else None)
    rows = rows.assign(outcome=rows["outcome"].astype(object).where(rows["outcome"].notna(), None))
    duplicated = rows.duplicated(["outcome", "term"])
    if duplicated.any():
        raise ValueError(f"model {name!r}: duplicated terms {rows.loc[duplicated, 'term'].tolist()}")
    return rows


def _ordered_keys(tables: Sequence[pd.DataFrame]) -> list[tuple[object, object]]:
    """``(outcome, term)`` keys in order of first appearance, grouped by outcome (first appearance)."""
    keys: dict[object, dict[object, None]] = {}
    for rows in tables:
        for outcome, term in zip(rows["outcome"], rows["term"]):
            keys.setdefault(outcome, {}).setdefault(term, None)
    return [(outcome, term) for outcome, terms in keys.items() for term in terms]


def _number(value: object) -> float:
    return float(value) if value is not None and pd.notna(value) else np.nan


def _cell_rows(row: pd.Series, *, statistic: str, stars: Sequence[float], digits: int, exponentiate: bool,
               numbers: NumberFormat, language: str, exact_p: bool) -> tuple[str, str, str]:
    """The estimate cell (with stars), the statistic cell and the p-value cell of one tidy row."""
    estimate = _number(row["estimate"])
    scale = np.exp(estimate) if exponentiate else estimate
    shown = numbers.estimate(scale, digits)
    if shown and stars:
        shown += significance_stars(row.get("p_value"), stars)
    p_value = _number(row.get("p_value"))
    p_text = ""
    if exact_p and shown and not np.isnan(p_value):
        p = numbers.p_value(p_value, digits)
        p_text = message("publication.p_below" if p.startswith("<") else "publication.p_cell", language, p=p)
    if statistic == "std_error":
        se = _number(row["std_error"])
        se = scale * se if exponentiate else se  # delta method: d exp(b) = exp(b) db
        text = numbers.estimate(se, digits)
        return shown, f"({text})" if text else "", p_text
    bounds = [_number(row[c]) for c in ("conf_low", "conf_high")]
    low, high = (numbers.estimate(np.exp(b) if exponentiate else b, digits) for b in bounds)
    separator = "; " if numbers.decimal_mark == "," else ", "
    return shown, f"[{low}{separator}{high}]" if low and high else "", p_text


def fit_cells(statistics: Mapping[str, float], language: str) -> dict[str, object]:
    """The fit statistics a paper shows, labelled in ``language``, counts as integers.

    Parameters
    ----------
    statistics : mapping of str to float
        Statistic name (``n_obs``, ``n_clusters``, ``mcfadden_r2``, ``aic``, ``r2``...) → value;
        names without a label in the catalogue's ``fit`` section are left out.
    language : {"fr", "en"}

    Returns
    -------
    dict of str to object
        Label → value, in the order of ``statistics``; p-values already written as text
        (``< 0.001``).
    """
    labels, numbers = section("fit", language), number_format(language)
    return {labels[name]: int(value) if name in COUNT_STATISTICS
            else numbers.p_value(float(value)) if name.endswith("p_value") else float(value)
            for name, value in statistics.items() if name in labels and pd.notna(value)}


def _fit_rows(fit: Mapping[str, Mapping[str, object]], names: Sequence[str], digits: int,
              numbers: NumberFormat) -> list[dict[str, str]]:
    """One row per fit statistic (first-appearance order); blank where a model lacks it."""
    unknown = [name for name in fit if name not in names]
    if unknown:
        raise ValueError(f"fit statistics for unknown models {unknown}; models are {list(names)}")
    statistics = dict.fromkeys(key for name in names for key in fit.get(name, {}))

    def shown(value: object) -> str:
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            return numbers.count(int(value))
        return numbers.fixed(value, digits)

    return [{PART_COLUMN: "fit", LABEL_COLUMN: str(key)} | {name: shown(fit.get(name, {}).get(key)) for name in names}
            for key in statistics]


def se_description(cov_type: str, language: str) -> str:
    """What standard errors of ``cov_type`` are, in words of ``language``.

    Parameters
    ----------
    cov_type : str
        A ``cov_type`` of the config's ``choice`` or ``performance`` section.
    language : {"fr", "en"}
        Language of the words.

    Returns
    -------
    str
        E.g. ``"firm-clustered (CR1)"``; an unknown ``cov_type`` is returned as given.
    """
    return str(section("se_kinds", language).get(cov_type, cov_type))


def note_lines(*, statistic: str, stars: Sequence[float], exponentiate: bool, se_type: str | None,
               numbers: NumberFormat, language: str, exact_p: bool = False) -> list[str]:
    """The notes under a regression table: what the bracketed numbers are, then the p-values or stars.

    Parameters
    ----------
    statistic : {"std_error", "conf_int"}
        The statistic row shown.
    stars : sequence of float
        The star thresholds (empty: none).
    exponentiate : bool
        Whether estimates are exponentiated.
    se_type : str, optional
        What the standard errors are, in words.
    numbers : NumberFormat
        The locale of the thresholds.
    language : {"fr", "en"}
    exact_p : bool
        Whether an exact p-value row follows each estimate.

    Returns
    -------
    list of str
    """
    lines = []
    if statistic == "std_error":
        kind = (message("publication.se_kind", language, kind=se_type) if se_type
                else message("publication.se_plain", language))
        kind = kind[0].upper() + kind[1:]
        lines.append(message("publication.se", language, kind=kind)
                     + (message("publication.delta", language) if exponentiate else "") + ".")
    else:
        lines.append(message("publication.ci", language)
                     + (message("publication.ci_se", language, kind=se_type) if se_type else ""))
    if exact_p:
        lines.append(message("publication.exact_p", language))
    if stars:
        thresholds = sorted(stars, reverse=True)
        marks = ", ".join(f"{'*' * (i + 1)} p < {numbers.general(t)}" for i, t in enumerate(thresholds))
        lines.append(message("publication.stars", language, marks=marks))
    if exponentiate:
        lines.append(message("publication.ratios", language))
    return lines


def regression_table(models: Mapping[str, pd.DataFrame], *, statistic: Literal["std_error", "conf_int"] = "std_error",
                     significance: Literal["p_value", "stars"] = "p_value",
                     stars: Sequence[float] | None = DEFAULT_STARS, digits: int = 3, exponentiate: bool = False,
                     fit: Mapping[str, Mapping[str, float]] | None = None,
                     term_labels: Mapping | Callable[[str], str] | None = None, language: str = "en",
                     se_type: str | None = None) -> pd.DataFrame:
    """Models side by side, two or three rows per term, as R's modelsummary or Stata's esttab.

    Parameters
    ----------
    models : mapping of str to DataFrame
        Maps a column name to a tidy table with one row per term and columns ``term, estimate``
        plus ``std_error`` (``statistic="std_error"``) or ``conf_low, conf_high`` (``"conf_int"``),
        ``p_value`` and optionally ``outcome`` (multinomial equations); other columns are ignored.
    statistic : {"std_error", "conf_int"}
        What the second row of a term shows.
    significance : {"p_value", "stars"}
        Exact p-values on a third row under each term (the default, as management journals
        ask), or stars after the estimate at the ``stars`` thresholds.
    stars : sequence of float or None
        Significance thresholds with ``significance="stars"``; empty or None for no stars.
    digits : int
        Decimals of the estimates, statistics and float fit statistics.
    exponentiate : bool
        Show ``exp(estimate)``, ``exp(conf_low)``, ``exp(conf_high)`` and
        ``exp(estimate)·std_error`` (delta method); p-values are unchanged.
    fit : mapping of str to mapping, optional
        Maps model names to fit statistics (``{"N": 250, "Pseudo R²": 0.12, "AIC": 610.4}``):
        integers are shown as counts, floats with ``digits`` decimals, strings as given.
    term_labels : mapping or callable, optional
        Maps terms and outcome names to display labels (a mapping, or a function of the name).
    language : {"en", "fr"}
        Language of the notes and numbers (``"fr"``: ``0,123``, CIs ``[0,01; 0,23]``).
    se_type : str, optional
        What the standard errors are, in words (:func:`se_description`), for the note.

    Returns
    -------
    DataFrame
        Strings (object dtype), columns ``part, term, <model names in order>``:

        - per term an ``estimate`` row (label in ``term``, ``"outcome: term"`` when the model has
          an ``outcome`` column, rows grouped by outcome in order of first appearance), a
          ``statistic`` row (``"(0.045)"`` or ``"[0.01, 0.23]"``) and, with exact p-values, a
          ``p_value`` row (``"p = 0.012"``, ``"p < 0.001"``), blank labels; a model lacking a term
          has blank cells;
        - one ``fit`` row per statistic in ``fit``, blank where a model lacks it;
        - ``note`` rows (text in ``term``, model cells blank).

    Raises
    ------
    ValueError
        If ``statistic`` or ``significance`` is unknown, ``models`` is empty, model names repeat or
        are ``part`` or ``term``, a table lacks a needed column or repeats a term, or ``fit``
        names an unknown model.
    """
    if statistic not in ("std_error", "conf_int"):
        raise ValueError(f"statistic must be 'std_error' or 'conf_int', not {statistic!r}")
    if significance not in ("p_value", "stars"):
        raise ValueError(f"significance must be 'p_value' or 'stars', not {significance!r}")
    if not models:
        raise ValueError("no models")
    names = [str(name) for name in models]
    clashes = {PART_COLUMN, LABEL_COLUMN} & set(names)
    if clashes or len(set(names)) != len(names):
        raise ValueError(f"model names must be unique and not {sorted({PART_COLUMN, LABEL_COLUMN})}: {names}")
    exact_p = significance == "p_value"
    stars = () if exact_p else tuple(stars or ())
    label = term_labels if callable(term_labels) else (lambda name, labels=term_labels or {}: labels.get(name, name))
    numbers = number_format(language)
    tables = [_model_rows(tidy, name, statistic, exact_p or bool(stars)) for name, tidy in zip(names, models.values())]
    indexed = [rows.set_index(["outcome", "term"]) for rows in tables]
    formatting = dict(statistic=statistic, stars=stars, digits=digits, exponentiate=exponentiate, numbers=numbers,
                      language=language, exact_p=exact_p)
    records = []
    for outcome, term in _ordered_keys(tables):
        shown = str(label(term))
        if outcome is not None:
            shown = f"{label(outcome)}: {shown}"
        rows = [{PART_COLUMN: part, LABEL_COLUMN: shown if part == "estimate" else ""}
                for part in ("estimate", "statistic", "p_value")]
        for name, model in zip(names, indexed):
            present = (outcome, term) in model.index
            cells = _cell_rows(model.loc[(outcome, term)], **formatting) if present else ("", "", "")
            for row, cell in zip(rows, cells):
                row[name] = cell
        records += rows if exact_p else rows[:2]
    records += _fit_rows(fit or {}, names, digits, numbers)
    notes = note_lines(statistic=statistic, stars=stars, exponentiate=exponentiate, se_type=se_type, numbers=numbers,
                       language=language, exact_p=exact_p)
    records += [{PART_COLUMN: "note", LABEL_COLUMN: line} | dict.fromkeys(names, "") for line in notes]
    return pd.DataFrame.from_records(records, columns=[PART_COLUMN, LABEL_COLUMN, *names]).astype(object)
