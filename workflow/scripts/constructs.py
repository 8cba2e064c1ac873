import pandas as pd

from alliancegov.codebook import Codebook
from alliancegov.constructs import build_analysis
from alliancegov.runtime import start_job
from alliancegov.tables import write_csv

log = start_job(snakemake.log[0])
codebook = Codebook.from_dir(snakemake.config["codebook"])
analysis, reliability = build_analysis(pd.read_parquet(snakemake.input.data), codebook)
analysis.to_parquet(snakemake.output.data, index=False)
write_csv(reliability, snakemake.output.reliability)
log.info("%d responses scored on %d scales", len(analysis), len(codebook.scales))
