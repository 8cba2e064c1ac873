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
    params:
        code=source_hash("codebook", "constructs", "tables"),
    log:
        "results/logs/constructs.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/constructs.py"
