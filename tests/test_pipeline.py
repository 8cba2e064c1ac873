"""End to end: the whole DAG on the bundled example, in a temporary copy of the project."""

from pathlib import Path

import pandas as pd
import pytest

from alliancegov.messages import message
from tests.conftest import RAW_DIR, ROOT, checksums, copy_project, snakemake

# whole-pipeline runs: the slow tier (`make test` runs them, `make test-fast` does not)
pytestmark = pytest.mark.slow

# The bundled example's published outputs, recorded: a change of layout or code that should not
# change a result (a refactoring) must leave every one of them byte-identical. After an intended
# change, record them again with `pytest tests/test_pipeline.py --update-golden` and commit the diff
# of this file with the change, so the review shows which outputs moved.
RECORDED_OUTPUTS = ROOT / "tests" / "data" / "example_outputs.sha256"
PUBLISHED_FOLDERS = ("tables", "figures", "qc")


def test_outputs_are_produced(run):
    project, _ = run
    results = project / "results"
    assert all((results / "report" / f"index.{language}.html").stat().st_size > 10_000 for language in ("fr", "en"))
    for figure in ["form_by_sector", "construct_scores", "choice_coefficients", "performance_by_form", "sample_flow"]:
        for language in ("fr", "en"):   # one set of figures per report language
            assert (results / "figures" / language / f"{figure}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    choice = pd.read_csv(results / "tables" / "choice_mnl.csv")
    assert list(choice.columns) == ["outcome", "base", "term", "estimate", "std_error", "statistic", "p_value",
                                    "conf_low", "conf_high", "rrr", "rrr_conf_low", "rrr_conf_high", "estimator",
                                    "note"]
    assert set(choice["outcome"]) == {"licensing", "supply_chain_partnership", "joint_venture"}
    tables = project / "results" / "tables"
    ame = pd.read_csv(tables / "choice_ame.csv")
    assert list(ame.columns) == ["outcome", "term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                 "conf_high", "note"]
    assert set(ame["outcome"]) == {"repeated_contract", "licensing", "supply_chain_partnership", "joint_venture"}
    for name in ["choice_tests", "choice_fit", "choice_predictions", "choice_classification", "choice_small_sample",
                 "choice_bootstrap", "choice_ordered", "choice_ordered_ame", "choice_ordered_brant", "choice_equity",
                 "choice_cv", "choice_cv_confusion", "choice_variants", "choice_ordered_fit", "choice_equity_ame",
                 "choice_nested"]:
        assert len(pd.read_csv(tables / f"{name}.csv")) > 0, name
    for name in ["performance_ols", "performance_ordered", "performance_ordered_ame", "performance_contrasts",
                 "misalignment", "misalignment_first_stage", "importance"]:
        assert len(pd.read_csv(tables / f"{name}.csv")) > 0, name
    hypotheses = pd.read_csv(tables / "hypotheses.csv", keep_default_na=False)
    assert set(hypotheses["hypothesis"]) == {f"H{i}" for i in range(1, 10)}
    assert hypotheses["verdict"].isin(["supported", "contradicted", "inconclusive"]).all()
    computed = hypotheses[hypotheses["note"].eq("") | ~hypotheses["note"].str.startswith("not computed")]
    assert len(computed) == len(hypotheses)             # every check computed from an estimate
    assert pd.to_numeric(hypotheses["estimate"]).notna().all()
    bootstrap = pd.read_csv(tables / "choice_bootstrap.csv")
    assert (bootstrap["n_ok"] + 0 > 150).all()
    performance = pd.read_csv(results / "tables" / "performance_ols.csv")
    assert list(performance.columns) == ["outcome", "model", "se_type", "term", "estimate", "std_error",
                                         "statistic", "p_value", "conf_low", "conf_high"]
    assert set(performance["se_type"]) == {"HC3", "cluster"} and "interaction" in set(performance["model"])


def test_misalignment_on_the_example_finds_no_selection_and_recovers_the_planted_penalty(run):
    """No selection on unobservables is planted in the bundled example (truth.yaml selection_rho = 0):
    no form's selection terms are jointly significant, under any correction; the primary measure's
    (the misfit's) interval covers the simulator's penalty, the published index being on the latent
    index's scale; the report's misalignment section shows the three issue-16 tables."""
    from alliancegov.simulate.truth import load_truth

    project, _ = run
    tables = project / "results" / "tables"
    assert load_truth()["performance"]["selection_rho"] == 0
    switching = pd.read_csv(tables / "misalignment_switching.csv")
    joint = switching[switching["term"] == "selection terms (joint)"]
    assert len(joint) == 4 * switching["model"].nunique() - 4       # every corrected model, every form
    assert (joint["p_value"] > 0.05).all(), joint[["model", "form", "p_value"]]
    misalignment = pd.read_csv(tables / "misalignment.csv")
    primary = misalignment[(misalignment["model"] == "misfit") & (misalignment["term"] == "misfit")].iloc[0]
    assert primary["role"] == "primary"
    assert primary["conf_low"] <= load_truth()["performance"]["misalignment_penalty"] <= primary["conf_high"]
    counterfactual = pd.read_csv(tables / "misalignment_counterfactual.csv")
    assert {"potential_mean", "ate", "mean_gap", "share_in_best_form"} <= set(counterfactual["term"])
    assert len(pd.read_csv(tables / "form_effects.csv")) > 0
    report = (project / "results" / "report" / "index.fr.html").read_text(encoding="utf-8")
    for table in ("misalignment_switching", "misalignment_counterfactual", "form_effects"):
        assert message(f"tables.{table}.caption", "fr") in report, table


MEASUREMENT_TABLES = {
    "correlations": ["variable_a", "variable_b", "n", "n_clusters", "mean", "sd", "reliability", "reliability_type",
                     "estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high", "marker_adjusted",
                     "marker_p_value"],
    "vif": ["model", "term", "df", "n", "gvif", "gvif_root", "criterion", "threshold", "above_threshold", "warning"],
    "measurement_cfa": ["part", "factor", "item", "measure", "estimate", "std_error", "statistic", "p_value",
                        "conf_low", "conf_high", "std_all", "note"],
    "measurement_validity": ["measure", "scale", "other_scale", "item", "value", "statistic", "p_value", "threshold",
                             "flagged", "method"],
    "measurement_invariance": ["grouping", "scale", "model", "n_obs", "n_groups", "npar", "chisq", "df", "p_value",
                               "cfi", "rmsea", "srmr", "delta_chisq", "delta_df", "p_delta", "delta_cfi",
                               "delta_rmsea", "delta_srmr", "held", "note"],
    "common_method": ["test", "quantity", "variable_a", "variable_b", "value", "statistic", "df", "p_value", "note"],
    "nonresponse_bias": ["analysis", "wave", "variable", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b",
                         "estimate", "statistic", "df", "p_value", "conf_low", "conf_high", "test", "note"],
    "measurement_flags": ["scale", "criterion", "value", "threshold", "flagged", "comparison", "variables", "note"],
}


def test_measurement_tables_are_tidy(run):
    """One observation per row, one variable per column, the columns as documented, every key unique."""
    project, _ = run
    tables = project / "results" / "tables"
    keys = {"correlations": ["variable_a", "variable_b"], "vif": ["model", "term"],
            "measurement_cfa": ["part", "factor", "item", "measure"],
            "measurement_invariance": ["grouping", "scale", "model"],
            "measurement_flags": ["scale", "criterion", "comparison"]}
    for name, columns in MEASUREMENT_TABLES.items():
        table = pd.read_csv(tables / f"{name}.csv")
        assert list(table.columns) == columns, name
        assert len(table) > 0, name
        if name in keys:
            assert not table.duplicated(keys[name]).any(), name
    correlations = pd.read_csv(tables / "correlations.csv")
    assert correlations["n_clusters"].max() < correlations["n"].max()    # firms repeat across waves
    assert correlations.loc[correlations["variable_a"] != correlations["variable_b"], "p_value"].between(0, 1).all()
    fit = pd.read_csv(tables / "measurement_cfa.csv").query("part == 'fit'").set_index("measure")["estimate"]
    assert {"chisq", "df", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"} <= set(fit.index)
    invariance = pd.read_csv(tables / "measurement_invariance.csv")
    assert set(invariance["grouping"]) == {"wave", "sector"}
    assert set(invariance["model"].dropna()) == {"configural", "metric", "scalar"}
    nonresponse = pd.read_csv(tables / "nonresponse_bias.csv", keep_default_na=False)
    assert set(nonresponse["analysis"]) == {"response_rate", "early_late", "attrition"}
    # the bundled waves sheet gives the simulated frame sizes: RR1 = completes / frame, near the truth's 0.3
    rates = nonresponse[nonresponse["analysis"] == "response_rate"].set_index("wave")
    frames = pd.read_csv(project / "config" / "waves.tsv", sep="\t").set_index("wave")["frame_size"]
    assert len(rates) == 3 and (rates["n_b"].astype(int) == frames[rates.index]).all()
    estimate = rates["estimate"].astype(float)
    assert estimate.to_numpy() == pytest.approx((rates["n_a"].astype(int) / rates["n_b"].astype(int)).to_numpy())
    assert estimate.between(0.25, 0.35).all()
    flags = pd.read_csv(tables / "measurement_flags.csv", keep_default_na=False)
    flagged = set(flags.loc[flags["flagged"].astype(str) == "True", "scale"])
    hypotheses = pd.read_csv(tables / "hypotheses.csv", keep_default_na=False)
    noted = hypotheses[hypotheses["note"].str.contains("measurement: ")]
    assert flagged and len(noted) > 0
    for language in ("fr", "en"):
        for name in ("tex", "md", "html", "docx"):
            assert (tables / "publication" / language / f"correlations.{name}").stat().st_size > 500
    report = (project / "results" / "report" / "index.fr.html").read_text(encoding="utf-8")
    assert report.count('class="table-note"') >= 8


def test_every_raw_row_is_accounted_for(run):
    project, _ = run
    flow = pd.read_csv(project / "results" / "qc" / "sample_flow.csv", keep_default_na=False)
    exclusions = pd.read_csv(project / "results" / "qc" / "exclusions.csv")
    waves = pd.read_csv(project / "config" / "waves.tsv", sep="\t")
    assert set(flow["wave"]) == set(waves["wave"]) | {"all"}
    for wave, rows in flow.groupby("wave"):
        n = rows.set_index(["step", "reason"])["n"]
        assert n["received", ""] == n["analysed", ""] + n["excluded"].sum(), wave
        if wave != "all":
            assert n["excluded"].sum() == (exclusions["wave"] == wave).sum()
    received = {w: len(pd.read_parquet(project / "results" / "interim" / "ingested" / f"{w}.parquet"))
                for w in waves["wave"]}
    for wave, count in received.items():
        assert flow.set_index(["wave", "step"]).loc[(wave, "received"), "n"] == count
    analysed = pd.read_parquet(project / "results" / "interim" / "analysis.parquet")
    assert len(analysed) == flow.set_index(["wave", "step"]).loc[("all", "analysed"), "n"]


def test_raw_data_untouched(run):
    project, before = run
    assert checksums(project / "data" / "raw") == before == checksums(RAW_DIR)


def test_no_identifying_value_reaches_results(run):
    project, _ = run
    kobo = pd.read_csv(RAW_DIR / "wave_2024.csv", sep=";", dtype=str)
    import pyreadstat

    spss, _ = pyreadstat.read_sav(str(RAW_DIR / "wave_2026.sav"))
    excel = pd.read_excel(RAW_DIR / "wave_2025.xlsx", dtype=str)
    identifying = set()
    for column in ["firm_name", "respondent_name", "phone", "email", "registry_number"]:
        identifying |= set(kobo[f"identification/{column}"]) | set(excel[column]) | set(spss[column])
    identifying = {v for v in identifying if isinstance(v, str) and v}
    assert len(identifying) > 1000
    for path in (project / "results").rglob("*"):
        if not path.is_file() or path.suffix == ".png":
            continue
        text = (pd.read_parquet(path).to_csv() if path.suffix == ".parquet"
                else path.read_text(encoding="utf-8", errors="replace"))
        leaked = [v for v in identifying if v in text]
        assert not leaked, (path, leaked[:3])


def test_rerun_has_nothing_to_do_and_lint_passes(run):
    project, _ = run
    dry = snakemake(project, "--cores", "2", "--dry-run")
    assert dry.returncode == 0 and "Nothing to be done" in dry.stdout + dry.stderr
    lint = snakemake(project, "--lint")
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-3000:]


def test_snakemake_report_archive_has_every_published_output(run):
    import zipfile

    project, _ = run
    result = snakemake(project, "--report", "results/report.zip")
    assert result.returncode == 0, result.stderr[-3000:]
    names = zipfile.ZipFile(project / "results" / "report.zip").namelist()
    for published in ["sample_flow.csv", "choice_mnl.csv", "performance_ols.csv", "reliability.csv",
                      "choice_coefficients.png", "index.fr.html", "index.en.html"]:
        assert any(name.endswith(published) for name in names), published


def test_a_second_run_from_scratch_gives_identical_bytes(run, tmp_path):
    """Same inputs and config: every table and figure identical, byte for byte (the report may
    differ only in its generation-time line)."""
    project, _ = run
    again = tmp_path / "again"
    again.mkdir()
    copy_project(again)
    result = snakemake(again, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    def contents(root: Path, folder: str) -> dict:
        return {p.relative_to(root): p.read_bytes() for p in (root / "results" / folder).rglob("*") if p.is_file()}

    for folder in ("tables", "figures", "qc"):
        first, second = contents(project, folder), contents(again, folder)
        assert first.keys() == second.keys()
        differing = [str(name) for name in first if first[name] != second[name]]
        assert not differing, differing
    for language in ("fr", "en"):
        report = [(project / "results" / "report" / f"index.{language}.html").read_text(encoding="utf-8").splitlines(),
                  (again / "results" / "report" / f"index.{language}.html").read_text(encoding="utf-8").splitlines()]
        changed = [a for a, b in zip(*report) if a != b]
        assert len(report[0]) == len(report[1]) and all("generated" in line for line in changed), changed[:3]


def output_checksums(results: Path) -> dict[str, str]:
    """SHA-256 of every file under the published folders, keyed by its path under ``results/``."""
    import hashlib

    return {path.relative_to(results).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for folder in PUBLISHED_FOLDERS for path in sorted((results / folder).rglob("*")) if path.is_file()}


def test_example_outputs_equal_the_recorded_ones(run, request):
    """Every table, figure and qc file of the bundled example has the recorded bytes."""
    project, _ = run
    actual = output_checksums(project / "results")
    if request.config.getoption("--update-golden"):
        RECORDED_OUTPUTS.write_text("".join(f"{digest}  {name}\n" for name, digest in actual.items()),
                                    encoding="utf-8")
    recorded = dict(reversed(line.split("  ", 1)) for line in RECORDED_OUTPUTS.read_text(encoding="utf-8").splitlines())
    assert sorted(actual.keys() - recorded.keys()) == [], "outputs not recorded"
    assert sorted(recorded.keys() - actual.keys()) == [], "recorded outputs no longer written"
    assert [name for name in recorded if actual[name] != recorded[name]] == []
