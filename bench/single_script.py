"""Comparator for ``bench/pipeline_scale.py``: the pipeline's analyses as one plain Python script.

Calls, in one process and in the workflow's order, the same ``run`` of every stage that the
Snakemake jobs call (``workflow/scripts/*.py``), with the same config, inputs and outputs, so the
difference in time is what Snakemake adds (a process and its imports per job, the DAG, the
metadata). The bootstraps are not scattered: each runs whole with ``--jobs`` workers, as the
workflow runs its two scatter jobs side by side.

Usage: ``python bench/single_script.py --project DIR --out DIR [--jobs N]``; ``DIR`` is a
project folder (``config/``, ``workflow/`` for the schemas and figure captions, the raw files its
waves sheet names), e.g. the repository itself. Outputs go under ``--out`` in the layout of
``results/``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

CODEBOOK_FILES = ("variables.csv", "value_sets.csv", "scales.csv")


def figure_paths(folder: Path, stems: list[str]) -> dict[str, str]:
    """A figure rule's outputs: each figure's PNG, SVG and PDF."""
    return {f"{stem}{suffix}": str(folder / f"{stem}.{fmt}") for stem in stems
            for suffix, fmt in (("", "png"), ("_svg", "svg"), ("_pdf", "pdf"))}


def run(project: Path, out: Path, jobs: int) -> None:
    import pandas as pd
    import yaml
    from snakemake.utils import validate

    from alliancegov import clean, descriptives, hypotheses, misalignment, performance, pool, publication
    from alliancegov.choice import bootstrap as choice_bootstrap
    from alliancegov.choice import stage as choice_stage
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.constructs import stage as constructs_stage
    from alliancegov.figures import descriptive as figures_descriptive
    from alliancegov.figures import models as figures_models
    from alliancegov.figures import waves as figures_waves
    from alliancegov.ingest import stage as ingest
    from alliancegov.report import stage as report
    from alliancegov.runtime import start_job
    from alliancegov.waves import stage as waves_stage

    out = out.resolve()
    os.chdir(project)  # the config's paths are relative to the project, as under Snakemake
    log = start_job(out / "single_script.log")
    config = yaml.safe_load(Path("config/config.yaml").read_text(encoding="utf-8"))
    validate(config, str(Path("workflow/schemas/config.schema.yaml").resolve()))  # as the Snakefile: defaults
    codebook = [str(Path(config["codebook"]) / name) for name in CODEBOOK_FILES]
    waves = pd.read_csv(config["waves"], sep="\t", dtype=str, keep_default_na=False)
    tables, qc, figures, interim = out / "tables", out / "qc", out / "figures", out / "interim"
    for folder in (tables / "publication", qc / "provenance", figures, interim):
        folder.mkdir(parents=True, exist_ok=True)
    table = {name: str(tables / f"{name}.csv") for name in (
        "reliability", "reliability_items", "form_by_sector", "likert_items", "choice_bootstrap", "misalignment",
        "hypotheses", "time_to_partnership", "choice_waves", "choice_stability", "form_shares_by_wave",
        "panel_links", "panel_transition_counts", "panel_transitions", "panel_deepening", "panel_homogeneity")}

    cleaned = {key: [] for key in ("data", "exclusions", "flow", "nonresponse", "respondents")}
    for wave in waves.to_dict("records"):
        name = wave["wave"]
        ingest.run(raw=wave["file"], crosswalk=[wave["crosswalk"]] if wave.get("crosswalk") else [],
                   codebook=codebook, outputs={"data": str(interim / f"ingested_{name}.parquet"),
                                               "provenance": str(qc / "provenance" / f"{name}.json")},
                   wave=name, file_format=wave["format"], settings=config["ingest"])
        outputs = {key: str(interim / f"clean_{name}_{key}.{'parquet' if key == 'data' else 'csv'}")
                   for key in cleaned}
        clean.run(data=str(interim / f"ingested_{name}.parquet"), codebook=codebook, outputs=outputs,
                  year=int(wave["year"]), qc=config["qc"])
        for key, path in outputs.items():
            cleaned[key].append(path)
    pooled = str(interim / "pooled.parquet")
    pool.run(**cleaned, outputs={"data": pooled, "sample_flow": str(qc / "sample_flow.csv"),
                                 "exclusions": str(qc / "exclusions.csv"), "nonresponse": str(qc / "nonresponse.csv"),
                                 "respondents": str(qc / "nonresponse_respondents.csv")},
             rules=config["qc"]["exclusion_rules"])
    analysis = str(interim / "analysis.parquet")
    constructs_stage.run(data=pooled, codebook=codebook, outputs={"data": analysis, "reliability": table["reliability"],
                                                                  "item_statistics": table["reliability_items"]})
    likert_scales = config["figures"]["likert_scales"]
    descriptives.run(pooled=pooled, codebook=codebook,
                     outputs={"form_by_sector": table["form_by_sector"], "likert_items": table["likert_items"]},
                     outcome=config["choice"]["outcome"], group=config["figures"]["group"],
                     likert_scales=likert_scales, minimum_cell=config["disclosure"]["minimum_cell"])
    measured = {}
    if "measurement" in config:     # as the rule measurement
        from alliancegov.measurement.stage import OUTPUTS
        from alliancegov.measurement.stage import run as measurement_run

        names = {"cfa": "measurement_cfa", "validity": "measurement_validity", "invariance": "measurement_invariance",
                 "nonresponse": "nonresponse_bias", "flags": "measurement_flags"}
        measured = {key: str(tables / f"{names.get(key, key)}.csv") for key in OUTPUTS}
        frame_sizes = ({row["wave"]: int(float(row["frame_size"])) if row.get("frame_size") else None
                        for row in waves.to_dict("records")} if "frame_size" in waves else {})
        measurement_run(data=analysis, sample_flow=str(qc / "sample_flow.csv"), codebook=codebook, outputs=measured,
                        settings=config["measurement"], performance=config["performance"],
                        formulas={"choice": config["choice"]["formula"],
                                  "performance": config["performance"]["formula"]}, frame_sizes=frame_sizes)

    choice_outputs = {name: str(tables / f"{name}.csv") for name in ChoiceSpec.from_config(config["choice"]).tables}
    choice_outputs["warnings"] = str(tables / "choice_warnings.txt")
    choice_stage.run(data=analysis, codebook=codebook, outputs=choice_outputs, spec=config["choice"],
                     missing_data=config["missing_data"], threads=jobs)
    if config["choice"].get("bootstrap_replicates", 0) > 0 and config["choice"].get("cov_type") != "design":
        part = str(interim / "choice_bootstrap_0.parquet")
        choice_bootstrap.run_part(data=analysis, codebook=codebook, outputs={"part": part}, spec=config["choice"],
                                  parts=1, part=0, threads=jobs)
        choice_bootstrap.run(data=analysis, codebook=codebook, parts=[part],
                             outputs={"table": table["choice_bootstrap"]}, spec=config["choice"])
    settings = {key: config.get(key, {}) for key in ("performance", "misalignment", "importance")}
    enriched = str(interim / "performance.parquet")
    performance_outputs = {name: str(tables / f"{name}.csv") for name in (
        "performance_ols", "performance_fit", "performance_ordered", "performance_ordered_ame",
        "performance_contrasts", "misalignment_first_stage", "importance", "performance_by_form")}
    performance.run(data=analysis, codebook=codebook, outputs=performance_outputs | {"data": enriched},
                    settings=settings, choice=config["choice"], missing_data=config["missing_data"], threads=jobs)
    two_stage = {key: settings[key] for key in ("performance", "misalignment")}
    part = str(interim / "misalignment_bootstrap_0.parquet")
    misalignment.run_part(data=enriched, codebook=codebook, outputs={"part": part}, settings=two_stage,
                          choice=config["choice"], parts=1, part=0, threads=jobs)
    misalignment.run(data=enriched, codebook=codebook, parts=[part], outputs={"table": table["misalignment"]},
                     settings=two_stage, choice=config["choice"])
    wave_order = list(waves.assign(year=waves["year"].astype(int)).sort_values("year", kind="stable")["wave"])
    hand_overs = {name: str(interim / f"{name}.parquet") for name in ("transition_counts", "form_by_wave")}
    waves_stage.run(data=analysis, codebook=codebook, outputs={
        **{name: table[name] for name in ("choice_waves", "choice_stability", "panel_links", "panel_transition_counts",
                                          "panel_transitions", "panel_deepening", "panel_homogeneity")},
        "form_shares": table["form_shares_by_wave"], **hand_overs}, spec=config["choice"], waves=wave_order,
        minimum_cell=config["disclosure"]["minimum_cell"])
    register = yaml.safe_load(Path(config["hypotheses"]).read_text(encoding="utf-8"))
    hypotheses.run(data=enriched, register=config["hypotheses"], choice_ame=choice_outputs["choice_ame"],
                   misalignment=table["misalignment"], importance=performance_outputs["importance"],
                   panel_deepening=table["panel_deepening"],
                   outputs={"table": table["hypotheses"], "time_to_partnership": table["time_to_partnership"]},
                   language=config["language"], measurement_flags=measured.get("flags"),
                   table_formulas=({"choice_ame": [config["choice"]["formula"]],
                                    "misalignment": [config["misalignment"]["outcome"],
                                                     config["misalignment"]["controls"], config["choice"]["formula"]],
                                    "importance": [config["misalignment"]["outcome"],
                                                   *(config.get("importance") or {}).get("groups", {}).values()]}
                                   if measured else {}))

    language, scales = config["language"], config["figures"]["construct_scales"]
    descriptive_stems = ["form_by_sector", *(["construct_scores"] if scales else []), "sample_flow",
                         *(["reliability"] if scales else []), *(["likert_items"] if likert_scales else [])]
    figures_descriptive.run(analysis=analysis, form_by_sector=table["form_by_sector"],
                            sample_flow=str(qc / "sample_flow.csv"), reliability=table["reliability"],
                            likert_items=table["likert_items"], codebook=codebook,
                            outputs=figure_paths(figures, descriptive_stems), language=language,
                            outcome=config["choice"]["outcome"], group=config["figures"]["group"], scales=scales,
                            likert_scales=likert_scales)
    time_to_event = register.get("time_to_event")
    model_stems = ["choice_coefficients", "choice_ame", "choice_predictions", "performance_by_form", "misalignment",
                   *(["time_to_partnership"] if time_to_event else [])]
    figures_models.run(choice_mnl=choice_outputs["choice_mnl"], choice_ame=choice_outputs["choice_ame"],
                       choice_predictions=choice_outputs["choice_predictions"],
                       performance_by_form=performance_outputs["performance_by_form"],
                       misalignment=table["misalignment"], codebook=codebook,
                       outputs=figure_paths(figures, model_stems), language=language,
                       outcome=config["choice"]["outcome"], profile_by=config["choice"].get("profile_by"),
                       time_to_partnership=table["time_to_partnership"] if time_to_event else None,
                       survival_group=(time_to_event or {}).get("group"))
    figures_waves.run(form_shares=table["form_shares_by_wave"], codebook=codebook,
                      outputs=figure_paths(figures, ["form_shares_by_wave", "transitions_alluvial"]),
                      language=language, outcome=config["choice"]["outcome"],
                      minimum_cell=config["disclosure"]["minimum_cell"], **hand_overs)
    stems = descriptive_stems + model_stems + ["form_shares_by_wave", "transitions_alluvial"]
    publication.run(choice=choice_outputs.get("choice_variants", choice_outputs["choice_mnl"]),
                    performance=performance_outputs["performance_ols"], data=analysis, codebook=codebook,
                    outputs={f"{stem}_{suffix}": str(tables / "publication" / f"{stem}.{suffix}")
                             for stem in ("choice_models", "performance_models", "descriptives",
                                          *(["correlations"] if measured else []))
                             for suffix in ("tex", "md", "html", "docx")},
                    language=language, se_type=config["choice"].get("cov_type", "cluster"),
                    descriptives=config["figures"]["descriptives"], outcome=config["choice"]["outcome"],
                    minimum_cell=config["disclosure"]["minimum_cell"], correlations=measured.get("correlations"),
                    correlation_settings=config.get("measurement"))
    report.run(figures=[str(figures / f"{stem}.png") for stem in stems],
               captions=[str(caption_path(stem, language)) for stem in stems], data=analysis,
               sample_flow=str(qc / "sample_flow.csv"),
               provenance=[str(qc / "provenance" / f"{name}.json") for name in waves["wave"]],
               hypotheses=table["hypotheses"], choice_warnings=choice_outputs["warnings"],
               panel_transitions=table["panel_transitions"], panel_deepening=table["panel_deepening"],
               codebook=codebook, outputs={"html": str(out / "report" / "index.html")}, config=config,
               language=language, title=config["report"]["title"], descriptives=config["figures"]["descriptives"],
               minimum_cell=config["disclosure"]["minimum_cell"],
               **{name: choice_outputs[name] for name in ("choice_mnl", "choice_ame", "choice_tests", "choice_fit",
                                                          "choice_small_sample")},
               **{name: performance_outputs[name] for name in ("performance_ols", "performance_fit",
                                                               "performance_contrasts", "importance")},
               choice_stability=table["choice_stability"], form_by_sector=table["form_by_sector"],
               reliability=table["reliability"], misalignment=table["misalignment"],
               **{f"measurement_{key}": path for key, path in measured.items()})
    log.info("single script: outputs in %s", out)


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
