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
    benchmark:
        "results/benchmarks/constructs.tsv"
    log:
        "results/logs/constructs.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/constructs.py"
