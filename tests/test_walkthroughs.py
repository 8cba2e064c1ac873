"""The README's two walkthroughs, run exactly as printed.

The commands, the crosswalk and the waves-sheet row are read from the README's code blocks (its
"Adding a wave" and "Analysing another survey" sections) and run or written unchanged, in a copy of
the project whose ``.venv`` is the interpreter's own environment and, for the second, with ``HOME`` a
temporary folder (the README writes to ``~/anes96``). Only the Stata file of the new wave, which the
README assumes the user has, is made by the test (as ``tests/test_waves.py`` makes it).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import PIPELINE_KEY, ROOT, copy_project, job_stats
from tests.test_waves import BOOTSTRAP_JOBS, MISALIGNMENT_JOBS, POOLED_STAGES, project_copy, write_fourth_wave

pytestmark = pytest.mark.slow

VENV = Path(sys.executable).parents[1]   # the environment running the tests stands for the README's .venv
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text under ``## <title>``, up to the next second-level heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end >= 0 else None]


def code_blocks(text: str) -> list[list[str]]:
    """The code blocks of a list item (lines indented by seven spaces), each as its lines unindented."""
    blocks, current = [], []
    for line in text.splitlines():
        if line.startswith(" " * 7) and line.strip():
            current.append(line[7:])
        elif current:
            blocks.append(current)
            current = []
    return blocks + ([current] if current else [])


def shell(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """``command`` run by the shell as a user would type it."""
    return subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONHASHSEED": "0", "ALLIANCEGOV_HMAC_KEY": PIPELINE_KEY, **env})


def test_the_readme_prints_the_shipped_waves_header():
    """The header the README prints is the shipped sheet's: every optional column it uses is there."""
    _, waves = code_blocks(section("Adding a wave"))
    shipped = (ROOT / "config" / "waves.tsv").read_text(encoding="utf-8").splitlines()
    assert waves[0] == shipped[0]
    assert len(waves[1].split("\t")) == len(shipped[0].split("\t"))


@pytest.fixture(scope="module")
def added_wave(run, tmp_path_factory, codebook):
    """A copy of the finished run given the 2027 wave with the README's crosswalk, row and dry run."""
    project = project_copy(run, tmp_path_factory.mktemp("walkthrough"))
    sheet = project / "config" / "waves.tsv"
    shipped = sheet.read_text(encoding="utf-8")
    write_fourth_wave(project, codebook)       # the Stata file; its crosswalk and row are replaced below
    crosswalk, (_, row) = code_blocks(section("Adding a wave"))
    (project / "config" / "crosswalk_2027.csv").write_text("\n".join(crosswalk) + "\n", encoding="utf-8")
    sheet.write_text(shipped + row + "\n", encoding="utf-8")
    (project / ".venv").symlink_to(VENV)
    dry_run = re.search(r"a dry run \(`([^`]+)`\)", section("Adding a wave")).group(1)
    assert dry_run == ".venv/bin/snakemake -n"
    planned = shell(dry_run, project)
    assert planned.returncode == 0, planned.stderr[-3000:]
    return project, job_stats(planned.stdout + planned.stderr)


def test_adding_a_wave_as_printed_plans_its_ingest_and_the_pooled_stages(added_wave):
    _, plan = added_wave
    assert plan == {"ingest": 1, "clean": 1, **POOLED_STAGES, "choice_bootstrap": 1,
                    "choice_bootstrap_part": BOOTSTRAP_JOBS, "misalignment_bootstrap_part": MISALIGNMENT_JOBS}


def test_adding_a_wave_as_printed_reads_it_through_the_printed_crosswalk(added_wave):
    project, _ = added_wave
    result = shell(".venv/bin/snakemake --cores 1 results/interim/clean/w2027.parquet", project)
    assert result.returncode == 0, result.stderr[-3000:]
    provenance = pd.read_json(project / "results" / "qc" / "provenance" / "w2027.json", typ="series")
    assert provenance["crosswalk"]["renamed"] == {"confiance1": "tr1", "confiance2": "tr2", "confiance3": "tr3"}
    assert provenance["crosswalk"]["dropped"] == ["recommend_score"] and provenance["crosswalk"]["values_recoded"] > 0
    cleaned = pd.read_parquet(project / "results" / "interim" / "clean" / "w2027.parquet")
    assert cleaned["tr1"].notna().mean() > 0.9


def test_analysing_another_survey_as_printed(tmp_path):
    """Steps 1, 2 and 6 of "Analysing another survey", every command as printed, from a copy of the
    repository's folder with HOME a temporary folder."""
    repository, home = tmp_path / "repository", tmp_path / "home"
    repository.mkdir()
    home.mkdir()
    copy_project(repository)
    shutil.copytree(ROOT / "examples", repository / "examples", ignore=shutil.ignore_patterns("results", ".snakemake"))
    (repository / ".venv").symlink_to(VENV)
    commands = [line for block in code_blocks(section("Analysing another survey")) for line in block]
    assert [command.split()[0] for command in commands] == ["cp", "mkdir", ".venv/bin/python", ".venv/bin/snakemake"]
    for command in commands:
        result = shell(command, repository, HOME=str(home))
        assert result.returncode == 0, (command, result.stderr[-3000:])
    results = home / "anes96" / "results"
    assert (results / "report" / "index.en.html").is_file()
    mnl = pd.read_csv(results / "tables" / "choice_mnl.csv")
    assert mnl["outcome"].nunique() == 6 and set(mnl["base"]) == {"strong_democrat"}
