from alliancegov.measurement.stage import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(data=snakemake.input.data, sample_flow=snakemake.input.sample_flow, codebook=snakemake.input.codebook,
    outputs=dict(snakemake.output.items()), settings=snakemake.params.settings,
    performance=snakemake.params.performance, formulas=snakemake.params.formulas,
    frame_sizes=snakemake.params.frame_sizes)
