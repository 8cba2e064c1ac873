"""The cluster profiles (profiles/slurm, profiles/kubernetes): they parse, name only rules the
workflow has, and a dry run under each gives the jobs the threads and resources they set.

No cluster is reachable here, so only dry runs. A dry run caps threads at ``--cores`` (1 unless
given), which a cluster run does not: the dry runs pass ``--cores`` above every thread count set.
"""

import importlib.util
import math
import re
import shutil

import pandas as pd
import pytest
import yaml

from alliancegov.codebook.vocabulary import CODEBOOK_FILES
from tests.conftest import ROOT, copy_project, snakemake

PROFILES = ("slurm", "kubernetes")
CORES = "16"


def profile(name: str) -> dict:
    return yaml.safe_load((ROOT / "profiles" / name / "config.yaml").read_text(encoding="utf-8"))


def workflow_rules() -> set[str]:
    text = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "workflow" / "rules").glob("*.smk"))
    return set(re.findall(r"^(?:rule|checkpoint) (\w+):", text, flags=re.MULTILINE))


def rule_blocks(*, leave_out: tuple[str, ...] = ()) -> dict[str, str]:
    """Rule → its text in workflow/rules/*.smk (but the files named in ``leave_out``)."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "workflow" / "rules").glob("*.smk"))
                     if path.name not in leave_out)
    blocks = re.split(r"^(?=(?:rule|checkpoint) \w+:)", text, flags=re.MULTILINE)
    return {re.match(r"\w+ (\w+):", block).group(1): block for block in blocks
            if re.match(r"(?:rule|checkpoint) ", block)}


def test_every_rule_with_a_job_declares_its_memory():
    """A job's memory is the rule's own (measured) declaration, not a profile's default: every rule that
    runs a script says mem_mb, and the pipeline's rules the benchmark measures take it from the fitted table."""
    blocks = rule_blocks()
    running = {rule for rule, block in blocks.items() if re.search(r"^    (script|shell|run):", block, re.MULTILINE)}
    assert running == workflow_rules() - {"power"}   # power only gathers the power study's outputs (and all)
    undeclared = sorted(rule for rule in running if not re.search(r"^\s+mem_mb=", blocks[rule], re.MULTILINE))
    assert not undeclared, f"rules without resources: mem_mb: {undeclared}"
    # the pipeline's rules the benchmark runs (the power study's are sized by their own measurements, noted there)
    measured = {rule for rule, block in rule_blocks(leave_out=("power.smk",)).items()
                if re.search(r"^    benchmark:", block, re.MULTILINE)}
    table = pd.read_csv(ROOT / "workflow" / "memory.tsv", sep="\t", comment="#")
    assert measured <= set(table["rule"]), sorted(measured - set(table["rule"]))
    assert all(f'mem_mb=measured_mem_mb("{rule}")' in blocks[rule] for rule in measured)


def job_resources(output: str) -> dict[str, dict]:
    """Rule → the threads and resources of its (last) job in a dry run's job listing."""
    jobs, rule = {}, None
    for line in output.splitlines():
        if match := re.match(r"(?:local)?rule (\w+):$", line):
            rule = match.group(1)
            jobs[rule] = {"threads": 1}
        elif rule and re.match(r"\s+output: ", line):
            jobs[rule]["output"] = True
        elif rule and (match := re.match(r"\s+threads: (\d+)$", line)):
            jobs[rule]["threads"] = int(match.group(1))
        elif rule and (match := re.match(r"\s+resources: (.*)$", line)):
            jobs[rule] |= dict(pair.split("=", 1) for pair in match.group(1).split(", "))
    return jobs


# every rule with a job: the pipeline, the power study and the PDF of a report
TARGETS = ("all", "power", "results/report/index.en.pdf")


def dry_run(project, name: str, *extra: str) -> dict[str, dict]:
    result = snakemake(project, "--profile", f"profiles/{name}", "--dry-run", "--cores", CORES, *extra, *TARGETS)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return job_resources(result.stdout + result.stderr)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("profiles")
    copy_project(folder)
    shutil.copytree(ROOT / "profiles", folder / "profiles")
    return folder


@pytest.mark.parametrize("name", PROFILES)
def test_profile_parses_and_names_existing_rules(name):
    settings = profile(name)
    assert settings["executor"] == name
    assert settings["jobs"] >= 1 and settings["default-resources"]["mem_mb"] > 0
    named = set(settings.get("set-resources", {})) | set(settings.get("set-threads", {}))
    assert named <= workflow_rules(), f"rules unknown to the workflow: {sorted(named - workflow_rules())}"
    # memory comes from the rules' measured declarations, which a profile's would override
    assert not [rule for rule, resources in settings.get("set-resources", {}).items() if "mem_mb" in resources]
    assert settings["default-resources"]["runtime"] > 0
    assert settings["set-threads"]["choice_bootstrap_part"] > 1
    assert settings["set-threads"]["misalignment_bootstrap_part"] > 1


def measured_memory(rule: str, input_mb: float) -> int:
    """The mem_mb workflow/rules/common.smk declares for a job of ``rule`` with ``input_mb`` of input."""
    table = pd.read_csv(ROOT / "workflow" / "memory.tsv", sep="\t", comment="#").set_index("rule")
    peak = table.at[rule, "base_mib"] + table.at[rule, "mib_per_input_mib"] * input_mb
    return 100 * math.ceil(1.5 * peak / 100)


def expect_profile_resources(jobs: dict[str, dict], settings: dict, project) -> None:
    for rule in ("ingest", "clean", "choice", "choice_bootstrap_part", "performance", "misalignment_bootstrap_part"):
        assert rule in jobs, f"no {rule} job in the dry run"
        wanted = {key: value for key, value in settings["default-resources"].items() if key != "mem_mb"}
        for resource, value in (wanted | settings.get("set-resources", {}).get(rule, {})).items():
            assert jobs[rule].get(resource) == str(value), (rule, resource, jobs[rule])
        assert jobs[rule]["threads"] == settings["set-threads"].get(rule, 1), rule
    # every job asks for memory, time and threads (cpus_per_task follows threads); the resource-less
    # target rules (all, power) run no job
    running = {rule: job for rule, job in jobs.items() if job.get("output")}
    assert set(running) >= {"report_pdf", "summary", "power_replicates", "figures_power", "publication_tables"}
    assert running.keys() == workflow_rules() - {"all", "power"}, sorted(workflow_rules() - running.keys())
    lacking = {rule: sorted({"mem_mb", "runtime"} - job.keys()) for rule, job in running.items()
               if {"mem_mb", "runtime"} - job.keys()}
    assert not lacking, lacking
    # a job whose inputs exist gets the fitted memory for their size (the others' is known once they do)
    waves = pd.read_csv(project / "config" / "waves.tsv", sep="\t", dtype=str, keep_default_na=False)
    codebook = sum((project / "config" / "codebook" / name).stat().st_size for name in CODEBOOK_FILES)
    sizes = [codebook + sum((project / path).stat().st_size for path in (row["file"], row["crosswalk"]) if path)
             for _, row in waves.iterrows()]
    assert jobs["ingest"]["mem_mb"] in {str(measured_memory("ingest", size / 2**20)) for size in sizes}, jobs["ingest"]


def test_slurm_dry_run_resolves_the_resources(project):
    expect_profile_resources(dry_run(project, "slurm"), profile("slurm"), project)


def test_kubernetes_dry_run_resolves_the_resources(project, tmp_path):
    """The profile's S3 storage needs a bucket even for a dry run; a local folder stands in for it
    (the fs storage plugin), holding the inputs as the bucket would."""
    if importlib.util.find_spec("snakemake_storage_plugin_fs") is None:
        pytest.fail("snakemake-storage-plugin-fs is not installed (the offline stand-in for S3; a test extra)")
    store = tmp_path / "store"
    for part in ("config", "data", "workflow"):
        shutil.copytree(project / part, store / part)
    jobs = dry_run(project, "kubernetes", "--default-storage-provider", "fs", "--default-storage-prefix", str(store))
    expect_profile_resources(jobs, profile("kubernetes"), project)
