import pandas as pd

from alliancegov.clean import QualitySettings, clean_wave
from alliancegov.codebook import Codebook
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
codebook = Codebook.from_dir(snakemake.config["codebook"])
settings = QualitySettings.from_config(snakemake.params.qc)
result = clean_wave(pd.read_parquet(snakemake.input.data), codebook, settings, survey_year=snakemake.params.year)
result.analysed.to_parquet(snakemake.output.data, index=False)
write_csv(result.exclusions, snakemake.output.exclusions)
write_csv(result.flow, snakemake.output.flow)
write_csv(result.nonresponse, snakemake.output.nonresponse)
write_csv(result.respondents, snakemake.output.respondents)
log.info("%s", result.flow.to_string(index=False))
