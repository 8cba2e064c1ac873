"""One self-contained HTML report (rule ``report``): figures embedded as data URIs, inline CSS, no script.

Everything that comes from data (table cells, notes, file names, the title, the
configuration) reaches the page escaped: the Jinja2 environment autoescapes, and tables
are escaped by pandas before being marked safe. The page then loses every invisible format
character (:func:`alliancegov.safe_output.visible_text`), wherever it came from. Apart from
the ``generated_at`` line the page is a pure function of its inputs and of the software
versions it reports, so two runs on the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from alliancegov.formatting import number_format
from alliancegov.report.measurement import MEASUREMENT_KEYS, measurement_tables, wave_comparison_warning
from alliancegov.report.misalignment import misalignment_tables
from alliancegov.report.provenance import config_yaml, git_commit, provenance_table, software_versions
from alliancegov.report.sections import left_out_sections, section_text
from alliancegov.report.text import COLUMN_LABELS, NOTES_TEXT, REPORT_TEXT, VERDICTS
from alliancegov.safe_output import visible_text

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

    from alliancegov.codebook.tables import Codebook


TEMPLATES_DIR = Path(__file__).with_name("templates")


TEMPLATE_NAME = "report.html.j2"


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


FIGURE_STEMS = ("form_by_sector", "construct_scores", "choice_coefficients", "choice_ame", "choice_predictions",
                "performance_by_form", "sample_flow", "reliability", "likert_items", "misalignment",
                "time_to_partnership", "form_shares_by_wave", "transitions_alluvial", "form_overlap")


TABLE_KEYS = ("hypotheses_summary", "descriptives", "reliability", "choice_mnl", "choice_ame", "choice_tests",
              "choice_fit", "choice_small_sample", "performance_ols", "performance_fit", "form_by_sector", "hypotheses",
              "performance_contrasts", "misalignment", "importance", "choice_stability", "panel_transitions",
              "panel_deepening", "choice_ordered_fit", "choice_ordered", "choice_ordered_ame", "choice_ordered_brant",
              "choice_equity", "choice_equity_ame", "misalignment_first_stage", "misalignment_switching",
              "misalignment_counterfactual", "form_effects") + MEASUREMENT_KEYS


TABLE_DECIMALS = 3


ODDS_RATIO_COLUMNS = ("odds_ratio", "or_conf_low", "or_conf_high")   # the ordered logit's, blank for cut points


OUTCOME_COLUMNS = ("outcome", "from_state", "to_state")  # cells that are answers of the choice outcome


ALL_FORMS = "all"  # alliancegov.stats.transitions.ALL_STATES


POOLED_WAVE = "all"  # the pooled rows of the sample flow (alliancegov.pool.pool_waves)


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


def hypotheses_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """One row per hypothesis of the register's evaluation (:mod:`alliancegov.hypotheses`).

    Parameters
    ----------
    checks : DataFrame
        ``hypotheses.csv``: one row per check, with ``hypothesis``, ``claim``, ``rule``, ``verdict``
        (of the hypothesis) and ``check_verdict``.

    Returns
    -------
    DataFrame
        Columns ``hypothesis, claim, rule, verdict, checks_supported`` (how many of its checks are
        supported, ``"2/3"``), hypotheses in order of first appearance.
    """
    grouped = checks.groupby("hypothesis", sort=False)
    supported = grouped["check_verdict"].agg(lambda v: f"{int((v == 'supported').sum())}/{len(v)}")
    return pd.DataFrame({"hypothesis": list(grouped.groups), "claim": grouped["claim"].first().to_numpy(),
                         "rule": grouped["rule"].first().to_numpy(), "verdict": grouped["verdict"].first().to_numpy(),
                         "checks_supported": supported.to_numpy()})


def hypotheses_notes(checks: pd.DataFrame, language: str) -> dict[str, str]:
    """The notes under the two hypotheses tables: the aggregation rules used and what the p-values are.

    Parameters
    ----------
    checks : DataFrame
        ``hypotheses.csv`` (``rule`` and ``verdict_on`` columns).
    language : {"fr", "en"}

    Returns
    -------
    dict of str to str
        ``hypotheses_summary`` and ``hypotheses`` notes.
    """
    from alliancegov.report.text import HYPOTHESES_TEXT

    text = HYPOTHESES_TEXT[language]
    verdict_on = str(checks["verdict_on"].iloc[0]) if len(checks) else ""
    rules = "; ".join(text[rule] for rule in dict.fromkeys(checks["rule"]))
    return {"hypotheses_summary": text["summary"].format(rules=rules, verdict_on=verdict_on),
            "hypotheses": text["checks"].format(verdict_on=verdict_on)}


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


def png_data_uri(path: str | Path) -> str:
    """The PNG file at ``path`` as a ``data:image/png;base64,...`` URI.

    Parameters
    ----------
    path : str or Path
        A PNG file.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the file is not a PNG (no PNG signature).
    """
    content = Path(path).read_bytes()
    if not content.startswith(PNG_SIGNATURE):
        raise ValueError(f"{path} is not a PNG file")
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def sample_counts(sample_flow: pd.DataFrame) -> dict[str, int]:
    """Totals over waves of responses ``received``, ``excluded`` and ``analysed``, and the number of ``waves``.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n`` with step in received / excluded / analysed; the pooled rows
        (wave ``all``) repeat the waves' totals and are not counted again.

    Returns
    -------
    dict of str to int
        Keys ``received``, ``excluded``, ``analysed`` (0 when a step is absent) and ``waves``.
    """
    waves = sample_flow[sample_flow["wave"].astype(str) != POOLED_WAVE]
    totals = waves.groupby("step")["n"].sum()
    counts = {step: int(totals.get(step, 0)) for step in ("received", "excluded", "analysed")}
    return {**counts, "waves": int(waves["wave"].nunique())}


def sample_flow_table(sample_flow: pd.DataFrame, language: str) -> pd.DataFrame:
    """The sample flow with its steps named in ``language``, as shown in the report.

    Parameters
    ----------
    sample_flow : DataFrame
        ``wave, step, reason, n``.
    language : {"fr", "en"}

    Returns
    -------
    DataFrame
        Columns ``wave, step, reason, n``; an unknown step stays as written.
    """
    steps = {step: REPORT_TEXT[language][f"step_{step}"] for step in ("received", "excluded", "analysed")}
    named_steps = sample_flow["step"].map(steps).fillna(sample_flow["step"])
    return sample_flow[["wave", "step", "reason", "n"]].assign(step=named_steps)


def report_environment() -> Environment:
    """The Jinja2 environment of the report templates, autoescaping everything.

    Returns
    -------
    jinja2.Environment
        Loads from ``templates/``; undefined variables are errors (``StrictUndefined``).
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def check_keys(kind: str, given: dict, allowed: tuple[str, ...]) -> None:
    """Raise on keys the report has no place for (a typo would silently drop a block).

    Parameters
    ----------
    kind : str
        What the keys are (``figure``, ``table``), for the message.
    given : dict
        The keys given.
    allowed : tuple of str
        The keys the report knows.

    Raises
    ------
    ValueError
        If ``given`` has a key not in ``allowed``.
    """
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {kind} keys {unknown}; expected some of {list(allowed)}")


def render_report(
    *,
    language: str,
    title: str,
    figures: dict[str, Path],
    tables: dict[str, pd.DataFrame],
    sample_flow: pd.DataFrame,
    provenance: list[dict],
    config: dict,
    notes: list[str],
    generated_at: str,
    captions: dict[str, str] | None = None,
    codebook: Codebook | None = None,
    outcome: str = "governance_form",
    table_notes: dict[str, str] | None = None,
) -> str:
    """The report as one HTML page in ``language``.

    Parameters
    ----------
    language : {"fr", "en"}
        Language of the page.
    title : str
        The page's title.
    figures : dict of str to Path
        Maps figure stems (among :data:`FIGURE_STEMS`: ``form_by_sector``, ``construct_scores``,
        ``choice_coefficients``, ...) to PNG paths.
    tables : dict of str to DataFrame
        Maps table keys (among :data:`TABLE_KEYS`: ``reliability``, ``choice_mnl``,
        ``choice_fit``, ...) to tables, shown with their verdicts translated
        (:func:`translate_verdicts`). For both ``figures`` and ``tables`` a missing key omits its
        block, an unknown key is an error.
    sample_flow : DataFrame
        ``wave, step, reason, n``.
    provenance : list of dict
        One dict per input file (see :func:`~alliancegov.report.provenance.provenance_table`).
    config : dict
        The run configuration (secret-looking keys are redacted).
    notes : list of str
        Plain-text method notes.
    generated_at : str
        Printed as is; the only run-dependent line.
    captions : dict of str to str, optional
        Maps figure stems to their caption in ``language`` (plain text, see
        :func:`read_caption`); a figure without one gets none.
    codebook : Codebook, optional
        With it, table cells and headers show its labels (:func:`label_cells`).
    outcome : str
        The choice model's question.
    table_notes : dict of str to str, optional
        A note printed under a table of the Measurement section, by table key (and
        ``wave_means``, a warning at the top of the section).

    Returns
    -------
    str
        The HTML page, free of invisible format characters (bidirectional controls, zero-width
        characters: :func:`~alliancegov.safe_output.visible_text`) in its labels, cells, captions,
        title, notes and configuration alike.

    Raises
    ------
    ValueError
        If ``language`` is unknown, a figure or table key is unknown, or a figure is not a PNG.
    """
    if language not in REPORT_TEXT:
        raise ValueError(f"language must be one of {sorted(REPORT_TEXT)}, not {language!r}")
    check_keys("figure", figures, FIGURE_STEMS)
    check_keys("table", tables, TABLE_KEYS)
    template = report_environment().get_template(TEMPLATE_NAME)
    # One pass over the whole page: the markup is ASCII, so only text from the data can hold Cf characters.
    return visible_text(template.render(
        language=language,
        title=title,
        text=section_text(language, codebook, outcome, (config.get("figures") or {}).get("group", "sector")),
        left_out=left_out_sections(language, [*figures, *tables, *(key for key, note in (table_notes or {}).items()
                                                                  if note)]),
        figures={stem: png_data_uri(path) for stem, path in figures.items()},
        captions=captions or {},
        table_notes=table_notes or {},
        tables={key: table_html(translate_verdicts(label_cells(table, codebook, language, outcome)
                                                   if codebook else table, language), language)
                for key, table in tables.items()},
        sample_summary=REPORT_TEXT[language]["sample_summary"].format(**sample_counts(sample_flow)),
        sample_flow=table_html(sample_flow_table(sample_flow, language), language),
        provenance=table_html(provenance_table(provenance), language),
        config_yaml=config_yaml(config),
        software=table_html(software_versions(language), language),
        git_commit=git_commit(),
        notes=notes,
        generated_at=generated_at,
    ))


def read_caption(path: str | Path) -> str:
    """A caption file (reStructuredText, shared with Snakemake's report) as one line of plain text.

    Parameters
    ----------
    path : str or Path
        The caption file (UTF-8).

    Returns
    -------
    str
        The caption: inline literals lose their backquotes, line breaks become spaces.
    """
    text = Path(path).read_text(encoding="utf-8")
    return " ".join(re.sub(r"``(.+?)``", r"\1", text).split())


def write_report(html: str, path: str | Path) -> Path:
    """Write ``html`` as UTF-8 with ``\\n`` line endings, creating parent folders.

    Parameters
    ----------
    html : str
        The page.
    path : str or Path
        The file written.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8", newline="\n")
    return path


def methods_notes(config: dict, choice_fit: pd.DataFrame | None, performance_fit: pd.DataFrame | None,
                  language: str, scales: bool = True) -> list[str]:
    """Plain-text method notes for the report, from the run configuration and the fit tables.

    Parameters
    ----------
    config : dict
        The run configuration: ``qc.exclusion_rules``, ``choice`` (``base``, ``cov_type``
        (default ``cluster``), ``cluster`` (default ``firm_key``)) and ``performance``
        (``outcome``, ``cov_type`` (default ``HC3``)).
    choice_fit : DataFrame or None
        The multinomial logit's ``statistic, value`` rows (``n_obs``, ``n_missing``, ``converged``,
        and ``n_clusters`` with cluster-robust errors); None without it (no note on it).
    performance_fit : DataFrame or None
        The performance model's ``statistic, value`` rows (``n``, ``n_missing``); None without the
        performance stage (no note on it).
    language : {"fr", "en"}
    scales : bool, default=True
        Whether the codebook defines scales (without them, no note on how scores are made).

    Returns
    -------
    list of str
        The notes on exclusions, scales, the choice model and the performance model (and its
        centred covariates, ``performance.centre``), then a
        warning if the choice model did not converge.
    """
    text = NOTES_TEXT[language]
    notes = [text["exclusions"].format(rules=", ".join(config["qc"]["exclusion_rules"])),
             *([text["scales"]] if scales else [])]
    if choice_fit is not None:
        choice = {**{"cov_type": "cluster", "cluster": "firm_key"}, **config["choice"]}
        choice_stats = pd.to_numeric(choice_fit.set_index("statistic")["value"], errors="coerce")
        cluster = (text["cluster"].format(cluster=choice["cluster"], n_clusters=choice_stats["n_clusters"])
                   if choice["cov_type"] == "cluster" else "")
        notes.append(text["choice"].format(outcome=choice["outcome"], base=choice["base"], cov_type=choice["cov_type"],
                                           cluster=cluster, n=choice_stats["n_obs"], missing=choice_stats["n_missing"]))
    if performance_fit is not None:
        performance = {**{"cov_type": "cluster"}, **config["performance"]}
        main_outcome = performance_fit[performance_fit["outcome"].astype(str) == performance["outcome"]]
        performance_stats = pd.to_numeric(main_outcome.set_index("statistic")["value"], errors="coerce")
        notes.append(text["performance"].format(outcome=performance["outcome"], cov_type=performance["cov_type"],
                                                n=performance_stats["n"], missing=performance_stats["n_missing"]))
        if performance.get("centre"):
            notes.append(text["centred"].format(names=", ".join(performance["centre"])))
    if choice_fit is not None and choice_stats["converged"] != 1:
        notes.append(text["not_converged"])
    return notes


def run(*, figures: Sequence[str], captions: Sequence[str], data: str, sample_flow: str, provenance: Sequence[str],
        choice_warnings: str, codebook: Sequence[str], outputs: dict[str, str], config: dict, language: str,
        title: str, descriptives: dict, minimum_cell: int, hypotheses: str | None = None,
        panel_transitions: str | None = None, panel_deepening: str | None = None, **tables: str) -> str:
    """The report rule: every result of the run on one self-contained HTML page.

    Parameters
    ----------
    figures, captions : sequence of str
        The figures' PNG files and their caption files (``figure_<stem>.rst``) in ``language``.
    data : str
        Parquet file of the analysis frame (Table 1).
    sample_flow : str
        The pooled sample flow (CSV).
    provenance : sequence of str
        The waves' provenance records (JSON).
    hypotheses : str, optional
        ``hypotheses.csv`` (none without a hypotheses register).
    choice_warnings : str
        The choice stage's notes (text, one per line).
    panel_transitions, panel_deepening : str, optional
        The panel's Markov and deepening tables (CSV; none without a panel).
    codebook : sequence of str
        The codebook's three files (labels).
    outputs : dict of str to str
        ``html``: the report's path.
    config : dict
        The run configuration (shown with secrets redacted).
    language : {"fr", "en"}
        Language of the report.
    title : str
        The report's title.
    descriptives : dict
        Table 1's ``continuous`` and ``categorical`` variables.
    minimum_cell : int
        Table 1's counts below it are suppressed.
    **tables : str
        The other CSV tables the report shows, by their key in :data:`TABLE_KEYS` (those of the
        stages the configuration turns on: a table not given is left out); and the
        measurement stage's tables as ``measurement_<key>`` (keys of
        :data:`alliancegov.report.measurement.FILES`), shown in the Measurement section.

    Returns
    -------
    str
        The HTML written.
    """
    import json
    import logging
    from datetime import UTC, datetime

    from alliancegov.codebook.tables import Codebook
    from alliancegov.publication import descriptive_table

    measurement_files = {name.removeprefix("measurement_"): tables.pop(name) for name in list(tables)
                         if name.startswith("measurement_")}
    shown = {name: pd.read_csv(path, keep_default_na=False) for name, path in tables.items()}
    if "choice_ordered" in shown:   # the cut points have no odds ratio: blank cells, numbers elsewhere
        shown["choice_ordered"] = shown["choice_ordered"].apply(
            lambda column: pd.to_numeric(column.replace("", None)) if column.name in ODDS_RATIO_COLUMNS else column)
    if panel_transitions:
        shown["panel_transitions"] = pd.read_csv(panel_transitions, dtype={"n": "Int64"})[
            ["from_state", "to_state", "n", "row_total", "estimate", "conf_low", "conf_high"]]
    if panel_deepening:
        shown["panel_deepening"] = pd.read_csv(panel_deepening, dtype={"count_up": "Int64", "count_down": "Int64"})[
            ["from_state", "to_state", "estimate", "conf_low", "conf_high", "p_value", "count_up", "count_down"]]
    book = Codebook.from_files(codebook)
    outcome = config["choice"]["outcome"]
    table_1 = descriptive_table(pd.read_parquet(data), book, by=outcome, language=language,
                                minimum_cell=minimum_cell, weights=config["choice"].get("weights"), **descriptives)
    shown["descriptives"] = table_1[table_1["part"] != "note"].drop(columns="part")
    table_notes = {}
    if hypotheses:
        checks = pd.read_csv(hypotheses)
        shown["hypotheses_summary"] = hypotheses_summary(checks)
        shown["hypotheses"] = checks[["hypothesis", "check", "estimate", "conf_low", "conf_high", "p_value",
                                      "p_adjusted", "effect_measure", "effect", "effect_low", "effect_high",
                                      "check_verdict", "note"]]
        table_notes = hypotheses_notes(checks, language)
    base = config["choice"].get("base")
    table_notes |= misalignment_tables(shown, language, outcome,
                                       book.answer_label(outcome, base, language) if base else "")
    if measurement_files:
        measured, measurement_notes = measurement_tables(measurement_files, book, language, config.get("measurement"))
        table_notes |= measurement_notes
        shown.update(measured)
        table_notes["wave_means"] = wave_comparison_warning(measurement_files, book, language)
    html = render_report(
        language=language,
        title=title,
        figures={Path(path).stem: Path(path) for path in figures},
        tables=shown,
        sample_flow=pd.read_csv(sample_flow, keep_default_na=False),
        provenance=[json.loads(Path(path).read_text(encoding="utf-8")) for path in provenance],
        config=dict(config),
        notes=methods_notes(config, shown.get("choice_fit"), shown.get("performance_fit"), language,
                            scales=not book.scales.empty)
        + Path(choice_warnings).read_text(encoding="utf-8").splitlines(),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        captions={Path(path).stem.removeprefix("figure_"): read_caption(path) for path in captions},
        codebook=book,
        outcome=outcome,
        table_notes=table_notes,
    )
    write_report(html, outputs["html"])
    logging.getLogger("alliancegov").info("report written to %s", outputs["html"])
    return html
