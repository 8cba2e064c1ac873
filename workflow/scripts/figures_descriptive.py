from alliancegov.figures.descriptive import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(**dict(snakemake.input.items()), outputs=dict(snakemake.output.items()), language=snakemake.params.language,
    outcome=snakemake.params.outcome, group=snakemake.params.group, scales=snakemake.params.scales,
    likert_scales=snakemake.params.likert_scales, style=snakemake.params.style)
