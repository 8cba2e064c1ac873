# The measurement stage: on when the config has a `measurement:` section (alliancegov.measurement).
MEASUREMENT = STAGES.measurement
MEASUREMENT_TABLES = {
    "correlations": "correlations",
    "vif": "vif",
    "cfa": "measurement_cfa",
    "validity": "measurement_validity",
    "invariance": "measurement_invariance",
    "common_method": "common_method",
    "nonresponse": "nonresponse_bias",
    "flags": "measurement_flags",
}
FRAME_SIZES = frame_sizes(WAVES)
# the variables of the model behind each table the hypotheses register reads: a check on that table
# gets the flags of the scales they carry
MISALIGNMENT_SECTION = config.get("misalignment", {})
HYPOTHESIS_TABLE_FORMULAS = {
    "choice_ame": [config["choice"]["formula"]],
    **({"misalignment": [MISALIGNMENT_SECTION["outcome"], MISALIGNMENT_SECTION["controls"], config["choice"]["formula"]],
        "importance": [MISALIGNMENT_SECTION["outcome"], *config.get("importance", {}).get("groups", {}).values()]}
       if STAGES.misalignment else {}),
}


rule measurement:
    input:
        data=rules.constructs.output.data,
        sample_flow=rules.pool.output.sample_flow,
        codebook=CODEBOOK_FILES,
    output:
        **{
            key: report(
                f"results/tables/{name}.csv",
                caption=f"../report/{name}.rst",
                category="2. Measurement",
            )
            for key, name in MEASUREMENT_TABLES.items()
        },
    params:
        settings=config.get("measurement") or {},
        performance=config.get("performance", {}),
        formulas={"choice": config["choice"]["formula"],
                  **({"performance": config["performance"]["formula"]} if STAGES.performance else {})},
        frame_sizes=FRAME_SIZES,
        code=script_code("measurement"),
    threads: 1
    resources:
        mem_mb=measured_mem_mb("measurement"),
    benchmark:
        "results/benchmarks/measurement.tsv"
    log:
        "results/logs/measurement.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/measurement.py"
