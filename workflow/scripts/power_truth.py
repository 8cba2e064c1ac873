from alliancegov.power.truth import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(choice_mnl=snakemake.input.choice_mnl, misalignment=snakemake.input.misalignment,
    register=snakemake.input.register, codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()),
    settings=snakemake.params.settings)
