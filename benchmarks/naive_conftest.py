"""The naive harness's conftest: what a TA would write to run the hidden suites with plain pytest.

benchmarks/bench_grade.py copies the hidden suites next to this file (as
``conftest.py``) and runs one plain ``pytest`` process per submission, with
third-party plugins off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``) and no
sandbox: the submission's modules are imported into the pytest process from
the folder in ``$NAIVE_SUBMISSION``, and the hidden tests get their
``student`` and ``rng`` from the fixtures below, built from nngrade's own
pieces (the `StudentModule` proxy over the in-process backend, the seeded
generator), so they run unchanged. This is the reference workload of the
grading benchmark, not a way to grade: student code runs unconfined here.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import numpy as np
import pytest

from nngrade.contract import MODULES
from nngrade.hidden.inprocess import InProcessBackend
from nngrade.hidden.student import Request, StudentModule
from nngrade.hidden.suite import seeded_rng
from nngrade.records import CallResult

FOLDER = os.environ["NAIVE_SUBMISSION"]
SEED = int(os.environ.get("NAIVE_SEED", "1"))
CALL_SECONDS = float(os.environ.get("NAIVE_CALL_SECONDS", "2.0"))

sys.path.insert(0, FOLDER)
_modules: dict[str, Any] = {}
for _name in MODULES:
    if os.path.exists(os.path.join(FOLDER, f"{_name}.py")):
        try:
            _modules[_name] = importlib.import_module(_name)
        except Exception:  # a module that does not import scores nothing
            pass
BACKEND = InProcessBackend(_modules, timeout=CALL_SECONDS)


def _ask(request: Request) -> CallResult:
    return BACKEND.run_batch([{**request.message(), "timeout": request.timeout}])[0]


@pytest.fixture
def student(request: pytest.FixtureRequest) -> StudentModule:
    return StudentModule(_ask, request.node.get_closest_marker("contract").args[0])


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    return seeded_rng(SEED, request.node.nodeid)
