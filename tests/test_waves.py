"""Adding a survey wave to a finished run, as the README tells a user to do, and what re-runs.

Each scenario works on its own copy of the session's finished pipeline run (results and
Snakemake's metadata included, modification times kept), so that dry runs plan only what the
change calls for.
"""

import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from alliancegov.simulate.exports import write_dta
from alliancegov.simulate.mess import add_mess
from alliancegov.simulate.population import simulate_waves
from tests.conftest import job_stats, snakemake

pytestmark = pytest.mark.slow

EXAMPLE_SEED, EXAMPLE_FIRMS = 20261127, 300      # the bundled example's (alliancegov.simulate.make_example)
FOURTH_YEAR = 2027
BOOTSTRAP_JOBS = 2                               # config/config.yaml: choice.bootstrap_jobs
MISALIGNMENT_JOBS = 2                            # config/config.yaml: misalignment.bootstrap_jobs
RENAMED = {"tr1": "confiance1", "tr2": "confiance2", "tr3": "confiance3"}
# jobs a new wave re-runs once, and those it re-runs once per report language (config report.languages: fr, en)
POOLED_STAGES = {"pool": 1, "constructs": 1, "descriptives": 1, "measurement": 1, "choice": 1, "performance": 1,
                 "misalignment": 1, "hypotheses": 1, "waves": 1, "summary": 1, "all": 1,
                 **{stage: 2 for stage in ("figures_models", "figures_waves", "figures_descriptive", "report",
                                           "publication_tables")}}


def project_copy(run, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(run[0], project, symlinks=True)
    return project


def planned_jobs(project: Path, *args: str) -> Counter:
    """Jobs a dry run plans, per rule, read from Snakemake's job-stats table."""
    result = snakemake(project, "--dry-run", "--quiet", "rules", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return job_stats(result.stdout + result.stderr)


def write_fourth_wave(project: Path, codebook) -> Path:
    """The 2027 wave as a Stata file from a new instrument version (2027.2): the trust items
    renamed, a new question, and the sector codes swapped (1 = services). The firms continue
    the example's panel: the first three simulated waves are the bundled ones."""
    import pyreadstat

    wave = simulate_waves(EXAMPLE_FIRMS, [2024, 2025, 2026, FOURTH_YEAR], seed=EXAMPLE_SEED, codebook=codebook)[3]
    messy, _ = add_mess(wave, codebook, seed=EXAMPLE_SEED + FOURTH_YEAR)
    swapped = messy.assign(sector=messy["sector"].replace({"textile": "services", "services": "textile"}),
                           instrument_version=f"{FOURTH_YEAR}.2")
    canonical = project / "canonical.dta"
    write_dta(swapped, canonical, codebook)
    cells, meta = pyreadstat.read_dta(str(canonical), user_missing=True)
    canonical.unlink()
    path = project / "data" / "raw" / f"wave_{FOURTH_YEAR}.dta"
    labels = {RENAMED.get(name, name): value_labels for name, value_labels in meta.variable_value_labels.items()}
    # The revised instrument's own labels follow its swapped codes (1 = services): labels that still
    # said 1 = textile would contradict the crosswalk, and ingestion would stop.
    labels["sector"] = {**labels["sector"], 1.0: labels["sector"][2.0], 2.0: labels["sector"][1.0]}
    pyreadstat.write_dta(cells.rename(columns=RENAMED).assign(recommend_score=7.0), str(path),
                         variable_value_labels=labels)
    crosswalk = project / "config" / f"crosswalk_{FOURTH_YEAR}.csv"
    rows = [(source, variable, "", "") for variable, source in RENAMED.items()]
    rows += [("recommend_score", "", "", ""), ("", "sector", "1", "services"), ("", "sector", "2", "textile")]
    pd.DataFrame(rows, columns=["source", "variable", "source_value", "value"]).to_csv(crosswalk, index=False)
    waves = pd.read_csv(project / "config" / "waves.tsv", sep="\t", dtype=str, keep_default_na=False)
    extra = {"wave": f"w{FOURTH_YEAR}", "year": str(FOURTH_YEAR), "format": "dta", "file": f"data/raw/{path.name}",
             "description": "Stata file, instrument 2027.2", "crosswalk": f"config/{crosswalk.name}"}
    waves = pd.concat([waves, pd.DataFrame([extra])], ignore_index=True).fillna("")
    waves.to_csv(project / "config" / "waves.tsv", sep="\t", index=False)
    return path


@pytest.fixture(scope="module")
def grown(run, tmp_path_factory, codebook):
    """A copy of the finished run, a fourth wave added, its dry-run plan, then the real run."""
    project = project_copy(run, tmp_path_factory.mktemp("grown"))
    assert planned_jobs(project) == Counter(), "the copied run must be complete before the wave is added"
    write_fourth_wave(project, codebook)
    plan = planned_jobs(project)
    result = snakemake(project, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    return project, plan


def test_adding_a_wave_plans_only_its_ingest_and_cleaning_and_the_pooled_stages(grown):
    _, plan = grown
    assert plan == Counter({"ingest": 1, "clean": 1, **POOLED_STAGES,
                            "choice_bootstrap": 1, "choice_bootstrap_part": BOOTSTRAP_JOBS,
                            "misalignment_bootstrap_part": MISALIGNMENT_JOBS})


def test_the_fourth_wave_is_read_through_its_crosswalk_and_analysed(grown):
    project, _ = grown
    results = project / "results"
    provenance = pd.read_json(results / "qc" / "provenance" / f"w{FOURTH_YEAR}.json", typ="series")
    assert provenance["instrument_versions"] == [f"{FOURTH_YEAR}.2"]
    assert provenance["crosswalk"]["renamed"] == {source: variable for variable, source in RENAMED.items()}
    assert provenance["crosswalk"]["dropped"] == ["recommend_score"] and provenance["crosswalk"]["values_recoded"] > 0
    flow = pd.read_csv(results / "qc" / "sample_flow.csv", keep_default_na=False)
    fourth = flow[flow["wave"] == f"w{FOURTH_YEAR}"].set_index("step")["n"]
    assert fourth["received"] == fourth["analysed"] + fourth.drop(["received", "analysed"]).sum()
    analysis = pd.read_parquet(results / "interim" / "analysis.parquet")
    fourth_rows = analysis[analysis["wave"] == f"w{FOURTH_YEAR}"]
    assert len(fourth_rows) == fourth["analysed"] and fourth_rows["tr1"].notna().mean() > 0.9
    # the swapped sector codes came back: textile firms still have textile's export profile
    assert fourth_rows.groupby("sector")["export_share"].mean().idxmax() == "textile"
    waves = pd.read_csv(results / "tables" / "choice_waves.csv")
    assert f"w{FOURTH_YEAR}" in set(waves["model"]) and f"wave[w{FOURTH_YEAR}]" in set(waves["term"])
    links = pd.read_csv(results / "tables" / "panel_links.csv")
    last = links.iloc[-1]
    assert (last["from_wave"], last["to_wave"]) == ("w2026", f"w{FOURTH_YEAR}") and last["n_linked"] > 50
    shares = pd.read_csv(results / "tables" / "form_shares_by_wave.csv")
    assert list(dict.fromkeys(shares["wave"])) == ["w2024", "w2025", "w2026", f"w{FOURTH_YEAR}"]


def test_editing_a_caption_reruns_only_the_report(run, tmp_path):
    project = project_copy(run, tmp_path)
    caption = project / "workflow" / "report" / "fr" / "figure_choice_ame.rst"
    caption.write_text(caption.read_text(encoding="utf-8") + "Version révisée.\n", encoding="utf-8")
    assert planned_jobs(project) == Counter({"report": 1, "summary": 1, "all": 1})   # the summary reads the reports


def test_editing_the_codebook_reruns_validation_of_every_wave(run, tmp_path):
    project = project_copy(run, tmp_path)
    variables = project / "config" / "codebook" / "variables.csv"
    table = pd.read_csv(variables, dtype=str, keep_default_na=False)
    table.loc[table["name"] == "trust", "label_en"] = "Trust in the partner"
    table.loc[table["name"] == "tr1", "label_en"] = table.loc[table["name"] == "tr1", "label_en"] + " (revised)"
    table.to_csv(variables, index=False)
    plan = planned_jobs(project)
    assert plan["ingest"] == 3 and plan["clean"] == 3, plan


def test_a_broken_wave_halts_naming_wave_file_and_problem_and_leaves_other_results_intact(run, tmp_path):
    project = project_copy(run, tmp_path)
    before = {path: path.read_bytes() for path in (project / "results").rglob("*")
              if path.is_file() and "logs" not in path.parts and "benchmarks" not in path.parts}
    broken = project / "data" / "raw" / f"wave_{FOURTH_YEAR}.csv"
    export = pd.read_csv(project / "data" / "raw" / "wave_2024.csv", sep=";", dtype=str, keep_default_na=False)
    export.loc[3, "profil/sector"] = "Mines et carrières"     # a sector the codebook does not know
    export.to_csv(broken, sep=";", index=False, quoting=1)
    waves = project / "config" / "waves.tsv"
    cells = {"wave": f"w{FOURTH_YEAR}", "year": str(FOURTH_YEAR), "format": "kobo_csv",
             "file": f"data/raw/{broken.name}", "description": "broken export"}
    header = waves.read_text(encoding="utf-8").splitlines()[0].split("\t")   # every line has every cell
    waves.write_text(waves.read_text(encoding="utf-8") + "\t".join(cells.get(c, "") for c in header) + "\n",
                     encoding="utf-8")
    result = snakemake(project, "--cores", "2")
    assert result.returncode != 0
    log = (project / "results" / "logs" / "ingest" / f"w{FOURTH_YEAR}.log").read_text(encoding="utf-8")
    message = result.stderr + log
    for part in (f"w{FOURTH_YEAR}", broken.name, "sector", "Mines et carrières", "row"):
        assert part in message, (part, message[-3000:])
    after = {path: path.read_bytes() for path in before}
    assert after == before, [str(p) for p in before if after[p] != before[p]]
