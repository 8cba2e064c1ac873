report: "../report/workflow.rst"


import hashlib
import importlib.util
from pathlib import Path

import pandas as pd
from snakemake.utils import validate


validate(config, "../schemas/config.schema.yaml")

WAVES = pd.read_csv(config["waves"], sep="\t", dtype={"wave": str, "file": str, "format": str, "crosswalk": str}).set_index(
    "wave", drop=False
)
validate(WAVES, "../schemas/waves.schema.yaml")
if WAVES["wave"].duplicated().any():
    raise ValueError(f"{config['waves']}: wave identifiers repeat: {sorted(WAVES['wave'][WAVES['wave'].duplicated()])}")

CODEBOOK_FILES = [f"{config['codebook']}/{name}" for name in ("variables.csv", "value_sets.csv", "scales.csv")]
PACKAGE = Path(importlib.util.find_spec("alliancegov").origin).parent  # the installed package the jobs import


wildcard_constraints:
    wave="|".join(WAVES["wave"]),


def source_hash(*modules):
    """Hash of the package modules a job runs, so that editing one re-runs only its jobs."""
    digest = hashlib.sha256()
    for module in ("__init__", "runtime", *modules):
        digest.update((PACKAGE / f"{module}.py").read_bytes())
    return digest.hexdigest()[:16]


def wave_file(wildcards):
    return WAVES.loc[wildcards.wave, "file"]


def crosswalk_file(wildcards):
    """The wave's crosswalk to the codebook, if the waves sheet names one."""
    path = WAVES.loc[wildcards.wave].get("crosswalk", "")
    return [path] if isinstance(path, str) and path else []
