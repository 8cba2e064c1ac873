from alliancegov.publication import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(choice=snakemake.input.get("choice"), performance=snakemake.input.get("performance"),
    performance_fit=snakemake.input.get("performance_fit"), data=snakemake.input.data,
    codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()), language=snakemake.params.language,
    choice_cov_type=snakemake.params.choice_cov_type, performance_cov_type=snakemake.params.performance_cov_type,
    descriptives=snakemake.params.descriptives, outcome=snakemake.params.outcome,
    minimum_cell=snakemake.params.minimum_cell, correlations=snakemake.input.get("correlations"),
    correlation_settings=snakemake.params.correlation_settings, weights=snakemake.params.weights,
    significance=snakemake.params.significance, stars=snakemake.params.stars)
