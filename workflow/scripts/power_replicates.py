from pathlib import Path

import yaml

from alliancegov.codebook import Codebook
from alliancegov.power import PowerSettings, chunk_replicates, run_replicates
from alliancegov.runtime import start_job

log = start_job(snakemake.log[0])
settings = snakemake.params.settings
register = yaml.safe_load(Path(snakemake.input.register).read_text(encoding="utf-8"))
codebook = Codebook.from_dir(snakemake.config["codebook"])
power = PowerSettings.from_config(settings, register, codebook)
truth = yaml.safe_load(Path(snakemake.input.truth).read_text(encoding="utf-8"))
n, chunk = int(snakemake.wildcards.n), int(snakemake.wildcards.chunk)
ids = chunk_replicates(settings["power"]["replicates"], settings["power"]["chunks"], chunk)
replicates = run_replicates(n, ids, truth, power, codebook)
replicates.to_parquet(snakemake.output.replicates, index=False)
log.info("%d firms, replicates %s: detected per check\n%s", n, f"{ids[0]}–{ids[-1]}" if len(ids) else "none",
         replicates.groupby("check", sort=False)["detected"].mean().to_string())
