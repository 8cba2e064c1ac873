"""Comparator for ``bench/pipeline_scale.py``: the pipeline's analyses as one plain Python script.

Runs what the Snakemake jobs run (``workflow/scripts/*.py``) in sequence in one process, with the
same package functions and the same config, and writes the same outputs under ``--out``: ingest,
clean, pool, constructs, choice (with its bootstrap), performance, waves and panel, hypotheses,
figures, tables, report. Frames stay in memory between stages (no Parquet hand-over); tables are
read back from their CSV files where a workflow script reads them, so that every function sees
what it sees in the pipeline. The two bootstraps get ``--jobs`` workers, as the workflow runs
their two scatter jobs side by side.

Usage: ``python bench/single_script.py --project DIR --out DIR [--jobs N]``; ``DIR`` is a
project folder (``config/``, ``workflow/`` for the schemas and figure captions, the raw files its
waves sheet names), e.g. the repository itself.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path


def run(project: Path, out: Path, jobs: int) -> None:
    import pandas as pd
    import yaml
    from snakemake.utils import validate

    from alliancegov.choice.design import DesignBuilder
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.choice.stage import analyse_choice
    from alliancegov.clean import QualitySettings, clean_wave, pool_waves
    from alliancegov.codebook import Codebook
    from alliancegov.constructs import build_analysis, item_table, reverse_code
    from alliancegov.descriptives import form_by_sector_table
    from alliancegov.disclosure import suppress_tidy_crosstab
    from alliancegov.figures.REMOVED import make_figures
    from alliancegov.figures.theme import save_figure
    from alliancegov.figures.waves import plot_form_shares_by_wave, transitions_alluvial
    from alliancegov.hypotheses import evaluate_register
    from alliancegov.ingest import IngestSettings, ingest_wave, load_crosswalk, load_pseudonymisation_key
    from alliancegov.performance import analyse_performance
    from alliancegov.publication import descriptive_table, publication_set
    from alliancegov.report import hypotheses_summary, methods_notes, read_caption, render_report, write_report
    from alliancegov.runtime import start_job
    from alliancegov.safe_output import write_csv
    from alliancegov.waves.models import wave_tables
    from alliancegov.waves.panel import PANEL_FILES, panel_transitions, publishable_panel_tables
    from alliancegov.waves.stage import form_shares_by_wave

    out = out.resolve()
    os.chdir(project)  # the config's paths are relative to the project, as under Snakemake
    log = start_job(out / "single_script.log")
    config = yaml.safe_load(Path("config/config.yaml").read_text(encoding="utf-8"))
    validate(config, str(Path("workflow/schemas/config.schema.yaml").resolve()))  # as the Snakefile: defaults
    codebook = Codebook.from_dir(config["codebook"])
    waves = pd.read_csv(config["waves"], sep="\t", dtype=str, keep_default_na=False)
    tables_dir, qc_dir, figures_dir = out / "tables", out / "qc", out / "figures"
    for folder in (tables_dir, qc_dir / "provenance", figures_dir):
        folder.mkdir(parents=True, exist_ok=True)

    # ingest and clean, wave by wave
    settings = config["ingest"]
    key = load_pseudonymisation_key(settings.get("key_file"))
    ingest_settings = IngestSettings(settings.get("firm_id_column"), tuple(settings["required_columns"]),
                                     settings.get("unknown_values", "error"))
    quality = QualitySettings.from_config(config["qc"])
    cleaned, provenance = [], []
    for wave in waves.to_dict("records"):
        crosswalk = wave.get("crosswalk")
        frame, record = ingest_wave(wave["file"], wave["format"], wave["wave"], codebook, key=key,
                                    settings=ingest_settings,
                                    crosswalk=load_crosswalk(crosswalk) if crosswalk else None)
        record["path"] = wave["file"]
        provenance.append(record)
        (qc_dir / "provenance" / f"{wave['wave']}.json").write_text(
            json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
        cleaned.append(clean_wave(frame, codebook, quality, survey_year=int(wave["year"])))

    # pool and score
    pooled = pool_waves(cleaned, tuple(config["qc"]["exclusion_rules"]))
    qc_files = {"flow": "sample_flow", "exclusions": "exclusions", "nonresponse": "nonresponse",
                "respondents": "nonresponse_respondents"}
    for name, stem in qc_files.items():
        write_csv(getattr(pooled, name), qc_dir / f"{stem}.csv")
    analysis, reliability = build_analysis(pooled.analysed, codebook)
    write_csv(reliability, tables_dir / "reliability.csv")
    write_csv(item_table(reverse_code(pooled.analysed, codebook), codebook), tables_dir / "reliability_items.csv")

    # the models
    spec = ChoiceSpec.from_config(config["choice"], config["missing_data"])
    choice = analyse_choice(analysis, spec, codebook.answer_names(spec.outcome), n_jobs=jobs)
    for name, table in choice.tables.items():
        write_csv(table, tables_dir / f"{name}.csv")
    (tables_dir / "choice_warnings.txt").write_text("".join(f"{w}\n" for w in choice.warnings), encoding="utf-8")
    scale = codebook.answer_names(spec.outcome)
    performance_settings = {key: config.get(key, {}) for key in ("performance", "misalignment", "importance")}
    performance_tables, enriched = analyse_performance(
        analysis, performance_settings, DesignBuilder(ChoiceSpec.from_config(config["choice"]), tuple(scale)), scale,
        missing_data=config["missing_data"], n_jobs=jobs)
    for name, table in performance_tables.items():
        write_csv(table, tables_dir / f"{name}.csv")

    def read(name: str, **options) -> pd.DataFrame:
        return pd.read_csv(tables_dir / f"{name}.csv", **options)


    # waves and panel (rule waves)
    language, minimum = config["language"], config["disclosure"]["minimum_cell"]
    forms = codebook.answer_names(spec.outcome)
    wave_order = list(waves.assign(year=waves["year"].astype(int)).sort_values("year", kind="stable")["wave"])
    for name, table in wave_tables(analysis, ChoiceSpec.from_config(config["choice"]), forms).items():
        write_csv(table, tables_dir / f"{name}.csv")
    shares = suppress_tidy_crosstab(form_shares_by_wave(analysis, codebook, wave_order, spec.outcome), "wave",
                                    spec.outcome, minimum=minimum, shares=["share", "conf_low", "conf_high"])
    write_csv(shares, tables_dir / "form_shares_by_wave.csv")
    save_figure(plot_form_shares_by_wave(shares, codebook, language, spec.outcome),
                figures_dir / "form_shares_by_wave.png", formats=("png", "svg", "pdf"))
    panel = panel_transitions(analysis, spec.outcome, forms, waves=wave_order)
    for name, table in publishable_panel_tables(panel, minimum=minimum).items():
        write_csv(table, tables_dir / f"{PANEL_FILES[name]}.csv")
    save_figure(transitions_alluvial(panel["transition_counts"], codebook, language, totals=panel["form_by_wave"],
                                     outcome=spec.outcome, minimum_cell=minimum),
                figures_dir / "transitions_alluvial.png", formats=("png", "svg", "pdf"))

    register = yaml.safe_load(Path(config["hypotheses"]).read_text(encoding="utf-8"))
    verdicts = evaluate_register(
        register, {name: read(name) for name in ("choice_ame", "misalignment", "importance", "panel_deepening")},
        enriched, language)
    write_csv(verdicts, tables_dir / "hypotheses.csv")

    # figures, tables, report
    figure_tables = {name: read(name) for name in
                     ("choice_mnl", "choice_ame", "choice_predictions", "reliability", "misalignment")}
    figure_tables["sample_flow"] = pd.read_csv(qc_dir / "sample_flow.csv", keep_default_na=False)
    figures = make_figures(
        analysis, figure_tables, codebook, config["language"], scales=config["figures"]["construct_scales"],
        likert_scales=config["figures"]["likert_scales"], performance_outcome=config["performance"]["outcome"],
        profile_by=config["choice"].get("profile_by"), out_dir=figures_dir, outcome=config["choice"]["outcome"],
        group=config["figures"]["group"], performance=enriched, time_to_event=register.get("time_to_event"))
    counts = form_by_sector_table(analysis, codebook, config["choice"]["outcome"], config["figures"]["group"])
    write_csv(suppress_tidy_crosstab(counts, config["figures"]["group"], config["choice"]["outcome"],
                                     minimum=config["disclosure"]["minimum_cell"]), tables_dir / "form_by_sector.csv")
    descriptives = descriptive_table(analysis, codebook, by=spec.outcome, language=language, minimum_cell=minimum,
                                     **config["figures"]["descriptives"])
    publication_set(read("choice_variants" if config["choice"].get("variants") else "choice_mnl"),
                    read("performance_ols"), tables_dir / "publication", language=language,
                    se_type=config["choice"].get("cov_type", "cluster"), codebook=codebook,
                    descriptives=descriptives, outcome=spec.outcome)
    report_tables = {name: read(name, keep_default_na=False) for name in (
        "reliability", "choice_mnl", "choice_ame", "choice_tests", "choice_fit", "choice_small_sample",
        "performance_ols", "performance_fit", "performance_contrasts", "misalignment", "importance",
        "choice_stability")}
    report_tables["panel_transitions"] = read("panel_transitions", dtype={"n": "Int64"})[
        ["from_state", "to_state", "n", "row_total", "estimate", "conf_low", "conf_high"]]
    report_tables["panel_deepening"] = read("panel_deepening", dtype={"count_up": "Int64", "count_down": "Int64"})[
        ["from_state", "to_state", "estimate", "conf_low", "conf_high", "p_value", "count_up", "count_down"]]
    report_tables["descriptives"] = descriptives[descriptives["part"] != "note"].drop(columns="part")
    checks = read("hypotheses")
    report_tables["hypotheses_summary"] = hypotheses_summary(checks)
    report_tables["hypotheses"] = checks[
        ["hypothesis", "check", "estimate", "conf_low", "conf_high", "p_value", "check_verdict"]]
    report_tables["form_by_sector"] = read("form_by_sector")
    stems = [path.stem for path in figures] + ["form_shares_by_wave", "transitions_alluvial"]
    html = render_report(
        language=language, title=config["report"]["title"],
        figures={stem: figures_dir / f"{stem}.png" for stem in stems}, tables=report_tables,
        sample_flow=pd.read_csv(qc_dir / "sample_flow.csv", keep_default_na=False), provenance=provenance,
        config=config,
        notes=methods_notes(config, report_tables["choice_fit"], report_tables["performance_fit"], language)
        + choice.warnings,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        captions={stem: read_caption(caption_path(stem, language)) for stem in stems},
        codebook=codebook, outcome=spec.outcome,
    )
    write_report(html, out / "report" / "index.html")
    log.info("single script: %d responses analysed, outputs in %s", len(analysis), out)


def caption_path(stem: str, language: str) -> Path:
    """A figure's caption as the report rule finds it: the language's own folder first."""
    localised = Path("workflow/report") / language / f"figure_{stem}.rst"
    return localised if localised.exists() else Path("workflow/report") / f"figure_{stem}.rst"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--out", type=Path, default=Path("results/bench/single_script"))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    run(args.project, args.out, args.jobs)


if __name__ == "__main__":
    main()
