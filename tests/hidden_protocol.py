"""The equivalence reference of the grading loop: the hidden suites run the way pytest runs tests.

Production (`nngrade.hidden`) calls each hidden test function itself, side
by side in greenlets, its calls batched, and reuses verdicts for answers an
earlier submission gave (replays). None of that may change a verdict. This
plugin grades the same submissions the plainest way: pytest's own run-test
protocol, one test at a time, with real ``student`` and ``rng`` fixtures,
each call sent to the backend on its own. tests/test_runner.py grades the
sample class both ways and requires the same verdicts.

Only the comparison is shared with production (`SubmissionCalls` for the
per-submission limits, `record_of` for a test's record, `build_results`):
what production does differently, this does not.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from _pytest.runner import runtestprotocol

from nngrade.hidden.backend import Backend
from nngrade.hidden.calls import SubmissionCalls
from nngrade.hidden.student import Request, StudentModule
from nngrade.hidden.suite import SUITES_DIR, hidden_test_of, pytest_args, seeded_rng
from nngrade.hidden.verdicts import record_of
from nngrade.records import CallResult, Submission
from nngrade.rubric import Rubric
from nngrade.scoring import build_results


class ProtocolReference:
    """A pytest plugin: grades ``submissions`` with the collected suites, one test at a time."""

    def __init__(self, backend: Backend, submissions: Sequence[Submission], *, seed: int,
                 rubric: Rubric, limits: Mapping[str, float] | None = None) -> None:
        self.backend = backend
        self.submissions = submissions
        self.seed = seed
        self.rubric = rubric
        self.limits = dict(limits or {})
        self.calls: SubmissionCalls | None = None
        self.failures: dict[str, BaseException] = {}
        self.results: dict[str, dict[str, Any]] = {}

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> StudentModule:
        """The student's module named by the test's contract marker; each call on its own."""
        marker = request.node.get_closest_marker("contract")
        return StudentModule(self._ask, marker.args[0])

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        """The test's inputs, from the run's seed and the test's id."""
        return seeded_rng(self.seed, request.node.nodeid)

    def _ask(self, request: Request) -> CallResult:
        assert self.calls is not None
        request.test = self.calls.current_test
        return self.calls.run_batch([request])[0]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        if call.excinfo is not None and call.when in ("setup", "call"):
            self.failures.setdefault(item.nodeid, call.excinfo.value)
        yield

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        items = session.items
        tests = [hidden_test_of(item) for item in items]
        for submission in self.submissions:
            started = time.perf_counter()
            statuses = self.backend.load(submission.sources, submission.modules, seed=self.seed)
            self.calls = SubmissionCalls(self.backend, statuses, self.limits)
            records = []
            for index, (item, test) in enumerate(zip(items, tests, strict=True)):
                self.calls.current_test = item.nodeid
                t0 = time.perf_counter()
                nextitem = items[index + 1] if index + 1 < len(items) else None
                reports = runtestprotocol(item, log=False, nextitem=nextitem)
                failed = any(report.failed for report in reports)
                exc = self.failures.pop(item.nodeid, None)
                records.append(record_of(test, exc if failed else None,
                                         time.perf_counter() - t0))
            self.backend.end()
            self.results[submission.student] = build_results(
                submission, records, statuses, rubric=self.rubric, seed=self.seed,
                protections=dict(self.backend.protections), limits_hit=self.calls.limits_hit,
                timing={}, execution_time=time.perf_counter() - started)
        return True


def grade_through_protocol(backend: Backend, submissions: Sequence[Submission], *, seed: int,
                           rubric: Rubric) -> dict[str, dict[str, Any]]:
    """Results of ``submissions`` by student, graded through pytest's protocol in this process."""
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    reference = ProtocolReference(backend, submissions, seed=seed, rubric=rubric)
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        code = pytest.main(pytest_args(SUITES_DIR), plugins=[reference])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the reference session failed ({code}):\n{chatter.getvalue()[-4000:]}")
    return reference.results
