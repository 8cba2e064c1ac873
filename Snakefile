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


# What the config turns on (alliancegov.stages.Stages.rules): a section left out is a stage left out.
rule all:
    input:
        [getattr(rules, name).output for name in STAGES.rules if name not in LANGUAGE_RULES],
        # the reports, their figures and the publication tables in every language, and the end-of-run summary
        expand(REPORT_HTML, lang=LANGUAGES),
        FIGURE_FILES,
        PUBLICATION_FILES,
        rules.summary.output.text,
