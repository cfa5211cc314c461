"""Grade one submission with every hidden test: load it, run the tests side by side, score.

`SuiteGrader` lives as long as a grading process and grades submission
after submission with the same collected tests and the same backend:

1. ``backend.load`` imports the submission's contract modules (in the
   sandbox: a fresh worker child), seeded for reproducibility;
2. every hidden test runs side by side (`nngrade.hidden.side_by_side`),
   its calls answered through `SubmissionCalls`; with replays on, a test
   whose recorded calls this submission answers exactly as an earlier one
   did takes that verdict instead of running (`nngrade.hidden.replay`);
3. each test's outcome becomes a `TestRecord` (`nngrade.hidden.verdicts`);
4. `nngrade.scoring.build_results` turns the records into the
   results.json document.

Verdicts are made here, in the grading process, on plain data only.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from typing import Any

from nngrade.hidden.answers import save_stores
from nngrade.hidden.backend import Backend
from nngrade.hidden.calls import SubmissionCalls
from nngrade.hidden.replay import Node, Replays, Tape, Verdict, walk
from nngrade.hidden.side_by_side import run_side_by_side
from nngrade.hidden.student import Ask, StudentModule
from nngrade.hidden.suite import HiddenTest
from nngrade.hidden.verdicts import record_of, record_replayed
from nngrade.records import Submission, TestRecord
from nngrade.rubric import Rubric
from nngrade.scoring import build_results

__all__ = ["SuiteGrader"]


class SuiteGrader:
    """Grades submissions one after another with ``tests`` on ``backend``."""

    def __init__(self, backend: Backend, tests: Sequence[HiddenTest], *, seed: int,
                 rubric: Rubric, limits: Mapping[str, float] | None = None,
                 replay: bool = True) -> None:
        self.backend = backend
        self.tests = list(tests)
        self._nodeids = [test.nodeid for test in self.tests]
        self.seed = seed
        self.rubric = rubric
        self.limits = dict(limits or {})
        # Trees of calls and answers: a test answered exactly as before reuses its verdict.
        self.replays: Replays | None = Replays() if replay else None
        # Of the submission being graded: replayed verdicts, failures, where new verdicts go.
        self._replayed: dict[int, Verdict] = {}
        self._failures: dict[int, BaseException] = {}
        self._leaves: dict[int, Node] = {}

    def grade(self, submission: Submission) -> dict[str, Any]:
        """The results.json document of ``submission`` (which must be readable)."""
        started = time.perf_counter()
        for state in (self._replayed, self._failures, self._leaves):
            state.clear()  # nothing of a submission whose grading broke off carries over
        # Import the contract's modules now (a student's helper files only when imported);
        # the worker's global random state is seeded for reproducibility.
        statuses = self.backend.load(submission.sources, submission.modules, seed=self.seed)
        load_seconds = time.perf_counter() - started
        calls = SubmissionCalls(self.backend, statuses, self.limits)
        outcomes = run_side_by_side(self._nodeids, lambda i: self.run_test(i, calls), calls)
        replayed = len(self._replayed)
        records = [self._record(i, *outcome) for i, outcome in enumerate(outcomes)]
        self.backend.end()  # the worker cleans up while the results are written
        timing = {
            "worker_start": round(load_seconds, 4),
            "student_calls": round(calls.call_seconds, 4),
            "reference_and_checks": round(
                max(0.0, time.perf_counter() - started - load_seconds - calls.call_seconds), 4),
            # Tests whose verdict was reused: this submission answered them exactly as
            # an earlier one did (`nngrade.hidden.replay`); their calls still ran.
            "tests_replayed": replayed,
        }
        results = build_results(submission, records, statuses, rubric=self.rubric,
                                seed=self.seed, protections=dict(self.backend.protections),
                                limits_hit=calls.limits_hit, timing=timing,
                                execution_time=time.perf_counter() - started)
        # The reference's answers for the next cold process (a new seed's; a few ms, once).
        save_stores()
        return results

    def run_test(self, index: int, calls: SubmissionCalls) -> bool:
        """Run test ``index`` on the current submission (in its greenlet); True if it failed.

        With replays, the test's tree is walked first: each recorded call is
        sent to the worker, and answers that lead to a verdict settle the
        test without running it. At the first new answer the test runs, with
        the answers so far handed back (`Tape`), and its verdict is recorded.
        """
        test = self.tests[index]
        root = self.replays.root(test.nodeid) if self.replays is not None else None
        if self.replays is None or root is None:
            if self.replays is not None:
                self.replays.stats["ran"] += 1
            return self._run(index, calls.ask)
        verdict, handed = walk(root, calls.ask)
        if verdict is not None:
            self.replays.stats["replayed"] += 1
            self._replayed[index] = verdict
            return not verdict.passed
        self.replays.stats["ran"] += 1
        tape = Tape(calls.ask, calls.encode, self.replays, test.nodeid, root, handed)
        failed = self._run(index, tape.ask)
        leaf = tape.leaf()
        if leaf is not None:
            self._leaves[index] = leaf
        return failed

    def _run(self, index: int, ask: Ask) -> bool:
        """Call the test function; True when it failed (its exception is kept for the record)."""
        test = self.tests[index]
        try:
            test(StudentModule(ask, test.module), self.seed)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - any failure is a verdict
            self._failures[index] = exc
            return True
        return False

    def _record(self, index: int, failed: bool, seconds: float) -> TestRecord:
        test = self.tests[index]
        replayed = self._replayed.pop(index, None)
        if replayed is not None:
            return record_replayed(test, replayed, seconds)
        record = record_of(test, self._failures.pop(index, None) if failed else None, seconds)
        leaf = self._leaves.pop(index, None)
        # A hidden test that broke may have met something passing (memory): never kept.
        if leaf is not None and self.replays is not None and \
                record.feedback.get("kind") != "grader_error":
            kept = {k: copy.deepcopy(v) for k, v in record.feedback.items() if k != "seconds"}
            self.replays.set_verdict(leaf, Verdict(record.passed, kept, record.output))
        return record

