import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from alliancegov.codebook import Codebook
from alliancegov.publication import descriptive_table
from alliancegov.report import hypotheses_summary, methods_notes, read_caption, render_report, write_report
from alliancegov.runtime import start_job

log = start_job(snakemake.log[0])
inputs = snakemake.input
tables = {name: pd.read_csv(getattr(inputs, name), keep_default_na=False)
          for name in ("reliability", "choice_mnl", "choice_ame", "choice_tests", "choice_fit", "choice_small_sample",
                       "performance_ols", "performance_fit", "performance_contrasts", "misalignment", "importance",
                       "choice_stability")}
tables["panel_transitions"] = pd.read_csv(inputs.panel_transitions, dtype={"n": "Int64"})[
    ["from_state", "to_state", "n", "row_total", "estimate", "conf_low", "conf_high"]]
tables["panel_deepening"] = pd.read_csv(inputs.panel_deepening, dtype={"count_up": "Int64", "count_down": "Int64"})[
    ["from_state", "to_state", "estimate", "conf_low", "conf_high", "p_value", "count_up", "count_down"]]
codebook = Codebook.from_dir(snakemake.config["codebook"])
outcome = snakemake.config["choice"]["outcome"]
descriptives = descriptive_table(pd.read_parquet(inputs.data), codebook, by=outcome, language=snakemake.params.language,
                                 minimum_cell=snakemake.params.minimum_cell, **snakemake.params.descriptives)
tables["descriptives"] = descriptives[descriptives["part"] != "note"].drop(columns="part")
checks = pd.read_csv(inputs.hypotheses)
tables["hypotheses_summary"] = hypotheses_summary(checks)
tables["hypotheses"] = checks[["hypothesis", "check", "estimate", "conf_low", "conf_high", "p_value", "check_verdict"]]
tables["form_by_sector"] = pd.read_csv(inputs.form_by_sector)
figures = {Path(path).stem: Path(path) for path in inputs.figures}
captions = {Path(path).stem.removeprefix("figure_"): read_caption(path) for path in inputs.captions}
provenance = [json.loads(Path(path).read_text(encoding="utf-8")) for path in inputs.provenance]
html = render_report(
    language=snakemake.params.language,
    title=snakemake.params.title,
    figures=figures,
    tables=tables,
    sample_flow=pd.read_csv(inputs.sample_flow, keep_default_na=False),
    provenance=provenance,
    config=dict(snakemake.params.config),
    notes=methods_notes(
        snakemake.params.config, tables["choice_fit"], tables["performance_fit"], snakemake.params.language
    ) + Path(inputs.choice_warnings).read_text(encoding="utf-8").splitlines(),
    generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    captions=captions,
    codebook=codebook,
    outcome=outcome,
)
write_report(html, snakemake.output.html)
log.info("report written to %s", snakemake.output.html)
