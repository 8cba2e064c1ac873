from alliancegov.descriptives import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(pooled=snakemake.input.pooled, codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()),
    outcome=snakemake.params.outcome, group=snakemake.params.group, likert_scales=snakemake.params.likert_scales,
    minimum_cell=snakemake.params.minimum_cell, weights=snakemake.params.weights)
