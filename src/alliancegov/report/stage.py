"""The report rule: every result of the run on one self-contained HTML page, in one language.

The rule runs once per language of ``report.languages`` (``results/report/index.<language>.html``),
from the tables and figures the other stages wrote: it never fits a model, so adding or changing
a language re-runs only the report and figure jobs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from alliancegov.codebook.tables import Codebook
from alliancegov.formatting import wave_labels
from alliancegov.messages import message, section
from alliancegov.messages.labels import Labeller
from alliancegov.publication import DEFAULT_STARS, se_description
from alliancegov.report.context import ReportContext
from alliancegov.report.document import build_sections
from alliancegov.report.narrative import firms, methods_notes, sample_counts, verdict_counts
from alliancegov.report.provenance import git_commit, simulated_banner, simulation_record
from alliancegov.report.render import Page, read_caption, render_page, write_report


def report_title(title: str | Mapping[str, str], language: str) -> str:
    """The report's title in ``language``: the config's one string, or its entry for the language.

    Parameters
    ----------
    title : str or mapping of str to str
        The config's ``report.title``.
    language : str

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If a per-language title lacks ``language``.
    """
    if isinstance(title, str):
        return title
    if language not in title:
        raise KeyError(f"report.title has no {language!r} entry (it has {sorted(title)})")
    return str(title[language])


def report_settings(config: Mapping, codebook: Codebook, language: str) -> dict[str, object]:
    """The run settings the registry's entries and the tables' notes refer to.

    Parameters
    ----------
    config : mapping
        The run configuration.
    codebook : Codebook
        Labels (the base form).
    language : str

    Returns
    -------
    dict
        ``performance_cov_type``, ``performance_alternative_cov_type``, ``performance_outcome``,
        ``significance``, ``stars``, ``minimum_cell``, ``weights`` (the frequency-weight column, or
        None), ``firms`` (whether the responses are firms' and clustered by firm), ``measurement``
        (the config's section),
        and the captions' and notes' words: ``base``, ``outcome``, ``group``, ``binary`` (labels of the
        choice's base category, its question, the grouping question and the binary outcome), ``choice_se``,
        ``performance_se``,
        ``performance_alternative_se``, ``choice_replicates``, ``misalignment_replicates``,
        ``importance_replicates``.
    """
    choice, performance = config["choice"], config.get("performance") or {}
    labeller = Labeller(codebook, language, choice["outcome"])
    report = config.get("report", {})
    alternative = performance.get("alternative_cov_type", "HC3")
    return {
        "performance_cov_type": performance.get("cov_type", "cluster"),
        "performance_alternative_cov_type": alternative,
        "performance_outcome": performance.get("outcome", ""),
        "significance": report.get("significance", "p_value"),
        "stars": tuple(report.get("stars", DEFAULT_STARS)),
        "minimum_cell": config.get("disclosure", {}).get("minimum_cell", 5),
        "weights": choice.get("weights"),
        "firms": bool((config.get("ingest") or {}).get("firm_id_column")),
        "measurement": config.get("measurement") or {},
        "base": codebook.answer_label(choice["outcome"], choice["base"], language) if choice.get("base") else "",
        "outcome": labeller.variable(choice["outcome"]),
        "group": labeller.variable((config.get("figures") or {}).get("group", "")),
        "binary": labeller.variable(choice.get("binary_name", "binary_outcome")),
        "choice_se": se_description(choice.get("cov_type", "cluster"), language),
        "performance_se": se_description(performance.get("cov_type", "cluster"), language),
        "performance_alternative_se": se_description(alternative, language),
        "choice_replicates": choice.get("bootstrap_replicates", 0),
        "misalignment_replicates": config.get("misalignment", {}).get("bootstrap_replicates", 0),
        "importance_replicates": config.get("importance", {}).get("bootstrap_replicates", 0),
    }


def abstract(context: ReportContext, flow: pd.DataFrame) -> str:
    """The sentence under the title: responses analysed and received, clusters, waves, hypotheses supported.

    Parameters
    ----------
    context : ReportContext
        Its ``choice_fit`` (the clusters) and ``hypotheses`` tables, when the run has them.
    flow : DataFrame
        The pooled sample flow.

    Returns
    -------
    str
        What the run has: without the multinomial logit no count of firms, without a register no
        hypotheses.
    """
    counts, numbers, language = sample_counts(flow), context.numbers, context.language
    clusters = firms(context)
    text = (message("report.abstract", language, analysed=numbers.count(counts["analysed"]),
                    firms=numbers.count(clusters), waves=counts["waves"], received=numbers.count(counts["received"]))
            if clusters else message("report.abstract_responses", language, analysed=numbers.count(counts["analysed"]),
                                     waves=counts["waves"], received=numbers.count(counts["received"])))
    if "hypotheses" in context.sources:
        verdicts = verdict_counts(context.sources["hypotheses"])
        text += message("report.abstract_hypotheses", language, supported=verdicts["supported"],
                        hypotheses=verdicts["n"])
    return text + "."


def read_table(path: str | Path) -> pd.DataFrame:
    """A run table as the report reads it: empty cells missing, text kept as text.

    Parameters
    ----------
    path : str or Path
        A CSV file.

    Returns
    -------
    DataFrame
    """
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def language_links(language: str, languages: Sequence[str], html: str | Path) -> tuple[dict[str, str], ...]:
    """Links to the same report in the other languages (files beside this one).

    Parameters
    ----------
    language : str
        This report's language.
    languages : sequence of str
        Every language of the run's reports.
    html : str or Path
        This report's path (``index.<language>.html``).

    Returns
    -------
    tuple of dict
        ``href`` (a sibling file name), ``language`` and ``name`` (the language's own name).
    """
    stem = Path(html).name.replace(f".{language}.", ".{}.")
    return tuple({"href": stem.format(other), "language": other, "name": message("report.language_name", other)}
                 for other in languages if other != language)


def run(*, figures: Sequence[str], captions: Sequence[str], tables: Sequence[str], data: str, sample_flow: str,
        provenance: Sequence[str], choice_warnings: str, codebook: Sequence[str], waves: str,
        outputs: Mapping[str, str], config: Mapping, language: str, register: str | None = None,
        simulated: Sequence[str] = ()) -> str:
    """The report rule: every result of the run on one self-contained HTML page in ``language``.

    Parameters
    ----------
    figures, captions : sequence of str
        The figures' PNG files in ``language`` and their caption files (``figure_<stem>.rst``).
    tables : sequence of str
        Every CSV table of the run (``results/tables/*.csv``): each must have a place in the
        report's registry.
    data : str
        Parquet file of the analysis frame (Table 1).
    sample_flow : str
        The pooled sample flow (CSV).
    provenance : sequence of str
        The waves' provenance records (JSON).
    register : str, optional
        The hypotheses register (claims and checks' names in each language); none without one.
    choice_warnings : str
        The choice stage's notes (text, one per line, in English).
    codebook : sequence of str
        The codebook's three files (labels).
    waves : str
        The waves sheet (the waves' years).
    outputs : mapping of str to str
        ``html``: the report's path.
    config : mapping
        The run configuration (shown with secrets redacted); its ``report`` section gives the
        title, the languages, the significance convention and ``simulated_data``.
    language : str
        Language of the report.
    simulated : sequence of str
        The simulator's ``simulated.json`` beside the raw waves, if any: with it (or with
        ``report.simulated_data``) the page opens with a banner saying the data are simulated.

    Returns
    -------
    str
        The HTML written.
    """
    import logging
    from datetime import UTC, datetime

    import yaml

    from alliancegov.frame_columns import named_in, read_frame

    book = Codebook.from_files(codebook)
    report = dict(config.get("report", {}))
    outcome = config["choice"]["outcome"]
    # the frame gives Table 1 and the counts of the forms: its variables, the outcome and the weights
    frame = read_frame(data, named_in(config["figures"]["descriptives"], outcome, config["choice"].get("weights")))
    sources = {Path(path).stem: read_table(path) for path in tables}
    flow = pd.read_csv(sample_flow, keep_default_na=False)
    checks = yaml.safe_load(Path(register).read_text(encoding="utf-8")) if register else {}
    context = ReportContext(language=language, codebook=book, sources=sources,
                            settings=report_settings(config, book, language), outcome=outcome,
                            waves=wave_labels(pd.read_csv(waves, sep="\t", dtype=str, keep_default_na=False)),
                            extra={"data": frame, "sample_flow": flow, "register": checks,
                                   "descriptives": config["figures"]["descriptives"]})
    results, appendix = build_sections(context, {Path(p).stem: Path(p) for p in figures},
                                       {Path(p).stem.removeprefix("figure_"): read_caption(p) for p in captions},
                                       list(sources))
    page = Page(
        language=language, title=report_title(report["title"], language), abstract=abstract(context, flow),
        simulated=simulated_banner(simulation_record(simulated), bool(report.get("simulated_data")), language),
        other_languages=language_links(language, report.get("languages", [language]), outputs["html"]),
        notes=tuple(methods_notes(context, config)),
        warnings=tuple(Path(choice_warnings).read_text(encoding="utf-8").splitlines()),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), git_commit=git_commit())
    records = [json.loads(Path(path).read_text(encoding="utf-8")) for path in provenance]
    labelled = [{**record, "wave": context.labeller.wave(record["wave"]),
                 "format": context.labeller.value(record["format"])} for record in records]
    html = render_page(page, results, appendix, provenance=labelled, config=config)
    write_report(html, outputs["html"])
    logging.getLogger("alliancegov").info("report (%s) written to %s", section("report", language)["language_name"],
                                          outputs["html"])
    return html

