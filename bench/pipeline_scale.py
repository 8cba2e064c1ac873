"""Benchmark: the whole pipeline from 10^3 to 10^6 respondents, against the speed targets of issues 8 and 20.

For each size, synthetic raw waves are written with the project's simulator (plain French CSV,
the planted mess of ``add_mess``) into a scratch copy of the project under ``--work``, and
``snakemake --cores 2 --resources mem_mb=4000`` runs there from scratch (the jobs' memory held to the
target's 4 GiB less Snakemake's own). The bundled example is run the same way
(``--repeats`` times from scratch, then as many no-op re-runs), and compared with
``bench/single_script.py`` (the same jobs' scripts replayed in one Python process) and, at every size, with a
plain vectorised Newton fit of the choice model on the same rows (``bench/choice_scale.py``).
At the largest size one more wave is then added and the pipeline re-run.

Measured per run: whole-process wall time, CPU time of the process tree (``wait4``), the peak
of the process tree's summed resident memory (sampled every 0.2 s; shared pages count once per
process, so it errs high) and the largest single process; per stage, Snakemake's own
``benchmark:`` records. Writes ``pipeline.json`` and ``pipeline.md`` in ``--out``.

Usage: ``python bench/pipeline_scale.py [--sizes 1000 10000 ...] [--repeats R] [--skip-largest]
[--timeout SECONDS]``. Nothing under the repository's ``data/raw/`` is written.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import choice_scale  # bench/choice_scale.py, beside this file

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROJECT_PARTS = ("Snakefile", "workflow", "config", "environment.yml")
SIZES = (1_000, 10_000, 100_000, 1_000_000)
WAVES = 3            # waves at every size but the largest, as in the bundled example
LARGEST_WAVES = 10   # the end-to-end target: 10^6 respondents in 10 waves
LAST_YEAR = 2026     # waves run up to this year; the added wave is the year after
SEED = 20261127
CORES = 2
# The memory Snakemake may give its jobs at once (--resources mem_mb, in MB): the target's 4 GiB (4,295 MB)
# less about 300 MB for Snakemake's own process. Each rule declares its measured peak with half again as
# headroom (workflow/memory.tsv), so the scheduler runs side by side only jobs that fit; a job declaring
# more than the budget runs alone. (At 3,584 MB the two two-stage bootstrap jobs at 10^6, 2,000 MB each,
# could not run together, and one core idled for their whole length.)
MEMORY_BUDGET_MB = 4000
# stage rows in DAG order; a rule not named here is listed after them
STAGES = ("ingest", "clean", "pool", "constructs", "descriptives", "measurement", "choice", "choice_bootstrap_part",
          "choice_bootstrap", "performance", "misalignment_bootstrap_part", "misalignment", "waves", "hypotheses",
          "figures_descriptive", "figures_models", "figures_waves", "publication_tables", "report")
TARGETS = {
    "default_from_scratch_seconds": 45.0,
    "default_vs_single_script": 1.5,
    "noop_seconds": 3.0,
    "largest_seconds": 300.0,
    "largest_peak_mib": 4096.0,
    "add_wave_share": 0.5,     # issue 20: the models must see every row, so their share is the floor
}
ENV = {"PYTHONHASHSEED": "0", "ALLIANCEGOV_HMAC_KEY": "bench-key-synthetic-data-only"}
KILL_GRACE = 60      # seconds after the timeout's SIGTERM before the run's processes are killed outright


# ---- measuring one process tree ----------------------------------------------------------------

class TreeWatch(threading.Thread):
    """Samples the summed RSS of a process and its descendants, and stops the tree at a deadline."""

    def __init__(self, pid: int, timeout: float):
        super().__init__(daemon=True)
        self.pid, self.deadline = pid, time.monotonic() + timeout
        self.peak_bytes, self.timed_out = 0, False
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.wait(0.2):
            try:
                total = sum(process.memory_info().rss for process in [root, *root.children(recursive=True)])
                self.peak_bytes = max(self.peak_bytes, total)
            except psutil.Error:  # a job ended between listing and reading: sample again
                pass
            overdue = time.monotonic() - self.deadline
            if overdue > 0 and not self.timed_out:
                self.timed_out = True
                self._signal(signal.SIGTERM)
            elif overdue > KILL_GRACE:
                self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        try:
            os.killpg(self.pid, number)  # the session this benchmark started for the run
        except ProcessLookupError:  # it ended meanwhile
            pass


def measure(command: list[str], cwd: Path, log: Path, timeout: float) -> dict:
    """Run ``command``; wall and CPU seconds of the whole tree, peak summed and single-process RSS.

    The load average before the run is recorded too: other work on the machine slows a run down.
    """
    load = os.getloadavg()[0]
    started_at = time.time()
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as handle:
        process = subprocess.Popen(command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                                   env={**os.environ, **ENV}, start_new_session=True)
        watch = TreeWatch(process.pid, timeout)
        watch.start()
        # wait4, not wait: its rusage covers the descendants the process waited for (every job)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        watch.done.set()
        watch.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_tree_rss_mib": watch.peak_bytes / 2**20, "max_process_rss_mib": usage.ru_maxrss / 1024,
        "returncode": process.returncode, "timed_out": watch.timed_out, "started_at": started_at,
        "load_before": load, "log": str(log),
    }


def snakemake(project: Path, log: Path, timeout: float) -> dict:
    # --keep-going: a failing rule still lets the jobs that do not need it run and be measured
    run = measure([str(BIN / "snakemake"), "--cores", str(CORES), "--resources", f"mem_mb={MEMORY_BUDGET_MB}",
                   "--keep-going"], project, log, timeout)
    run["stages"] = stage_records(project, run["started_at"])
    return run


def stage_records(project: Path, since: float) -> dict:
    """Snakemake's benchmark records of the jobs that ran since ``since``, summed per rule."""
    import numpy as np
    import pandas as pd

    stages: dict[str, dict] = {}
    folder = project / "results" / "benchmarks"
    for path in sorted(folder.rglob("*.tsv")) if folder.is_dir() else []:
        if path.stat().st_mtime < since:  # left by an earlier run: the job did not run this time
            continue
        # the last line: "NA" where a job ended before Snakemake's first memory sample
        record = pd.to_numeric(pd.read_csv(path, sep="\t").iloc[-1], errors="coerce")
        rule = path.relative_to(folder).parts[0].removesuffix(".tsv")
        stage = stages.setdefault(rule, {"jobs": 0, "wall_seconds": 0.0, "cpu_seconds": 0.0,
                                         "max_rss_mib": float("nan")})
        stage["jobs"] += 1
        stage["wall_seconds"] += float(record["s"])
        stage["cpu_seconds"] += float(record["cpu_time"])
        stage["max_rss_mib"] = float(np.fmax(stage["max_rss_mib"], record["max_rss"]))  # NaN: not sampled
    return stages


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time (the upper middle one for an even count)."""
    return sorted(runs, key=lambda r: r["wall_seconds"])[len(runs) // 2]


def summary(runs: list[dict]) -> dict:
    return {
        "wall_seconds": statistics.median(r["wall_seconds"] for r in runs),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "peak_tree_rss_mib": max(r["peak_tree_rss_mib"] for r in runs),
        "max_process_rss_mib": max(r["max_process_rss_mib"] for r in runs),
        "ok": all(r["returncode"] == 0 for r in runs), "runs": runs,
    }


# ---- scratch projects and synthetic waves --------------------------------------------------------

def snapshot(work: Path) -> Path:
    """A copy of the workflow, config and package that every run uses (the package first on
    PYTHONPATH). A full benchmark takes over an hour; an edit meanwhile would otherwise change the
    code measured half-way and, through the rules' source hashes, make a no-op run re-run jobs."""
    target = work / "snapshot"
    shutil.rmtree(target, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "src" / "alliancegov", target / "src" / "alliancegov", ignore=ignore)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=ignore)
        else:
            shutil.copy2(source, target / part)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target / "src"), os.environ.get("PYTHONPATH")]))
    return target


def scratch_project(folder: Path, source: Path) -> Path:
    """A fresh copy of the workflow and config of ``source`` in ``folder`` (``data/`` is kept for reuse)."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in (*PROJECT_PARTS, "results", ".snakemake"):
        target = folder / part
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for part in PROJECT_PARTS:
        origin = source / part
        (shutil.copytree if origin.is_dir() else shutil.copy2)(origin, folder / part)
    return folder


def synthetic_waves(project: Path, respondents: int, waves: int, extra: int) -> tuple[list[dict], float | None]:
    """``waves`` + ``extra`` waves of ``respondents / waves`` firms as plain CSV under ``data/synthetic``.

    Reused when an earlier benchmark wrote the same ones (same sizes, seed, simulator, truth and
    codebook: the simulator is deterministic). Returns the waves-sheet rows and the seconds spent
    writing them (None when reused).
    """
    from alliancegov.codebook.tables import Codebook
    from alliancegov.simulate.exports import write_plain_csv
    from alliancegov.simulate.mess import add_mess
    from alliancegov.simulate.population import simulate_waves

    folder = project / "data" / "synthetic"
    years = list(range(LAST_YEAR - waves + 1, LAST_YEAR + 1 + extra))
    # write_plain_csv writes as French Excel saves: decimal commas, so the waves declare locale fr
    rows = [{"wave": f"w{year}", "year": year, "format": "csv", "file": f"data/synthetic/wave_{year}.csv",
             "locale": "fr", "description": f"synthetic, {respondents // waves} firms"} for year in years]
    sources = sorted((ROOT / "src" / "alliancegov" / "simulate").glob("*"))
    sources += sorted((ROOT / "config" / "codebook").glob("*.csv"))
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()
    manifest = {"respondents": respondents, "waves": waves, "extra": extra, "seed": SEED, "sources": digest}
    stamp = folder / "manifest.json"
    if stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == manifest:
        return rows, None
    start = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    codebook = Codebook.from_dir(ROOT / "config" / "codebook")
    clean = simulate_waves(respondents // waves, years, seed=SEED, codebook=codebook)
    for row, wave in zip(rows, clean):
        messy, _ = add_mess(wave, codebook, seed=SEED + row["year"])
        write_plain_csv(messy, project / row["file"], codebook)
    stamp.write_text(json.dumps(manifest) + "\n", encoding="utf-8")
    return rows, time.perf_counter() - start


def write_waves_sheet(project: Path, rows: list[dict]) -> None:
    columns = ["wave", "year", "format", "file", "locale", "description"]
    lines = ["\t".join(columns)] + ["\t".join(str(row[c]) for c in columns) for row in rows]
    (project / "config" / "waves.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def analysed_rows(project: Path) -> int | None:
    import pyarrow.parquet as pq

    path = project / "results" / "interim" / "analysis.parquet"
    return pq.read_metadata(path).num_rows if path.is_file() else None


def newton_fit(project: Path, repeats: int) -> dict | None:
    """A plain vectorised Newton fit of the configured choice model on the rows the pipeline used."""
    import pandas as pd
    import yaml
    from threadpoolctl import threadpool_limits

    from alliancegov.choice.design import build_design
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.codebook.tables import Codebook

    analysis = project / "results" / "interim" / "analysis.parquet"
    if not analysis.is_file():  # the run stopped before the constructs stage
        return None
    config = yaml.safe_load((project / "config" / "config.yaml").read_text(encoding="utf-8"))
    spec = ChoiceSpec.from_config(config["choice"], config["missing_data"])
    categories = Codebook.from_dir(project / config["codebook"]).answer_names(spec.outcome)
    design = build_design(pd.read_parquet(analysis), spec, categories)
    with threadpool_limits(1, user_api="blas"):  # as the choice stage fits
        timing = choice_scale.timed(choice_scale.plain_newton, design.X, design.y, repeats=repeats)
    record = timing | {"rows": len(design.y), "regressors": design.X.shape[1], "forms": len(design.levels)}
    del design
    gc.collect()
    return record


# ---- the benchmark ---------------------------------------------------------------------------------

def default_example(work: Path, source: Path, repeats: int, timeout: float) -> dict:
    """The bundled example: from scratch, no-op re-runs, the single script, the Newton fit."""
    project = scratch_project(work / "default", source)
    shutil.rmtree(project / "data", ignore_errors=True)
    shutil.copytree(ROOT / "data" / "raw", project / "data" / "raw")
    scratch = []
    for attempt in range(repeats):
        for leftover in ("results", ".snakemake"):
            shutil.rmtree(project / leftover, ignore_errors=True)
        scratch.append(snakemake(project, work / f"default_scratch_{attempt}.log", timeout))
        print(f"default example from scratch: {scratch[-1]['wall_seconds']:.1f} s", flush=True)
    noop = [snakemake(project, work / f"default_noop_{attempt}.log", timeout) for attempt in range(repeats)]
    # the comparator replays the jobs' own scripts in one process: harvested once (untimed), replayed timed
    comparator = [sys.executable, str(ROOT / "bench" / "single_script.py")]
    measure([*comparator, "harvest", "--project", str(project)], ROOT, work / "single_script_harvest.log", timeout)
    single = []
    for attempt in range(repeats):
        single.append(measure([*comparator, "replay", "--project", str(project)], ROOT,
                              work / f"single_script_{attempt}.log", timeout))
        print(f"single script: {single[-1]['wall_seconds']:.1f} s", flush=True)
    return {"respondents": "bundled example", "waves": 3, "rows_analysed": analysed_rows(project),
            "from_scratch": summary(scratch), "noop": summary(noop), "single_script": summary(single),
            "newton": newton_fit(project, repeats)}


def one_size(work: Path, source: Path, respondents: int, waves: int, add_wave: bool, repeats: int,
             timeout: float) -> dict:
    """Synthetic waves of ``respondents`` firms: full run, no-op run, Newton fit, and optionally one more wave."""
    project = scratch_project(work / str(respondents), source)
    rows, generate_seconds = synthetic_waves(project, respondents, waves, extra=int(add_wave))
    write_waves_sheet(project, rows[:waves])
    record = {"respondents": respondents, "waves": waves, "generate_seconds": generate_seconds}
    full = snakemake(project, work / f"{respondents}_full.log", timeout)
    record["full"] = full
    print(f"{respondents:,} respondents in {waves} waves: {full['wall_seconds']:.1f} s "
          f"(exit {full['returncode']}{', timed out' if full['timed_out'] else ''})", flush=True)
    if full["returncode"] != 0:
        return record
    record["rows_analysed"] = analysed_rows(project)
    record["noop"] = snakemake(project, work / f"{respondents}_noop.log", timeout)
    record["newton"] = newton_fit(project, repeats)
    if add_wave:
        write_waves_sheet(project, rows)
        record["add_wave"] = snakemake(project, work / f"{respondents}_add_wave.log", timeout)
        print(f"  after adding wave {rows[-1]['wave']}: {record['add_wave']['wall_seconds']:.1f} s", flush=True)
    return record


def targets(default: dict, sizes: list[dict]) -> list[dict]:
    """Each target of the issue with its measured value and whether it is met (None: not measured).

    A run stopped at the timeout still bounds its figures from below (``bound`` ">"): its wall
    time exceeds the timeout, and its memory reached at least the peak sampled before the stop.
    """
    def row(description: str, value: float | None, limit: float, unit: str, *, bound: str = "",
            note: str = "", met: bool | None = None) -> dict:
        if met is None and value is not None and not bound:
            met = value <= limit
        return {"description": description, "value": value, "bound": bound, "limit": limit, "unit": unit,
                "met": met, "note": note}

    rows = []
    scratch, noop, single = default["from_scratch"], default["noop"], default["single_script"]
    failed = "" if scratch["ok"] and single["ok"] else "a run failed: see its log"
    rows.append(row("bundled example from scratch (median)", scratch["wall_seconds"],
                    TARGETS["default_from_scratch_seconds"], "s", note=failed,
                    met=False if failed else None))
    rows.append(row("bundled example ÷ single Python script (medians)",
                    scratch["wall_seconds"] / single["wall_seconds"], TARGETS["default_vs_single_script"], "×",
                    note=failed, met=False if failed else None))
    rows.append(row("no-op re-run (median)", noop["wall_seconds"], TARGETS["noop_seconds"], "s"))

    largest = next((s for s in sizes if s["respondents"] == SIZES[-1] and s["waves"] == LARGEST_WAVES), None)
    labels = ("10^6 respondents in 10 waves, end to end", "10^6 × 10 waves: peak memory (process tree)",
              "10^6: re-run after adding an 11th wave ÷ full run")
    if largest is None:
        return rows + [row(label, None, TARGETS[key], unit, note="not run: see --sizes")
                       for label, key, unit in zip(labels, ("largest_seconds", "largest_peak_mib", "add_wave_share"),
                                                   ("s", "MiB", "×"))]
    full = largest["full"]
    peak = full["peak_tree_rss_mib"]
    if full["returncode"] == 0:
        rows.append(row(labels[0], full["wall_seconds"], TARGETS["largest_seconds"], "s"))
        rows.append(row(labels[1], peak, TARGETS["largest_peak_mib"], "MiB"))
    else:
        stopped = "stopped at the timeout" if full["timed_out"] else f"failed (exit {full['returncode']})"
        rows.append(row(labels[0], full["wall_seconds"], TARGETS["largest_seconds"], "s", bound=">", note=stopped,
                        met=False if full["wall_seconds"] > TARGETS["largest_seconds"] else None))
        rows.append(row(labels[1], peak, TARGETS["largest_peak_mib"], "MiB", bound="≥", note=stopped,
                        met=False if peak > TARGETS["largest_peak_mib"] else None))
    add = largest.get("add_wave")
    if add is None:
        rows.append(row(labels[2], None, TARGETS["add_wave_share"], "×", note="not measured: the full run did not end"))
    else:
        share = add["wall_seconds"] / full["wall_seconds"]
        if add["returncode"] == 0:
            rows.append(row(labels[2], share, TARGETS["add_wave_share"], "×"))
        else:
            rows.append(row(labels[2], share, TARGETS["add_wave_share"], "×", bound=">", note="the re-run did not end",
                            met=False if share > TARGETS["add_wave_share"] else None))
    return rows


# ---- the record ----------------------------------------------------------------------------------------

def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or value != value else f"{value:,.{digits}f}"


def _loads(runs: list[dict]) -> str:
    return ", ".join(_fmt(run["load_before"]) for run in runs)


def markdown(record: dict) -> str:
    default, sizes = record["default"], record["sizes"]
    lines = [
        "# Pipeline benchmark (issues 8 and 20)", "",
        f"{record['date']} · Python {record['machine']['python']} · {record['machine']['cpus']} CPUs · "
        f"snakemake --cores {CORES} --resources mem_mb={MEMORY_BUDGET_MB} · `{record['command']}`", "",
        "## Targets", "", "| target | measured | limit | met |", "|---|---:|---:|---|",
    ]
    for target in record["targets"]:
        met = {True: "met", False: "**not met**", None: "not measured"}[target["met"]]
        note = f" ({target['note']})" if target["note"] else ""
        lines.append(f"| {target['description']} | {target['bound']}{_fmt(target['value'], 2)} {target['unit']} | "
                     f"≤ {_fmt(target['limit'], 2)} {target['unit']} | {met}{note} |")
    single, newton = default["single_script"], default["newton"]
    lines += [
        "", f"## Bundled example (3 waves, {default['rows_analysed']} responses analysed)", "",
        "| run | median wall (s) | median CPU (s) | peak memory, tree (MiB) | largest process (MiB) | runs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, key in (("Snakemake, from scratch", "from_scratch"), ("Snakemake, no-op re-run", "noop"),
                       ("single Python script", "single_script")):
        run = default[key]
        lines.append(f"| {label} | {_fmt(run['wall_seconds'], 2)} | {_fmt(run['cpu_seconds'], 2)} | "
                     f"{_fmt(run['peak_tree_rss_mib'], 0)} | {_fmt(run['max_process_rss_mib'], 0)} | "
                     f"{len(run['runs'])} |")
    scratch = default["from_scratch"]["wall_seconds"]
    side = f"Side by side: pipeline ÷ single script = {scratch / single['wall_seconds']:.2f}"
    if newton:
        lines.append(f"| plain vectorised Newton fit of the choice model | {_fmt(newton['wall_seconds'], 3)} | "
                     f"{_fmt(newton['cpu_seconds'], 3)} | | | {len(newton['runs'])} |")
        side += f"; pipeline ÷ Newton fit = {scratch / newton['wall_seconds']:,.0f}"
    lines += ["", side + f". Load average before the runs: {_loads(default['from_scratch']['runs'])}.", ""]

    lines += ["## Scale", "",
              "| respondents | waves | analysed | generate (s; – reused) | wall (s) | CPU (s) | peak tree (MiB) | "
              "largest process (MiB) | load before | no-op (s) | Newton fit (s) | wall ÷ Newton | "
              "choice stage ÷ Newton |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size in sizes:
        full = size["full"]
        common = (f"| {size['respondents']:,} | {size['waves']} | {_fmt(size.get('rows_analysed'), 0)} | "
                  f"{_fmt(size['generate_seconds'])} | ")
        usage = (f"{_fmt(full['cpu_seconds'])} | {_fmt(full['peak_tree_rss_mib'], 0)} | "
                 f"{_fmt(full['max_process_rss_mib'], 0)} | {_fmt(full['load_before'])} | ")
        if full["returncode"] != 0:
            status = "stopped at the timeout" if full["timed_out"] else f"failed (exit {full['returncode']})"
            lines.append(common + f"{status} after {_fmt(full['wall_seconds'])} | " + usage + " | | | |")
            continue
        fit = size["newton"]["wall_seconds"]
        choice = full["stages"].get("choice", {}).get("wall_seconds")
        ratios = f"{_fmt(full['wall_seconds'] / fit, 0)} | {_fmt(choice / fit if choice else None, 0)} |"
        lines.append(common + f"{_fmt(full['wall_seconds'])} | " + usage +
                     f"{_fmt(size['noop']['wall_seconds'], 2)} | {_fmt(fit, 3)} | " + ratios)
    added = [s for s in sizes if "add_wave" in s]
    for size in added:
        add, full = size["add_wave"], size["full"]
        lines += ["", f"Adding one wave at {size['respondents']:,} respondents ({size['waves']} → "
                      f"{size['waves'] + 1} waves): {_fmt(add['wall_seconds'])} s against "
                      f"{_fmt(full['wall_seconds'])} s for the full run "
                      f"({add['wall_seconds'] / full['wall_seconds']:.0%}); jobs re-run: "
                      + ", ".join(f"{rule} ×{stage['jobs']}" for rule, stage in add["stages"].items()) + "."]

    runs = [("bundled", median_run(default["from_scratch"]["runs"]))] + [
        (f"{s['respondents']:,}", s["full"]) for s in sizes]
    measured = {stage for _, run in runs for stage in run["stages"]}
    stages = [s for s in STAGES if s in measured] + sorted(measured - set(STAGES))
    for title, key, digits in (("wall time (s)", "wall_seconds", 1), ("CPU time (s)", "cpu_seconds", 1),
                               ("peak memory of one job (MiB)", "max_rss_mib", 0)):
        lines += ["", f"## Per stage: {title}", "", "| stage | " + " | ".join(name for name, _ in runs) + " |",
                  "|---|" + "---:|" * len(runs)]
        for stage in stages:
            cells = [_fmt(run["stages"].get(stage, {}).get(key), digits) for _, run in runs]
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines += [
        "", "Per-stage figures are Snakemake's `benchmark:` records, summed over a stage's jobs (one per wave for "
        "ingest and clean); peak memory is the largest job's, as Snakemake samples it (a job shorter than its first "
        "sample shows –, and a short peak can be missed). Whole-run figures: wall clock of the `snakemake` "
        "process, CPU of its process tree (`wait4`), the peak of the tree's summed RSS sampled every 0.2 s, and the "
        "largest single process. Columns `bundled` use the median from-scratch run. A stage missing from a column "
        "did not finish in that run. `load before` is the machine's 1-minute load average as the run started: "
        "above 0 means other work shared the 2 cores.", "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="respondents per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the bundled example (medians)")
    parser.add_argument("--skip-largest", action="store_true", help="leave out the largest of --sizes")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed for any one run")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench")
    parser.add_argument("--work", type=Path, default=None, help="scratch projects (default OUT/work)")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes))
    if args.skip_largest:
        sizes = sizes[:-1]
    work = (args.work or args.out / "work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    source = snapshot(work)

    default = default_example(work, source, args.repeats, args.timeout)
    measured = []
    for respondents in sizes:
        waves = LARGEST_WAVES if respondents == SIZES[-1] else WAVES
        measured.append(one_size(work, source, respondents, waves, respondents == sizes[-1], args.repeats,
                                 args.timeout))
    import snakemake as snakemake_package

    record = {
        "benchmark": "pipeline_scale", "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python bench/pipeline_scale.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": os.cpu_count(),
                    "snakemake": snakemake_package.__version__},
        "cores": CORES, "default": default, "sizes": measured, "targets": targets(default, measured),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pipeline.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (args.out / "pipeline.md").write_text(markdown(record), encoding="utf-8")
    for target in record["targets"]:
        print(f"{target['description']}: {target['bound']}{_fmt(target['value'], 2)} {target['unit']} "
              f"(≤ {target['limit']:g}): {target['met']}")


if __name__ == "__main__":
    main()
