import pandas as pd

from alliancegov.clean import CleanWave, pool_waves
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])


def read(path):
    return pd.read_csv(path, dtype={"firm_key": str, "submission_id": str, "reason": str}, keep_default_na=False)


inputs = snakemake.input
waves = [
    CleanWave(pd.read_parquet(data), read(exclusions), read(flow), read(nonresponse), read(respondents))
    for data, exclusions, flow, nonresponse, respondents in zip(
        inputs.data, inputs.exclusions, inputs.flow, inputs.nonresponse, inputs.respondents
    )
]
pooled = pool_waves(waves, tuple(snakemake.params.rules))
pooled.analysed.to_parquet(snakemake.output.data, index=False)
write_csv(pooled.flow, snakemake.output.sample_flow)
write_csv(pooled.exclusions, snakemake.output.exclusions)
write_csv(pooled.nonresponse, snakemake.output.nonresponse)
write_csv(pooled.respondents, snakemake.output.respondents)
log.info("%s", pooled.flow.to_string(index=False))
