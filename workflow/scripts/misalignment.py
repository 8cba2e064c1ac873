from alliancegov.misalignment.stage import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(data=snakemake.input.data, codebook=snakemake.input.codebook, parts=snakemake.input.parts,
    outputs=dict(snakemake.output.items()), settings=snakemake.params.settings, choice=snakemake.params.choice)
