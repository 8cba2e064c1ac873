"""The SLURM profile run for real, on the one-node cluster of ``.ci/local-slurm`` (``make slurm-up``).

The bundled example goes through ``--profile profiles/slurm`` with the overrides that
``.ci/local-slurm flags`` prints for this node (the README's command): every job must go through
SLURM and every table, figure and QC file must equal a local run's, byte for byte. A job asking
for more CPUs than the node has must make the run fail at once, with SLURM's reason, rather than
wait on a job that can never start. Each run is bounded: past its time, Snakemake is ended and
its SLURM jobs cancelled. Without a cluster up, the tests start one (``.ci/local-slurm start``:
root or sudo) and stop it after them; under CI (``CI`` set, as ``.ci/run`` does) a cluster that
cannot be started fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import PIPELINE_KEY, ROOT, SNAKEMAKE, copy_project
from tests.test_profiles import job_resources

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

LOCAL_SLURM = str(ROOT / ".ci" / "local-slurm")
RUN_TIMEOUT = 600        # seconds; the example takes about 3 minutes through SLURM here
REFUSAL_TIMEOUT = 120    # seconds; a refused submission ends the run in a few
COMPARED = ("tables", "figures", "qc")   # results/ folders that must not depend on the executor


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def can_start_a_cluster() -> bool:
    """Root, or sudo without a password: what .ci/local-slurm needs to install and start daemons."""
    if os.geteuid() == 0:
        return True
    sudo = shutil.which("sudo")
    return sudo is not None and subprocess.run([sudo, "-n", "true"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def flags():
    """The Snakemake overrides for the local cluster. A cluster already up (``make slurm-up``) is
    used and left running; else one is started for these tests and stopped after them (root or
    sudo needed); without one, a failure under CI, else a skip."""
    started = False
    if subprocess.run([LOCAL_SLURM, "status"], capture_output=True).returncode != 0 and can_start_a_cluster():
        started = subprocess.run([LOCAL_SLURM, "start"], capture_output=True, text=True).returncode == 0
    status = subprocess.run([LOCAL_SLURM, "status"], capture_output=True, text=True)
    try:
        if status.returncode != 0:
            message = f"no local SLURM cluster is up and none could be started (make slurm-up):\n" \
                      f"{status.stdout}{status.stderr}"
            if under_ci():
                pytest.fail(f"CI is set and {message}")
            pytest.skip(message)
        printed = subprocess.run([LOCAL_SLURM, "flags"], capture_output=True, text=True, check=True)
        yield shlex.split(printed.stdout)
    finally:
        if started:
            subprocess.run([LOCAL_SLURM, "stop"], capture_output=True)


@pytest.fixture
def project(tmp_path) -> Path:
    copy_project(tmp_path)
    shutil.copytree(ROOT / "profiles", tmp_path / "profiles")
    return tmp_path


def slurm_jobs(prefix: str) -> list[tuple[str, str, str]]:
    """(id, state, comment) of every job SLURM still knows whose name starts with ``prefix``: the
    executor plugin names each job after its run, and comments it with the rule and wildcards."""
    listing = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%j|%T|%k"],
                             capture_output=True, text=True, check=True).stdout
    rows = [line.split("|", 3) for line in listing.splitlines()]
    return [(job, state, comment) for job, name, state, comment in rows if name.startswith(prefix)]


def run_on_slurm(project: Path, *args: str, timeout: int) -> tuple[subprocess.CompletedProcess, str]:
    """Snakemake with the SLURM profile, its jobs named after a fresh prefix (returned with the
    result). Past ``timeout`` Snakemake and its children are ended; whatever the outcome, none of
    its SLURM jobs is left queued or running."""
    prefix = f"test_{uuid.uuid4().hex[:12]}"
    command = [SNAKEMAKE, "--profile", "profiles/slurm", *args, "--slurm-jobname-prefix", prefix]
    env = {**os.environ, "PYTHONHASHSEED": "0", "ALLIANCEGOV_HMAC_KEY": PIPELINE_KEY}
    process = subprocess.Popen(command, cwd=project, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # Snakemake does not always stop on SIGTERM while it waits on SLURM: its whole session goes.
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"the SLURM run did not end within {timeout} s:\n{output[-4000:]}")
    finally:
        active = [job for job, state, _ in slurm_jobs(prefix) if state in ("PENDING", "RUNNING", "CONFIGURING")]
        if active:
            subprocess.run(["scancel", *active], check=True)
    return subprocess.CompletedProcess(command, process.returncode, output), prefix


def job_counts(output: str) -> Counter:
    """Rule → jobs, from the "Job stats" table Snakemake prints before it starts."""
    table = output.split("Job stats:", 1)[1]
    counts = Counter()
    for name, count in re.findall(r"^(\w+) +(\d+)$", table, flags=re.MULTILINE):
        if name == "total":
            break
        counts[name] = int(count)
    return counts


def rule_of(comment: str) -> str:
    """The rule in the plugin's job comment: ``rule_<rule>`` or ``rule_<rule>_wildcards_<values>``."""
    return re.fullmatch(r"rule_(.+?)(?:_wildcards_.*)?", comment).group(1)


def contents(project: Path, folder: str) -> dict[Path, bytes]:
    root = project / "results" / folder
    return {path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_the_overrides_fit_every_job_in_the_node(flags, project):
    """A dry run with the overrides: no job asks for more threads or memory than the node has."""
    node = subprocess.run(["sinfo", "--noheader", "--format=%c %m"], capture_output=True, text=True, check=True)
    cpus, memory_mb = map(int, node.stdout.split()[:2])
    # a dry run caps threads at --cores: far above any thread count, so that only the overrides cap them
    dry = subprocess.run([SNAKEMAKE, "--profile", "profiles/slurm", *flags, "--dry-run", "--cores", "1024"],
                         cwd=project, capture_output=True, text=True,
                         env={**os.environ, "ALLIANCEGOV_HMAC_KEY": PIPELINE_KEY})
    assert dry.returncode == 0, (dry.stdout + dry.stderr)[-4000:]
    jobs = job_resources(dry.stdout + dry.stderr)
    assert jobs
    # A rule's measured memory grows with its input (measured_mem_mb), so a job whose input is not made yet
    # shows <TBD> in a dry run; the run through SLURM below submits it with its evaluated memory (sbatch refuses
    # a job asking for more than the node has, and that run must complete).
    known = {rule: job for rule, job in jobs.items() if str(job.get("mem_mb", 0)) != "<TBD>"}
    assert known and {"ingest"} <= set(known)
    too_big = {rule: job for rule, job in jobs.items()
               if job["threads"] > cpus or (rule in known and int(job.get("mem_mb", 0)) > memory_mb)}
    assert not too_big, f"node: {cpus} CPUs, {memory_mb} MB; {too_big}"


def test_the_example_through_slurm_equals_a_local_run(flags, project, run):
    result, prefix = run_on_slurm(project, *flags, timeout=RUN_TIMEOUT)
    assert result.returncode == 0, result.stdout[-4000:]

    # every job Snakemake ran, other than its local rules, was a SLURM job, and completed there
    jobs = slurm_jobs(prefix)
    assert all(state == "COMPLETED" for _, state, _ in jobs), jobs
    local = Counter(re.findall(r"^localrule (\w+):$", result.stdout, flags=re.MULTILINE))
    assert Counter(rule_of(comment) for _, _, comment in jobs) == job_counts(result.stdout) - local

    local_project, _ = run
    for folder in COMPARED:
        on_slurm, locally = contents(project, folder), contents(local_project, folder)
        assert on_slurm.keys() == locally.keys(), folder
        differing = sorted(str(name) for name in locally if on_slurm[name] != locally[name])
        assert not differing, f"results/{folder}: {differing}"


def test_a_job_asking_for_more_cpus_than_the_node_has_fails_the_run_promptly(flags, project):
    """EnforcePartLimits=ALL: sbatch refuses the job, and Snakemake stops with SLURM's reason
    (without it the job would stay PENDING and the run would never end)."""
    cpus = int(subprocess.run(["sinfo", "--noheader", "--format=%c"], capture_output=True, text=True,
                              check=True).stdout.split()[0])
    # cpus_per_task, which the plugin passes to sbatch as is: --max-threads does not cap it
    args = list(flags)
    args.insert(args.index("--default-resources") + 1, f"cpus_per_task={cpus + 1}")
    result, prefix = run_on_slurm(project, *args, timeout=REFUSAL_TIMEOUT)
    assert result.returncode != 0
    assert "SLURM sbatch failed" in result.stdout and "More processors requested than permitted" in result.stdout, \
        result.stdout[-4000:]
    assert not slurm_jobs(prefix), "a refused job reached the queue"
