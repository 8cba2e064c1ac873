rule choice:
    input:
        data=rules.constructs.output.data,
        codebook=CODEBOOK_FILES,
    output:
        coefficients=report(
            "results/tables/choice_mnl.csv",
            caption="../report/choice_mnl.rst",
            category="3. Governance choice",
        ),
        fit=report(
            "results/tables/choice_fit.csv",
            caption="../report/choice_fit.rst",
            category="3. Governance choice",
        ),
        probabilities="results/interim/choice_probabilities.parquet",
    params:
        spec=config["choice"],
        code=source_hash("codebook", "choice", "stats/__init__", "stats/tidy", "tables"),
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
        code=source_hash("performance", "stats/__init__", "stats/tidy", "tables"),
    log:
        "results/logs/performance.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/performance.py"
