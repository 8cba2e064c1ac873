import pandas as pd

from alliancegov.performance import PerformanceSpec, fit_ols, fit_ols_imputed
from alliancegov.runtime import start_job
from alliancegov.tables import write_csv

log = start_job(snakemake.log[0])
spec = PerformanceSpec.from_config(snakemake.params.spec, snakemake.params.missing_data)
data = pd.read_parquet(snakemake.input.data)
fit = fit_ols_imputed(data, spec) if spec.imputations > 0 else fit_ols(data, spec)
write_csv(fit.coefficients, snakemake.output.coefficients)
write_csv(fit.fit, snakemake.output.fit)
log.info("\n%s", fit.coefficients.to_string(index=False))
