"""The cluster profiles (profiles/slurm, profiles/kubernetes): they parse, name only rules the
workflow has, and a dry run under each gives the jobs the threads and resources they set.

No cluster is reachable here, so only dry runs. A dry run caps threads at ``--cores`` (1 unless
given), which a cluster run does not: the dry runs pass ``--cores`` above every thread count set.
"""

import importlib.util
import re
import shutil

import pytest
import yaml

from tests.conftest import ROOT, copy_project, snakemake

PROFILES = ("slurm", "kubernetes")
CORES = "16"


def profile(name: str) -> dict:
    return yaml.safe_load((ROOT / "profiles" / name / "config.yaml").read_text(encoding="utf-8"))


def workflow_rules() -> set[str]:
    text = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "workflow" / "rules").glob("*.smk"))
    return set(re.findall(r"^(?:rule|checkpoint) (\w+):", text, flags=re.MULTILINE))


def job_resources(output: str) -> dict[str, dict]:
    """Rule → the threads and resources of its (last) job in a dry run's job listing."""
    jobs, rule = {}, None
    for line in output.splitlines():
        if match := re.match(r"(?:local)?rule (\w+):$", line):
            rule = match.group(1)
            jobs[rule] = {"threads": 1}
        elif rule and (match := re.match(r"\s+threads: (\d+)$", line)):
            jobs[rule]["threads"] = int(match.group(1))
        elif rule and (match := re.match(r"\s+resources: (.*)$", line)):
            jobs[rule] |= dict(pair.split("=", 1) for pair in match.group(1).split(", "))
    return jobs


def dry_run(project, name: str, *extra: str) -> dict[str, dict]:
    result = snakemake(project, "--profile", f"profiles/{name}", "--dry-run", "--cores", CORES, *extra)
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
    # the heavy pooled jobs get more than the light per-wave ones
    resources = settings["set-resources"]
    assert resources["choice"]["mem_mb"] > resources["ingest"]["mem_mb"]
    assert settings["set-threads"]["choice_bootstrap_part"] > 1
    assert settings["set-threads"]["misalignment_bootstrap_part"] > 1


def expect_profile_resources(jobs: dict[str, dict], settings: dict) -> None:
    for rule in ("ingest", "clean", "choice", "choice_bootstrap_part", "performance", "misalignment_bootstrap_part"):
        assert rule in jobs, f"no {rule} job in the dry run"
        wanted = settings["default-resources"] | settings["set-resources"].get(rule, {})
        for resource, value in wanted.items():
            assert jobs[rule].get(resource) == str(value), (rule, resource, jobs[rule])
        assert jobs[rule]["threads"] == settings["set-threads"].get(rule, 1), rule


def test_slurm_dry_run_resolves_the_resources(project):
    expect_profile_resources(dry_run(project, "slurm"), profile("slurm"))


def test_kubernetes_dry_run_resolves_the_resources(project, tmp_path):
    """The profile's S3 storage needs a bucket even for a dry run; a local folder stands in for it
    (the fs storage plugin), holding the inputs as the bucket would."""
    if importlib.util.find_spec("snakemake_storage_plugin_fs") is None:
        pytest.fail("snakemake-storage-plugin-fs is not installed (the offline stand-in for S3; a test extra)")
    store = tmp_path / "store"
    for part in ("config", "data", "workflow"):
        shutil.copytree(project / part, store / part)
    jobs = dry_run(project, "kubernetes", "--default-storage-provider", "fs", "--default-storage-prefix", str(store))
    expect_profile_resources(jobs, profile("kubernetes"))
