from alliancegov.hypotheses.register import run
from alliancegov.runtime import start_job

start_job(snakemake.log[0])
run(data=snakemake.input.data, performance_frame=snakemake.input.get("performance_frame"),
    register=snakemake.input.register, choice_ame=snakemake.input.get("choice_ame"),
    misalignment=snakemake.input.get("misalignment"), importance=snakemake.input.get("importance"),
    panel_deepening=snakemake.input.get("panel_deepening"), outputs=dict(snakemake.output.items()),
    measurement_flags=snakemake.input.get("measurement_flags"),
    table_formulas=snakemake.params.table_formulas, choice=snakemake.params.choice)
