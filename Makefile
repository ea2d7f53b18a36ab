# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test test-long lint bench mutants golden golden-record clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/caseaudit demo

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -m "not long" --durations=15 --nbmake tests notebooks

# Everything `make test` runs plus the slow tests it leaves out (`reallocate` on the national
# preset), with the slow hypothesis properties drawing all their examples (issue 23).
test-long: lint
	CASEAUDIT_LONG=1 $(BIN)/pytest --durations=15 --nbmake tests notebooks

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run.py --presets median largest region national
	$(BIN)/python benchmarks/moderation.py
	$(BIN)/python benchmarks/break_plan.py
	$(BIN)/python benchmarks/report.py
	$(BIN)/python benchmarks/explain.py
	$(BIN)/python benchmarks/whatif.py
	$(BIN)/python benchmarks/sample.py

# Plants each named single-rule bug of benchmarks/mutants.py in a copy of the committed
# tree and runs the deterministic tests against it: every bug must be caught (issue 13).
mutants: $(DEV_STAMP)
	$(BIN)/python benchmarks/mutants.py

# Every command's outputs on small, median, largest and region against the SHA-256 manifest
# benchmarks/golden.json (issue 19; a few minutes): golden compares and lists every file
# that differs, golden-record runs and writes the manifest (outputs kept in .golden/).
golden: $(STAMP)
	$(BIN)/python benchmarks/golden.py

golden-record: $(STAMP)
	$(BIN)/python benchmarks/golden.py --record

clean:
	rm -rf $(VENV) caseaudit-demo .pytest_cache .mypy_cache .ruff_cache
