from alliancegov.power.summary import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(replicates=snakemake.input.replicates, truth=snakemake.input.truth, register=snakemake.input.register,
    codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()), settings=snakemake.params.settings)
