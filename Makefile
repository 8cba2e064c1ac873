# Two commands: `make run` (whole pipeline on the bundled example) and `make test` (the test suite).
# Both create the virtual environment .venv on first use, with the exact versions of requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
# Memory Snakemake may give its jobs at once (MB): 80% of this machine's, unless set (make run MEM_MB=3500).
# Each rule declares its measured need (workflow/memory.tsv), so jobs that would not fit side by side
# run one after the other.
MEM_MB ?= $(shell awk '/^MemTotal:/ {print int($$2 * 1.024 * 0.8 / 1000)}' /proc/meminfo 2>/dev/null)
SNAKEMAKE := $(BIN)/snakemake --cores $(CORES) $(if $(MEM_MB),--resources mem_mb=$(MEM_MB))

.PHONY: run test test-fast report example bench lint lock clean power slurm-up slurm-down

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The lock file: the exact version of every package, resolved from pyproject.toml (dependencies and
# the test extra) by uv, kept apart from .venv; then pin environment.yml to the same versions.
lock:
	test -x .venv-lock/bin/uv || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/python -m pip install --quiet uv)
	.venv-lock/bin/uv pip compile pyproject.toml --extra test --python-version 3.11 --universal --no-header \
		--annotation-style line -o requirements.lock

# Ends by saying where to look: the reports' paths and a one-line summary (rule summary).
run: $(STAMP)
	$(SNAKEMAKE)
	@cat results/report/summary.txt

test: $(STAMP)
	$(BIN)/python -m pytest

# The fast tier for development (under 2 minutes on 2 cores): everything but the whole-pipeline runs and
# Monte Carlo studies marked `slow`, which `make test` (and CI) also run.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# Snakemake's own zipped report of every report() output, after `make run`.
report: $(STAMP)
	$(SNAKEMAKE) --report results/report.zip

# Regenerate the bundled example waves in data/raw/ from the simulator (seeded).
example: $(STAMP)
	$(BIN)/python -m alliancegov.simulate data/raw

# Speed targets live here, not in timed unit tests: records in results/bench/ (JSON and Markdown).
# The whole pipeline at 10^3..10^6 respondents takes about an hour on 2 cores; a quick look:
# make bench BENCH_ARGS="--sizes 1000 10000 --repeats 1".
bench: $(STAMP)
	$(BIN)/python bench/choice_scale.py --rows 1000000 --repeats 3
	$(BIN)/python bench/pipeline_scale.py $(BENCH_ARGS)

# Power of the H1 and H7 tests by sample size, simulated at the current estimates (after `make run`'s models).
power: $(STAMP)
	$(SNAKEMAKE) power

# A one-node SLURM cluster on this machine (installs slurm-wlm and munge if missing; root or sudo),
# for tests/test_slurm.py and for trying profiles/slurm: see the README, "Running on a cluster".
slurm-up:
	.ci/local-slurm start

slurm-down:
	.ci/local-slurm stop

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow/scripts
	$(BIN)/snakemake --lint

clean:
	rm -rf results .snakemake
