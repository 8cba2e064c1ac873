from pathlib import Path

import pandas as pd

from alliancegov.runtime import start_job
from alliancegov.tables import publication_set

log = start_job(snakemake.log[0])
paths = publication_set(pd.read_csv(snakemake.input.choice), pd.read_csv(snakemake.input.performance),
                        Path(snakemake.output.choice_models_tex).parent, language=snakemake.params.language,
                        se_type=snakemake.params.se_type)
log.info("publication tables: %s", ", ".join(map(str, paths)))
