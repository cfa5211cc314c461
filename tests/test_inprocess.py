"""The in-process backend (nbgrader kernels) behaves as the sandbox does, method for method.

The grader never asks which backend it has, so `InProcessBackend` must
answer like `nngrade.sandbox.Sandbox`: the same encoded requests, the same
`CallResult` fields filled by the backend itself (``error_type`` included),
a batch that ends at a call that ran out of time, arguments decoded afresh
for every call. The sandbox side runs without bubblewrap where it is
missing; the comparison is about results, not confinement.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nngrade.hidden.inprocess import InProcessBackend, grade_in_process
from nngrade.records import CallResult
from nngrade.sandbox import Fn, Limits, Rng, Sandbox

SOURCE = '''
import numpy as np
import warnings


def double(x):
    return 2 * np.asarray(x)


def pick(rng, n):
    return rng.random(n)


def apply(f, x):
    return f(x)


def mutate(x):
    x[0] = 99.0
    return float(np.sum(x))


def picky(x):
    if x < 0:
        raise ValueError("negative")
    return x


def todo(x):
    raise NotImplementedError("write me")


def noisy(z):
    warnings.warn("careful", RuntimeWarning)
    return np.exp(z)


def spin(x):
    while True:
        pass
'''

CALLS: list[tuple[str, tuple, dict]] = [
    ("double", (np.arange(3.0),), {}),
    ("pick", (Rng(5), 3), {}),
    ("apply", (Fn("quadratic", {"a": 2.0}), np.array([1.0, 3.0])), {}),
    ("mutate", (np.ones(3),), {}),
    ("picky", (-1.0,), {}),
    ("todo", (1.0,), {}),
    ("noisy", (np.array([1.0]),), {}),
    ("nothing_here", (1,), {}),
]


def _namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "activations"}
    exec(compile(SOURCE, "activations.py", "exec"), namespace)  # noqa: S102 - our own source
    return namespace


def _requests() -> list[dict[str, Any]]:
    return [{"op": "call", "module": "activations", "name": name, "args": args,
             "kwargs": kwargs} for name, args, kwargs in CALLS]


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with Sandbox(Limits(call_seconds=2.0)) as box:
        box.load({"activations": SOURCE})
        yield box


def _same(a: CallResult, b: CallResult) -> None:
    assert (a.status, a.error_type, a.warnings, a.limit) == (b.status, b.error_type,
                                                             b.warnings, b.limit)
    if isinstance(a.value, np.ndarray):
        assert a.value.dtype == b.value.dtype and np.array_equal(a.value, b.value)
    else:
        assert a.value == b.value or (isinstance(a.value, float) and math.isnan(a.value))


def test_requests_are_encoded_exactly_as_the_sandbox_encodes_them(sandbox: Sandbox) -> None:
    backend = InProcessBackend({"activations": _namespace()})
    for request in _requests():
        assert backend.encode_request(request) == sandbox.encode_request(request)
    drive = {"op": "drive", "driver": "script", "params": {"steps": [1.5, Rng(3)]}}
    assert backend.encode_request(drive) == sandbox.encode_request(drive)


def test_results_are_the_sandboxs_field_for_field(sandbox: Sandbox) -> None:
    backend = InProcessBackend({"activations": _namespace()})
    requests = _requests()
    in_process = backend.run_batch(requests)
    confined = sandbox.run_batch(requests)
    assert len(in_process) == len(confined) == len(requests)
    for a, b in zip(in_process, confined, strict=True):
        _same(a, b)
    by_name = {r["name"]: res for r, res in zip(requests, in_process, strict=True)}
    assert by_name["picky"].error_type == "ValueError"
    assert by_name["todo"].status == "not_implemented"
    assert by_name["todo"].error_type == "NotImplementedError"
    assert by_name["mutate"].value == 101.0  # a fresh copy of the argument each call
    assert by_name["nothing_here"].status == "missing_name"


def test_an_encoded_request_runs_the_same_call(sandbox: Sandbox) -> None:
    backend = InProcessBackend({"activations": _namespace()})
    for request in _requests():
        direct = backend.run_batch([request])[0]
        encoded = backend.run_batch([{"body": backend.encode_request(request)}])[0]
        _same(direct, encoded)


def test_a_call_that_runs_out_of_time_ends_the_batch() -> None:
    backend = InProcessBackend({"activations": _namespace()})
    spin = {"op": "call", "module": "activations", "name": "spin", "args": (1,),
            "kwargs": {}, "timeout": 0.2}
    after = {"op": "call", "module": "activations", "name": "double", "args": (1.0,),
             "kwargs": {}}
    results = backend.run_batch([after, spin, after])
    assert [r.status for r in results] == ["ok", "timeout"]
    assert "0.2 s" in results[1].error and results[1].seconds >= 0.2
    assert backend.run_batch([after])[0].value == 2.0  # and the next batch runs normally


def test_a_missing_module_is_missing() -> None:
    backend = InProcessBackend({})
    (result,) = backend.run_batch([{"op": "call", "module": "losses", "name": "mse",
                                    "args": (), "kwargs": {}}])
    assert result.status == "missing_module"
    assert backend.load({}, None, seed=1) == {} and backend.protections == {"sandbox": False}


def test_grade_in_process_grades_a_kernels_namespace(tmp_path: Path) -> None:
    solutions = Path(__file__).resolve().parents[1] / "solutions" / "activations.py"
    namespace: dict[str, Any] = {"__name__": "activations"}
    exec(compile(solutions.read_text(), "activations.py", "exec"), namespace)  # noqa: S102
    results = grade_in_process({"activations": namespace}, seed=3, modules=["activations"])
    module = results["nngrade"]["modules"]["activations"]
    assert module["score"] == module["max_score"] > 0
    assert {t["tags"][0] for t in results["tests"]} == {"activations"}
    assert results["nngrade"]["protections"] == {"sandbox": False}


# Issue 13 item 4: the in-process backend over source texts (`SourceBackend`, the audit's)
# imports a submission's modules the way the sandbox does, so that every import form the
# contract allows between them works there too.
IMPORT_FORMS = {
    "plain": "from activations import sigmoid as _sibling",
    "relative": "from .activations import sigmoid as _sibling",
    "package": "from exercises.activations import sigmoid as _sibling",
    "package_module": "from exercises import activations as _pkg\n_sibling = _pkg.sigmoid",
}
SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def _sources(extra: str = "") -> dict[str, str]:
    sources = {m: (SOLUTIONS / f"{m}.py").read_text(encoding="utf-8")
               for m in ("activations", "losses")}
    # losses.py borrows from activations.py at import time and again when a function runs
    sources["losses"] += (f"\n{extra}\n\n\ndef _late():\n    from .activations import relu\n"
                          "    return relu\n") if extra else ""
    return sources


@pytest.mark.parametrize("form", sorted(IMPORT_FORMS))
def test_every_import_form_between_modules_works_in_process(form: str) -> None:
    import sys

    from nngrade.hidden.grader import SuiteGrader
    from nngrade.hidden.inprocess import SourceBackend
    from nngrade.hidden.suite import collect
    from nngrade.records import Submission
    from nngrade.rubric import load_rubric

    meta_path = list(sys.meta_path)
    backend = SourceBackend(timeout=5.0)
    grader = SuiteGrader(backend, collect(modules=["activations", "losses"]), seed=3,
                         rubric=load_rubric(), replay=False)
    # The honest student and the one whose modules import each other, in one batch.
    honest = grader.grade(Submission("honest", _sources()))
    importing = grader.grade(Submission(form, _sources(IMPORT_FORMS[form])))
    for results in (honest, importing):
        modules = results["nngrade"]["modules"]
        for name in ("activations", "losses"):
            assert modules[name]["score"] == modules[name]["max_score"] > 0, modules[name]
    # The submission's modules leave with it: nothing stays in this process.
    assert sys.meta_path == meta_path
    assert not {"activations", "losses", "exercises"} & set(sys.modules)


def test_a_call_time_relative_import_finds_its_sibling() -> None:
    from nngrade.hidden.inprocess import SourceBackend

    backend = SourceBackend(timeout=5.0)
    statuses = backend.load(_sources(IMPORT_FORMS["relative"]))
    assert statuses == {"activations": "ok", "losses": "ok"}
    result = backend.call("losses", "_late")
    assert result.status == "ok"  # relu crossed as an Opaque: it was found
    broken = backend.load({"losses": "from .activations import sigmoid\n"})
    assert "No module named" in broken["losses"]  # no activations.py: told, not crashed
    backend.end()
