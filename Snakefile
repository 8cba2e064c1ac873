from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/constructs.smk"
include: "workflow/rules/measurement.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/waves.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/power.smk"


rule all:
    input:
        rules.summary.output.text,
        expand(REPORT_HTML, lang=LANGUAGES),
        rules.pool.output,
        rules.choice.output,
        rules.choice_bootstrap.output if CHOICE_BOOTSTRAP else [],
        rules.performance.output,
        rules.misalignment.output,
        rules.descriptives.output,
        FIGURE_FILES,
        rules.hypotheses.output,
        rules.waves.output,
        rules.publication_tables.output,
        rules.measurement.output if MEASUREMENT else [],
