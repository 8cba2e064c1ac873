from pathlib import Path

import pandas as pd
import yaml

from alliancegov.codebook import Codebook
from alliancegov.power import PowerSettings, power_table
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
register = yaml.safe_load(Path(snakemake.input.register).read_text(encoding="utf-8"))
codebook = Codebook.from_dir(snakemake.config["codebook"])
power = PowerSettings.from_config(snakemake.params.settings, register, codebook)
replicates = pd.concat([pd.read_parquet(path) for path in snakemake.input.replicates], ignore_index=True)
truth = yaml.safe_load(Path(snakemake.input.truth).read_text(encoding="utf-8"))
table = power_table(replicates, notes=power.note(truth))
write_csv(table, snakemake.output.table)
log.info("\n%s", table[["n", "hypothesis", "check", "power", "conf_low", "conf_high"]].to_string(index=False))
