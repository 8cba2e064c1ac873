"""Both report languages come from one run, and a change of language never refits a model.

A finished run of the bundled example is copied (with Snakemake's metadata) and asked, in a dry
run, what it would do after the main language is switched, and after a report language is added
(its figures and page absent, as before a language is added to ``report.languages``).
"""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from tests.conftest import snakemake

pytestmark = pytest.mark.slow

# The jobs of one report language: its figures, its HTML report and its publication tables (the report's
# tables in paper formats). No other job may run when a language is added.
LANGUAGE_JOBS = {"figures_descriptive", "figures_models", "figures_waves", "report", "publication_tables"}


def planned(project) -> dict[str, list[str]]:
    """Rule → its jobs' wildcards (``lang=en``) in a dry run."""
    result = snakemake(project, "--dry-run", "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs: dict[str, list[str]] = {}
    for rule, body in re.findall(r"^rule (\w+):\n((?:    .*\n)*)", result.stdout, re.M):
        jobs.setdefault(rule, []).append(" ".join(re.findall(r"wildcards: (.*)", body)))
    return jobs


@pytest.fixture
def finished(run, tmp_path):
    project, _ = run
    copy = tmp_path / "project"
    shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns("locks", "incomplete"))
    assert planned(copy) == {}, "the copied run must be complete"
    return copy


def test_one_run_writes_both_reports_and_both_sets_of_figures(run):
    project, _ = run
    for language in ("fr", "en"):
        html = (project / "results" / "report" / f"index.{language}.html").read_text(encoding="utf-8")
        assert f'<html lang="{language}">' in html
        assert len(list((project / "results" / "figures" / language).glob("*.png"))) >= 10
    french = (project / "results" / "figures" / "fr" / "choice_ame.png").read_bytes()
    assert french != (project / "results" / "figures" / "en" / "choice_ame.png").read_bytes()
    summary = (project / "results" / "report" / "summary.txt").read_text(encoding="utf-8")
    assert "results/report/index.fr.html" in summary and "results/report/index.en.html" in summary


def test_switching_the_main_language_refits_nothing(finished):
    config = finished / "config" / "config.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    config.write_text(config.read_text(encoding="utf-8").replace(f"language: {settings['language']}",
                                                                 "language: en", 1), encoding="utf-8")
    jobs = planned(finished)
    # the main language is only the end-of-run summary's (every report language is already on disk)
    assert set(jobs) == {"summary", "all"}, sorted(jobs)


def test_adding_a_report_language_runs_only_its_figures_and_report(finished):
    shutil.rmtree(finished / "results" / "figures" / "en")
    (finished / "results" / "report" / "index.en.html").unlink()
    shutil.rmtree(finished / "results" / "tables" / "publication" / "en")
    jobs = planned(finished)
    # the summary lists the reports, so it follows the new one
    assert set(jobs) == LANGUAGE_JOBS | {"summary", "all"}, sorted(jobs)
    for rule in LANGUAGE_JOBS:
        assert jobs[rule] == ["lang=en"], (rule, jobs[rule])
