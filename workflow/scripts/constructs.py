from alliancegov.constructs.stage import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(data=snakemake.input.data, codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()))
