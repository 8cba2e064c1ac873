# Two commands: `make run` (whole pipeline on the bundled example) and `make test` (the test suite).
# Both create the virtual environment .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all

.PHONY: run test report example bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	$(BIN)/python -m pytest

# Snakemake's own zipped report of every report() output, after `make run`.
report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --report results/report.zip

# Regenerate the bundled example waves in data/raw/ from the simulator (seeded).
example: $(STAMP)
	$(BIN)/python -m alliancegov.simulate data/raw

# Speed targets live here, not in timed unit tests: records in results/bench/ (JSON and Markdown).
bench: $(STAMP)
	$(BIN)/python bench/choice_scale.py --rows 1000000 --repeats 3

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow/scripts
	$(BIN)/snakemake --lint

clean:
	rm -rf results .snakemake
