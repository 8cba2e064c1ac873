import pandas as pd

from alliancegov.choice import ChoiceSpec, bootstrap_table_from_parts, build_design
from alliancegov.codebook import Codebook
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
spec = ChoiceSpec.from_config(snakemake.params.spec)
codebook = Codebook.from_dir(snakemake.config["codebook"])
design = build_design(pd.read_parquet(snakemake.input.data), spec, codebook.answer_names(spec.outcome))
table = bootstrap_table_from_parts(design, spec, [pd.read_parquet(path) for path in snakemake.input.parts])
write_csv(table, snakemake.output.table)
log.info("\n%s", table.to_string(index=False))
