import pandas as pd

from alliancegov.codebook import Codebook
from alliancegov.constructs import build_analysis, item_table, reverse_code
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
codebook = Codebook.from_dir(snakemake.config["codebook"])
pooled = pd.read_parquet(snakemake.input.data)
analysis, reliability = build_analysis(pooled, codebook)
analysis.to_parquet(snakemake.output.data, index=False)
write_csv(reliability, snakemake.output.reliability)
write_csv(item_table(reverse_code(pooled, codebook), codebook), snakemake.output.item_statistics)
log.info("%d responses scored on %d scales", len(analysis), len(codebook.scales))
