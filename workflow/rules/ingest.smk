rule ingest:
    input:
        raw=wave_file,
        crosswalk=crosswalk_file,
        codebook=CODEBOOK_FILES,
    output:
        data="results/interim/ingested/{wave}.parquet",
        provenance="results/qc/provenance/{wave}.json",
    params:
        # only what the job reads, so that a new column or another wave's row in the sheet re-runs nothing
        file_format=lambda wildcards: WAVES.loc[wildcards.wave, "format"],
        options=wave_options,
        settings=config["ingest"],
        code=script_code("ingest"),
    resources:
        mem_mb=measured_mem_mb("ingest"),
    benchmark:
        "results/benchmarks/ingest/{wave}.tsv"
    log:
        "results/logs/ingest/{wave}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/ingest.py"


rule clean:
    input:
        data=rules.ingest.output.data,
        codebook=CODEBOOK_FILES,
    output:
        data="results/interim/clean/{wave}.parquet",
        exclusions="results/qc/waves/{wave}/exclusions.csv",
        flow="results/qc/waves/{wave}/sample_flow.csv",
        nonresponse="results/qc/waves/{wave}/nonresponse.csv",
        respondents="results/qc/waves/{wave}/nonresponse_respondents.csv",
    params:
        year=lambda wildcards: int(WAVES.loc[wildcards.wave, "year"]),
        qc=config["qc"],
        code=script_code("clean"),
    resources:
        mem_mb=measured_mem_mb("clean"),
    benchmark:
        "results/benchmarks/clean/{wave}.tsv"
    log:
        "results/logs/clean/{wave}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/clean.py"


rule pool:
    input:
        # patterns, not rules.clean.output: under a remote default storage those are storage
        # objects, which expand() refuses
        data=expand("results/interim/clean/{wave}.parquet", wave=WAVES["wave"]),
        exclusions=expand("results/qc/waves/{wave}/exclusions.csv", wave=WAVES["wave"]),
        flow=expand("results/qc/waves/{wave}/sample_flow.csv", wave=WAVES["wave"]),
        nonresponse=expand("results/qc/waves/{wave}/nonresponse.csv", wave=WAVES["wave"]),
        respondents=expand("results/qc/waves/{wave}/nonresponse_respondents.csv", wave=WAVES["wave"]),
        provenance=expand("results/qc/provenance/{wave}.json", wave=WAVES["wave"]),
    output:
        data="results/interim/pooled.parquet",
        sample_flow=report(
            "results/qc/sample_flow.csv",
            caption="../report/sample_flow.rst",
            category="1. Sample",
        ),
        exclusions=report(
            "results/qc/exclusions.csv",
            caption="../report/exclusions.rst",
            category="1. Sample",
        ),
        nonresponse=report(
            "results/qc/nonresponse.csv",
            caption="../report/nonresponse.rst",
            category="1. Sample",
        ),
        respondents="results/qc/nonresponse_respondents.csv",
    params:
        rules=config["qc"]["exclusion_rules"],
        model_variables=MODEL_VARIABLES,
        code=script_code("pool"),
    resources:
        mem_mb=measured_mem_mb("pool"),
    benchmark:
        "results/benchmarks/pool.tsv"
    log:
        "results/logs/pool.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/pool.py"
