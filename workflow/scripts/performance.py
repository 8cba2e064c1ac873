import pandas as pd

from alliancegov.choice import ChoiceSpec, DesignBuilder
from alliancegov.codebook import Codebook
from alliancegov.performance import analyse_performance
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
codebook = Codebook.from_dir(snakemake.config["codebook"])
choice = ChoiceSpec.from_config(snakemake.params.choice)
scale = codebook.answer_names(choice.outcome)   # codebook order: market → hierarchy
tables, enriched = analyse_performance(
    pd.read_parquet(snakemake.input.data), snakemake.params.settings, DesignBuilder(choice, tuple(scale)), scale,
    missing_data=snakemake.params.missing_data, n_jobs=snakemake.threads,
    bootstrap=False,   # scattered: rules misalignment_bootstrap_part and misalignment
)
for name, table in tables.items():
    write_csv(table, getattr(snakemake.output, name))
enriched.to_parquet(snakemake.output.data, index=False)
log.info("\n%s", tables["performance_ols"].to_string(index=False))
