"""Re-runs follow the code: a rule re-runs exactly when a package module its script reaches changes.

Each rule passes the hash of its script's import closure as a param (alliancegov.code_hash,
read from the source with ``ast``). These tests hold that closure to Python's own
``modulefinder`` and, end to end, edit a module in a copy of a finished run and read Snakemake's
dry-run plan.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from modulefinder import ModuleFinder
from pathlib import Path

import pytest

from alliancegov.code_hash import PACKAGE_DIR, code_hash, import_closure
from tests.conftest import PIPELINE_KEY, ROOT, SNAKEMAKE

SCRIPTS = sorted((ROOT / "workflow" / "scripts").glob("*.py"))
SOURCE = PACKAGE_DIR.parent   # src/


def module_name(path: Path) -> str:
    """``src/alliancegov/choice/stage.py`` → ``alliancegov.choice.stage`` (any copy of ``src/``)."""
    parts = path.with_suffix("").parts
    parts = parts[parts.index("alliancegov"):]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modulefinder_closure(script: Path, source: Path = SOURCE) -> set[str]:
    """The package modules Python's modulefinder finds a script importing (at any depth, functions
    included), searching only the package's source folder."""
    finder = ModuleFinder(path=[str(source)])
    finder.run_script(str(script))
    return {name for name in finder.modules if name.split(".")[0] == "alliancegov"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_the_import_closure_is_what_modulefinder_finds(script):
    assert {module_name(path) for path in import_closure(script)} == modulefinder_closure(script)


def test_the_hash_changes_with_a_module_the_script_reaches_and_only_then(tmp_path):
    package = tmp_path / "alliancegov"
    shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    script = tmp_path / "script.py"
    script.write_text("from alliancegov.disclosure import suppress_small_cells\n", encoding="utf-8")
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); from alliancegov.code_hash import code_hash; "
             "print(code_hash(sys.argv[2]))")

    def hashed() -> str:
        return subprocess.run(["python3", "-c", probe, str(tmp_path), str(script)], capture_output=True, text=True,
                              check=True).stdout.strip()

    before = hashed()
    (package / "report" / "document.py").write_text((package / "report" / "document.py").read_text() + "\n# an edit\n")
    assert hashed() == before                      # not reached from the script
    (package / "disclosure.py").write_text((package / "disclosure.py").read_text() + "\n# an edit\n")
    assert hashed() != before
    assert len(code_hash(script)) == 16


# ---- end to end: a finished run, a module edited, Snakemake's plan -------------------------------------

RULE = re.compile(r"^rule (\w+):\n(?:    .*\n)*?    script:\n        \"\.\./scripts/(\w+)\.py\"", re.M)


def rule_scripts() -> dict[str, str]:
    """Rule → its script's stem, for the rules of ``all`` (power planning's rules run apart, with
    ``make power``), read from the rule files."""
    rules = ROOT / "workflow" / "rules"
    text = "\n".join(path.read_text(encoding="utf-8") for path in rules.glob("*.smk") if path.name != "power.smk")
    return dict(RULE.findall(text))


def planned(project: Path, source: Path) -> dict[str, set[str]]:
    """Rule → the reasons of its jobs in a dry run of the project, importing the package from ``source``."""
    result = subprocess.run([SNAKEMAKE, "--dry-run", "--cores", "2"], cwd=project, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(source),
                                              "ALLIANCEGOV_HMAC_KEY": PIPELINE_KEY})
    assert result.returncode == 0, result.stderr[-3000:]
    jobs: dict[str, set[str]] = {}
    for rule, reason in re.findall(r"^rule (\w+):\n(?:    .*\n)*?    reason: (.*)$", result.stdout, re.M):
        jobs.setdefault(rule, set()).add(reason.split(":")[0])
    return jobs


def finished_copy(run, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of a finished run of the example and of the package (``src/``) it imports, checked complete and
    identical (a dry run plans nothing), to edit and dry-run again."""
    project, source = tmp_path / "project", tmp_path / "src"
    shutil.copytree(run[0], project, symlinks=True)
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    assert planned(project, source) == {}, "the copied run must be complete, and the copied package identical"
    return project, source


EDITED_MODULES = ["hypotheses/checks.py", "ingest/cells.py", "figures/theme.py", "stats/transitions.py",
                  "disclosure.py", "report/document.py", "choice/diagnostics.py"]


@pytest.mark.slow
def test_editing_a_module_reruns_exactly_the_rules_whose_scripts_reach_it(run, tmp_path):
    project, source = finished_copy(run, tmp_path)
    scripts = rule_scripts()
    reached = {rule: modulefinder_closure(project / "workflow" / "scripts" / f"{script}.py", source)
               for rule, script in scripts.items()}
    for relative in EDITED_MODULES:
        path = source / "alliancegov" / relative
        original = path.read_text(encoding="utf-8")
        path.write_text(original + "\n# an edit that changes no behaviour\n", encoding="utf-8")
        try:
            plan = planned(project, source)
        finally:
            path.write_text(original, encoding="utf-8")
        edited = module_name(path)
        direct = {rule for rule, modules in reached.items() if edited in modules}
        assert direct, relative
        assert direct <= set(plan), (relative, "not re-run though its script reaches the module",
                                     sorted(direct - set(plan)))
        own = {rule for rule, reasons in plan.items() if "Params have changed since last execution" in reasons}
        assert own <= direct, (relative, "re-run by its own params without reaching the module", sorted(own - direct))
        others = set(plan) - direct - {"all"}
        for rule in others:   # re-run only because an input is redone (or a temporary part is needed again)
            assert plan[rule] <= {"Input files updated by another job", "Missing output files"}, (relative, rule,
                                                                                                 plan[rule])
        if relative == "hypotheses/checks.py":
            assert {"hypotheses", "figures_models", "report"} <= set(plan)
        if relative == "ingest/cells.py":
            assert {"ingest", "clean", "pool"} <= set(plan)
        if relative == "report/document.py":
            assert set(plan) - {"all"} == {"report", "summary"}   # the summary reads the reports
