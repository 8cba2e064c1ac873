import pandas as pd

from alliancegov.choice import ChoiceSpec, wave_tables
from alliancegov.codebook import Codebook
from alliancegov.descriptives import form_shares_by_wave
from alliancegov.disclosure import suppress_tidy_crosstab
from alliancegov.figures import plot_form_shares_by_wave, save_figure, transitions_alluvial
from alliancegov.panel import PANEL_FILES, panel_transitions, publishable_panel_tables
from alliancegov.runtime import start_job
from alliancegov.safe_output import write_csv

log = start_job(snakemake.log[0])
params, output = snakemake.params, snakemake.output
spec = ChoiceSpec.from_config(params.spec)
codebook = Codebook.from_dir(snakemake.config["codebook"])
forms = codebook.answer_names(spec.outcome)
analysis = pd.read_parquet(snakemake.input.data)

for name, table in wave_tables(analysis, spec, forms).items():
    write_csv(table, getattr(output, name))

shares = suppress_tidy_crosstab(form_shares_by_wave(analysis, codebook, params.waves, spec.outcome), "wave",
                                spec.outcome, minimum=params.minimum_cell, shares=["share", "conf_low", "conf_high"])
write_csv(shares, output.form_shares)
save_figure(plot_form_shares_by_wave(shares, codebook, params.language, spec.outcome), output.form_shares_by_wave_png,
            formats=("png", "svg", "pdf"))

panel = panel_transitions(analysis, spec.outcome, forms, waves=params.waves)
for name, table in publishable_panel_tables(panel, minimum=params.minimum_cell).items():
    write_csv(table, getattr(output, PANEL_FILES[name]))
# the figure draws every band but labels only those reaching the disclosure minimum
save_figure(transitions_alluvial(panel["transition_counts"], codebook, params.language, totals=panel["form_by_wave"],
                                 outcome=spec.outcome, minimum_cell=params.minimum_cell),
            output.transitions_alluvial_png, formats=("png", "svg", "pdf"))
log.info("waves in order: %s; firms linked: %s", ", ".join(params.waves),
         panel["panel_links"]["n_linked"].tolist())
log.info("figures: %s, %s", output.form_shares_by_wave_png, output.transitions_alluvial_png)
