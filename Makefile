# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench clean

# uv (from PyPI, into the venv) installs the same versions pip would, in about half pip's
# CPU time; bytecode is compiled at install, as pip does, for PYTHONDONTWRITEBYTECODE machines.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streammesh demo

# The suite mostly waits (processes starting, groups joining), so lint and typecheck run
# beside it: each one's output is printed when it ends, and the last line names every check
# that failed (exit 1). pytest's own output streams as it runs.
test: $(STAMP)
	@logs=$$(mktemp -d); \
	for check in lint typecheck; do \
		( $(MAKE) --no-print-directory $$check >$$logs/$$check 2>&1; status=$$?; \
		  cat $$logs/$$check; exit $$status ) & eval "$$check=$$!"; \
	done; \
	$(MAKE) --no-print-directory pytest || failed="$$failed pytest"; \
	wait $$lint || failed="$$failed lint"; \
	wait $$typecheck || failed="$$failed typecheck"; \
	rm -rf $$logs; \
	if [ -n "$$failed" ]; then echo "make test: failed:$$failed"; exit 1; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: every process a test starts
# would otherwise compile streammesh again, and every worker rewrite the tests' asserts again.
# So it is written once first: compileall for streammesh and the test helpers, and pytest's
# rewritten test modules by a collection that rewrites without running them
# (tests/support/precompile.py: ~6 s of CPU instead of ~19 s for a plain --collect-only).
pytest: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m compileall -q -j 0 src tests >/dev/null || true
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest --collect-only -qq -p no:schemathesis \
		-p tests.support.precompile >/dev/null || true
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n 4 --dist worksteal

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
