"""The papers' tables in LaTeX, Markdown, HTML and Word (rule ``publication_tables``).

The choice models side by side (relative-risk ratios), the performance outcomes side by side,
the descriptive "Table 1" and, with the measurement stage, the correlation table; every label
in the configured language, from the codebook and the message catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.messages import message
from alliancegov.messages.labels import Labeller
from alliancegov.publication.descriptive import descriptive_table
from alliancegov.publication.regression import DEFAULT_STARS, fit_cells, regression_table, se_description
from alliancegov.table_formats import LABEL_COLUMN, PART_COLUMN, write_publication_tables


def numbered_models(names: Sequence[str], language: str) -> tuple[dict[str, str], str]:
    """Column headers ``(1)``, ``(2)``... for models named in the configuration, and the note naming them.

    Parameters
    ----------
    names : sequence of str
        The models in order, the main one first.
    language : {"fr", "en"}

    Returns
    -------
    headers : dict of str to str
        Model name → ``"(i)"``.
    note : str
        What the columns are (the first the main specification; each other one its terms).
    """
    headers = {name: f"({i})" for i, name in enumerate(names, start=1)}
    return headers, message("publication.variants_note", language, last=len(names))


def publication_set(choice_variants: pd.DataFrame, performance_ols: pd.DataFrame, out_dir: str | Path, *,
                    language: str, choice_cov_type: str, performance_cov_type: str,
                    performance_fit: pd.DataFrame | None = None, codebook: Codebook | None = None,
                    descriptives: pd.DataFrame | None = None, outcome: str = "governance_form",
                    significance: str = "p_value", stars: Sequence[float] = DEFAULT_STARS) -> list[Path]:
    """The papers' tables in every publication format, from the pipeline's tidy CSVs.

    Writes ``choice_models.*``, ``performance_models.*`` and ``descriptives.*`` (.tex, .md,
    .html, .docx) in ``out_dir``.

    Parameters
    ----------
    choice_variants : DataFrame
        ``model, outcome, term, ...`` and ``(fit)`` rows (the fit statistics: name in ``term``,
        value in ``estimate``); or ``choice_mnl`` alone (no ``model`` column). Gives the choice
        models side by side as relative-risk ratios, headed ``(1)``, ``(2)``... (the main model
        first), a note saying so.
    performance_ols : DataFrame
        The performance outcomes side by side: its ``by_form`` models whose ``se_type`` is
        ``performance_cov_type``, headed by the outcomes' labels.
    out_dir : str or Path
        Folder of the files.
    language : {"fr", "en"}
        Language of the captions, labels and numbers.
    choice_cov_type, performance_cov_type : str
        The ``cov_type`` of the choice and performance models, named in the tables' notes
        (:func:`~alliancegov.publication.regression.se_description`).
    performance_fit : DataFrame, optional
        ``outcome, se_type, statistic, value`` (the ``performance_fit`` table): the N, clusters,
        R², adjusted R² and F of each outcome's model under ``performance_cov_type``.
    codebook : Codebook, optional
        With it, terms, outcomes and the ``outcome`` question's answers are shown by their labels
        in ``language``.
    descriptives : DataFrame, optional
        :func:`~alliancegov.publication.descriptive.descriptive_table`'s output, written too.
    outcome : str
        The choice models' outcome question.
    significance : {"p_value", "stars"}
        Exact p-values under each estimate, or stars at ``stars``.
    stars : sequence of float
        The star thresholds.

    Returns
    -------
    list of Path
        The files written: the four formats of the choice models, of the performance models, then
        (with ``descriptives``) of Table 1.

    Raises
    ------
    ValueError
        If ``performance_ols`` has no ``by_form`` rows with ``performance_cov_type``.
    """
    out_dir = Path(out_dir)
    if "model" not in choice_variants:   # no variants configured: the main model alone
        choice_variants = choice_variants.assign(model="main")
    coefficients = choice_variants[choice_variants["outcome"] != "(fit)"]
    fit_rows = choice_variants[choice_variants["outcome"] == "(fit)"]
    headers, variants_note = numbered_models(list(dict.fromkeys(coefficients["model"].astype(str))), language)
    choice_models = {headers[str(name)]: rows.drop(columns="model")
                     for name, rows in coefficients.groupby("model", sort=False)}
    choice_fit = {headers[str(name)]: fit_cells(dict(zip(rows["term"], rows["estimate"].astype(float))), language)
                  for name, rows in fit_rows.groupby("model", sort=False)}
    labeller = Labeller(codebook, language, outcome) if codebook is not None else None
    label = labeller.term if labeller is not None else str
    shown = dict(significance=significance, stars=stars, language=language, term_labels=label)
    choice = regression_table(choice_models, exponentiate=True, fit=choice_fit,
                              se_type=se_description(choice_cov_type, language), **shown)
    if len(choice_models) > 1:
        choice = _with_note(choice, variants_note)
    by_form = performance_ols[(performance_ols["model"] == "by_form")
                              & (performance_ols["se_type"].astype(str) == performance_cov_type)]
    if by_form.empty:
        raise ValueError(f"performance_ols has no by_form rows with se_type {performance_cov_type!r}")
    outcome_label = labeller.variable if labeller is not None else str
    performance_fit_cells = {}
    if performance_fit is not None:
        kept = performance_fit[performance_fit["se_type"].astype(str) == performance_cov_type]
        performance_fit_cells = {outcome_label(name): fit_cells(dict(zip(rows["statistic"],
                                                                         rows["value"].astype(float))), language)
                                 for name, rows in kept.groupby("outcome", sort=False)}
    performance = regression_table({outcome_label(name): rows.drop(columns=["outcome", "model", "se_type"])
                                    for name, rows in by_form.groupby("outcome", sort=False)},
                                   se_type=se_description(performance_cov_type, language), fit=performance_fit_cells,
                                   **shown)
    paths = (write_publication_tables(choice, out_dir / "choice_models",
                                      message("publication.caption_choice", language),
                                      "tab:choice")
             + write_publication_tables(performance, out_dir / "performance_models",
                                        message("publication.caption_performance", language), "tab:performance"))
    if descriptives is not None:
        paths += write_publication_tables(descriptives, out_dir / "descriptives",
                                          message("publication.caption_descriptives", language), "tab:descriptives")
    return paths


def _with_note(table: pd.DataFrame, note: str) -> pd.DataFrame:
    """``table`` (a regression table) with one more note row."""
    row = {column: "" for column in table.columns} | {PART_COLUMN: "note", LABEL_COLUMN: note}
    return pd.concat([table, pd.DataFrame([row])], ignore_index=True).astype(object)


def run(*, choice: str, performance: str, performance_fit: str, data: str, codebook: Sequence[str],
        outputs: dict[str, str], language: str, choice_cov_type: str, performance_cov_type: str, descriptives: dict,
        outcome: str, minimum_cell: int, significance: str = "p_value", stars: Sequence[float] = DEFAULT_STARS,
        correlations: str | None = None, correlation_settings: Mapping | None = None) -> list[Path]:
    """The publication_tables rule: the papers' tables in LaTeX, Markdown, HTML and Word.

    The choice and performance models side by side, and Table 1.

    Parameters
    ----------
    choice : str
        ``choice_variants.csv`` (or ``choice_mnl.csv`` without variants).
    performance : str
        ``performance_ols.csv``.
    performance_fit : str
        ``performance_fit.csv``.
    data : str
        Parquet file of the analysis frame (Table 1).
    codebook : sequence of str
        The codebook's three files (labels).
    outputs : dict of str to str
        The rule's outputs (``<stem>_<suffix>``): every file goes to their folder.
    language : {"fr", "en"}
        Language of the tables.
    choice_cov_type, performance_cov_type : str
        The ``cov_type`` of the choice and performance models, for the notes.
    descriptives : dict
        ``continuous`` and ``categorical`` variables of Table 1 (the config's ``figures.descriptives``).
    outcome : str
        The governance form, Table 1's columns.
    minimum_cell : int
        Table 1's counts below it are suppressed.
    significance : {"p_value", "stars"}
        The config's ``report.significance``: exact p-values or stars.
    stars : sequence of float
        The config's ``report.stars``.
    correlations : str, optional
        The measurement stage's ``correlations.csv``: with it, ``correlations.*`` too
        (:func:`alliancegov.correlation_matrix.correlation_matrix`).
    correlation_settings : mapping, optional
        The config's ``measurement:`` section (``correlations.significance``, ``correlations.stars``,
        ``common_method.marker``).

    Returns
    -------
    list of Path
        The files written (:func:`publication_set`, then the correlation table's).

    Raises
    ------
    ValueError
        If a file written is not among ``outputs``.
    """
    import logging

    book = Codebook.from_files(codebook)
    table_1 = descriptive_table(pd.read_parquet(data), book, continuous=descriptives["continuous"],
                                categorical=descriptives["categorical"], by=outcome, language=language,
                                minimum_cell=minimum_cell)
    folder = Path(next(iter(outputs.values()))).parent
    paths = publication_set(pd.read_csv(choice), pd.read_csv(performance), folder, language=language,
                            choice_cov_type=choice_cov_type, performance_cov_type=performance_cov_type,
                            performance_fit=pd.read_csv(performance_fit), codebook=book, descriptives=table_1,
                            outcome=outcome, significance=significance, stars=stars)
    if correlations:
        from alliancegov.correlation_matrix import CORRELATION_TEXT, correlation_matrix

        settings = correlation_settings or {}
        shown = settings.get("correlations") or {}
        matrix = correlation_matrix(pd.read_csv(correlations, keep_default_na=False, na_values=[""]), book,
                                    language=language, significance=shown.get("significance", "stars"),
                                    stars=shown.get("stars", DEFAULT_STARS),
                                    marker=(settings.get("common_method") or {}).get("marker"))
        paths += write_publication_tables(matrix, folder / "correlations", CORRELATION_TEXT[language]["caption"],
                                          "tab:correlations")
    unexpected = sorted({str(path) for path in paths} - {str(Path(path)) for path in outputs.values()})
    if unexpected:
        raise ValueError(f"publication tables written but not declared as outputs: {unexpected}")
    logging.getLogger("alliancegov").info("publication tables: %s", ", ".join(map(str, paths)))
    return paths
