"""The memory each rule declares, fitted to measurements: peak ≈ base + slope × MiB of input.

Reads the scratch projects of a ``bench/pipeline_scale.py`` run (``results/bench/work/<size>/``): for
every job of a dry run of each project, its inputs' total size (what Snakemake's ``input.size_mb``
gives a resource function) and the ``max_rss`` of its ``benchmark:`` file. Writes every measurement
(``--measurements``, default ``bench/memory.tsv``) and, per rule, the least-squares line through them
(``--coefficients``, default ``workflow/memory.tsv``, read by ``workflow/rules/common.smk``).

Snakemake samples a job's resident memory every 0.5 s for its first 30 samples, then every
30 s (``snakemake.benchmark``), so a long job's peak between samples can be missed: the rules' headroom
(``MEMORY_HEADROOM`` in common.smk) is there for that too.

Usage: ``python bench/memory_fit.py results/bench/work/default results/bench/work/10000 ...``; with
``--keep``, the measurements of other projects already in ``--measurements`` are kept (a size measured
in an earlier run).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
FLOOR_MIB = 150.0   # a job's Python, pandas and pyarrow before it reads anything (the smallest peaks measured)


def jobs(project: Path) -> list[dict]:
    """Each job of a forced dry run of ``project``: its rule, input files and benchmark file."""
    result = subprocess.run([SNAKEMAKE, "--dry-run", "--forceall", "--cores", "2"], cwd=project,
                            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    found, job = [], None
    for line in (result.stdout + result.stderr).splitlines():
        if match := re.match(r"(?:local)?rule (\w+):$", line):
            job = {"rule": match.group(1), "inputs": [], "benchmark": None}
            found.append(job)
        elif job and (match := re.match(r"\s+input: (.*)$", line)):
            job["inputs"] = match.group(1).split(", ")
        elif job and (match := re.match(r"\s+benchmark: (.*)$", line)):
            job["benchmark"] = match.group(1)
    return found


def measurements(project: Path) -> pd.DataFrame:
    """One row per job that left a benchmark file: rule, benchmark, input_mib, max_rss_mib."""
    rows = []
    for job in jobs(project):
        record = project / job["benchmark"] if job["benchmark"] else None
        if record is None or not record.is_file():
            continue
        # temporary inputs (bootstrap parts) are gone after the run: they are small next to the frame
        size = sum((project / path).stat().st_size for path in job["inputs"] if (project / path).is_file())
        rss = pd.to_numeric(pd.read_csv(record, sep="\t")["max_rss"], errors="coerce").max()
        if not np.isfinite(rss):   # a job too short for Snakemake to sample
            continue
        rows.append({"project": project.name, "rule": job["rule"], "benchmark": job["benchmark"],
                     "input_mib": round(size / 2**20, 3), "max_rss_mib": float(rss)})
    return pd.DataFrame(rows)


def fit(measured: pd.DataFrame) -> pd.DataFrame:
    """Per rule, peak ≈ base + slope × input (least squares; a negative slope is set to 0, the base then
    being the largest peak; the base is at least :data:`FLOOR_MIB`)."""
    rows = []
    for rule, group in measured.groupby("rule", sort=True):
        x, y = group["input_mib"].to_numpy(float), group["max_rss_mib"].to_numpy(float)
        if len(np.unique(x)) > 1:
            slope, base = np.polyfit(x, y, 1)
        else:
            slope, base = 0.0, y.max()
        if slope < 0:
            slope, base = 0.0, y.max()
        rows.append({"rule": rule, "base_mib": round(max(base, FLOOR_MIB), 1), "mib_per_input_mib": round(slope, 3),
                     "jobs": len(group), "largest_input_mib": round(x.max(), 1), "largest_peak_mib": round(y.max(), 1),
                     "largest_residual_mib": round(float(np.max(np.abs(y - base - slope * x))), 1)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", type=Path, nargs="+", help="scratch projects of bench/pipeline_scale.py")
    parser.add_argument("--measurements", type=Path, default=ROOT / "bench" / "memory.tsv")
    parser.add_argument("--coefficients", type=Path, default=ROOT / "workflow" / "memory.tsv")
    parser.add_argument("--keep", action="store_true",
                        help="keep the measurements already in --measurements of the projects not given")
    args = parser.parse_args(argv)
    measured = pd.concat([measurements(project) for project in args.projects], ignore_index=True)
    if args.keep and args.measurements.is_file():
        kept = pd.read_csv(args.measurements, sep="\t", dtype={"project": str})
        kept = kept[~kept["project"].isin({project.name for project in args.projects})]
        measured = pd.concat([kept, measured], ignore_index=True)
    measured.to_csv(args.measurements, sep="\t", index=False)
    coefficients = fit(measured)
    with open(args.coefficients, "w", encoding="utf-8") as handle:
        handle.write(f"# Written by bench/memory_fit.py from {', '.join(measured['project'].unique())} "
                     f"(measurements in bench/memory.tsv): peak MiB ≈ base_mib + mib_per_input_mib × MiB of input\n")
        coefficients.to_csv(handle, sep="\t", index=False)
    print(coefficients.to_string(index=False))


if __name__ == "__main__":
    main()
