import pandas as pd

from alliancegov.choice import ChoiceSpec, DesignBuilder
from alliancegov.codebook import Codebook
from alliancegov.performance import misalignment_inputs, misalignment_intervals
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv
from alliancegov.stats.bootstrap import result_from_frames

log = start_job(snakemake.log[0])
codebook = Codebook.from_dir(snakemake.config["codebook"])
choice = ChoiceSpec.from_config(snakemake.params.choice)
scale = codebook.answer_names(choice.outcome)   # codebook order: market → hierarchy
data, spec, _, _ = misalignment_inputs(pd.read_parquet(snakemake.input.data), snakemake.params.settings,
                                       DesignBuilder(choice, tuple(scale)), scale)
result = result_from_frames([pd.read_parquet(path) for path in snakemake.input.parts], seed=spec.seed)
table = misalignment_intervals(data, spec, result)
write_csv(table, snakemake.output.table)
log.info("\n%s", table.to_string(index=False))
