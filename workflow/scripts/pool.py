from alliancegov.pool import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(**dict(snakemake.input.items()), outputs=dict(snakemake.output.items()), rules=snakemake.params.rules,
    model_variables=snakemake.params.model_variables)
