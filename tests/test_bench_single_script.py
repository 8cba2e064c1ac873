"""The benchmark's comparator does the pipeline's work: ``bench/single_script.py`` replays, in one
process, the job scripts a Snakemake run generated, and must write the very tables and QC files
that run wrote (a comparator doing other work would make ``make bench``'s overhead figure wrong)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PIPELINE_KEY, ROOT, checksums, copy_project

pytestmark = pytest.mark.slow   # the example twice: through Snakemake, then replayed in one process


def test_the_single_script_replays_the_pipelines_jobs_to_the_same_tables(tmp_path):
    copy_project(tmp_path)
    env = {**os.environ, "PYTHONHASHSEED": "0", "ALLIANCEGOV_HMAC_KEY": PIPELINE_KEY}
    command = [sys.executable, str(ROOT / "bench" / "single_script.py")]
    harvest = subprocess.run([*command, "harvest", "--project", str(tmp_path)], capture_output=True, text=True,
                             timeout=900, env=env)
    assert harvest.returncode == 0, harvest.stderr[-3000:]
    folders = ("tables", "qc")
    through_snakemake = {folder: checksums(tmp_path / "results" / folder) for folder in folders}
    replay = subprocess.run([*command, "replay", "--project", str(tmp_path)], capture_output=True, text=True,
                            timeout=900, env=env)
    assert replay.returncode == 0, replay.stderr[-3000:]
    jobs = int(replay.stdout.split()[0])
    assert jobs >= 20                                   # every job of the DAG but the target rule
    for folder in folders:
        replayed = checksums(tmp_path / "results" / folder)
        tables = [name for name in through_snakemake[folder] if name.endswith(".csv")]
        assert len(tables) > 3 and set(through_snakemake[folder]) == set(replayed), folder
        assert [name for name in tables if replayed[name] != through_snakemake[folder][name]] == [], folder
