from alliancegov.publication import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(choice=snakemake.input.choice, performance=snakemake.input.performance, data=snakemake.input.data,
    codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()), language=snakemake.params.language,
    se_type=snakemake.params.se_type, descriptives=snakemake.params.descriptives, outcome=snakemake.params.outcome,
    minimum_cell=snakemake.params.minimum_cell, correlations=snakemake.input.get("correlations"),
    correlation_settings=snakemake.params.correlation_settings)
