# Figures draw the tables the stages hand over; they never estimate. Those of the data alone start
# as soon as the responses are scored, beside the models. One job per language of the reports
# (wildcard lang): adding or changing a language re-runs figure and report jobs only.


rule figures_descriptive:
    input:
        analysis=rules.constructs.output.data,
        form_by_sector=rules.descriptives.output.form_by_sector,
        sample_flow=rules.pool.output.sample_flow,
        **({"reliability": rules.constructs.output.reliability} if SCALES else {}),
        **({"likert_items": rules.descriptives.output.likert_items} if LIKERT_SCALES else {}),
        codebook=CODEBOOK_FILES,
        waves=config["waves"],
    output:
        **figure_outputs(DESCRIPTIVE_FIGURES),
    params:
        language=lambda wildcards: wildcards.lang,
        style=FIGURE_STYLE,
        messages=MESSAGES,
        outcome=config["choice"]["outcome"],
        group=config["figures"]["group"],
        scales=SCALES,
        likert_scales=LIKERT_SCALES,
        code=script_code("figures_descriptive"),
    resources:
        mem_mb=measured_mem_mb("figures_descriptive"),
    benchmark:
        per_language("results/benchmarks/figures_descriptive{lang}.tsv", DESCRIPTIVE_FIGURES)
    log:
        per_language("results/logs/figures_descriptive{lang}.log", DESCRIPTIVE_FIGURES),
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures_descriptive.py"


rule figures_models:
    input:
        # the tables of the stages turned on (alliancegov.stages)
        **({"choice_mnl": rules.choice.output.choice_mnl, "choice_ame": rules.choice.output.choice_ame}
           if STAGES.multinomial else {}),
        **({"choice_predictions": rules.choice.output.choice_predictions} if STAGES.profiles else {}),
        **({"performance_by_form": rules.performance.output.performance_by_form} if STAGES.performance else {}),
        **({"misalignment": rules.misalignment.output.table,
            "form_overlap": rules.performance.output.form_overlap} if STAGES.misalignment else {}),
        **({"counterfactual": rules.misalignment.output.counterfactual} if STAGES.switching else {}),
        **({"time_to_partnership": rules.hypotheses.output.time_to_partnership} if TIME_TO_EVENT else {}),
        codebook=CODEBOOK_FILES,
    output:
        **figure_outputs(MODEL_FIGURES),
    params:
        language=lambda wildcards: wildcards.lang,
        style=FIGURE_STYLE,
        messages=MESSAGES,
        outcome=config["choice"]["outcome"],
        profile_by=config["choice"].get("profile_by"),
        survival_group=(TIME_TO_EVENT or {}).get("group"),
        code=script_code("figures_models"),
    resources:
        mem_mb=measured_mem_mb("figures_models"),
    benchmark:
        per_language("results/benchmarks/figures_models{lang}.tsv", MODEL_FIGURES)
    log:
        per_language("results/logs/figures_models{lang}.log", MODEL_FIGURES),
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures_models.py"


rule figures_waves:
    input:
        form_shares=rules.waves.output.form_shares,
        **({"transition_counts": rules.waves.output.transition_counts, "form_by_wave": rules.waves.output.form_by_wave}
           if STAGES.panel else {}),
        codebook=CODEBOOK_FILES,
        waves=config["waves"],
    output:
        **figure_outputs(WAVE_FIGURES),
    params:
        language=lambda wildcards: wildcards.lang,
        style=FIGURE_STYLE,
        messages=MESSAGES,
        outcome=config["choice"]["outcome"],
        minimum_cell=config["disclosure"]["minimum_cell"],
        code=script_code("figures_waves"),
    resources:
        mem_mb=measured_mem_mb("figures_waves"),
    benchmark:
        per_language("results/benchmarks/figures_waves{lang}.tsv", WAVE_FIGURES)
    log:
        per_language("results/logs/figures_waves{lang}.log", WAVE_FIGURES),
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures_waves.py"
