from pathlib import Path

import pandas as pd
import yaml

from alliancegov.codebook import Codebook
from alliancegov.power import PowerSettings, calibrate_penalty, truth_at_estimates
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv
from alliancegov.simulate import load_truth

log = start_job(snakemake.log[0])
settings = snakemake.params.settings
register = yaml.safe_load(Path(snakemake.input.register).read_text(encoding="utf-8"))
codebook = Codebook.from_dir(snakemake.config["codebook"])
power = PowerSettings.from_config(settings, register, codebook)
truth = truth_at_estimates(load_truth(), pd.read_csv(snakemake.input.choice_mnl),
                           pd.read_csv(snakemake.input.misalignment))
truth, calibration = calibrate_penalty(truth, truth["at_estimates"]["misfit_coefficient"], power, codebook,
                                       firms=settings["power"]["calibration_firms"], seed=power.seed)
Path(snakemake.output.truth).write_text(yaml.safe_dump(truth, sort_keys=False, allow_unicode=True), encoding="utf-8")
write_csv(calibration, snakemake.output.calibration)
log.info("misalignment penalty calibrated on %d firms:\n%s", settings["power"]["calibration_firms"],
         calibration.to_string(index=False))
