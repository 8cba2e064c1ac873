import pandas as pd

from alliancegov.codebook import Codebook
from alliancegov.figures import make_figures
from alliancegov.runtime import start_job
from alliancegov.tables import form_by_sector_table, write_csv

log = start_job(snakemake.log[0])
codebook = Codebook.from_dir(snakemake.config["codebook"])
analysis = pd.read_parquet(snakemake.input.data)
paths = make_figures(
    analysis, pd.read_csv(snakemake.input.choice), pd.read_csv(snakemake.input.sample_flow, keep_default_na=False),
    codebook, snakemake.params.language, snakemake.params.scales, snakemake.params.performance_outcome,
    out_dir=snakemake.output.sample_flow.rsplit("/", 1)[0],
)
write_csv(form_by_sector_table(analysis, codebook), snakemake.output.table)
log.info("figures: %s", ", ".join(map(str, paths)))
