import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from alliancegov.codebook.tables import Codebook
from alliancegov.simulate.population import simulate_waves

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK_DIR = ROOT / "config" / "codebook"
RAW_DIR = ROOT / "data" / "raw"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
PIPELINE_KEY = "pipeline-test-key"   # every run of a test project pseudonymises with the same key
PROJECT_PARTS = ["Snakefile", "config", "workflow", "data", "environment.yml"]


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="record the bundled example's output checksums in tests/data/example_outputs.sha256 "
                          "(after an intended change of the outputs; review the diff before committing)")


@pytest.fixture(autouse=True)
def hmac_key(monkeypatch):
    """Tests never touch the user's real pseudonymisation key file."""
    monkeypatch.setenv("ALLIANCEGOV_HMAC_KEY", "test-key-not-secret")
    return b"test-key-not-secret"


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return Codebook.from_dir(CODEBOOK_DIR)


@pytest.fixture(scope="session")
def small_waves(codebook):
    """Three clean simulated waves of 120 firms, with truth columns."""
    return simulate_waves(120, [2024, 2025, 2026], seed=7, codebook=codebook)


def checksums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def snakemake(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SNAKEMAKE, *args], cwd=project, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONHASHSEED": "0", "ALLIANCEGOV_HMAC_KEY": PIPELINE_KEY})


def job_stats(output: str) -> Counter:
    """Jobs per rule in the job-stats table of a Snakemake dry run's output (empty when nothing is to be done)."""
    lines = output.splitlines()
    if not any(line.startswith("Job stats:") for line in lines):
        return Counter()
    start = next(i for i, line in enumerate(lines) if line.startswith("Job stats:")) + 3
    jobs = Counter()
    for line in lines[start:]:
        if not line.strip() or line.startswith("total"):
            break
        rule, count = line.split()
        jobs[rule] = int(count)
    return jobs


def copy_project(project: Path) -> None:
    for part in PROJECT_PARTS:
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, project / part)


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """The whole DAG on the bundled example in a temporary copy of the project, shared by every
    test that reads its results (one run per session: it takes about a minute)."""
    project = tmp_path_factory.mktemp("project")
    copy_project(project)
    raw = project / "data" / "raw"
    before = checksums(raw)
    for path in raw.iterdir():  # the pipeline must never write there
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    raw.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        result = snakemake(project, "--cores", "2")
    finally:
        raw.chmod(stat.S_IRWXU)
    assert result.returncode == 0, result.stderr[-4000:]
    return project, before
