"""A paper's "Table 1": the model variables overall and by governance form, small cells suppressed."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.validation import codebook_categorical
from alliancegov.disclosure import SUPPRESSION_MARKER, suppress_small_cells
from alliancegov.formatting import number_format
from alliancegov.messages import section
from alliancegov.table_formats import LABEL_COLUMN, PART_COLUMN


def descriptive_table(analysis: pd.DataFrame, codebook: Codebook, *, continuous: Sequence[str],
                      categorical: Sequence[str], by: str, language: str, minimum_cell: int = 5,
                      digits: int = 2, weights: str | None = None) -> pd.DataFrame:
    """A paper's "Table 1": the model variables overall and by ``by`` (the governance form).

    Parameters
    ----------
    analysis : DataFrame
        The analysis frame, one row per firm.
    codebook : Codebook
        Labels of the variables and their answers.
    continuous : sequence of str
        Variables shown as mean (SD) over their known values.
    categorical : sequence of str
        Variables shown as a header row and one row per codebook answer given at least once, with
        count (% of the column); counts under ``minimum_cell`` are suppressed with secondary
        suppression (:func:`~alliancegov.disclosure.suppress_small_cells`; the overall column is
        the row margin, published).
    by : str
        The variable of the columns.
    language : {"fr", "en"}
        Language of the labels, the note and the numbers.
    minimum_cell : int
        Smallest count published.
    digits : int
        Decimals of the means and SDs.
    weights : str, optional
        A column of frequency weights (a row stands for that many observations, as
        ``choice.weights``): counts, n and shares are sums of them, means and SDs those of the rows
        repeated. None counts rows.

    Returns
    -------
    DataFrame
        Strings, columns ``part`` and ``term`` (labels from the codebook in ``language``), then
        the overall column and one column per answer of ``by`` present in the data, each headed
        with its n; the last row is the ``note``. The writers of
        :func:`~alliancegov.table_formats.write_publication_tables` render it, the ``note`` row as
        the table note.
    """
    text = section("descriptive", language)
    numbers = number_format(language)
    derived = section("variables", language)

    def label(variable: str) -> str:
        return str(derived.get(variable) or codebook.label_or_name(variable, language))

    groups = codebook_categorical(analysis[by], codebook, by)
    levels = [level for level in groups.cat.categories if (groups == level).any()]
    frequency = (pd.to_numeric(analysis[weights]) if weights else pd.Series(1, index=analysis.index)).astype("int64")
    headers = [f"{text['all']} (n = {numbers.count(int(frequency.sum()))})"] + [
        f"{codebook.answer_label(by, level, language)} (n = {numbers.count(int(frequency[groups == level].sum()))})"
        for level in levels]
    rows = []
    for variable in continuous:
        values = pd.to_numeric(analysis[variable], errors="coerce")
        cells = [values] + [values[groups == level] for level in levels]
        if weights:   # the rows repeated as often as their weight (frequency weights)
            cells = [v.repeat(frequency[v.index]) for v in cells]
        rows.append(["estimate", f"{label(variable)}, {text['mean_sd']}"]
                    + [f"{numbers.fixed(v.mean(), digits)} ({numbers.fixed(v.std(), digits)})"
                       for v in cells])
    for variable in categorical:
        answers = codebook_categorical(analysis[variable], codebook, variable)
        counts = (pd.crosstab(answers, groups, values=frequency, aggfunc="sum").fillna(0).astype("int64") if weights
                  else pd.crosstab(answers, groups)).reindex(columns=levels, fill_value=0)
        counts = counts.loc[[a for a in counts.index if counts.loc[a].sum() > 0]]
        published, hidden = suppress_small_cells(counts, minimum=minimum_cell)
        column_totals = counts.sum(axis=0)
        rows.append(["estimate", f"{label(variable)}, {text['n_pct']}"]
                    + [""] * (len(levels) + 1))
        for answer in counts.index:
            total = int(counts.loc[answer].sum())
            cells = [f"{total} ({numbers.fixed(100 * total / column_totals.sum(), 1)})"]
            for level in levels:
                n = int(counts.at[answer, level])
                cells.append(SUPPRESSION_MARKER if hidden.at[answer, level]
                             else f"{n} ({numbers.fixed(100 * n / column_totals[level], 1)})")
            rows.append(["estimate", f"    {codebook.answer_label(variable, answer, language)}", *cells])
    rows.append(["note", text["note"].format(marker=SUPPRESSION_MARKER, minimum=minimum_cell)]
                + [""] * (len(levels) + 1))
    return pd.DataFrame(rows, columns=[PART_COLUMN, LABEL_COLUMN, *headers])
