"""Comparator for ``bench/pipeline_scale.py``: the pipeline's jobs run as one plain Python process.

What Snakemake adds to a run (a process and its imports per job, the DAG, the metadata) is the
difference between its run and the same work done in one process. The same work, exactly: this
script replays the very scripts Snakemake ran, each with the ``snakemake`` object Snakemake built
for it (inputs, outputs, params, threads), in the order Snakemake started them, in one process, so
every package import is paid once. A hand-written copy of the DAG drifted from the rules each time
a stage changed; this cannot.

Two steps: ``harvest`` runs the workflow once (``--forceall --skip-script-cleanup``, untimed)
and keeps each job's generated script (Snakemake's preamble with the pickled ``snakemake``
object, then the rule's script) in the order the jobs started, a valid order of the DAG since a
job starts only after the jobs it reads from have finished; ``replay`` deletes ``results/`` and
runs them all in this process. The benchmark times ``replay``.

Usage: ``python bench/single_script.py harvest --project DIR`` then ``python bench/single_script.py
replay --project DIR``; ``DIR`` is a project folder (``Snakefile``, ``config/``, ``workflow/``, the
raw files its waves sheet names). Outputs go to ``DIR/results/`` as the workflow's do.
"""

from __future__ import annotations

import argparse
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

HARVESTED = Path(".snakemake") / "single_script"   # the kept job scripts, numbered in start order


def harvest(project: Path, cores: int = 2) -> list[Path]:
    """Run every job of the workflow once and keep its generated script, numbered in start order.

    Parameters
    ----------
    project : Path
        The project folder.
    cores : int
        Snakemake's ``--cores``.

    Returns
    -------
    list of Path
        The kept scripts, in the order the jobs started.
    """
    scripts = project / ".snakemake" / "scripts"
    shutil.rmtree(scripts, ignore_errors=True)
    snakemake = Path(sys.executable).with_name("snakemake")
    subprocess.run([str(snakemake), "--cores", str(cores), "--forceall", "--skip-script-cleanup", "--quiet"],
                   cwd=project, check=True)
    kept = project / HARVESTED
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    ordered = sorted(scripts.glob("*.py"), key=lambda path: path.stat().st_mtime_ns)
    for number, script in enumerate(ordered):
        shutil.move(script, kept / f"{number:03d}_{script.name}")
    return sorted(kept.glob("*.py"))


def replay(project: Path) -> int:
    """Delete ``results/`` and run every harvested job script in this process, in order.

    Parameters
    ----------
    project : Path
        The project folder, harvested.

    Returns
    -------
    int
        The number of job scripts run.

    Raises
    ------
    FileNotFoundError
        If the project has not been harvested.
    """
    scripts = sorted((project / HARVESTED).glob("*.py"))
    if not scripts:
        raise FileNotFoundError(f"{project / HARVESTED}: no job scripts; run `single_script.py harvest` first")
    shutil.rmtree(project / "results", ignore_errors=True)
    os.chdir(project)   # the jobs' paths are relative to the project, as under Snakemake
    for script in scripts:
        make_output_folders(script)
        runpy.run_path(str(script), run_name="__main__")
    return len(scripts)


def make_output_folders(script: Path) -> None:
    """Create the folders of a job's outputs and logs, as Snakemake does before it starts a job.

    Parameters
    ----------
    script : Path
        A harvested job script: Snakemake's one-line preamble defines its ``snakemake`` object.
    """
    preamble = script.read_text(encoding="utf-8").split("######## snakemake preamble end")[0]
    job: dict = {"__file__": str(script)}
    exec(preamble, job)   # noqa: S102 -- Snakemake's own generated preamble, from this project's run
    for path in [*job["snakemake"].output, *job["snakemake"].log]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["harvest", "replay"])
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--cores", type=int, default=2, help="Snakemake's --cores for the harvest")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    if args.step == "harvest":
        print(f"{len(harvest(project, args.cores))} job scripts kept in {project / HARVESTED}")
    else:
        print(f"{replay(project)} job scripts run in one process")


if __name__ == "__main__":
    main()
