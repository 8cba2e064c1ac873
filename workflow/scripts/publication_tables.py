from pathlib import Path

import pandas as pd

from alliancegov.codebook import Codebook
from alliancegov.publication import descriptive_table, publication_set
from alliancegov.runtime import start_job

log = start_job(snakemake.log[0])
params = snakemake.params
codebook = Codebook.from_dir(snakemake.config["codebook"])
descriptives = descriptive_table(pd.read_parquet(snakemake.input.data), codebook,
                                 continuous=params.descriptives["continuous"],
                                 categorical=params.descriptives["categorical"], by=params.outcome,
                                 language=params.language, minimum_cell=params.minimum_cell)
paths = publication_set(pd.read_csv(snakemake.input.choice), pd.read_csv(snakemake.input.performance),
                        Path(snakemake.output.choice_models_tex).parent, language=params.language,
                        se_type=params.se_type, codebook=codebook, descriptives=descriptives, outcome=params.outcome)
log.info("publication tables: %s", ", ".join(map(str, paths)))
