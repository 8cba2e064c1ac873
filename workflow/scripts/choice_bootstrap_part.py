import pandas as pd

from alliancegov.choice import ChoiceSpec, bootstrap_part, build_design
from alliancegov.codebook import Codebook
from alliancegov.runtime import start_job

log = start_job(snakemake.log[0])
spec = ChoiceSpec.from_config(snakemake.params.spec)
codebook = Codebook.from_dir(snakemake.config["codebook"])
design = build_design(pd.read_parquet(snakemake.input.data), spec, codebook.answer_names(spec.outcome))
part = int(snakemake.wildcards.part)
table = bootstrap_part(design, spec, part, snakemake.params.parts, n_jobs=snakemake.threads)
table.to_parquet(snakemake.output[0], index=False)
log.info("bootstrap part %d of %d: resamples %s, %d failed", part + 1, snakemake.params.parts,
         f"{table['replicate'].min()}–{table['replicate'].max()}" if len(table) else "none", (~table["ok"]).sum())
