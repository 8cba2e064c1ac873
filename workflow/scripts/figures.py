from pathlib import Path

import pandas as pd
import yaml

from alliancegov.codebook import Codebook
from alliancegov.descriptives import form_by_sector_table
from alliancegov.disclosure import suppress_tidy_crosstab
from alliancegov.figures import make_figures
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
codebook = Codebook.from_dir(snakemake.config["codebook"])
analysis = pd.read_parquet(snakemake.input.data)
tables = {name: pd.read_csv(path) for name, path in snakemake.input.items()
          if name in ("choice_mnl", "choice_ame", "choice_predictions", "reliability", "misalignment")}
if "sample_flow" in snakemake.input.keys():
    tables["sample_flow"] = pd.read_csv(snakemake.input.sample_flow, keep_default_na=False)
register = snakemake.input.get("register")
paths = make_figures(
    analysis, tables, codebook, snakemake.params.language,
    scales=snakemake.params.scales, likert_scales=snakemake.params.likert_scales,
    performance_outcome=snakemake.params.performance_outcome, profile_by=snakemake.params.profile_by,
    out_dir=Path(snakemake.output[0]).parent, outcome=snakemake.params.outcome, group=snakemake.params.group,
    performance=pd.read_parquet(snakemake.input.performance) if "performance" in snakemake.input.keys() else None,
    time_to_event=yaml.safe_load(Path(register).read_text(encoding="utf-8")).get("time_to_event") if register else None,
    only=snakemake.params.figures,
)
if "table" in snakemake.output.keys():
    counts = form_by_sector_table(analysis, codebook, snakemake.params.outcome, snakemake.params.group)
    write_csv(suppress_tidy_crosstab(counts, snakemake.params.group, snakemake.params.outcome,
                                     minimum=snakemake.params.minimum_cell), snakemake.output.table)
log.info("figures: %s", ", ".join(map(str, paths)))
