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

from alliancegov.report.cells import label_cells, table_html, translate_verdicts
from alliancegov.report.hypotheses import hypotheses_notes, hypotheses_summary
from alliancegov.report.measurement import MEASUREMENT_KEYS, measurement_tables, wave_comparison_warning
from alliancegov.report.misalignment import misalignment_tables
from alliancegov.report.provenance import config_yaml, git_commit, provenance_table, software_versions
from alliancegov.report.sections import (
    left_out_sections,
    methods_notes,
    sample_counts,
    sample_flow_table,
    section_text,
)
from alliancegov.report.text import REPORT_TEXT
from alliancegov.safe_output import visible_text

if TYPE_CHECKING:
    from jinja2 import Environment

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


ODDS_RATIO_COLUMNS = ("odds_ratio", "or_conf_low", "or_conf_high")   # the ordered logit's, blank for cut points


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
