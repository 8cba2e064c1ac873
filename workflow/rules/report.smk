rule report:
    input:
        figures=expand("results/figures/{name}.png", name=FIGURES),
        captions=[caption_input(f"figure_{name}") for name in FIGURES],
        data=rules.constructs.output.data,
        # the tables of the stages the config turns on (alliancegov.stages)
        **({"choice_stability": rules.waves.output.choice_stability} if STAGES.wave_models else {}),
        **({"panel_transitions": rules.waves.output.panel_transitions,
            "panel_deepening": rules.waves.output.panel_deepening} if STAGES.panel else {}),
        form_by_sector=rules.descriptives.output.form_by_sector,
        **({"reliability": rules.constructs.output.reliability} if SCALES else {}),
        **({name: getattr(rules.choice.output, name)
            for name in ("choice_mnl", "choice_ame", "choice_tests", "choice_fit", "choice_small_sample")}
           if STAGES.multinomial else {}),
        **({name: getattr(rules.choice.output, name) for name in
            ("choice_ordered", "choice_ordered_fit", "choice_ordered_ame", "choice_ordered_brant")}
           if CHOICE_SPEC.ordered else {}),
        **({name: getattr(rules.choice.output, name) for name in ("choice_equity", "choice_equity_ame")}
           if CHOICE_SPEC.binary_outcome else {}),
        choice_warnings=rules.choice.output.warnings,
        **({name: getattr(rules.performance.output, name)
            for name in ("performance_ols", "performance_contrasts", "performance_fit")}
           if STAGES.performance else {}),
        **({"misalignment": rules.misalignment.output.table,
            "misalignment_first_stage": rules.performance.output.misalignment_first_stage,
            "form_effects": rules.performance.output.form_effects} if STAGES.misalignment else {}),
        **({"misalignment_switching": rules.misalignment.output.switching,
            "misalignment_counterfactual": rules.misalignment.output.counterfactual} if STAGES.switching else {}),
        **({"importance": rules.performance.output.importance} if STAGES.importance else {}),
        **({"hypotheses": rules.hypotheses.output.table} if STAGES.hypotheses else {}),
        sample_flow=rules.pool.output.sample_flow,
        provenance=expand("results/qc/provenance/{wave}.json", wave=WAVES["wave"]),
        codebook=CODEBOOK_FILES,
        **(
            {f"measurement_{key}": getattr(rules.measurement.output, key) for key in MEASUREMENT_TABLES}
            if MEASUREMENT
            else {}
        ),
    output:
        html=report(
            "results/report/index.html",
            caption="../report/html_report.rst",
            category="7. Report",
        ),
    params:
        config=config,
        language=config["language"],
        title=config["report"]["title"],
        descriptives=config["figures"]["descriptives"],
        minimum_cell=config["disclosure"]["minimum_cell"],
        code=script_code("report"),
        template=lambda wildcards: hashlib.sha256((PACKAGE_DIR / "report" / "templates" / "report.html.j2").read_bytes()).hexdigest()[:16],
    benchmark:
        "results/benchmarks/report.tsv"
    log:
        "results/logs/report.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/report.py"


rule publication_tables:
    input:
        **({"choice": rules.choice.output.choice_variants if STAGES.variants else rules.choice.output.choice_mnl}
           if STAGES.multinomial else {}),
        **({"performance": rules.performance.output.performance_ols,
            "performance_fit": rules.performance.output.performance_fit} if STAGES.performance else {}),
        data=rules.constructs.output.data,
        codebook=CODEBOOK_FILES,
        **({"correlations": rules.measurement.output.correlations} if MEASUREMENT else {}),
    output:
        **{
            f"{stem}_{suffix}": report(
                f"results/tables/publication/{stem}.{suffix}",
                caption=f"../report/publication_{stem}.rst",
                category="8. Publication tables",
            )
            for stem in (*(["choice_models"] if STAGES.multinomial else []),
                         *(["performance_models"] if STAGES.performance else []), "descriptives",
                         *(["correlations"] if MEASUREMENT else []))
            for suffix in ("tex", "md", "html", "docx")
        },
    params:
        language=config["language"],
        choice_cov_type=config["choice"].get("cov_type", "cluster"),
        performance_cov_type=config.get("performance", {}).get("cov_type", "cluster"),
        descriptives=config["figures"]["descriptives"],
        outcome=config["choice"]["outcome"],
        weights=config["choice"].get("weights"),   # frequency weights: Table 1 counts them
        minimum_cell=config["disclosure"]["minimum_cell"],
        correlation_settings={key: (config.get("measurement") or {}).get(key) or {} for key in ("correlations", "common_method")},
        code=script_code("publication_tables"),
    benchmark:
        "results/benchmarks/publication_tables.tsv"
    log:
        "results/logs/publication_tables.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/publication_tables.py"
