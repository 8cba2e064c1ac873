rule choice:
    input:
        data=rules.constructs.output.data,
        codebook=CODEBOOK_FILES,
    output:
        **{
            name: report(
                f"results/tables/{name}.csv",
                caption=f"../report/{name}.rst",
                category="3. Governance choice",
                labels={"table": label},
            )
            for name, label in CHOICE_TABLES.items()
            if name in CHOICE_SPEC.tables
        },
        warnings="results/tables/choice_warnings.txt",
    params:
        spec=config["choice"],
        missing_data=config["missing_data"],
        code=script_code("choice"),
    threads: 1
    resources:
        mem_mb=measured_mem_mb("choice"),
    benchmark:
        "results/benchmarks/choice.tsv"
    log:
        "results/logs/choice.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/choice.py"


rule choice_bootstrap_part:
    input:
        data=rules.constructs.output.data,
        codebook=CODEBOOK_FILES,
    output:
        part=temp("results/interim/bootstrap/choice_{part}.parquet"),
    params:
        spec=config["choice"],
        parts=len(BOOTSTRAP_PARTS),
        code=script_code("choice_bootstrap_part"),
    threads: 1
    resources:
        mem_mb=measured_mem_mb("choice_bootstrap_part"),
    benchmark:
        "results/benchmarks/choice_bootstrap_part/{part}.tsv"
    log:
        "results/logs/choice_bootstrap_part/{part}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/choice_bootstrap_part.py"


rule choice_bootstrap:
    input:
        data=rules.constructs.output.data,
        codebook=CODEBOOK_FILES,
        parts=expand("results/interim/bootstrap/choice_{part}.parquet", part=BOOTSTRAP_PARTS),
    output:
        table=report(
            "results/tables/choice_bootstrap.csv",
            caption="../report/choice_bootstrap.rst",
            category="3. Governance choice",
            labels={"table": CHOICE_TABLES["choice_bootstrap"]},
        ),
    params:
        spec=config["choice"],
        code=script_code("choice_bootstrap"),
    threads: 1
    resources:
        mem_mb=measured_mem_mb("choice_bootstrap"),
    benchmark:
        "results/benchmarks/choice_bootstrap.tsv"
    log:
        "results/logs/choice_bootstrap.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/choice_bootstrap.py"


rule performance:
    input:
        data=rules.constructs.output.data,
        codebook=CODEBOOK_FILES,
    output:
        **{
            name: report(
                f"results/tables/{name}.csv",
                caption=f"../report/{name}.rst",
                category="4. Performance",
                labels={"table": label},
            )
            for name, label in PERFORMANCE_TABLES.items()
            if name not in MISALIGNMENT_TABLES and (name != "importance" or STAGES.importance)
            and (name not in ("misalignment_first_stage", "form_effects", "form_overlap") or STAGES.misalignment)
        },
        data="results/interim/performance.parquet",
    params:
        settings={key: config.get(key, {}) for key in ("performance", "misalignment", "importance", "form_effects")},
        choice=config["choice"],
        missing_data=config["missing_data"],
        code=script_code("performance"),
    threads: 1
    resources:
        mem_mb=measured_mem_mb("performance"),
    benchmark:
        "results/benchmarks/performance.tsv"
    log:
        "results/logs/performance.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/performance.py"


rule misalignment_bootstrap_part:
    input:
        data=rules.performance.output.data,
        codebook=CODEBOOK_FILES,
    output:
        part=temp("results/interim/bootstrap/misalignment_{part}.parquet"),
    params:
        settings=MISALIGNMENT_SETTINGS,
        choice=config["choice"],
        parts=len(MISALIGNMENT_PARTS),
        code=script_code("misalignment_bootstrap_part"),
    threads: 1
    resources:
        mem_mb=measured_mem_mb("misalignment_bootstrap_part"),
    benchmark:
        "results/benchmarks/misalignment_bootstrap_part/{part}.tsv"
    log:
        "results/logs/misalignment_bootstrap_part/{part}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/misalignment_bootstrap_part.py"


rule misalignment:
    input:
        data=rules.performance.output.data,
        codebook=CODEBOOK_FILES,
        parts=expand("results/interim/bootstrap/misalignment_{part}.parquet", part=MISALIGNMENT_PARTS),
    output:
        **{
            key: report(
                f"results/tables/{name}.csv",
                caption=f"../report/{name}.rst",
                category="4. Performance",
                labels={"table": PERFORMANCE_TABLES[name]},
            )
            for key, name in MISALIGNMENT_OUTPUTS.items()
        },
    params:
        settings=MISALIGNMENT_SETTINGS,
        choice=config["choice"],
        code=script_code("misalignment"),
    threads: 1
    resources:
        mem_mb=measured_mem_mb("misalignment"),
    benchmark:
        "results/benchmarks/misalignment.tsv"
    log:
        "results/logs/misalignment.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/misalignment.py"


rule hypotheses:
    input:
        data=rules.constructs.output.data,
        # the performance stage's rows, derived outcomes and misalignment measures, when it runs
        **({"performance_frame": rules.performance.output.data} if STAGES.performance else {}),
        **({"choice_ame": rules.choice.output.choice_ame} if STAGES.multinomial else {}),
        **({"misalignment": rules.misalignment.output.table} if STAGES.misalignment else {}),
        **({"importance": rules.performance.output.importance} if STAGES.importance else {}),
        **({"panel_deepening": "results/tables/panel_deepening.csv"} if STAGES.panel else {}),
        register=config.get("hypotheses", []),  # none when the register is left out
        **({"measurement_flags": rules.measurement.output.flags} if MEASUREMENT else {}),
    output:
        table=report(
            "results/tables/hypotheses.csv",
            caption="../report/hypotheses.rst",
            category="0. Hypotheses",
        ),
        **(
            {
                "time_to_partnership": report(
                    "results/tables/time_to_partnership.csv",
                    caption="../report/time_to_partnership.rst",
                    category="0. Hypotheses",
                )
            }
            if TIME_TO_EVENT
            else {}
        ),
    params:
        table_formulas=HYPOTHESIS_TABLE_FORMULAS if MEASUREMENT else {},
        choice=config["choice"],
        code=script_code("hypotheses"),
    resources:
        mem_mb=measured_mem_mb("hypotheses"),
    benchmark:
        "results/benchmarks/hypotheses.tsv"
    log:
        "results/logs/hypotheses.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/hypotheses.py"
