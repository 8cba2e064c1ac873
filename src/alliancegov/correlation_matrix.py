"""The correlation table of a paper, wide: means, SDs, correlations, reliabilities on the diagonal.

Built from the measurement stage's tidy ``correlations.csv`` (one row per cell of the lower
triangle and the diagonal) in the layout the writers of :mod:`alliancegov.table_formats` render
(``part`` and ``term`` columns, ``note`` rows): one row per variable, numbered, with its mean and
SD, its correlations with the variables before it below the diagonal, its reliability in
parentheses on the diagonal and, with a marker variable, the Lindell & Whitney corrected
correlations above the diagonal. Significance is shown as the journal asks: stars at given
thresholds, or exact p-values in a row under each variable's correlations.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.formatting import number_format
from alliancegov.table_formats import LABEL_COLUMN, PART_COLUMN

CORRELATION_TEXT = {
    "en": {"mean": "Mean", "sd": "SD", "caption": "Means, standard deviations and correlations",
           "n": "N = {n_min} to {n_max} responses (pairwise) from {firms} firms.",
           "n_one": "N = {n_min} responses from {firms} firms.",
           "tests": ("Each correlation is tested as the slope of the standardised variable on the other (equal to r) "
                     "with firm-clustered standard errors (CR1) and a t test on G - 1 degrees of freedom, because "
                     "firms answer in several survey waves."),
           "stars": "{stars}, two-sided.", "p_value": "Exact two-sided p-values in parentheses under the correlations.",
           "diagonal": "Diagonal, in parentheses: {kinds}.",
           "marker": ("Above the diagonal: correlations corrected for common-method variance by the marker variable "
                      "{marker} (Lindell & Whitney 2001; r_M = {r_m}), tested the same way.")},
    "fr": {"mean": "Moyenne", "sd": "É.-T.", "caption": "Moyennes, écarts-types et corrélations",
           "n": "N = {n_min} à {n_max} réponses (par paire) de {firms} entreprises.",
           "n_one": "N = {n_min} réponses de {firms} entreprises.",
           "tests": ("Chaque corrélation est testée comme la pente de la variable standardisée sur l'autre "
                     "(égale à r), avec des erreurs types par grappe d'entreprise (CR1) et un test t à G - 1 "
                     "degrés de liberté, car les entreprises répondent à plusieurs vagues d'enquête."),
           "stars": "{stars}, bilatéral.", "p_value": "p exacts (bilatéraux) entre parenthèses sous les corrélations.",
           "diagonal": "Diagonale, entre parenthèses : {kinds}.",
           "marker": ("Au-dessus de la diagonale : corrélations corrigées de la variance de méthode commune par la "
                      "variable marqueur {marker} (Lindell & Whitney 2001 ; r_M = {r_m}), testées de même.")},
}
RELIABILITY_NAMES = {"fr": {"Cronbach's alpha": "alpha de Cronbach"}, "en": {}}


def correlation_matrix(correlations: pd.DataFrame, codebook: Codebook | None = None, *, language: str = "en",
                       significance: str = "stars", stars: Sequence[float] = (0.05, 0.01, 0.001), digits: int = 2,
                       marker: str | None = None, marker_correlation: float | None = None) -> pd.DataFrame:
    """The wide correlation table of ``correlations.csv``.

    Parameters
    ----------
    correlations : DataFrame
        The measurement stage's tidy table (``variable_a, variable_b, n, n_clusters, mean, sd,
        reliability, reliability_type, estimate, p_value, marker_adjusted, marker_p_value``).
    codebook : Codebook, optional
        Labels of the variables in ``language``; without it the names are shown.
    language : {"en", "fr"}, default="en"
        Language of the headers, the notes and the numbers.
    significance : {"stars", "p_value"}, default="stars"
        Stars after each r (one per threshold of ``stars`` its p-value is below), or a row of
        exact p-values under each variable's row.
    stars : sequence of float, default=(0.05, 0.01, 0.001)
        The thresholds.
    digits : int, default=2
        Decimals of means, SDs, correlations and reliabilities (p-values get 3).
    marker : str, optional
        The marker variable; with ``marker_correlation`` the corrected correlations fill the
        upper triangle.
    marker_correlation : float, optional
        r_M, for the note; by default recovered from a corrected pair, r_M = (r - r_A) / (1 - r_A).

    Returns
    -------
    DataFrame
        Strings, columns ``part, term, <Mean>, <SD>, 1, ..., k``: per variable (in the table's
        order) an ``estimate`` row labelled ``"i. label"``, in ``p_value`` mode followed by a
        ``statistic`` row of p-values; then ``note`` rows (N, the tests, the significance, the
        diagonal, the marker).

    Raises
    ------
    ValueError
        If ``significance`` is unknown.
    """
    if significance not in ("stars", "p_value"):
        raise ValueError(f"significance must be 'stars' or 'p_value', not {significance!r}")
    text = CORRELATION_TEXT[language]
    numbers = number_format(language)
    diagonal = correlations[correlations["variable_a"] == correlations["variable_b"]].set_index("variable_a")
    pairs = correlations[correlations["variable_a"] != correlations["variable_b"]]
    cells = {(row.variable_a, row.variable_b): row for row in pairs.itertuples()}
    variables = list(diagonal.index)
    numbered = [str(i) for i in range(1, len(variables) + 1)]
    thresholds = sorted(stars, reverse=True)
    corrected = marker is not None and "marker_adjusted" in pairs and pairs["marker_adjusted"].notna().any()

    def r_text(value, p_value):
        shown = numbers.fixed(value, digits)
        if shown and significance == "stars" and pd.notna(p_value):
            shown += "*" * sum(float(p_value) < threshold for threshold in thresholds)
        return shown

    rows = []
    for i, a in enumerate(variables):
        label = codebook.label_or_name(a, language) if codebook is not None else a
        estimate = {PART_COLUMN: "estimate", LABEL_COLUMN: f"{i + 1}. {label}",
                    text["mean"]: numbers.fixed(diagonal.at[a, "mean"], digits),
                    text["sd"]: numbers.fixed(diagonal.at[a, "sd"], digits)}
        p_values = {PART_COLUMN: "statistic", LABEL_COLUMN: "", text["mean"]: "", text["sd"]: ""}
        for j, b in enumerate(variables):
            key = numbered[j]
            p_values[key] = ""
            if j < i:
                cell = cells[(a, b)]
                estimate[key] = r_text(cell.estimate, cell.p_value)
                p_values[key] = _p_text(cell.p_value, numbers)
            elif j == i:
                value = diagonal.at[a, "reliability"]
                estimate[key] = f"({numbers.fixed(value, digits)})" if pd.notna(value) else "—"
            elif corrected and (b, a) in cells:
                cell = cells[(b, a)]
                estimate[key] = r_text(cell.marker_adjusted, cell.marker_p_value)
                p_values[key] = _p_text(cell.marker_p_value, numbers)
            else:
                estimate[key] = ""
        rows.append(estimate)
        if significance == "p_value":
            rows.append(p_values)
    notes = _notes(correlations, diagonal, pairs, text, numbers, significance, thresholds, language)
    if corrected:
        if marker_correlation is None:
            pair = pairs[pairs["marker_adjusted"].notna()].iloc[0]
            marker_correlation = (pair["estimate"] - pair["marker_adjusted"]) / (1 - pair["marker_adjusted"])
        notes.append(text["marker"].format(marker=codebook.label_or_name(marker, language) if codebook else marker,
                                           r_m=numbers.fixed(marker_correlation, 3)))
    rows += [{PART_COLUMN: "note", LABEL_COLUMN: note} for note in notes]
    columns = [PART_COLUMN, LABEL_COLUMN, text["mean"], text["sd"], *numbered]
    return pd.DataFrame(rows, columns=columns).fillna("").astype(object)


def _p_text(p_value, numbers) -> str:
    """An exact p-value in parentheses, ``(< 0.001)`` below 0.001; blank when missing."""
    if pd.isna(p_value):
        return ""
    return f"(< {numbers.fixed(0.001, 3)})" if p_value < 0.001 else f"({numbers.fixed(p_value, 3)})"


def _notes(correlations, diagonal, pairs, text, numbers, significance, thresholds, language) -> list[str]:
    counts = pairs["n"] if len(pairs) else diagonal["n"]
    n_min, n_max = int(counts.min()), int(counts.max())
    firms = int(correlations["n_clusters"].max())
    notes = [text["n" if n_min != n_max else "n_one"].format(n_min=numbers.count(n_min), n_max=numbers.count(n_max),
                                                            firms=numbers.count(firms)), text["tests"]]
    if significance == "stars":
        marks = ", ".join(f"{'*' * (i + 1)} p < {numbers.general(t)}" for i, t in enumerate(thresholds))
        notes.append(text["stars"].format(stars=marks))
    else:
        notes.append(text["p_value"])
    kinds = [kind for kind in dict.fromkeys(diagonal["reliability_type"].dropna()) if kind]
    if kinds:
        names = RELIABILITY_NAMES[language]
        notes.append(text["diagonal"].format(kinds="; ".join(names.get(kind, kind) for kind in kinds)))
    return notes
