import json

from alliancegov.codebook import Codebook
from alliancegov.ingest import IngestSettings, ingest_wave, load_crosswalk, load_pseudonymisation_key
from alliancegov.runtime import start_job

log = start_job(snakemake.log[0])
wave = snakemake.wildcards.wave
settings = snakemake.params.settings
codebook = Codebook.from_dir(snakemake.config["codebook"])
frame, provenance = ingest_wave(
    snakemake.input.raw, snakemake.params.format, wave, codebook,
    key=load_pseudonymisation_key(settings.get("key_file")),
    settings=IngestSettings(settings.get("firm_id_column"), tuple(settings["required_columns"]),
                            settings.get("unknown_values", "error")),
    crosswalk=load_crosswalk(snakemake.input.crosswalk[0]) if snakemake.input.crosswalk else None,
)
provenance["path"] = snakemake.input.raw
frame.to_parquet(snakemake.output.data, index=False)
with open(snakemake.output.provenance, "w", encoding="utf-8") as handle:
    json.dump(provenance, handle, indent=2, ensure_ascii=False, sort_keys=True)
    handle.write("\n")
log.info("wave %s: %d rows read from %s", wave, len(frame), snakemake.input.raw)
