from alliancegov.power.replicates import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(truth=snakemake.input.truth, register=snakemake.input.register, codebook=snakemake.input.codebook,
    outputs=dict(snakemake.output.items()), settings=snakemake.params.settings, n=int(snakemake.wildcards.n),
    chunk=int(snakemake.wildcards.chunk))
