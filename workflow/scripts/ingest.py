from alliancegov.ingest.stage import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(raw=snakemake.input.raw, crosswalk=snakemake.input.crosswalk, codebook=snakemake.input.codebook,
    outputs=dict(snakemake.output.items()), wave=snakemake.wildcards.wave, file_format=snakemake.params.file_format,
    settings=snakemake.params.settings, options=snakemake.params.options)
