from alliancegov.runtime import start_job
from alliancegov.waves.stage import run

start_job(snakemake.log[0])
run(data=snakemake.input.data, codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()),
    spec=snakemake.params.spec, waves=snakemake.params.waves, minimum_cell=snakemake.params.minimum_cell)
