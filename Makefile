# The two set-up commands of the README:
#   make demo   installs nngrade and grades the bundled sample class
#   make test   installs nngrade with its test extras, runs the gate (make lint) and
#               then the whole suite
#   make lint   the gate alone: ruff and mypy (config in pyproject.toml), failing on
#               any finding
# All create ./.venv (override with VENV=...); demo and test install the system
# packages the sandbox and the browser tests need (bubblewrap, chromium) when run
# as root.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test lint test-deps system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

system-deps:
	sh scripts/install-system-deps.sh

demo: $(BIN)/python system-deps
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/nngrade grade examples/submissions --out build/sample-class --force

test-deps: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,nbgrader]'

lint: test-deps
	$(BIN)/ruff check .
	$(BIN)/mypy

test: system-deps lint
	$(BIN)/python -m pytest

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
