rule constructs:
    input:
        data=rules.pool.output.data,
        codebook=CODEBOOK_FILES,
    output:
        data="results/interim/analysis.parquet",
        reliability=report(
            "results/tables/reliability.csv",
            caption="../report/reliability.rst",
            category="2. Measurement",
        ),
        item_statistics=report(
            "results/tables/reliability_items.csv",
            caption="../report/reliability_items.rst",
            category="2. Measurement",
        ),
    params:
        code=script_code("constructs"),
    resources:
        mem_mb=measured_mem_mb("constructs"),
    benchmark:
        "results/benchmarks/constructs.tsv"
    log:
        "results/logs/constructs.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/constructs.py"


rule descriptives:
    input:
        pooled=rules.pool.output.data,
        codebook=CODEBOOK_FILES,
    output:
        form_by_sector=report(
            "results/tables/form_by_sector.csv",
            caption="../report/form_by_sector_table.rst",
            category="2. Measurement",
        ),
        **(
            {
                "likert_items": report(
                    "results/tables/likert_items.csv",
                    caption="../report/likert_items.rst",
                    category="2. Measurement",
                )
            }
            if LIKERT_SCALES
            else {}
        ),
    params:
        outcome=config["choice"]["outcome"],
        group=config["figures"]["group"],
        weights=config["choice"].get("weights"),   # frequency weights: the counts are their sums
        likert_scales=LIKERT_SCALES,
        minimum_cell=config["disclosure"]["minimum_cell"],
        code=script_code("descriptives"),
    resources:
        mem_mb=measured_mem_mb("descriptives"),
    benchmark:
        "results/benchmarks/descriptives.tsv"
    log:
        "results/logs/descriptives.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/descriptives.py"
