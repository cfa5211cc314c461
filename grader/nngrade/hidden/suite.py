"""The hidden suites, collected once by pytest and kept as `HiddenTest`s the grader calls directly.

The suites (``grader/nngrade/suites/test_<module>.py``) are ordinary pytest
modules: ``@pytest.mark.contract(module, name, weight=...)`` says what a
test grades, a docstring's first line is its title, and
``@pytest.mark.parametrize`` may multiply it. pytest does what it is good
at, once per grading process: finding the tests, importing their modules
(assertion rewriting included) and expanding parameters (`collect`). Then
its job is done. Running pytest's per-test protocol (hooks, fixture
requests, reports) for each of a class's hundreds of submissions would
cost more than the tests, so the grader calls each test function itself
(`HiddenTest.__call__`).

That call is also what gives a test its arguments; there are no fixtures:

- ``student``: the student's module named by the contract marker, a
  `nngrade.hidden.student.StudentModule` whose calls go to the sandbox;
- ``rng``: a ``numpy.random.Generator`` seeded from the run's seed and the
  test's id only (`seeded_rng`), so the same seed draws the same inputs for
  every submission, in every run;
- the test's ``parametrize`` values.

A test that asks for anything else is refused when the suites are collected,
and so is a test without a docstring (its first line is the title a student
reads) and a suite file that breaks a rule its source shows
(`nngrade.hidden.rules`: a bare ``assert``, an unknown mistake code, draws
from a global random state). docs/writing-hidden-tests.md is the guide.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import sys
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pytest

from nngrade.hidden import rules

__all__ = [
    "ARGUMENTS",
    "COLLECTING_CODE",
    "SUITES_DIR",
    "HiddenTest",
    "SuiteError",
    "collect",
    "hidden_test_of",
    "pytest_args",
    "seeded_rng",
]

SUITES_DIR = Path(__file__).resolve().parents[1] / "suites"
ARGUMENTS = frozenset({"student", "rng"})  # besides its parametrize arguments
# The files a collection depends on besides the suites (the collection memo's key): this
# one, and the rules a pytest collection checks (a recalled collection skips them).
COLLECTING_CODE = (Path(__file__), *rules.SOURCES)


class SuiteError(RuntimeError):
    """The hidden suites cannot be collected (a grader bug, never a student's fault)."""


@dataclass(frozen=True)
class HiddenTest:
    """One collected hidden test: what it grades, and the function to call for a submission."""

    nodeid: str
    module: str  # the contract module and name it grades
    name: str
    weight: float  # its share of the name's points
    title: str
    function: Callable[..., Any]
    arguments: tuple[str, ...]  # the function's arguments, in order
    params: Mapping[str, Any]  # values of its parametrize arguments

    def __call__(self, student: Any, seed: int) -> None:
        """Run the test on ``student``, with its inputs drawn from ``seed``; raises if it fails."""
        kwargs = dict(self.params)
        if "student" in self.arguments:
            kwargs["student"] = student
        if "rng" in self.arguments:
            kwargs["rng"] = seeded_rng(seed, self.nodeid)
        self.function(**kwargs)


_SEED_SEQUENCES: dict[tuple[int, str], np.random.SeedSequence] = {}


def seeded_rng(seed: int, nodeid: str) -> np.random.Generator:
    """The random inputs of one hidden test: a function of the run's seed and the test's id only.

    ``numpy.random.default_rng([seed, crc32(nodeid)])``, built from a kept
    SeedSequence: hashing the entropy costs more than many a test, and every
    submission of a batch asks for the same generators.
    """
    sequence = _SEED_SEQUENCES.get((seed, nodeid))
    if sequence is None:
        sequence = np.random.SeedSequence([seed, zlib.crc32(nodeid.encode())])
        _SEED_SEQUENCES[(seed, nodeid)] = sequence
    return np.random.Generator(np.random.PCG64(sequence))


def pytest_args(suites_dir: Path = SUITES_DIR) -> list[str]:
    """Arguments for a quiet, isolated session (no project config, no stray plugins)."""
    return [
        str(suites_dir),
        "-c", str(suites_dir / "grading.ini"),
        "--rootdir", str(suites_dir),
        "--import-mode=importlib",
        "-p", "no:cacheprovider",
        "-p", "no:warnings",
        "-p", "no:logging",
        "-p", "no:stepwise",
        "-s",
        "-qq",
        "--no-header",
        "-o", "console_output_style=classic",
    ]


def collect(suites_dir: Path = SUITES_DIR,
            modules: Collection[str] | None = None) -> list[HiddenTest]:
    """The hidden tests of ``suites_dir`` in collection order (only ``modules``' when given).

    Raises `SuiteError` when a suite does not import, a test has no
    contract marker or docstring or asks for an argument the grader does not
    give, or a suite file breaks a rule of `nngrade.hidden.rules`.
    pytest imports a suite module once per process, under its file name:
    collecting the same folder again (an nbgrader kernel grading cell after
    cell) reuses the modules; a module of that name from another folder is
    forgotten first (`_forget_other_folders`), or pytest would hand back its
    functions and their module state.

    What pytest collected is remembered (`nngrade.hidden.collection_memo`)
    while no file of the folder changes: a cold grading process then imports
    the suite modules and takes the tests by name, without a pytest session.
    """
    from nngrade.hidden import collection_memo

    code = COLLECTING_CODE
    recalled = collection_memo.recall(suites_dir, code)
    if recalled is not None:
        tests = [HiddenTest(**facts) for facts in recalled]
    else:
        tests = _collect_with_pytest(suites_dir)
        collection_memo.remember(suites_dir, tests, code)
    wanted = None if modules is None else set(modules)
    return [test for test in tests if wanted is None or test.module in wanted]


def _collect_with_pytest(suites_dir: Path) -> list[HiddenTest]:
    """Every hidden test of ``suites_dir``, collected by a quiet pytest session."""
    import pytest  # here: a grading process that recalls its collection never imports it

    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    _forget_other_folders(suites_dir)
    collector = _Collector(None)
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        code = pytest.main([*pytest_args(suites_dir), "--collect-only"], plugins=[collector])
    if collector.problems or code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        detail = "\n".join(collector.problems) or chatter.getvalue()[-4000:]
        raise SuiteError(f"the hidden suites in {suites_dir} could not be collected "
                         f"(pytest exit {code}):\n{detail}")
    return collector.tests


def _forget_other_folders(suites_dir: Path) -> None:
    """Drop from ``sys.modules`` the modules named like a suite file of ``suites_dir`` that
    were imported from somewhere else (pytest's importlib mode returns whatever module
    holds the name, so an instructor's two suite folders would share one module)."""
    here = suites_dir.resolve()
    for path in suites_dir.glob("*.py"):
        found = sys.modules.get(path.stem)
        file = getattr(found, "__file__", None)
        if found is not None and (not file or Path(file).resolve().parent != here):
            del sys.modules[path.stem]


class _Collector:
    """A pytest plugin that turns the collected items into `HiddenTest`s."""

    def __init__(self, modules: Collection[str] | None) -> None:
        self.modules = None if modules is None else set(modules)
        self.tests: list[HiddenTest] = []
        self.problems: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.problems.append(str(report.longrepr))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for path in dict.fromkeys(item.path for item in items):
            self.problems.extend(rules.problems(path))
        for item in items:
            try:
                test = hidden_test_of(item)
            except SuiteError as exc:
                self.problems.append(str(exc))
                continue
            if self.modules is None or test.module in self.modules:
                self.tests.append(test)


def hidden_test_of(item: pytest.Item) -> HiddenTest:
    """What the grader keeps of a collected item; `SuiteError` if it is no valid hidden test."""
    marker = item.get_closest_marker("contract")
    if marker is None or len(marker.args) != 2:
        raise SuiteError(f"hidden test {item.nodeid} needs @pytest.mark.contract(module, name)")
    import pytest

    if not isinstance(item, pytest.Function):
        raise SuiteError(f"hidden test {item.nodeid} is not a test function")
    callspec = getattr(item, "callspec", None)
    params = dict(callspec.params) if callspec is not None else {}
    arguments = tuple(
        p.name for p in inspect.signature(item.obj).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )
    # The function's arguments, and fixtures it would get without asking (autouse,
    # usefixtures), which a direct call could not give it.
    wanted = set(arguments) | set(item._fixtureinfo.initialnames)
    unknown = sorted(wanted - ARGUMENTS - set(params))
    if unknown:
        raise SuiteError(f"hidden test {item.nodeid} asks for {', '.join(unknown)}: a hidden "
                         f"test may take only `student`, `rng` and its parametrize arguments")
    doc = (item.obj.__doc__ or "").strip().splitlines()
    if not doc or not doc[0].strip():
        raise SuiteError(f"hidden test {item.nodeid} has no docstring: its first line is the "
                         f"title students read (and suites/titles.toml translates)")
    title = doc[0].strip()
    return HiddenTest(
        nodeid=item.nodeid,
        module=str(marker.args[0]),
        name=str(marker.args[1]),
        weight=float(marker.kwargs.get("weight", 1.0)),
        title=title,
        function=item.obj,
        arguments=arguments,
        params={k: v for k, v in params.items() if k in arguments},
    )
