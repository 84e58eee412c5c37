# pvz-planner: the two commands are `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_N ?= 10000

.PHONY: run test test-fast lint bench venv clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

## run: set up, seed a demo network, check demo candidates against it and print a summary
run: venv
	mkdir -p var
	$(BIN)/pvz demo -o var/demo_points.csv --n $(DEMO_N) --seed 42
	$(BIN)/pvz demo-candidates var/demo_points.csv -o var/demo_candidates.csv --n 1000 --seed 7
	$(BIN)/pvz check var/demo_points.csv var/demo_candidates.csv -o var/demo_check.csv
	$(BIN)/pvz audit var/demo_points.csv -o var/demo_audit.csv

## test: set up with dev extras, lint, type-check, run every test
test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2

## test-fast: the quick subset for local work
test-fast: venv
	$(BIN)/pytest -q -m "not slow" -n 2

bench: venv
	$(BIN)/python bench/protection.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
