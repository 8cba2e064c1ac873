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
            if choice_table_wanted(name)
        },
        warnings="results/tables/choice_warnings.txt",
    params:
        spec=config["choice"],
        missing_data=config["missing_data"],
        code=source_hash(
            "codebook", "choice", "stats/__init__", "stats/tidy", "stats/mnl", "stats/mnl_tests",
            "stats/separation", "stats/firth", "stats/bootstrap", "stats/ordinal", "stats/predictive",
            "stats/imputation", "tables",
        ),
    threads: 2
    resources:
        mem_mb=2000,
    log:
        "results/logs/choice.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/choice.py"


rule performance:
    input:
        data=rules.constructs.output.data,
    output:
        coefficients=report(
            "results/tables/performance_ols.csv",
            caption="../report/performance_ols.rst",
            category="4. Performance",
        ),
        fit=report(
            "results/tables/performance_fit.csv",
            caption="../report/performance_fit.rst",
            category="4. Performance",
        ),
    params:
        spec=config["performance"],
        missing_data=config["missing_data"],
        code=source_hash("performance", "stats/__init__", "stats/tidy", "stats/imputation", "tables"),
    log:
        "results/logs/performance.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/performance.py"
