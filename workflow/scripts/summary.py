from alliancegov.report.summary import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(**dict(snakemake.input.items()), outputs=dict(snakemake.output.items()), language=snakemake.params.language,
    simulated_data=snakemake.params.simulated_data, firm_clusters=snakemake.params.firm_clusters)
