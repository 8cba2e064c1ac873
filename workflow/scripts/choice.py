import pandas as pd

from alliancegov.choice import ChoiceSpec, fit_mnl
from alliancegov.codebook import Codebook
from alliancegov.runtime import start_job
from alliancegov.tables import write_csv

log = start_job(snakemake.log[0])
spec = ChoiceSpec(**snakemake.params.spec)
codebook = Codebook.from_dir(snakemake.config["codebook"])
fit = fit_mnl(pd.read_parquet(snakemake.input.data), spec, codebook.answer_names(spec.outcome))
write_csv(fit.coefficients, snakemake.output.coefficients)
write_csv(fit.fit, snakemake.output.fit)
fit.probabilities.to_parquet(snakemake.output.probabilities)
log.info("\n%s", fit.coefficients.to_string(index=False))
