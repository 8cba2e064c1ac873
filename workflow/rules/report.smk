rule report:
    input:
        figures=expand("results/figures/{{lang}}/{name}.png", name=FIGURES),
        captions=lambda wildcards: [caption_input(f"figure_{name}", wildcards.lang) for name in FIGURES],
        tables=run_tables(),
        data=rules.constructs.output.data,
        sample_flow=rules.pool.output.sample_flow,
        provenance=expand("results/qc/provenance/{wave}.json", wave=WAVES["wave"]),
        **({"register": config["hypotheses"]} if STAGES.hypotheses else {}),
        choice_warnings=rules.choice.output.warnings,
        codebook=CODEBOOK_FILES,
        waves=config["waves"],
        simulated=SIMULATION_RECORDS,
    output:
        html=report(
            REPORT_HTML,
            caption="../report/html_report.rst",
            category="7. Report",
            subcategory="{lang}",
        ),
    params:
        # echoed in the appendix; without the main language (the summary's), so that switching it re-renders no report
        config={key: value for key, value in config.items() if key != "language"},
        language=lambda wildcards: wildcards.lang,
        code=script_code("report"),
        messages=MESSAGES,
        package_data=lambda wildcards: hashlib.sha256(b"".join(
            (PACKAGE_DIR / "report" / name).read_bytes() for name in ("templates/report.html.j2", "registry.yaml")
        )).hexdigest()[:16],
    resources:
        mem_mb=measured_mem_mb("report"),
    benchmark:
        "results/benchmarks/report_{lang}.tsv"
    log:
        "results/logs/report_{lang}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/report.py"


# Not part of make run (which needs only Python): `snakemake --cores 2 results/report/index.fr.pdf` prints a
# report to PDF with headless Chromium (the browser the tests use), its print stylesheet keeping every column.
rule report_pdf:
    input:
        html=rules.report.output.html,
    output:
        pdf="results/report/index.{lang}.pdf",
    params:
        code=script_code("report_pdf"),
    resources:
        mem_mb=2300,   # 1.5 × the 1,477 MiB measured, Chromium's processes summed (bench/memory.md)
    log:
        "results/logs/report_pdf_{lang}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/report_pdf.py"


# The end of `make run`: where the reports are and what they found, in the main language.
rule summary:
    input:
        reports=expand(REPORT_HTML, lang=LANGUAGES),
        **({"hypotheses": rules.hypotheses.output.table} if STAGES.hypotheses else {}),
        sample_flow=rules.pool.output.sample_flow,
        **({"choice_fit": rules.choice.output.choice_fit} if STAGES.multinomial else {}),
        simulated=SIMULATION_RECORDS,
    output:
        text="results/report/summary.txt",
    params:
        language=config["language"],
        simulated_data=config["report"].get("simulated_data", False),
        firm_clusters=bool(config["ingest"].get("firm_id_column")),   # clusters counted as firms only then
        messages=MESSAGES,
        code=script_code("summary"),
    resources:
        mem_mb=200,   # 1.5 × the 119 MiB measured (bench/memory.md): it reads small tables and the reports
    log:
        "results/logs/summary.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/summary.py"


rule publication_tables:
    input:
        **({"choice": rules.choice.output.choice_variants if STAGES.variants else rules.choice.output.choice_mnl}
           if STAGES.multinomial else {}),
        **({"performance": rules.performance.output.performance_ols,
            "performance_fit": rules.performance.output.performance_fit} if STAGES.performance else {}),
        data=rules.constructs.output.data,
        codebook=CODEBOOK_FILES,
        **({"correlations": rules.measurement.output.correlations} if MEASUREMENT else {}),
    output:
        **{
            f"{stem}_{suffix}": report(
                PUBLICATION_TABLE.format(lang="{lang}", stem=stem, suffix=suffix),
                caption=f"../report/publication_{stem}.rst",
                category="8. Publication tables",
                subcategory="{lang}",
            )
            for stem in PUBLICATION_STEMS
            for suffix in PUBLICATION_FORMATS
        },
    params:
        language=lambda wildcards: wildcards.lang,
        significance=config["report"].get("significance", "p_value"),
        stars=config["report"].get("stars", [0.05, 0.01, 0.001]),
        choice_cov_type=config["choice"].get("cov_type", "cluster"),
        performance_cov_type=config.get("performance", {}).get("cov_type", "cluster"),
        descriptives=config["figures"]["descriptives"],
        outcome=config["choice"]["outcome"],
        weights=config["choice"].get("weights"),   # frequency weights: Table 1 counts them
        minimum_cell=config["disclosure"]["minimum_cell"],
        correlation_settings={key: (config.get("measurement") or {}).get(key) or {} for key in ("correlations", "common_method")},
        code=script_code("publication_tables"),
        messages=MESSAGES,
    resources:
        mem_mb=measured_mem_mb("publication_tables"),
    benchmark:
        "results/benchmarks/publication_tables_{lang}.tsv"
    log:
        "results/logs/publication_tables_{lang}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/publication_tables.py"
