"""The papers' tables: models side by side and the descriptive "Table 1".

Models are set side by side as R's modelsummary or Stata's esttab do; every table is rendered in
every publication format by :mod:`alliancegov.table_formats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.codebook.validation import codebook_categorical
from alliancegov.disclosure import SUPPRESSION_MARKER, suppress_small_cells
from alliancegov.formatting import NumberFormat, number_format
from alliancegov.table_formats import LABEL_COLUMN, PART_COLUMN, write_publication_tables


def significance_stars(p_value: float, stars: Sequence[float] = (0.1, 0.05, 0.01)) -> str:
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
    >>> [significance_stars(p) for p in (0.009, 0.04, 0.09, 0.2, 0.05)]
    ['***', '**', '*', '', '*']
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


def _cell_pair(row: pd.Series, *, statistic: str, stars: Sequence[float], digits: int, exponentiate: bool,
               numbers: NumberFormat) -> tuple[str, str]:
    """The estimate cell (with stars) and the statistic cell of one tidy row."""
    estimate = float(row["estimate"]) if pd.notna(row["estimate"]) else np.nan
    scale = np.exp(estimate) if exponentiate else estimate
    shown = numbers.fixed(scale, digits)
    if shown:
        shown += significance_stars(row.get("p_value"), stars) if stars else ""
    if statistic == "std_error":
        se = float(row["std_error"]) if pd.notna(row["std_error"]) else np.nan
        se = scale * se if exponentiate else se  # delta method: d exp(b) = exp(b) db
        text = numbers.fixed(se, digits)
        return shown, f"({text})" if text else ""
    bounds = [float(row[c]) if pd.notna(row[c]) else np.nan for c in ("conf_low", "conf_high")]
    low, high = (numbers.fixed(np.exp(b) if exponentiate else b, digits) for b in bounds)
    separator = "; " if numbers.decimal_mark == "," else ", "
    return shown, f"[{low}{separator}{high}]" if low and high else ""


def _fit_rows(fit: dict[str, dict[str, object]], names: Sequence[str], digits: int,
              numbers: NumberFormat) -> list[dict[str, str]]:
    """One row per fit statistic (first-appearance order); blank where a model lacks it."""
    unknown = [name for name in fit if name not in names]
    if unknown:
        raise ValueError(f"fit statistics for unknown models {unknown}; models are {list(names)}")
    statistics = dict.fromkeys(key for name in names for key in fit.get(name, {}))
    return [
        {PART_COLUMN: "fit", LABEL_COLUMN: str(key)}
        | {name: numbers.fixed(fit.get(name, {}).get(key), digits) for name in names}
        for key in statistics
    ]


NOTE_TEXT = {
    "en": {"se": "{kind} in parentheses", "se_plain": "Standard errors", "se_kind": "{kind} standard errors",
           "delta": " (delta method: exp(b)·se)", "ci": "Confidence intervals in brackets.",
           "ci_se": " Standard errors: {kind}.",
           "ratios": "Exponentiated coefficients (odds or relative-risk ratios); p-values test a ratio of 1."},
    "fr": {"se": "{kind} entre parenthèses", "se_plain": "Erreurs types", "se_kind": "Erreurs types {kind}",
           "delta": " (méthode delta : exp(b)·e.-t.)", "ci": "Intervalles de confiance entre crochets.",
           "ci_se": " Erreurs types : {kind}.",
           "ratios": "Coefficients exponentiés (rapports de cotes ou de risques relatifs) ; les p testent un "
                     "rapport égal à 1."},
}


SE_KINDS = {
    "en": {"model": "model-based", "nonrobust": "classical (homoskedastic)", "robust": "robust (sandwich)",
           "HC0": "heteroskedasticity-robust (HC0)", "HC1": "heteroskedasticity-robust (HC1)",
           "HC2": "heteroskedasticity-robust (HC2)", "HC3": "heteroskedasticity-robust (HC3)",
           "cluster": "firm-clustered (CR1)", "design": "design-based (linearisation)"},
    "fr": {"model": "du modèle", "nonrobust": "classiques (homoscédastiques)", "robust": "robustes (sandwich)",
           "HC0": "robustes à l'hétéroscédasticité (HC0)", "HC1": "robustes à l'hétéroscédasticité (HC1)",
           "HC2": "robustes à l'hétéroscédasticité (HC2)", "HC3": "robustes à l'hétéroscédasticité (HC3)",
           "cluster": "groupées par entreprise (CR1)", "design": "du plan de sondage (linéarisation)"},
}


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
    return SE_KINDS[language].get(cov_type, cov_type)


def _note_lines(*, statistic: str, stars: Sequence[float], exponentiate: bool, se_type: str | None,
                numbers: NumberFormat, language: str) -> list[str]:
    """The notes under a regression table: star thresholds, then what the bracketed numbers are."""
    text = NOTE_TEXT[language]
    lines = []
    if stars:
        thresholds = sorted(stars, reverse=True)
        lines.append(", ".join(f"{'*' * (i + 1)} p < {numbers.general(t)}"
                               for i, t in enumerate(thresholds)))
    if statistic == "std_error":
        kind = text["se_kind"].format(kind=se_type) if se_type else text["se_plain"]
        kind = kind[0].upper() + kind[1:]
        lines.append(text["se"].format(kind=kind) + (text["delta"] if exponentiate else "") + ".")
    else:
        lines.append(text["ci"] + (text["ci_se"].format(kind=se_type) if se_type else ""))
    if exponentiate:
        lines.append(text["ratios"])
    return lines


def regression_table(models: dict[str, pd.DataFrame], *, statistic: Literal["std_error", "conf_int"] = "std_error",
                     stars: Sequence[float] | None = (0.1, 0.05, 0.01), digits: int = 3, exponentiate: bool = False,
                     fit: dict[str, dict[str, float]] | None = None, term_labels: dict | None = None,
                     language: str = "en", se_type: str | None = None) -> pd.DataFrame:
    """Models side by side, two rows per term, as R's modelsummary or Stata's esttab.

    Parameters
    ----------
    models : dict of str to DataFrame
        Maps a column name to a tidy table with one row per term and columns ``term, estimate``
        plus ``std_error`` (``statistic="std_error"``) or ``conf_low, conf_high`` (``"conf_int"``),
        ``p_value`` (unless ``stars`` is empty) and optionally ``outcome`` (multinomial equations);
        other columns are ignored.
    statistic : {"std_error", "conf_int"}
        What the second row of a term shows.
    stars : sequence of float or None
        Significance thresholds; empty or None for no stars.
    digits : int
        Decimals of the estimates, statistics and float fit statistics.
    exponentiate : bool
        Show ``exp(estimate)``, ``exp(conf_low)``, ``exp(conf_high)`` and
        ``exp(estimate)·std_error`` (delta method); p-values are unchanged.
    fit : dict of str to dict, optional
        Maps model names to fit statistics (``{"N": 250, "Pseudo R²": 0.12, "AIC": 610.4}``):
        Python/NumPy integers are shown as integers, floats with ``digits`` decimals, strings as
        given.
    term_labels : dict, optional
        Maps terms and outcome names to display labels.
    language : {"en", "fr"}
        ``"fr"`` writes ``0,123`` and CIs as ``[0,01; 0,23]``.
    se_type : str, optional
        What the standard errors are, in words (e.g. :func:`se_description`'s
        ``"heteroskedasticity-robust (HC1)"``), for the note.

    Returns
    -------
    DataFrame
        Strings (object dtype), columns ``part, term, <model names in order>``:

        - per term an ``estimate`` row (``"0.123**"``; label in ``term``, ``"outcome: term"`` when the
          model has an ``outcome`` column, rows grouped by outcome in order of first appearance)
          and a ``statistic`` row (``"(0.045)"`` or ``"[0.01, 0.23]"``, blank label); a model lacking
          a term has blank cells;
        - one ``fit`` row per statistic in ``fit``, blank where a model lacks it;
        - ``note`` rows (text in ``term``, model cells blank): star thresholds (``"* p < 0.1, ** p <
          0.05, *** p < 0.01"``; a star per threshold that ``p`` is strictly below), the statistic
          shown and ``se_type``.

    Raises
    ------
    ValueError
        If ``statistic`` is unknown, ``models`` is empty, model names repeat or are ``part`` or
        ``term``, a table lacks a needed column or repeats a term, or ``fit`` names an unknown
        model.

    Notes
    -----
    Negative numbers keep ASCII ``-`` (which :func:`~alliancegov.safe_output.write_csv`
    neutralises as a formula prefix: publish with the writers of
    :func:`~alliancegov.table_formats.write_publication_tables`).
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
    numbers = number_format(language)
    tables = [_model_rows(tidy, name, statistic, bool(stars)) for name, tidy in zip(names, models.values())]
    indexed = [rows.set_index(["outcome", "term"]) for rows in tables]
    formatting = dict(statistic=statistic, stars=stars, digits=digits, exponentiate=exponentiate,
                      numbers=numbers)
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
    records += _fit_rows(fit or {}, names, digits, numbers)
    notes = _note_lines(statistic=statistic, stars=stars, exponentiate=exponentiate, se_type=se_type,
                        numbers=numbers, language=language)
    records += [{PART_COLUMN: "note", LABEL_COLUMN: line} | dict.fromkeys(names, "") for line in notes]
    return pd.DataFrame.from_records(records, columns=[PART_COLUMN, LABEL_COLUMN, *names]).astype(object)


DESCRIPTIVE_TEXT = {
    "fr": {"all": "Ensemble", "mean_sd": "moyenne (é.-t.)", "n_pct": "n (%)",
           "note": "Moyenne (écart-type) ou effectif (% de la colonne). {marker} : case de moins de {minimum} "
                   "observations masquée, avec masquage secondaire."},
    "en": {"all": "All", "mean_sd": "mean (SD)", "n_pct": "n (%)",
           "note": "Mean (standard deviation) or count (% of the column). {marker}: cell of fewer than {minimum} "
                   "observations suppressed, with secondary suppression."},
}


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
    text = DESCRIPTIVE_TEXT[language]
    numbers = number_format(language)
    groups = codebook_categorical(analysis[by], codebook, by)
    levels = [level for level in groups.cat.categories if (groups == level).any()]
    frequency = (pd.to_numeric(analysis[weights]) if weights else pd.Series(1, index=analysis.index)).astype("int64")
    headers = [f"{text['all']} (n = {int(frequency.sum())})"] + [
        f"{codebook.answer_label(by, level, language)} (n = {int(frequency[groups == level].sum())})"
        for level in levels]
    rows = []
    for variable in continuous:
        values = pd.to_numeric(analysis[variable], errors="coerce")
        cells = [values] + [values[groups == level] for level in levels]
        if weights:   # the rows repeated as often as their weight (frequency weights)
            cells = [v.repeat(frequency[v.index]) for v in cells]
        rows.append(["estimate", f"{codebook.label_or_name(variable, language)}, {text['mean_sd']}"]
                    + [f"{numbers.fixed(v.mean(), digits)} ({numbers.fixed(v.std(), digits)})"
                       for v in cells])
    for variable in categorical:
        answers = codebook_categorical(analysis[variable], codebook, variable)
        counts = (pd.crosstab(answers, groups, values=frequency, aggfunc="sum").fillna(0).astype("int64") if weights
                  else pd.crosstab(answers, groups)).reindex(columns=levels, fill_value=0)
        counts = counts.loc[[a for a in counts.index if counts.loc[a].sum() > 0]]
        published, hidden = suppress_small_cells(counts, minimum=minimum_cell)
        column_totals = counts.sum(axis=0)
        rows.append(["estimate", f"{codebook.label_or_name(variable, language)}, {text['n_pct']}"]
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


FIT_LABELS = {
    "en": {"n_obs": "N", "n": "N", "n_clusters": "Clusters (firms)", "log_likelihood": "Log-likelihood",
           "mcfadden_r2": "McFadden R²", "aic": "AIC", "bic": "BIC", "r2": "R²", "adj_r2": "Adjusted R²",
           "r2_mean": "R² (mean over imputations)", "imputations": "Imputations", "f_statistic": "F",
           "f_p_value": "p (F)"},
    "fr": {"n_obs": "N", "n": "N", "n_clusters": "Grappes (entreprises)", "log_likelihood": "Log-vraisemblance",
           "mcfadden_r2": "R² de McFadden", "aic": "AIC", "bic": "BIC", "r2": "R²", "adj_r2": "R² ajusté",
           "r2_mean": "R² (moyenne des imputations)", "imputations": "Imputations", "f_statistic": "F",
           "f_p_value": "p (F)"},
}


COUNT_STATISTICS = ("n_obs", "n", "n_clusters", "imputations")


def _fit_cells(statistics: dict[str, float], language: str) -> dict[str, object]:
    """The fit statistics a paper shows, labelled in ``language``, counts as integers."""
    labels = FIT_LABELS[language]
    return {labels[name]: int(value) if name in COUNT_STATISTICS else float(value)
            for name, value in statistics.items() if name in labels and pd.notna(value)}


def _performance_models(performance_ols: pd.DataFrame, performance_fit: pd.DataFrame | None, cov_type: str,
                        language: str, labels: dict[str, str]) -> pd.DataFrame:
    """The performance outcomes' ``by_form`` models side by side (see :func:`publication_set`)."""
    by_form = performance_ols[(performance_ols["model"] == "by_form")
                              & (performance_ols["se_type"].astype(str) == cov_type)]
    if by_form.empty:
        raise ValueError(f"performance_ols has no by_form rows with se_type {cov_type!r}")
    fit_cells = {}
    if performance_fit is not None:
        shown = performance_fit[performance_fit["se_type"].astype(str) == cov_type]
        fit_cells = {name: _fit_cells(dict(zip(rows["statistic"], rows["value"].astype(float))), language)
                     for name, rows in shown.groupby("outcome", sort=False)}
    return regression_table({name: rows.drop(columns=["outcome", "model", "se_type"])
                             for name, rows in by_form.groupby("outcome", sort=False)},
                            language=language, se_type=se_description(cov_type, language), fit=fit_cells,
                            term_labels=labels)


def publication_set(choice_variants: pd.DataFrame | None, performance_ols: pd.DataFrame | None, out_dir: str | Path, *,
                    language: str, choice_cov_type: str, performance_cov_type: str,
                    performance_fit: pd.DataFrame | None = None, codebook: Codebook | None = None,
                    descriptives: pd.DataFrame | None = None, outcome: str = "governance_form") -> list[Path]:
    """The papers' tables in every publication format, from the pipeline's tidy CSVs.

    Writes ``choice_models.*``, ``performance_models.*`` and ``descriptives.*`` (.tex, .md,
    .html, .docx) in ``out_dir``.

    Parameters
    ----------
    choice_variants : DataFrame or None
        ``model, outcome, term, ...`` and ``(fit)`` rows (the fit statistics: name in ``term``,
        value in ``estimate``); or ``choice_mnl`` alone (no ``model`` column). Gives the choice
        models side by side as relative-risk ratios; None (no multinomial logit): no such table.
    performance_ols : DataFrame or None
        The performance outcomes side by side: its ``by_form`` models whose ``se_type`` is
        ``performance_cov_type``; None (no performance stage): no such table.
    out_dir : str or Path
        Folder of the files.
    language : {"fr", "en"}
        Language of the captions, labels and numbers.
    choice_cov_type, performance_cov_type : str
        The ``cov_type`` of the choice and performance models, named in the tables' notes
        (:func:`se_description`).
    performance_fit : DataFrame, optional
        ``outcome, se_type, statistic, value`` (the ``performance_fit`` table): the N, clusters,
        R², adjusted R² and F of each outcome's model under ``performance_cov_type``.
    codebook : Codebook, optional
        With it, terms and the ``outcome`` question's answers are shown by their labels in
        ``language``.
    descriptives : DataFrame, optional
        :func:`descriptive_table`'s output, written too.
    outcome : str
        The choice models' outcome question.

    Returns
    -------
    list of Path
        The files written: the four formats of the choice models, of the performance models (each
        when given), then (with ``descriptives``) of Table 1.

    Raises
    ------
    ValueError
        If ``performance_ols`` has no ``by_form`` rows with ``performance_cov_type``.
    """
    out_dir = Path(out_dir)
    choice_variants = choice_variants if choice_variants is not None else pd.DataFrame(columns=["outcome", "term"])
    if "model" not in choice_variants:   # no variants configured: the main model alone
        choice_variants = choice_variants.assign(model="main")
    coefficients = choice_variants[choice_variants["outcome"] != "(fit)"]
    fit_rows = choice_variants[choice_variants["outcome"] == "(fit)"]
    choice_models = {name: rows.drop(columns="model") for name, rows in coefficients.groupby("model", sort=False)}
    choice_fit = {name: _fit_cells(dict(zip(rows["term"], rows["estimate"].astype(float))), language)
                  for name, rows in fit_rows.groupby("model", sort=False)}
    labels = {}
    if codebook is not None:
        terms = set(coefficients["term"].astype(str))
        terms |= set(performance_ols["term"].astype(str)) if performance_ols is not None else set()
        labels = {term: codebook.term_label(term, language) for term in terms}
        labels |= {form: codebook.answer_label(outcome, form, language) for form in codebook.answer_names(outcome)}
    tables = {}
    if choice_models:
        tables["choice_models"] = regression_table(choice_models, exponentiate=True, fit=choice_fit,
                                                   language=language, se_type=se_description(choice_cov_type, language),
                                                   term_labels=labels)
    if performance_ols is not None:
        tables["performance_models"] = _performance_models(performance_ols, performance_fit, performance_cov_type,
                                                           language, labels)
    # worded from the outcome's codebook label, not the study's words
    outcome_label = codebook.label_or_name(outcome, language) if codebook is not None else outcome
    captions = [caption.format(outcome=outcome_label) for caption in {
        "fr": ("Modèle de choix de « {outcome} » : rapports de risques relatifs",
               "Performance selon « {outcome} » (MCO)", "Statistiques descriptives selon « {outcome} »"),
        "en": ("Choice model of '{outcome}': relative-risk ratios", "Performance by '{outcome}' (OLS)",
               "Descriptive statistics by '{outcome}'")}[language]]
    paths = []
    if "choice_models" in tables:
        paths += write_publication_tables(tables["choice_models"], out_dir / "choice_models", captions[0], "tab:choice")
    if "performance_models" in tables:
        paths += write_publication_tables(tables["performance_models"], out_dir / "performance_models", captions[1],
                                          "tab:performance")
    if descriptives is not None:
        paths += write_publication_tables(descriptives, out_dir / "descriptives", captions[2], "tab:descriptives")
    return paths


def run(*, data: str, codebook: Sequence[str], choice: str | None = None, performance: str | None = None,
        performance_fit: str | None = None,
        outputs: dict[str, str], language: str, choice_cov_type: str, performance_cov_type: str, descriptives: dict,
        outcome: str, minimum_cell: int, correlations: str | None = None,
        correlation_settings: dict | None = None, weights: str | None = None) -> list[Path]:
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
    correlations : str, optional
        The measurement stage's ``correlations.csv``: with it, ``correlations.*`` too
        (:func:`alliancegov.correlation_matrix.correlation_matrix`).
    correlation_settings : dict, optional
        The config's ``measurement:`` section (``correlations.significance``, ``correlations.stars``,
        ``common_method.marker``).
    weights : str, optional
        The choice model's frequency weights (``choice.weights``), which Table 1 counts too.

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
                                minimum_cell=minimum_cell, weights=weights)
    folder = Path(next(iter(outputs.values()))).parent
    def read(path: str | None) -> pd.DataFrame | None:
        return pd.read_csv(path) if path else None

    paths = publication_set(read(choice), read(performance), folder, language=language,
                            choice_cov_type=choice_cov_type, performance_cov_type=performance_cov_type,
                            performance_fit=read(performance_fit), codebook=book, descriptives=table_1,
                            outcome=outcome)
    if correlations:
        from alliancegov.correlation_matrix import CORRELATION_TEXT, correlation_matrix

        settings = correlation_settings or {}
        shown = settings.get("correlations") or {}
        matrix = correlation_matrix(pd.read_csv(correlations, keep_default_na=False, na_values=[""]), book,
                                    language=language, significance=shown.get("significance", "stars"),
                                    stars=shown.get("stars", (0.05, 0.01, 0.001)),
                                    marker=(settings.get("common_method") or {}).get("marker"))
        paths += write_publication_tables(matrix, folder / "correlations", CORRELATION_TEXT[language]["caption"],
                                          "tab:correlations")
    unexpected = sorted({str(path) for path in paths} - {str(Path(path)) for path in outputs.values()})
    if unexpected:
        raise ValueError(f"publication tables written but not declared as outputs: {unexpected}")
    logging.getLogger("alliancegov").info("publication tables: %s", ", ".join(map(str, paths)))
    return paths
