import pandas as pd

from alliancegov.choice import ChoiceSpec, analyse_choice
from alliancegov.codebook import Codebook
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
spec = ChoiceSpec.from_config(snakemake.params.spec, snakemake.params.missing_data)
codebook = Codebook.from_dir(snakemake.config["codebook"])
# the bootstrap is scattered over jobs of its own (rules choice_bootstrap_part, choice_bootstrap)
results = analyse_choice(pd.read_parquet(snakemake.input.data), spec, codebook.answer_names(spec.outcome),
                         n_jobs=snakemake.threads, bootstrap=False)
for name, table in results.tables.items():
    write_csv(table, getattr(snakemake.output, name))
with open(snakemake.output.warnings, "w", encoding="utf-8") as handle:
    handle.writelines(f"{warning}\n" for warning in results.warnings)
for warning in results.warnings:
    log.warning(warning)
log.info("\n%s", results.tables["choice_mnl"].to_string(index=False))
