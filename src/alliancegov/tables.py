"""Tables for publication: safe, byte-stable CSV files and descriptive cross-tabulations.

Every table leaving the pipeline goes through :func:`write_csv`, which neutralises
spreadsheet formulas (CSV injection) and writes the same bytes on every run.
:func:`regression_table` sets models side by side (as R's modelsummary or Stata's esttab);
:func:`write_publication_tables` writes any table as LaTeX (booktabs), Markdown, HTML and
Word with every text cell escaped; :func:`suppress_small_cells` applies disclosure control
(primary and secondary cell suppression) to cross-tabulated counts.
"""

from __future__ import annotations

import io
import numbers
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from alliancegov.codebook import Codebook

# OWASP CSV injection: a spreadsheet evaluates a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"


def neutralise_cell(value: object) -> object:
    """Prefix ``value`` with a single quote if it is a string a spreadsheet would run as a formula.

    Non-string values are returned unchanged.

    >>> neutralise_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> neutralise_cell(-1.5)
    -1.5
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return FORMULA_ESCAPE + value
    return value


def _may_hold_text(column: pd.Series) -> bool:
    return (
        pd.api.types.is_string_dtype(column)
        or pd.api.types.is_object_dtype(column)
        or isinstance(column.dtype, pd.CategoricalDtype)
    ) and not pd.api.types.is_numeric_dtype(column)


def map_text_cells(df: pd.DataFrame, cell_function: Callable[[object], object]) -> pd.DataFrame:
    """A copy of ``df`` with ``cell_function`` applied to every non-missing cell of its text columns.

    Text columns are those of ``str``, object or categorical dtype; numeric and datetime
    columns are copied unchanged. Columns are addressed by position, so duplicated
    column names are fine.
    """
    mapped = df.copy()
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        if _may_hold_text(column):
            mapped.isetitem(position, column.map(cell_function, na_action="ignore"))
    return mapped


def neutralise_text_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` in which text cells and column names cannot run as spreadsheet formulas.

    Input: any DataFrame. Output: same shape, index and dtypes. In text-capable columns
    (``str``, object or categorical dtype) every string starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading ``'``; column names likewise, since
    the header row is a cell too. Numeric columns are left untouched, so negative numbers
    stay numbers.
    """
    neutralised = map_text_cells(df, neutralise_cell)
    neutralised.columns = [neutralise_cell(name) for name in df.columns]
    return neutralised


def _normalise_cell_line_breaks(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def normalise_line_breaks(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells use ``\\n`` for every line break (``\\r\\n`` and ``\\r`` too).

    Python's csv writer only quotes a field holding a character of the line terminator;
    with ``\\n`` as terminator a bare carriage return would be written unquoted and split
    the row for every reader. Numeric columns are untouched.
    """
    return map_text_cells(df, _normalise_cell_line_breaks)


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as a UTF-8 CSV that is safe to open in a spreadsheet and byte-stable.

    Text cells are neutralised (:func:`neutralise_text_cells`) and their line breaks
    normalised (:func:`normalise_line_breaks`); the index is dropped;
    lines end with ``\\n`` whatever the platform; floats use ``%.10g`` so that the last
    bits of floating-point noise do not change the file between runs. Parent folders are
    created. Returns the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    normalise_line_breaks(neutralise_text_cells(df)).to_csv(
        path, index=False, lineterminator="\n", float_format="%.10g", encoding="utf-8"
    )
    return path


def codebook_categorical(values: pd.Series, codebook: Codebook, variable: str) -> pd.Series:
    """``values`` as a categorical whose categories are the answers of ``variable`` in code order.

    Input: a Series of canonical answer names (missing values allowed). Output: a
    categorical Series with the same index. Raises ``ValueError`` if a non-missing value
    is not an answer of ``variable``, rather than silently turning it into a missing value.
    """
    answers = codebook.answer_names(variable)
    text = values.astype("string")
    unknown = text.notna() & ~text.isin(answers)
    if unknown.any():
        raise ValueError(
            f"{variable}: values not in the codebook: {sorted(set(text[unknown]))}; expected one of {answers}"
        )
    return pd.Series(pd.Categorical(text, categories=answers), index=values.index, name=values.name)


def form_by_sector_table(analysis: pd.DataFrame, codebook: Codebook, outcome: str = "governance_form",
                         group: str = "sector", group_levels: list[str] | None = None) -> pd.DataFrame:
    """Counts and within-group shares of each outcome answer (governance form by sector).

    Input: the analysis frame (one row per analysed response) with canonical answer names in
    ``group`` and ``outcome``; rows missing either are left out. ``group_levels`` orders a group
    that is not a codebook variable (e.g. the survey waves); by default the codebook's order.
    Output: one row per group × outcome combination, zeros included, in the order of groups
    then outcomes, with columns ``group`` and ``outcome`` named after the variables (str), ``n``
    (int64) and ``share`` (float64, ``n`` over the group total; NaN for a group with no
    response, where a share is undefined).
    """
    groups = (codebook_categorical(analysis[group], codebook, group) if group_levels is None
              else pd.Series(pd.Categorical(analysis[group], categories=group_levels), index=analysis.index))
    counts = (
        pd.DataFrame({group: groups, outcome: codebook_categorical(analysis[outcome], codebook, outcome)})
        .groupby([group, outcome], observed=False)
        .size()
        .rename("n")
        .reset_index()
    )
    totals = counts.groupby(group, observed=False)["n"].transform("sum")
    return pd.DataFrame(
        {
            group: counts[group].astype(str),
            outcome: counts[outcome].astype(str),
            "n": counts["n"].astype("int64"),
            "share": (counts["n"] / totals.where(totals > 0)).astype("float64"),
        }
    )


def form_shares_by_wave(analysis: pd.DataFrame, codebook: Codebook, waves: list[str],
                        outcome: str = "governance_form", level: float = 0.95) -> pd.DataFrame:
    """:func:`form_by_sector_table` by survey wave (in the order of ``waves``), with Wilson score
    intervals of each share (``conf_low``, ``conf_high``): firms are independent within a wave."""
    from statsmodels.stats.proportion import proportion_confint

    table = form_by_sector_table(analysis, codebook, outcome, "wave", group_levels=waves)
    totals = table.groupby("wave", sort=False)["n"].transform("sum")
    low, high = proportion_confint(table["n"], totals.where(totals > 0), alpha=1 - level, method="wilson")
    return table.assign(wave_n=totals.astype("int64"), conf_low=np.asarray(low, float),
                        conf_high=np.asarray(high, float))


# ---------------------------------------------------------------------------------------------
# Regression tables side by side (modelsummary / esttab style)
# ---------------------------------------------------------------------------------------------

PART_COLUMN = "part"
LABEL_COLUMN = "term"
TABLE_PARTS = ("estimate", "statistic", "fit", "note")


def significance_stars(p_value: float, stars: Sequence[float] = (0.1, 0.05, 0.01)) -> str:
    """One ``*`` per threshold in ``stars`` that ``p_value`` is strictly below; ``""`` if missing.

    >>> [significance_stars(p) for p in (0.009, 0.04, 0.09, 0.2, 0.05)]
    ['***', '**', '*', '', '*']
    """
    if p_value is None or pd.isna(p_value):
        return ""
    return "*" * sum(float(p_value) < threshold for threshold in stars)


def format_number(value: object, digits: int = 3, decimal_mark: str = ".") -> str:
    """``value`` with ``digits`` decimals (integers as integers) and ``decimal_mark``; ``""`` if missing.

    Strings are returned unchanged; ``-0.000`` becomes ``0.000``; no thousands separator.

    >>> format_number(-0.00001), format_number(1.23456, 2, ","), format_number(250)
    ('0.000', '1,23', '250')
    """
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    text = f"{float(value):.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text.replace(".", decimal_mark)


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


def _cell_pair(row: pd.Series, *, statistic: str, stars: Sequence[float], digits: int, exponentiate: bool,
               decimal_mark: str) -> tuple[str, str]:
    """The estimate cell (with stars) and the statistic cell of one tidy row."""
    estimate = float(row["estimate"]) if pd.notna(row["estimate"]) else np.nan
    scale = np.exp(estimate) if exponentiate else estimate
    shown = format_number(scale, digits, decimal_mark)
    if shown:
        shown += significance_stars(row.get("p_value"), stars) if stars else ""
    if statistic == "std_error":
        se = float(row["std_error"]) if pd.notna(row["std_error"]) else np.nan
        se = scale * se if exponentiate else se  # delta method: d exp(b) = exp(b) db
        text = format_number(se, digits, decimal_mark)
        return shown, f"({text})" if text else ""
    bounds = [float(row[c]) if pd.notna(row[c]) else np.nan for c in ("conf_low", "conf_high")]
    low, high = (format_number(np.exp(b) if exponentiate else b, digits, decimal_mark) for b in bounds)
    separator = "; " if decimal_mark == "," else ", "
    return shown, f"[{low}{separator}{high}]" if low and high else ""


def _fit_rows(fit: dict[str, dict[str, object]], names: Sequence[str], digits: int,
              decimal_mark: str) -> list[dict[str, str]]:
    """One row per fit statistic (first-appearance order); blank where a model lacks it."""
    unknown = [name for name in fit if name not in names]
    if unknown:
        raise ValueError(f"fit statistics for unknown models {unknown}; models are {list(names)}")
    statistics = dict.fromkeys(key for name in names for key in fit.get(name, {}))
    return [
        {PART_COLUMN: "fit", LABEL_COLUMN: str(key)}
        | {name: format_number(fit.get(name, {}).get(key), digits, decimal_mark) for name in names}
        for key in statistics
    ]


def _note_lines(*, statistic: str, stars: Sequence[float], exponentiate: bool, se_type: str | None,
                decimal_mark: str) -> list[str]:
    """The notes under a regression table: star thresholds, then what the bracketed numbers are."""
    lines = []
    if stars:
        thresholds = sorted(stars, reverse=True)
        lines.append(", ".join(f"{'*' * (i + 1)} p < {f'{t:g}'.replace('.', decimal_mark)}"
                               for i, t in enumerate(thresholds)))
    if statistic == "std_error":
        kind = f"{se_type} standard errors" if se_type else "Standard errors"
        kind = kind[0].upper() + kind[1:]
        lines.append(f"{kind} in parentheses" + (" (delta method: exp(b)·se)." if exponentiate else "."))
    else:
        lines.append("Confidence intervals in brackets." + (f" Standard errors: {se_type}." if se_type else ""))
    if exponentiate:
        lines.append("Exponentiated coefficients (odds or relative-risk ratios); p-values test a ratio of 1.")
    return lines


def regression_table(models: dict[str, pd.DataFrame], *, statistic: Literal["std_error", "conf_int"] = "std_error",
                     stars: Sequence[float] | None = (0.1, 0.05, 0.01), digits: int = 3, exponentiate: bool = False,
                     fit: dict[str, dict[str, float]] | None = None, term_labels: dict | None = None,
                     decimal_mark: str = ".", se_type: str | None = None) -> pd.DataFrame:
    """Models side by side, two rows per term, as R's modelsummary or Stata's esttab.

    Input: ``models`` maps a column name to a tidy table with one row per term and columns
    ``term, estimate`` plus ``std_error`` (``statistic="std_error"``) or ``conf_low, conf_high``
    (``"conf_int"``), ``p_value`` (unless ``stars`` is empty) and optionally ``outcome``
    (multinomial equations); other columns are ignored. ``fit`` maps model names to fit
    statistics (``{"N": 250, "Pseudo R²": 0.12, "AIC": 610.4}``): Python/NumPy integers are
    shown as integers, floats with ``digits`` decimals, strings as given. ``term_labels`` maps
    terms and outcome names to display labels. ``se_type`` (e.g. ``"HC1 robust"``) goes in the note.

    Output: a DataFrame of strings with columns ``part, term, <model names in order>``:

    - per term an ``estimate`` row (``"0.123**"``; label in ``term``, ``"outcome: term"`` when the
      model has an ``outcome`` column, rows grouped by outcome in order of first appearance)
      and a ``statistic`` row (``"(0.045)"`` or ``"[0.01, 0.23]"``, blank label); a model lacking
      a term has blank cells;
    - one ``fit`` row per statistic in ``fit``;
    - ``note`` rows (text in ``term``, model cells blank): star thresholds (``"* p < 0.1, ** p <
      0.05, *** p < 0.01"``; a star per threshold that ``p`` is strictly below), the statistic
      shown and ``se_type``.

    ``exponentiate=True`` shows ``exp(estimate)``, ``exp(conf_low)``, ``exp(conf_high)`` and
    ``exp(estimate)·std_error`` (delta method); p-values are unchanged. ``decimal_mark=","``
    writes ``0,123`` and CIs as ``[0,01; 0,23]``. Negative numbers keep ASCII ``-`` (which
    :func:`write_csv` neutralises as a formula prefix: publish with the writers below).
    """
    if statistic not in ("std_error", "conf_int"):
        raise ValueError(f"statistic must be 'std_error' or 'conf_int', not {statistic!r}")
    if not models:
        raise ValueError("no models")
    names = [str(name) for name in models]
    clashes = {PART_COLUMN, LABEL_COLUMN} & set(names)
    if clashes or len(set(names)) != len(names):
        raise ValueError(f"model names must be unique and not {sorted({PART_COLUMN, LABEL_COLUMN})}: {names}")
    stars = tuple(stars or ())
    labels = term_labels or {}
    tables = [_model_rows(tidy, name, statistic, bool(stars)) for name, tidy in zip(names, models.values())]
    indexed = [rows.set_index(["outcome", "term"]) for rows in tables]
    formatting = dict(statistic=statistic, stars=stars, digits=digits, exponentiate=exponentiate,
                      decimal_mark=decimal_mark)
    records = []
    for outcome, term in _ordered_keys(tables):
        label = str(labels.get(term, term))
        if outcome is not None:
            label = f"{labels.get(outcome, outcome)}: {label}"
        estimate_row = {PART_COLUMN: "estimate", LABEL_COLUMN: label}
        statistic_row = {PART_COLUMN: "statistic", LABEL_COLUMN: ""}
        for name, rows in zip(names, indexed):
            present = (outcome, term) in rows.index
            cells = _cell_pair(rows.loc[(outcome, term)], **formatting) if present else ("", "")
            estimate_row[name], statistic_row[name] = cells
        records += [estimate_row, statistic_row]
    records += _fit_rows(fit or {}, names, digits, decimal_mark)
    notes = _note_lines(statistic=statistic, stars=stars, exponentiate=exponentiate, se_type=se_type,
                        decimal_mark=decimal_mark)
    records += [{PART_COLUMN: "note", LABEL_COLUMN: line} | dict.fromkeys(names, "") for line in notes]
    return pd.DataFrame.from_records(records, columns=[PART_COLUMN, LABEL_COLUMN, *names]).astype(object)


# ---------------------------------------------------------------------------------------------
# Writers: LaTeX (booktabs), Markdown, HTML, Word
# ---------------------------------------------------------------------------------------------


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` on one line: line breaks become spaces, other control characters (invalid in XML) go."""
    return CONTROL_CHARACTERS.sub("", " ".join(str(text).splitlines()))


def cell_text(value: object) -> str:
    """A cell as display text: missing values blank, floats as ``%.10g``, then :func:`printable`."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{float(value):.10g}"
    return printable(str(value))


@dataclass(frozen=True)
class TableLayout:
    """What every writer renders: header cells, body rows (with a rule above or not) and notes.

    ``rule_above[i]`` is true for the first row of a new part (the fit rows of a regression table).
    """

    header: list[str]
    body: list[list[str]]
    rule_above: list[bool]
    notes: list[str]


def table_layout(table: pd.DataFrame) -> TableLayout:
    """The layout of a table for the writers.

    Input: any DataFrame. A non-default index (a cross-tab's row labels) becomes the first
    column(s). If it has a ``part`` column (as :func:`regression_table`), that column is not
    shown: its ``note`` rows become notes (text taken from ``term``), a rule separates parts
    other than estimate/statistic, and the ``term`` header is blank. Output: all cells as text
    (:func:`cell_text`), unescaped.
    """
    index = table.index
    default_index = isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0 and index.step == 1
    frame = table if default_index else table.reset_index()
    if PART_COLUMN not in frame.columns:
        body = [[cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        return TableLayout([cell_text(c) for c in frame.columns], body, [False] * len(body), [])
    parts = frame[PART_COLUMN].astype(str).tolist()
    shown = frame.drop(columns=PART_COLUMN)
    header = ["" if column == LABEL_COLUMN else cell_text(column) for column in shown.columns]
    notes = [cell_text(text) for text, part in zip(shown[LABEL_COLUMN], parts) if part == "note"]
    body, rule_above, previous = [], [], None
    coefficient_parts = {"estimate", "statistic"}
    for part, row in zip(parts, shown.itertuples(index=False, name=None)):
        if part == "note":
            continue
        new_part = previous is not None and part != previous and not {part, previous} <= coefficient_parts
        body.append([cell_text(v) for v in row])
        rule_above.append(new_part)
        previous = part
    return TableLayout(header, body, rule_above, notes)


LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "²": r"\textsuperscript{2}", "−": "$-$", "·": r"\textperiodcentered{}",
}
LATEX_LABEL = re.compile(r"[A-Za-z0-9:_.\-]+")


def latex_escape(text: str) -> str:
    """``text`` safe in LaTeX text mode: the ten specials, ``<``, ``>`` escaped; minus signs as ``$-$``.

    >>> latex_escape("R&D_1 50% #2 $-0.5")
    'R\\\\&D\\\\_1 50\\\\% \\\\#2 \\\\$$-$0.5'
    """
    escaped = "".join(LATEX_SPECIALS.get(character, character) for character in text)
    return re.sub(r"(?<![\w\\])-(?=[.,]?\d)", "$-$", escaped)


def to_latex(table: pd.DataFrame, caption: str, label: str) -> str:
    """A booktabs ``table`` float holding a plain ``tabular`` (no threeparttable) as a string.

    Input: a table as :func:`table_layout` reads it; ``caption`` (any text, escaped) and
    ``label`` (letters, digits, ``: _ . -``). Output: ``\\toprule``, header, ``\\midrule``,
    body (``\\midrule`` before the fit rows), ``\\bottomrule``, then one
    ``\\multicolumn{k}{l}{\\footnotesize note}`` row per note. First column left-aligned,
    others centred. Needs ``\\usepackage{booktabs}``. Deterministic, ``\\n`` line ends.
    """
    if not LATEX_LABEL.fullmatch(label):
        raise ValueError(f"LaTeX label {label!r}: use letters, digits and : _ . - only")
    layout = table_layout(table)
    width = len(layout.header)

    def line(cells: list[str]) -> str:
        return " & ".join(latex_escape(cell) for cell in cells) + r" \\"

    lines = [r"\begin{table}[htbp]", r"\centering", rf"\caption{{{latex_escape(printable(caption))}}}",
             rf"\label{{{label}}}", rf"\begin{{tabular}}{{l{'c' * (width - 1)}}}", r"\toprule",
             line(layout.header), r"\midrule"]
    for cells, rule in zip(layout.body, layout.rule_above):
        lines += [r"\midrule"] if rule else []
        lines.append(line(cells))
    lines.append(r"\bottomrule")
    lines += [rf"\multicolumn{{{width}}}{{l}}{{\footnotesize {latex_escape(note)}}} \\" for note in layout.notes]
    lines += [r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>|&~$])")


def markdown_escape(text: str) -> str:
    r"""``text`` as literal Markdown inline text: ``\ ` * _ [ ] < > | & ~ $`` backslash-escaped.

    >>> markdown_escape("a|b 0.1** <i>")
    'a\\|b 0.1\\*\\* \\<i\\>'
    """
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


def to_markdown(table: pd.DataFrame, caption: str | None = None) -> str:
    """A GitHub (pipe) table as a string, notes as paragraphs below, then ``Table: caption`` if given.

    Input: a table as :func:`table_layout` reads it. One header separator row (first column
    left-aligned, others centred); every cell escaped (:func:`markdown_escape`), so pipes,
    stars and HTML cannot break the table. Deterministic, ``\\n`` line ends.
    """
    layout = table_layout(table)

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(markdown_escape(cell) for cell in cells) + " |"

    lines = [line(layout.header), "|" + "|".join([":---"] + [":---:"] * (len(layout.header) - 1)) + "|"]
    lines += [line(cells) for cells in layout.body]
    for note in layout.notes:
        lines += ["", markdown_escape(note)]
    if caption:
        lines += ["", "Table: " + markdown_escape(printable(caption))]
    return "\n".join(lines) + "\n"


HTML_TEMPLATE = """\
{% if full_document %}<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{{ caption }}</title>
</head>
<body>
{% endif %}<table style="border-collapse: collapse;">
<caption>{{ caption }}</caption>
<thead>
<tr>{% for cell in header %}<th style="{{ rule }} border-bottom: 1px solid; padding: 2px 8px;\
{% if not loop.first %} text-align: center;{% endif %}">{{ cell }}</th>{% endfor %}</tr>
</thead>
<tbody>
{% for cells, rule_above in rows %}<tr>{% for cell in cells %}<td style="padding: 2px 8px;\
{% if rule_above %} {{ rule }}{% endif %}{% if loop.first %} text-align: left;{% else %} text-align: center;{% endif %}\
">{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
<tfoot>
<tr><td colspan="{{ width }}" style="border-top: 1px solid; padding: 0;"></td></tr>
{% for note in notes %}<tr><td colspan="{{ width }}" style="font-size: smaller; padding: 2px 8px;">{{ note }}</td></tr>
{% endfor %}</tfoot>
</table>
{% if full_document %}</body>
</html>
{% endif %}"""


def to_html(table: pd.DataFrame, caption: str, *, full_document: bool = True) -> str:
    """A self-contained HTML table (inline styles only, no external CSS) as a string.

    Input: a table as :func:`table_layout` reads it. Rendered with Jinja2 with autoescape on,
    so every cell, header, note and the caption is HTML-escaped (``<script>`` becomes
    ``&lt;script&gt;``). Notes are ``<tfoot>`` rows spanning all columns. With
    ``full_document`` (default) the table is wrapped in a UTF-8 HTML5 page, otherwise only
    the ``<table>`` element is returned. Deterministic, ``\\n`` line ends.
    """
    import jinja2

    layout = table_layout(table)
    template = jinja2.Environment(autoescape=True, keep_trailing_newline=True).from_string(HTML_TEMPLATE)
    return template.render(caption=printable(caption), header=layout.header,
                           rows=list(zip(layout.body, layout.rule_above)), notes=layout.notes,
                           width=len(layout.header), rule="border-top: 1px solid;",
                           full_document=full_document)


DOCX_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def _docx_borders(cell, **edges: bool) -> None:
    """Single black ½-pt borders on the given edges (``top=True``, ``bottom=True``) of a python-docx cell."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    borders = properties.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        properties.append(borders)
    for edge in ("top", "bottom"):
        if edges.get(edge):
            element = OxmlElement(f"w:{edge}")
            for key, value in (("val", "single"), ("sz", "4"), ("space", "0"), ("color", "000000")):
                element.set(qn(f"w:{key}"), value)
            borders.append(element)


def _stable_zip(package: bytes) -> bytes:
    """The zip ``package`` rewritten with fixed member timestamps and attributes (same order, deflated)."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, source.read(member), compresslevel=6)
    return output.getvalue()


def to_docx(table: pd.DataFrame, path: str | Path, caption: str) -> Path:
    """Write ``table`` as a Word document: caption, a real table with a header row, notes below.

    Input: a table as :func:`table_layout` reads it. The header row is bold and repeats on
    each page; rules as booktabs (above and below the header, above the fit rows, below the
    last row); first column left-aligned, others centred; notes in 9 pt. Core properties are
    fixed (created/modified 2000-01-01 UTC, no author, revision 1, title = caption) and the zip
    is rewritten with fixed member timestamps, so the same table gives the same bytes on the
    same Python/zlib. Parent folders are created. Returns the path written.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    layout = table_layout(table)
    caption = printable(caption)
    document = Document()
    document.add_paragraph(caption, style="Caption")
    grid = document.add_table(rows=1 + len(layout.body), cols=len(layout.header))
    header_flag = OxmlElement("w:tblHeader")
    grid.rows[0]._tr.get_or_add_trPr().append(header_flag)
    last = len(layout.body)
    for i, cells in enumerate([layout.header, *layout.body]):
        for j, (cell, text) in enumerate(zip(grid.rows[i].cells, cells)):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.bold = i == 0 or None
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
            _docx_borders(cell, top=i == 0 or (i > 0 and layout.rule_above[i - 1]),
                          bottom=i == 0 or i == last)
    for note in layout.notes:
        document.add_paragraph().add_run(note).font.size = Pt(9)
    properties = document.core_properties
    properties.created = properties.modified = DOCX_TIMESTAMP
    properties.author = properties.last_modified_by = ""
    properties.comments = ""
    properties.title = caption
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_stable_zip(buffer.getvalue()))
    return path


def write_publication_tables(table: pd.DataFrame, stem: str | Path, caption: str, label: str) -> list[Path]:
    """Write ``stem.tex``, ``stem.md``, ``stem.html`` and ``stem.docx``; return those paths in that order.

    The suffixes are appended to ``stem`` (``out/table.v2`` gives ``out/table.v2.tex``). Text
    files are UTF-8 with ``\\n`` line ends and byte-identical across runs; see :func:`to_docx`
    for the Word file. Parent folders are created.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_name(stem.name + suffix) for suffix in (".tex", ".md", ".html", ".docx")]
    texts = [to_latex(table, caption, label), to_markdown(table, caption), to_html(table, caption)]
    for path, text in zip(paths, texts):
        path.write_text(text, encoding="utf-8", newline="\n")
    to_docx(table, paths[3], caption)
    return paths


# ---------------------------------------------------------------------------------------------
# Statistical disclosure control: small-cell suppression
# ---------------------------------------------------------------------------------------------

SUPPRESSION_MARKER = "x"
TOTAL_LABEL = "Total"


def _count_matrix(counts: pd.DataFrame) -> np.ndarray:
    """``counts`` as an int64 array, after checking it holds non-negative whole numbers only."""
    values = counts.to_numpy(dtype="float64", na_value=np.nan)
    if values.size == 0:
        raise ValueError("empty table of counts")
    if np.isnan(values).any() or (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("counts must be non-negative whole numbers without missing values")
    return values.astype("int64")


def primary_suppression(values: np.ndarray, minimum: int = 5) -> np.ndarray:
    """Mask of the cells at risk: ``0 < n < minimum``. True zeros are published, as statistical offices do."""
    return (values > 0) & (values < minimum)


def _secondary_candidate(values: np.ndarray, mask: np.ndarray) -> int | None:
    """Position of the cell to suppress next in one row/column: the smallest unsuppressed non-zero
    cell (first in order if tied), else the first unsuppressed zero, else ``None``."""
    open_cells = np.flatnonzero(~mask)
    if open_cells.size == 0:
        return None
    nonzero = open_cells[values[open_cells] > 0]
    pool = nonzero if nonzero.size else open_cells
    return int(pool[np.argmin(values[pool])])


def secondary_suppression(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` extended until no row and no column has exactly one suppressed cell.

    Heuristic (not tau-argus' hypercube, and no check of interval/LP disclosure): repeatedly
    take the first row, else the first column, with exactly one suppressed cell and suppress
    its smallest unsuppressed non-zero cell (a zero only if nothing else is left, since a
    suppressed zero protects little). Stops when stable; every step adds a cell, so it ends.
    Raises ``ValueError`` if a line has no other cell to suppress (a one-row or one-column
    table), where only suppressing the total could protect the cell.
    """
    mask = mask.copy()
    while True:
        rows = np.flatnonzero(mask.sum(axis=1) == 1)
        columns = np.flatnonzero(mask.sum(axis=0) == 1)
        if rows.size:
            line, position = mask[rows[0], :], _secondary_candidate(values[rows[0], :], mask[rows[0], :])
            where = (rows[0], position)
        elif columns.size:
            line, position = mask[:, columns[0]], _secondary_candidate(values[:, columns[0]], mask[:, columns[0]])
            where = (position, columns[0])
        else:
            return mask
        if position is None:
            raise ValueError(f"cannot protect a suppressed cell in a line of {line.size} cell(s): "
                             "merge categories or suppress the total")
        mask[where] = True


def suppress_small_cells(counts: pd.DataFrame, minimum: int = 5, secondary: bool = True, *, margins: bool = True,
                         marker: str = SUPPRESSION_MARKER,
                         total_label: str = TOTAL_LABEL) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small-cell suppression of a two-way table of counts, as statistical offices publish cross-tabs.

    Input: ``counts``, rows × columns of non-negative whole numbers, *without* margins (for
    instance ``pd.crosstab(a, b)``). Primary suppression hides cells with ``0 < n < minimum``;
    true zeros are published (structural/true zeros are not disclosive by themselves, the
    common practice of statistical offices). With ``secondary`` (default) further cells are
    hidden so that no suppressed cell equals a published total minus published cells:
    see :func:`secondary_suppression`.

    Output: ``(table, mask)``. ``table`` (object dtype) has the published counts as ints and
    ``marker`` in suppressed cells, plus (``margins``, default) a ``total_label`` column and
    row holding the *true* totals, never suppressed. ``mask`` is a boolean DataFrame with the
    same index and columns, true where suppressed (margins false). Margins below ``minimum``
    are published as they are: merge such categories before publishing.
    """
    if minimum < 1:
        raise ValueError(f"minimum must be at least 1, not {minimum}")
    values = _count_matrix(counts)
    mask = primary_suppression(values, minimum)
    if secondary:
        mask = secondary_suppression(values, mask)
    published = pd.DataFrame(values, index=counts.index, columns=counts.columns).astype(object)
    published = published.mask(pd.DataFrame(mask, index=counts.index, columns=counts.columns), marker)
    hidden = pd.DataFrame(mask, index=counts.index, columns=counts.columns)
    if margins:
        if total_label in counts.index or total_label in counts.columns:
            raise ValueError(f"{total_label!r} is already a row or column: pass the table without margins")
        published[total_label] = values.sum(axis=1).tolist()
        published.loc[total_label] = [*values.sum(axis=0).tolist(), int(values.sum())]
        hidden[total_label] = False
        hidden.loc[total_label] = False
        published, hidden = published.astype(object), hidden.astype(bool)
    return published, hidden


def suppress_tidy_crosstab(tidy: pd.DataFrame, row: str, column: str, n: str = "n", *, minimum: int = 5,
                           secondary: bool = True, shares: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`suppress_small_cells` on a long cross-tab such as :func:`form_by_sector_table`'s output.

    Input: one row per ``row`` × ``column`` combination (every combination present once, zeros
    included) with counts in ``n``; ``shares`` names columns derived from the counts (default:
    ``["share"]`` if that column exists). The suppression pattern is computed on the wide
    table with row and column totals, since shares reveal the group totals. Output: a copy of
    ``tidy`` (same rows, order and index) in which ``n`` (as nullable ``Int64``) and the shares
    are missing where suppressed, plus a boolean ``suppressed`` column.
    """
    shares = list(shares) if shares is not None else [c for c in ("share",) if c in tidy.columns]
    missing = [c for c in (row, column, n, *shares) if c not in tidy.columns]
    if missing:
        raise ValueError(f"missing columns {missing}")
    if "suppressed" in tidy.columns:
        raise ValueError("the table already has a 'suppressed' column")
    if tidy.duplicated([row, column]).any():
        raise ValueError(f"duplicated {row} × {column} combinations")
    row_order, column_order = pd.unique(tidy[row]), pd.unique(tidy[column])
    if len(tidy) != len(row_order) * len(column_order):
        raise ValueError(f"every {row} × {column} combination must appear once (zeros included)")
    wide = tidy.pivot(index=row, columns=column, values=n).reindex(index=row_order, columns=column_order)
    _, mask = suppress_small_cells(wide, minimum, secondary, margins=False)
    keys = pd.MultiIndex.from_frame(tidy[[row, column]])
    suppressed = mask.stack().reindex(keys).to_numpy(dtype=bool)
    result = tidy.copy()
    result[n] = result[n].astype("Int64").mask(suppressed)
    for share in shares:
        result[share] = result[share].mask(suppressed)
    result["suppressed"] = suppressed
    return result


DESCRIPTIVE_TEXT = {
    "fr": {"all": "Ensemble", "mean_sd": "moyenne (é.-t.)", "n_pct": "n (%)",
           "note": "Moyenne (écart-type) ou effectif (% de la colonne). {marker} : case de moins de {minimum} "
                   "entreprises masquée, avec masquage secondaire."},
    "en": {"all": "All", "mean_sd": "mean (SD)", "n_pct": "n (%)",
           "note": "Mean (standard deviation) or count (% of the column). {marker}: cell of fewer than {minimum} "
                   "firms suppressed, with secondary suppression."},
}


def descriptive_table(analysis: pd.DataFrame, codebook: Codebook, *, continuous: Sequence[str],
                      categorical: Sequence[str], by: str, language: str, minimum_cell: int = 5,
                      digits: int = 2) -> pd.DataFrame:
    """A paper's "Table 1": the model variables overall and by ``by`` (the governance form).

    Input: the analysis frame, one row per firm. ``continuous`` variables show mean (SD) over
    their known values; each ``categorical`` variable a header row and one row per codebook
    answer with count (% of the column), counts under ``minimum_cell`` suppressed with secondary
    suppression (:func:`suppress_small_cells`; the overall column is the row margin, published).
    Output: strings, columns ``part`` and ``term`` (labels from the codebook in ``language``),
    then the overall column and one column per answer of ``by``, each headed with its n; the
    writers of :func:`write_publication_tables` render it, the ``note`` row as the table note.
    """
    text = DESCRIPTIVE_TEXT[language]
    mark = "," if language == "fr" else "."
    groups = codebook_categorical(analysis[by], codebook, by)
    levels = [level for level in groups.cat.categories if (groups == level).any()]
    headers = [f"{text['all']} (n = {len(analysis)})"] + [
        f"{codebook.answer_label(by, level, language)} (n = {int((groups == level).sum())})" for level in levels]
    rows = []
    for variable in continuous:
        values = pd.to_numeric(analysis[variable], errors="coerce")
        cells = [values] + [values[groups == level] for level in levels]
        rows.append(["estimate", f"{codebook.label_or_name(variable, language)}, {text['mean_sd']}"]
                    + [f"{format_number(v.mean(), digits, mark)} ({format_number(v.std(), digits, mark)})"
                       for v in cells])
    for variable in categorical:
        answers = codebook_categorical(analysis[variable], codebook, variable)
        counts = pd.crosstab(answers, groups).reindex(columns=levels, fill_value=0)
        counts = counts.loc[[a for a in counts.index if counts.loc[a].sum() > 0]]
        published, hidden = suppress_small_cells(counts, minimum=minimum_cell)
        column_totals = counts.sum(axis=0)
        rows.append(["estimate", f"{codebook.label_or_name(variable, language)}, {text['n_pct']}"]
                    + [""] * (len(levels) + 1))
        for answer in counts.index:
            total = int(counts.loc[answer].sum())
            cells = [f"{total} ({format_number(100 * total / column_totals.sum(), 1, mark)})"]
            for level in levels:
                n = int(counts.at[answer, level])
                cells.append(SUPPRESSION_MARKER if hidden.at[answer, level]
                             else f"{n} ({format_number(100 * n / column_totals[level], 1, mark)})")
            rows.append(["estimate", f"    {codebook.answer_label(variable, answer, language)}", *cells])
    rows.append(["note", text["note"].format(marker=SUPPRESSION_MARKER, minimum=minimum_cell)]
                + [""] * (len(levels) + 1))
    return pd.DataFrame(rows, columns=[PART_COLUMN, LABEL_COLUMN, *headers])


def publication_set(choice_variants: pd.DataFrame, performance_ols: pd.DataFrame, out_dir: str | Path, *,
                    language: str, se_type: str, codebook: Codebook | None = None,
                    descriptives: pd.DataFrame | None = None, outcome: str = "governance_form") -> list[Path]:
    """The papers' tables in every publication format, from the pipeline's tidy CSVs.

    ``choice_variants`` (model, outcome, term, ... and ``(fit)`` rows; or ``choice_mnl`` alone)
    gives the choice models side by side as relative-risk ratios; ``performance_ols`` the performance outcomes side by
    side (the ``by_form`` models with ``se_type`` SEs). With a ``codebook``, terms and the
    ``outcome`` question's answers are shown by their labels in ``language``. ``descriptives``
    (:func:`descriptive_table`) is written too. Writes ``choice_models.*``,
    ``performance_models.*`` and ``descriptives.*`` (.tex, .md, .html, .docx) in ``out_dir``.
    """
    out_dir = Path(out_dir)
    decimal_mark = "," if language == "fr" else "."
    if "model" not in choice_variants:   # no variants configured: the main model alone
        choice_variants = choice_variants.assign(model="main")
    coefficients = choice_variants[choice_variants["outcome"] != "(fit)"]
    fit_rows = choice_variants[choice_variants["outcome"] == "(fit)"]
    choice_models = {name: rows.drop(columns="model") for name, rows in coefficients.groupby("model", sort=False)}
    choice_fit = {name: dict(zip(rows["term"], rows["estimate"].astype(float)))
                  for name, rows in fit_rows.groupby("model", sort=False)}
    labels = {}
    if codebook is not None:
        terms = set(coefficients["term"].astype(str)) | set(performance_ols["term"].astype(str))
        labels = {term: codebook.term_label(term, language) for term in terms}
        labels |= {form: codebook.answer_label(outcome, form, language) for form in codebook.answer_names(outcome)}
    choice = regression_table(choice_models, exponentiate=True, fit=choice_fit, decimal_mark=decimal_mark,
                              se_type=se_type, term_labels=labels)
    by_form = performance_ols[(performance_ols["model"] == "by_form") & (performance_ols["se_type"] != "cluster")]
    performance = regression_table({outcome: rows.drop(columns=["outcome", "model", "se_type"])
                                    for outcome, rows in by_form.groupby("outcome", sort=False)},
                                   decimal_mark=decimal_mark, se_type=str(by_form["se_type"].iloc[0]),
                                   term_labels=labels)
    captions = {"fr": ("Choix de la forme de gouvernance : rapports de risques relatifs",
                       "Performance de l'alliance selon la forme de gouvernance (MCO)",
                       "Statistiques descriptives selon la forme de gouvernance"),
                "en": ("Choice of governance form: relative-risk ratios",
                       "Alliance performance by governance form (OLS)",
                       "Descriptive statistics by governance form")}[language]
    paths = (write_publication_tables(choice, out_dir / "choice_models", captions[0], "tab:choice")
             + write_publication_tables(performance, out_dir / "performance_models", captions[1], "tab:performance"))
    if descriptives is not None:
        paths += write_publication_tables(descriptives, out_dir / "descriptives", captions[2], "tab:descriptives")
    return paths
