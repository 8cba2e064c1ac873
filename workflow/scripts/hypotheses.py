import pandas as pd
import yaml

from alliancegov.hypotheses import evaluate_register
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
with open(snakemake.input.register, encoding="utf-8") as handle:
    register = yaml.safe_load(handle)
tables = {name: pd.read_csv(getattr(snakemake.input, name))
          for name in ("choice_ame", "misalignment", "importance", "panel_deepening")}
verdicts = evaluate_register(register, tables, pd.read_parquet(snakemake.input.data), snakemake.params.language)
write_csv(verdicts, snakemake.output.table)
log.info("\n%s", verdicts[["hypothesis", "check_verdict", "verdict"]].to_string(index=False))
