from alliancegov.figures.power import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(table=snakemake.input.table, codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()),
    language=snakemake.params.language, alpha=snakemake.params.alpha,
    bootstrap_replicates=snakemake.params.bootstrap_replicates)
