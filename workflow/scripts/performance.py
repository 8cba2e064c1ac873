import pandas as pd

from alliancegov.performance import PerformanceSpec, fit_ols
from alliancegov.runtime import start_job
from alliancegov.tables import write_csv

log = start_job(snakemake.log[0])
fit = fit_ols(pd.read_parquet(snakemake.input.data), PerformanceSpec(**snakemake.params.spec))
write_csv(fit.coefficients, snakemake.output.coefficients)
write_csv(fit.fit, snakemake.output.fit)
log.info("\n%s", fit.coefficients.to_string(index=False))
