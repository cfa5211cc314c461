# The two set-up commands of the README:
#   make demo   installs nngrade and grades the bundled sample class
#   make test   installs nngrade with its test extras and runs the whole suite
# Both create ./.venv (override with VENV=...) and install the system packages
# the sandbox and the browser tests need (bubblewrap, chromium) when run as root.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

system-deps:
	sh scripts/install-system-deps.sh

demo: $(BIN)/python system-deps
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/nngrade grade examples/submissions --out build/sample-class --force

test: $(BIN)/python system-deps
	$(BIN)/python -m pip install --quiet -e '.[test,nbgrader]'
	$(BIN)/python -m pytest

clean:
	rm -rf build .pytest_cache
