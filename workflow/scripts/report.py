from alliancegov.report.stage import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(**dict(snakemake.input.items()), outputs=dict(snakemake.output.items()), config=snakemake.params.config,
    language=snakemake.params.language)
