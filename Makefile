# pvz-planner: the two commands are `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_N ?= 10000

.PHONY: run test test-fast lint bench bench-tools venv clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python scripts/warm_numba.py
	touch $@

venv: $(VENV)/.installed

## run: serve the HTTP API on the embedded SQLite store with a demo network; prints the URL and keys
run: venv
	mkdir -p var
	PVZ_DATABASE_URL=sqlite:///./var/pvz.db $(BIN)/pvz serve --host $(HOST) --port $(PORT) --demo $(DEMO_N)

## test: set up with dev extras, lint, type-check, run every test
test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	./scripts/setup-postgis.sh
	./scripts/setup-chromium.sh
	$(BIN)/pytest -q -n 2

## test-fast: the quick subset for local work
test-fast: venv
	$(BIN)/pytest -q -m "not slow" -n 2

bench: venv
	$(BIN)/python bench/protection.py

## bench-tools: the load generators of bench/api.py (wrk, and pgbench with PostgreSQL; apt as root)
bench-tools:
	./scripts/setup-bench-tools.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
