import pandas as pd

from alliancegov.choice import ChoiceSpec, DesignBuilder
from alliancegov.codebook import Codebook
from alliancegov.performance import misalignment_bootstrap, misalignment_inputs
from alliancegov.runtime import start_job
from alliancegov.stats.bootstrap import part_replicates, result_frame

log = start_job(snakemake.log[0])
codebook = Codebook.from_dir(snakemake.config["codebook"])
choice = ChoiceSpec.from_config(snakemake.params.choice)
scale = codebook.answer_names(choice.outcome)   # codebook order: market → hierarchy
data, spec, clusters, _ = misalignment_inputs(pd.read_parquet(snakemake.input.data), snakemake.params.settings,
                                              DesignBuilder(choice, tuple(scale)), scale)
part = int(snakemake.wildcards.part)
replicates = part_replicates(spec.bootstrap_replicates, part, snakemake.params.parts)
table = result_frame(misalignment_bootstrap(data, spec, clusters, replicates, n_jobs=snakemake.threads), replicates)
table.to_parquet(snakemake.output[0], index=False)
log.info("two-stage bootstrap part %d of %d: resamples %s, %d failed", part + 1, snakemake.params.parts,
         f"{replicates.start}–{replicates.stop - 1}" if len(replicates) else "none", (~table["ok"]).sum())
