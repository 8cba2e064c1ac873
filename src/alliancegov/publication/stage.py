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


def publication_set(choice_variants: pd.DataFrame | None, performance_ols: pd.DataFrame | None,
                    out_dir: str | Path, *,
                    language: str, choice_cov_type: str, performance_cov_type: str,
                    performance_fit: pd.DataFrame | None = None, codebook: Codebook | None = None,
                    descriptives: pd.DataFrame | None = None, outcome: str = "governance_form",
                    significance: str = "p_value", stars: Sequence[float] = DEFAULT_STARS) -> list[Path]:
    """The papers' tables in every publication format, from the pipeline's tidy CSVs.

    Writes ``choice_models.*``, ``performance_models.*`` and ``descriptives.*`` (.tex, .md,
    .html, .docx) in ``out_dir``.

    Parameters
    ----------
    choice_variants : DataFrame or None
        ``model, outcome, term, ...`` and ``(fit)`` rows (the fit statistics: name in ``term``,
        value in ``estimate``); or ``choice_mnl`` alone (no ``model`` column). Gives the choice
        models side by side as relative-risk ratios, headed ``(1)``, ``(2)``... (the main model
        first), a note saying so; None (no multinomial logit): no such table.
    performance_ols : DataFrame or None
        The performance outcomes side by side: its ``by_form`` models whose ``se_type`` is
        ``performance_cov_type``, headed by the outcomes' labels; None (no performance stage): no
        such table.
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
        The files written: the four formats of the choice models, of the performance models (each
        when given), then (with ``descriptives``) of Table 1; the captions name the outcome by its
        label.

    Raises
    ------
    ValueError
        If ``performance_ols`` has no ``by_form`` rows with ``performance_cov_type``.
    """
    out_dir = Path(out_dir)
    labeller = Labeller(codebook, language, outcome) if codebook is not None else None
    label = labeller.term if labeller is not None else str
    outcome_label = labeller.variable if labeller is not None else str
    shown = dict(significance=significance, stars=stars, language=language, term_labels=label)
    # worded from the outcome's label, not the study's words
    captions = {key: message(f"publication.caption_{key}", language, outcome=outcome_label(outcome))
                for key in ("choice", "performance", "descriptives")}
    paths = []
    if choice_variants is not None:
        paths += write_publication_tables(_choice_models(choice_variants, cov_type=choice_cov_type, **shown),
                                          out_dir / "choice_models", captions["choice"], "tab:choice")
    if performance_ols is not None:
        performance = _performance_models(performance_ols, performance_fit, cov_type=performance_cov_type,
                                          outcome_label=outcome_label, **shown)
        paths += write_publication_tables(performance, out_dir / "performance_models", captions["performance"],
                                          "tab:performance")
    if descriptives is not None:
        paths += write_publication_tables(descriptives, out_dir / "descriptives", captions["descriptives"],
                                          "tab:descriptives")
    return paths


def _choice_models(choice_variants: pd.DataFrame, *, cov_type: str, language: str, **shown) -> pd.DataFrame:
    """The choice models side by side as relative-risk ratios (see :func:`publication_set`)."""
    if "model" not in choice_variants:   # no variants configured: the main model alone
        choice_variants = choice_variants.assign(model="main")
    coefficients = choice_variants[choice_variants["outcome"] != "(fit)"]
    fit_rows = choice_variants[choice_variants["outcome"] == "(fit)"]
    headers, variants_note = numbered_models(list(dict.fromkeys(coefficients["model"].astype(str))), language)
    models = {headers[str(name)]: rows.drop(columns="model")
              for name, rows in coefficients.groupby("model", sort=False)}
    fit = {headers[str(name)]: fit_cells(dict(zip(rows["term"], rows["estimate"].astype(float))), language)
           for name, rows in fit_rows.groupby("model", sort=False)}
    table = regression_table(models, exponentiate=True, fit=fit, se_type=se_description(cov_type, language),
                             language=language, **shown)
    return _with_note(table, variants_note) if len(models) > 1 else table


def _performance_models(performance_ols: pd.DataFrame, performance_fit: pd.DataFrame | None, *, cov_type: str,
                        outcome_label, language: str, **shown) -> pd.DataFrame:
    """The performance outcomes' ``by_form`` models side by side (see :func:`publication_set`)."""
    by_form = performance_ols[(performance_ols["model"] == "by_form")
                              & (performance_ols["se_type"].astype(str) == cov_type)]
    if by_form.empty:
        raise ValueError(f"performance_ols has no by_form rows with se_type {cov_type!r}")
    fit = {}
    if performance_fit is not None:
        kept = performance_fit[performance_fit["se_type"].astype(str) == cov_type]
        fit = {outcome_label(name): fit_cells(dict(zip(rows["statistic"], rows["value"].astype(float))), language)
               for name, rows in kept.groupby("outcome", sort=False)}
    return regression_table({outcome_label(name): rows.drop(columns=["outcome", "model", "se_type"])
                             for name, rows in by_form.groupby("outcome", sort=False)},
                            se_type=se_description(cov_type, language), fit=fit, language=language, **shown)


def _with_note(table: pd.DataFrame, note: str) -> pd.DataFrame:
    """``table`` (a regression table) with one more note row."""
    row = {column: "" for column in table.columns} | {PART_COLUMN: "note", LABEL_COLUMN: note}
    return pd.concat([table, pd.DataFrame([row])], ignore_index=True).astype(object)


def run(*, data: str, codebook: Sequence[str], outputs: dict[str, str], language: str, choice_cov_type: str,
        performance_cov_type: str, descriptives: dict, outcome: str, minimum_cell: int, choice: str | None = None,
        performance: str | None = None, performance_fit: str | None = None, significance: str = "p_value",
        stars: Sequence[float] = DEFAULT_STARS, correlations: str | None = None,
        correlation_settings: Mapping | None = None, weights: str | None = None) -> list[Path]:
    """The publication_tables rule: the papers' tables in LaTeX, Markdown, HTML and Word.

    The choice and performance models side by side, and Table 1.

    Parameters
    ----------
    choice : str, optional
        ``choice_variants.csv`` (or ``choice_mnl.csv`` without variants); none without the
        multinomial logit.
    performance, performance_fit : str, optional
        ``performance_ols.csv`` and ``performance_fit.csv``; none without the performance stage.
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
    weights : str, optional
        The frequency-weight column (``choice.weights``): Table 1 counts it.
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

    from alliancegov.frame_columns import named_in, read_frame

    book = Codebook.from_files(codebook)
    frame = read_frame(data, named_in(descriptives, outcome, weights))   # Table 1's variables
    table_1 = descriptive_table(frame, book, continuous=descriptives["continuous"],
                                categorical=descriptives["categorical"], by=outcome, language=language,
                                minimum_cell=minimum_cell, weights=weights)
    folder = Path(next(iter(outputs.values()))).parent
    paths = publication_set(pd.read_csv(choice) if choice else None, pd.read_csv(performance) if performance else None,
                            folder, language=language, choice_cov_type=choice_cov_type,
                            performance_cov_type=performance_cov_type,
                            performance_fit=pd.read_csv(performance_fit) if performance_fit else None, codebook=book,
                            descriptives=table_1, outcome=outcome, significance=significance, stars=stars)
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
