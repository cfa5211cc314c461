"""Hidden tests run side by side, so their calls reach the sandbox in a few batches, not one by one.

Each test runs in its own greenlet until it calls the student's code, then
waits (`SubmissionCalls.ask` switches back here). When every test is
waiting or done, the calls of all waiting tests go to the backend as one
pipelined batch (`SubmissionCalls.run_batch`), and each test resumes with
its result. A submission then costs a handful of round trips to the worker
instead of one per call (about 5 batches instead of 144 for the course's
suites), the main cost of grading once the checks themselves are cheap.

The order is fixed: tests start in collection order and every batch lists
its calls in that order, so a submission's calls reach its worker in the
same order on every run (same seed, same score). Greenlets switch only at
a call into student code. A test resumes as soon as its answer (and every
answer before it in the batch) is back, while the worker goes on with the
batch's later calls: the grader's checks overlap the student's code, and
whatever the test asks next still waits for the next batch, so the order
does not change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import greenlet

from nngrade.hidden.calls import SubmissionCalls
from nngrade.hidden.student import Request
from nngrade.records import CallResult

__all__ = ["run_side_by_side"]


def run_side_by_side(nodeids: Sequence[str], run: Callable[[int], bool],
                     calls: SubmissionCalls) -> list[tuple[bool, float]]:
    """Run ``run(i)`` for every test ``i`` side by side; ``(failed, seconds)`` per test.

    ``run(i)`` runs test ``i`` (its calls go through ``calls.ask``) and says
    whether it failed. ``seconds`` is the test's own share of the time: its
    code between calls, plus the time its own calls took in the worker.
    """
    calls.scheduler = greenlet.getcurrent()
    verdicts: dict[int, tuple[bool, float]] = {}
    spent = [0.0] * len(nodeids)
    waiting: list[tuple[int, greenlet.greenlet, Request]] = []

    def resume(index: int, test: greenlet.greenlet, result: CallResult | None) -> None:
        calls.current_test = nodeids[index]
        t0 = time.perf_counter()
        got = test.switch() if result is None else test.switch(result)
        spent[index] += time.perf_counter() - t0
        if test.dead:
            verdicts[index] = (bool(got), spent[index])
        else:
            waiting.append((index, test, got))

    try:
        for index in range(len(nodeids)):
            resume(index, greenlet.greenlet(lambda i=index: run(i)), None)
        while waiting:
            batch, waiting = waiting, []

            def arrived(i: int, result: CallResult,
                        batch: list[tuple[int, greenlet.greenlet, Request]] = batch) -> None:
                index, test, _request = batch[i]
                spent[index] += result.seconds
                resume(index, test, result)  # its next call waits for the next batch

            calls.run_batch([request for _, _, request in batch], on_result=arrived)
    finally:
        calls.scheduler = None
    return [verdicts[index] for index in range(len(nodeids))]
