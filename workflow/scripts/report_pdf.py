from alliancegov.report.pdf import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(html=snakemake.input.html, outputs=dict(snakemake.output.items()))
