from alliancegov.misalignment.stage import run_part
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run_part(data=snakemake.input.data, codebook=snakemake.input.codebook, outputs=dict(snakemake.output.items()),
         settings=snakemake.params.settings, choice=snakemake.params.choice, parts=snakemake.params.parts,
         part=int(snakemake.wildcards.part), threads=snakemake.threads)
