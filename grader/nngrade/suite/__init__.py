"""What a hidden test imports: the public surface for instructors writing hidden suites.

A hidden test (``grader/nngrade/suites/test_<module>.py``) needs the
student's answer, the reference's, a way to compare them that tells the
student what went wrong, and inputs that separate right from wrong under
every seed. Everything it needs is here, so writing one does not mean
learning the grader's machinery (greenlets, replays, the answer memo, the
sandbox's wire format)::

    import pytest

    from nngrade.suite import Mistake, expect_close, inputs, reference

    ref = reference("activations")


    @pytest.mark.contract("activations", "relu_prime")
    def test_relu_prime_at_zero(student, rng):
        \"\"\"relu_prime(0) == 0, for exact zeros in an array\"\"\"
        z = inputs.mixed_signs(rng.normal(size=inputs.shape(rng, min_size=3)), zero=True)
        expect_close(student.relu_prime(z), ref.relu_prime(z),
                     mistakes=[Mistake("relu_prime_one_at_zero", (z >= 0).astype(float))])

The rules (docs/writing-hidden-tests.md explains each, with a worked
example): a test takes only ``student``, ``rng`` and its ``parametrize``
arguments; it is marked ``@pytest.mark.contract(module, name, weight=...)``;
its docstring's first line is its title (translated in
``suites/titles.toml``); it fails only through the expectations below (no
bare ``assert``); its inputs depend only on ``rng`` and its parameters;
mistake codes come from `MISTAKE_CODES`. Collection refuses a suite that
breaks a rule it can see (`nngrade.hidden.rules`).

What is here:

- expectations (`expect_close`, `expect_equal`, `expect_true`,
  `expect_dtype`, `expect_tuple`, `expect_no_warnings`,
  `expect_value_error`, `expect_raises_value_error`, `driver_facts`,
  `fail`, `failure`): ``call=`` is filled in with the test's latest
  student call;
- `reference`: the course's reference module, each answer remembered;
- `Mistake` and `MISTAKE_CODES`: naming the classic mistake a wrong value
  comes from;
- `msg`, `Message`, `what_named`: student-visible text by catalog id
  (English and Chinese, ``nngrade/catalogs``);
- `Feedback`: the failure type, to catch and re-raise with a picture;
  `LazyText`: a text (a call's description) made only if a failure shows it;
- figures: `regions_figure`, `fit_figure`, `figure_data`, `figure_numbers`,
  `FIGURE_CELLS`;
- values that cross into the sandbox: `Fn` (a trusted function by name),
  `Rng` (a seeded generator built in the worker), `Opaque` (an object of the
  student's, as it comes back);
- `inputs`: the shared input helpers (shapes, mixed signs with exact zeros,
  large values, labels at the boundary, non-separable functions...).

Never shipped to students (`nngrade release` keeps grader modules out).
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar, cast

from nngrade.feedback import (
    FIGURE_CELLS,
    Feedback,
    LazyText,
    Mistake,
    figure_data,
    figure_numbers,
    what_named,
)
from nngrade.hidden.answers import AnswerStore, remembered
from nngrade.hidden.pictures import fit_figure, regions_figure
from nngrade.messages import Message, msg
from nngrade.mistakes import CODES as MISTAKE_CODES
from nngrade.suite import inputs
from nngrade.suite.expect import (
    current_call,
    driver_facts,
    expect_close,
    expect_declared_default,
    expect_dtype,
    expect_equal,
    expect_no_warnings,
    expect_raises_value_error,
    expect_true,
    expect_tuple,
    expect_value_error,
    fail,
    failure,
)
from nngrade.worker.protocol import Fn, Opaque, Rng

__all__ = [
    "FIGURE_CELLS",
    "MISTAKE_CODES",
    "Feedback",
    "Fn",
    "LazyText",
    "Message",
    "Mistake",
    "Opaque",
    "Rng",
    "current_call",
    "driver_facts",
    "expect_close",
    "expect_declared_default",
    "expect_dtype",
    "expect_equal",
    "expect_no_warnings",
    "expect_raises_value_error",
    "expect_true",
    "expect_tuple",
    "expect_value_error",
    "fail",
    "failure",
    "figure_data",
    "figure_numbers",
    "fit_figure",
    "inputs",
    "kept",
    "msg",
    "reference",
    "regions_figure",
    "what_named",
]

REFERENCE_PACKAGE = "nngrade.reference.course"


@cache
def _remembered(name: str) -> Any:
    return remembered(importlib.import_module(f"{REFERENCE_PACKAGE}.{name}"), _reference_store())


T = TypeVar("T")


def kept(name: str, compute: Callable[[], T], *, source: str | Path) -> T:
    """``compute()``, computed once for every grading process, not once in each.

    For what costs a cold grading process real time and is the same for every
    submission and every seed, such as a descent continued from the
    reference's own start (never for a student's numbers, which another
    submission never asks for): the answer is kept in the reference's answer
    store (`nngrade.hidden.answers.AnswerStore`) under ``name`` and the bytes
    of ``source``, the suite file whose code computes it (pass ``__file__``),
    so an edited suite computes it again. Plain data only; each call gets a
    private copy.
    """
    return cast("T", _reference_store().kept(_kept_key(name, str(source)), compute))


@cache
def _kept_key(name: str, source: str) -> bytes:
    digest = hashlib.blake2b(Path(source).read_bytes(), digest_size=20).hexdigest()
    return f"nngrade.suite.kept\0{digest}\0{name}".encode()


@cache
def _reference_store() -> AnswerStore:
    """The course reference's answers on disk, beside its bytecode (`AnswerStore`): keyed by
    every source of the reference package and the trusted functions an `Fn` names."""
    import nngrade.reference
    import nngrade.worker.functions
    import nngrade.worker.protocol

    package = Path(nngrade.reference.__file__).resolve().parent
    sources = [*sorted(package.rglob("*.py")), Path(nngrade.worker.functions.__file__),
               Path(nngrade.worker.protocol.__file__)]
    course = package / "course"
    return AnswerStore(course / "__pycache__" / "nngrade-answers.pickle", sources)


def reference(module: str | ModuleType, *, remember: bool = True) -> Any:
    """The reference implementation of contract module ``module`` (``"activations"``), with
    every answer remembered: inputs depend only on the seed and the test's id, so a class's
    submissions all ask the same questions and each answer is computed once per process.

    Call it once, at the top of the suite (``ref = reference("activations")``); the same
    module always gives the same object. Classes and constants pass through unchanged.
    ``remember=False`` gives the plain module, for calls whose arguments never repeat (a
    descent's every step): remembering them would only fill the memo.
    """
    if isinstance(module, ModuleType):
        if not remember:
            return module
        return _remembered(module.__name__.rsplit(".", 1)[-1]) \
            if module.__name__.startswith(f"{REFERENCE_PACKAGE}.") else remembered(module)
    if not remember:
        return importlib.import_module(f"{REFERENCE_PACKAGE}.{module}")
    return _remembered(module)
