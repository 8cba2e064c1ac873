from alliancegov.figures.models import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(**dict(snakemake.input.items()), outputs=dict(snakemake.output.items()), language=snakemake.params.language,
    outcome=snakemake.params.outcome, profile_by=snakemake.params.profile_by,
    survival_group=snakemake.params.survival_group, style=snakemake.params.style)
