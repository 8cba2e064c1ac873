from alliancegov.figures.waves import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(form_shares=snakemake.input.form_shares, transition_counts=snakemake.input.get("transition_counts"),
    form_by_wave=snakemake.input.get("form_by_wave"), codebook=snakemake.input.codebook, waves=snakemake.input.waves,
    outputs=dict(snakemake.output.items()), language=snakemake.params.language, outcome=snakemake.params.outcome,
    minimum_cell=snakemake.params.minimum_cell, style=snakemake.params.style)
