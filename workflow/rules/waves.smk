rule waves:
    input:
        data=rules.constructs.output.data,
        codebook=CODEBOOK_FILES,
    output:
        # the per-wave models with the multinomial logit, the panel with a firm identifier (alliancegov.stages)
        **(
            {
                "choice_waves": report(
                    "results/tables/choice_waves.csv",
                    caption="../report/choice_waves.rst",
                    category="5. Waves and panel",
                    labels={"table": "Choice model: pooled with wave effects and per wave"},
                ),
                "choice_stability": report(
                    "results/tables/choice_stability.csv",
                    caption="../report/choice_stability.rst",
                    category="5. Waves and panel",
                    labels={"table": "Stability of the choice model across waves"},
                ),
            }
            if STAGES.wave_models
            else {}
        ),
        form_shares=report(
            "results/tables/form_shares_by_wave.csv",
            caption="../report/form_shares_by_wave.rst",
            category="5. Waves and panel",
            labels={"table": "Governance forms by wave"},
        ),
        **{
            name: report(
                f"results/tables/{name}.csv",
                caption=f"../report/{name}.rst",
                category="5. Waves and panel",
                labels={"table": label},
            )
            for name, label in PANEL_TABLES.items()
            if STAGES.panel
        },
        **(
            {
                "transition_counts": "results/interim/waves/transition_counts.parquet",
                "form_by_wave": "results/interim/waves/form_by_wave.parquet",
            }
            if STAGES.panel
            else {}
        ),
    params:
        spec=config["choice"],
        waves=WAVE_ORDER,
        minimum_cell=config["disclosure"]["minimum_cell"],
        code=script_code("waves"),
    threads: 1
    resources:
        mem_mb=measured_mem_mb("waves"),
    benchmark:
        "results/benchmarks/waves.tsv"
    log:
        "results/logs/waves.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/waves.py"
