# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streammesh demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 4 --dist worksteal

bench: $(STAMP)
	$(BIN)/python benchmarks/log_throughput.py --quick
	$(BIN)/python benchmarks/serde.py --quick
	$(BIN)/python benchmarks/catalog.py --quick
	$(BIN)/python benchmarks/server.py --quick
	$(BIN)/python benchmarks/registry.py --quick
	$(BIN)/python benchmarks/streams.py --quick
	$(BIN)/python benchmarks/connect.py --quick
	$(BIN)/python benchmarks/dataplane.py --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
