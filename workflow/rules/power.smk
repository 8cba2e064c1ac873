# Power planning (`make power`, not part of `all`): the simulator set at the current estimates,
# replications scattered over sample sizes and chunks, gathered into a power table and curves.
# See alliancegov.power.

POWER = config["power"]   # defaults from the schema when the config has no power block
POWER_SETTINGS = {key: config.get(key, {}) for key in ("power", "choice", "performance", "misalignment")}


rule power_truth:
    input:
        # patterns: without the multinomial logit the choice rule has no such output (and make power has no truth)
        choice_mnl="results/tables/choice_mnl.csv",
        misalignment=rules.misalignment.output.table,
        register=config.get("hypotheses", []),  # none when the register is left out
        codebook=CODEBOOK_FILES,
        stages=lambda wildcards: STAGES.check_power(),   # refused, naming what is missing, without its stages
    output:
        truth="results/interim/power/truth_at_estimates.yaml",
        calibration="results/interim/power/calibration.csv",
    params:
        settings=POWER_SETTINGS,
        code=script_code("power_truth"),
        # the simulator's parameters live in the package, beside its code
        truth=lambda wildcards: hashlib.sha256((PACKAGE_DIR / "simulate" / "truth.yaml").read_bytes()).hexdigest()[:16],
    threads: 1
    resources:
        mem_mb=1500,  # measured peak 0.55 GB (100,000 simulated firms)
    benchmark:
        "results/benchmarks/power/truth.tsv"
    log:
        "results/logs/power/truth.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/power_truth.py"


rule power_replicates:
    input:
        truth=rules.power_truth.output.truth,
        register=config.get("hypotheses", []),  # none when the register is left out
        codebook=CODEBOOK_FILES,
    output:
        replicates="results/interim/power/replicates/n{n}_chunk{chunk}.parquet",
    wildcard_constraints:
        n=r"\d+",
        chunk=r"\d+",
    params:
        settings=POWER_SETTINGS,
        code=script_code("power_replicates"),
    threads: 1
    resources:
        mem_mb=600,  # measured peak 0.25 GB at 1,000 firms
    benchmark:
        "results/benchmarks/power/n{n}_chunk{chunk}.tsv"
    log:
        "results/logs/power/n{n}_chunk{chunk}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/power_replicates.py"


rule power_summary:
    input:
        # a pattern, not rules.power_replicates.output: see the pool rule
        replicates=expand(
            "results/interim/power/replicates/n{n}_chunk{chunk}.parquet", n=POWER["sample_sizes"],
            chunk=range(POWER["chunks"]),
        ),
        truth=rules.power_truth.output.truth,
        register=config.get("hypotheses", []),  # none when the register is left out
        codebook=CODEBOOK_FILES,
    output:
        table=report("results/tables/power.csv", caption="../report/power.rst", category="9. Power"),
    params:
        settings=POWER_SETTINGS,
        code=script_code("power_summary"),
    threads: 1
    resources:
        mem_mb=600,
    benchmark:
        "results/benchmarks/power/summary.tsv"
    log:
        "results/logs/power/summary.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/power_summary.py"


rule figures_power:
    input:
        table=rules.power_summary.output.table,
        codebook=CODEBOOK_FILES,
    output:
        power_curves=report(
            "results/figures/power_curves.png", caption="../report/power_curves.rst", category="9. Power"
        ),
        # the same figure as vector files (not shown in Snakemake's report)
        power_curves_svg="results/figures/power_curves.svg",
        power_curves_pdf="results/figures/power_curves.pdf",
    params:
        language=config["language"],
        messages=MESSAGES,
        alpha=POWER.get("alpha", REGISTER.get("alpha", 0.05)),
        bootstrap_replicates=POWER.get("bootstrap_replicates", 99),
        code=script_code("figures_power"),
    threads: 1
    resources:
        mem_mb=600,
    benchmark:
        "results/benchmarks/power/figures.tsv"
    log:
        "results/logs/power/figures.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures_power.py"


rule power:
    input:
        rules.power_summary.output,
        rules.figures_power.output,
