"""The report's tables as a reader sees them: codebook labels in place of canonical names, verdicts
in the report's language, numbers with three decimals in the language's notation, every cell escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from alliancegov.formatting import number_format
from alliancegov.report.text import COLUMN_LABELS, REPORT_TEXT, VERDICTS

if TYPE_CHECKING:
    from markupsafe import Markup

    from alliancegov.codebook.tables import Codebook


TABLE_DECIMALS = 3


OUTCOME_COLUMNS = ("outcome", "from_state", "to_state")  # cells that are answers of the choice outcome


ALL_FORMS = "all"  # alliancegov.stats.transitions.ALL_STATES


def table_html(table: pd.DataFrame, language: str) -> Markup:
    """``table`` as an escaped HTML table: known column names translated, floats with 3 decimals.

    Every header and cell is HTML-escaped by pandas before the result is marked safe for the
    template.

    Parameters
    ----------
    table : DataFrame
        Any table (its index is not shown).
    language : {"fr", "en"}
        Language of the column names (:data:`~alliancegov.report.text.COLUMN_LABELS`) and of the
        numbers.

    Returns
    -------
    markupsafe.Markup
        A ``<table class="data">``; floats with :data:`TABLE_DECIMALS` decimals in the language's
        number format, missing values blank.
    """
    from markupsafe import Markup

    labelled = table.rename(columns=COLUMN_LABELS[language])
    numbers = number_format(language)
    html = labelled.to_html(escape=True, index=False, float_format=lambda value: numbers.fixed(value, TABLE_DECIMALS),
                            na_rep="", border=0, classes="data")
    return Markup(html)


def label_cells(table: pd.DataFrame, codebook: Codebook, language: str, outcome: str) -> pd.DataFrame:
    """``table`` with codebook labels in ``language`` in place of canonical names.

    As a reader expects them in a published table: ``term`` cells (``sector[textile]`` →
    "Secteur : Textile-habillement", a scale → its label), answers in any column named after a
    codebook question (``outcome``, ``from_state`` and ``to_state`` cells are answers of the
    ``outcome`` question, and their ``all`` row the "any form" label), and those columns' headers
    (unless :data:`~alliancegov.report.text.COLUMN_LABELS` translates them). Names the codebook
    does not know stay as written.

    Parameters
    ----------
    table : DataFrame
        A table of the report.
    codebook : Codebook
        The labels.
    language : {"fr", "en"}
        Language of the labels.
    outcome : str
        The choice model's question.

    Returns
    -------
    DataFrame
        A relabelled copy of ``table``.
    """
    out = table.copy()
    if "term" in out:
        out["term"] = out["term"].map(lambda t: codebook.term_label(t, language) if isinstance(t, str) else t)
    headers = {}
    for column in out.columns:
        variable = outcome if column in OUTCOME_COLUMNS else column
        if variable not in codebook.variables.index:
            continue
        if codebook.variables.at[variable, "list_name"]:
            answers = {name: codebook.answer_label(variable, name, language)
                       for name in codebook.answer_names(variable)}
            if column in OUTCOME_COLUMNS:  # the panel tables' row over every form
                answers[ALL_FORMS] = REPORT_TEXT[language]["all_forms"]
            out[column] = out[column].map(lambda value, answers=answers: answers.get(value, value))
        if column not in COLUMN_LABELS[language]:
            headers[column] = codebook.label(variable, language)
    return out.rename(columns=headers)


def translate_verdicts(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """Verdict cells in ``language``.

    Parameters
    ----------
    table : DataFrame
        A table whose ``check_verdict`` and ``verdict`` columns, if any, hold verdicts
        (``supported``, ``contradicted``, ``inconclusive``).
    language : {"fr", "en"}

    Returns
    -------
    DataFrame
        A copy with those cells translated; other values stay as written.
    """
    columns = [c for c in ("check_verdict", "verdict") if c in table]
    return table.assign(**{c: table[c].map(lambda v: VERDICTS[language].get(v, v)) for c in columns})
