"""Benchmark: the choice stage's estimation at scale against a plain vectorised Newton fit.

Issue target: fit + robust standard errors + average marginal effects with delta-method SEs on
1,000,000 rows (15 regressors, 4 forms) in at most 3× the time of a plain vectorised Newton fit,
measured side by side. Also the cluster bootstrap (B = 199, firms of 10 rows resampled whole) by
Newton steps (k-step, what ``choice.bootstrap_method: auto`` runs above 100,000 rows) against
refits: the k-step bootstrap is timed whole, the refits only for a few resamples and extrapolated
to B (each refit costs about the same; the record says so). Writes
``results/bench/choice_scale.json`` and ``.md``.

Usage: ``python bench/choice_scale.py [--rows N] [--repeats R] [--replicates B] [--refits R]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd


def simulated_design(rows: int, regressors: int, forms: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, regressors))
    X[:, -3:] = (X[:, -3:] > 0).astype(float)  # a few dummies, as survey regressors are
    beta = rng.normal(0, 0.3, size=(regressors + 1, forms - 1))
    design = np.column_stack([np.ones(rows), X])
    utilities = np.column_stack([np.zeros(rows), design @ beta])
    probabilities = np.exp(utilities - utilities.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    y = (probabilities.cumsum(axis=1) > rng.random((rows, 1))).argmax(axis=1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(regressors)])
    frame.insert(0, "Intercept", 1.0)
    return frame, y


def plain_newton(frame: pd.DataFrame, y: np.ndarray) -> None:
    from alliancegov.stats.mnl import fit_mnl_newton

    fit_mnl_newton(frame.to_numpy(), y)


def choice_stage(frame: pd.DataFrame, y: np.ndarray) -> None:
    """What the choice stage runs: the MNL fit, Stata-scaled robust SEs, AMEs for every outcome."""
    from alliancegov.choice.design import ChoiceDesign
    from alliancegov.choice.model import ame_table, fit_mnl
    from alliancegov.choice.spec import ChoiceSpec

    regressors = list(frame.columns[1:])
    design = ChoiceDesign(data=frame, X=frame, y=y, levels=[f"form{j}" for j in range(int(y.max()) + 1)],
                          weights=None, groups=None, design_info=None, terms={},
                          continuous=list(range(1, len(regressors) - 2)),
                          discrete={name: (None, [frame.columns.get_loc(name)]) for name in regressors[-3:]})
    spec = ChoiceSpec("y", "form0", "", cov_type="robust")
    fit = fit_mnl(design, spec)
    ame_table(fit, design, spec)


def clustered_design(frame: pd.DataFrame, y: np.ndarray, rows_per_firm: int = 10):
    """The choice design of ``frame`` with firms of ``rows_per_firm`` consecutive rows (a firm in 10 waves)."""
    from alliancegov.choice.design import ChoiceDesign

    return ChoiceDesign(data=frame, X=frame, y=y, levels=[f"form{j}" for j in range(int(y.max()) + 1)],
                        weights=None, groups=np.arange(len(y)) // rows_per_firm, design_info=None, terms={},
                        continuous=[])


def bootstrap_timings(frame: pd.DataFrame, y: np.ndarray, replicates: int, refits: int) -> dict:
    """Wall and CPU seconds of the k-step bootstrap (all ``replicates``, then its BCa table) and of
    ``refits`` refitting resamples (each part also fits the full sample once: that fit's time,
    measured alone, is taken off before the refits are extrapolated to ``replicates``)."""
    from dataclasses import replace

    from alliancegov.choice.bootstrap import bootstrap_part, bootstrap_table_from_parts
    from alliancegov.choice.spec import ChoiceSpec
    from alliancegov.stats.bootstrap import part_replicates

    design = clustered_design(frame, y)
    spec = ChoiceSpec("y", "form0", "", bootstrap_replicates=replicates, bootstrap_method="auto")
    assert not spec.bootstrap_uses_refits(len(y)), "the bench's rows must be above bootstrap_refit_max_rows"
    parts = []
    steps = timed(lambda: parts.append(bootstrap_part(design, spec, 0, 1)), repeats=1)
    table = timed(bootstrap_table_from_parts, design, spec, parts, repeats=1)
    full_fit = timed(plain_newton, frame, y, repeats=1)
    n_parts = -(-replicates // refits)          # part 0 of these holds about ``refits`` resamples
    few = timed(bootstrap_part, design, replace(spec, bootstrap_method="refit"), 0, n_parts, repeats=1)
    done = len(part_replicates(replicates, 0, n_parts))
    per_refit = {key: (few[key] - full_fit[key]) / done for key in ("wall_seconds", "cpu_seconds")}
    extrapolated = {key: full_fit[key] + replicates * per_refit[key] + table[key]
                    for key in ("wall_seconds", "cpu_seconds")}
    k_step = {key: steps[key] + table[key] for key in ("wall_seconds", "cpu_seconds")}
    return {"replicates": replicates, "clusters": int(design.groups.max()) + 1,
            "k_step_draws": steps, "bca_table": table, "k_step_total": k_step,
            "refits_timed": done, "refits_part": few, "full_fit": full_fit, "per_refit": per_refit,
            "refit_total_extrapolated": extrapolated,
            "speedup": extrapolated["wall_seconds"] / k_step["wall_seconds"],
            "k_step_failed": int((~parts[0]["ok"]).sum())}


def timed(function, *args, repeats: int) -> dict:
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        function(*args)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall_seconds": float(np.median(walls)), "cpu_seconds": float(np.median(cpus)), "runs": walls}


def main(argv: list[str] | None = None) -> None:
    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=199, help="bootstrap resamples (0: no bootstrap lines)")
    parser.add_argument("--refits", type=int, default=3, help="refitting resamples timed and extrapolated")
    parser.add_argument("--out", default="results/bench")
    args = parser.parse_args(argv)
    frame, y = simulated_design(args.rows, 15, 4)
    with threadpool_limits(1, user_api="blas"):
        newton = timed(plain_newton, frame, y, repeats=args.repeats)
        stage = timed(choice_stage, frame, y, repeats=args.repeats)
        boot = bootstrap_timings(frame, y, args.replicates, args.refits) if args.replicates else None
    ratio = stage["wall_seconds"] / newton["wall_seconds"]
    record = {
        "benchmark": "choice_scale", "rows": args.rows, "regressors": 15, "forms": 4,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "plain_newton": newton, "choice_stage": stage, "ratio": ratio, "target_ratio": 3.0,
        "target_met": ratio <= 3.0, "bootstrap": boot,
        "peak_memory_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "choice_scale.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (out / "choice_scale.md").write_text(
        f"# Choice stage at scale ({args.rows:,} rows × 15 regressors × 4 forms, 1 BLAS thread)\n\n"
        f"| step | median wall (s) | median CPU (s) |\n|---|---:|---:|\n"
        f"| plain vectorised Newton fit | {newton['wall_seconds']:.2f} | {newton['cpu_seconds']:.2f} |\n"
        f"| choice stage: fit + robust SEs + AMEs (delta SEs) | {stage['wall_seconds']:.2f} | "
        f"{stage['cpu_seconds']:.2f} |\n{bootstrap_lines(boot)}\nRatio {ratio:.2f} (target ≤ 3): "
        f"{'met' if ratio <= 3 else 'NOT met'}. Peak memory {record['peak_memory_mib']:.0f} MiB.\n",
        encoding="utf-8",
    )
    print(json.dumps({k: record[k] for k in ("rows", "ratio", "target_met", "peak_memory_mib")}))


def bootstrap_lines(boot: dict | None) -> str:
    """The bootstrap's rows of the Markdown table ("" without a bootstrap)."""
    if boot is None:
        return ""
    k_step, refits = boot["k_step_total"], boot["refit_total_extrapolated"]
    return (f"| cluster bootstrap, B = {boot['replicates']} ({boot['clusters']:,} firms), k-step (Newton steps, BCa "
            f"table) | {k_step['wall_seconds']:.2f} | {k_step['cpu_seconds']:.2f} |\n"
            f"| same by refits: {boot['refits_timed']} refits timed, extrapolated to B | "
            f"{refits['wall_seconds']:.2f} | {refits['cpu_seconds']:.2f} |\n"
            f"\nBootstrap speed-up {boot['speedup']:.1f}× (k-step failures: {boot['k_step_failed']}).\n")


if __name__ == "__main__":
    main()
