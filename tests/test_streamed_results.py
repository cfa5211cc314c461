"""Answers handed on as they arrive: the grader checks one while the worker runs the next.

`Sandbox.run_batch(..., on_result=...)` calls back with each result in
order while later requests are still in the worker;
`SubmissionCalls.run_batch` turns that into exactly one call per request,
in the requests' order, whatever the backend does (calls back itself or
not, answers some requests without a round trip, stops a batch at a call
that hung and sends the rest again). Grading stays reproducible because
nothing a resumed test asks can overtake the batch it came from
(tests/test_runner.py compares the verdicts with one call at a time).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from nngrade.hidden.calls import SubmissionCalls
from nngrade.hidden.student import Request
from nngrade.records import CallResult
from nngrade.sandbox import Limits, Sandbox

MODULE = "def echo(x):\n    return x\n"


class FakeBackend:
    """Answers ``echo`` with its argument; ``hang`` times out and ends the batch."""

    def __init__(self, *, calls_back: bool) -> None:
        self.calls_back = calls_back
        self.batches: list[list[Any]] = []

    def run_batch(self, requests: Iterable[Mapping[str, Any]],
                  on_result: Callable[[int, CallResult], None] | None = None,
                  ) -> list[CallResult]:
        requests = list(requests)
        self.batches.append([r["args"][0] for r in requests])
        results = []
        for i, request in enumerate(requests):
            if request["name"] == "hang":
                result = CallResult("timeout", error="hung", seconds=request["timeout"] or 2)
            else:
                result = CallResult("ok", request["args"][0])
            results.append(result)
            if self.calls_back and on_result is not None:
                on_result(i, result)
            if result.status == "timeout":
                break
        return results


def _requests(names: list[tuple[str, str]]) -> list[Request]:
    return [Request("call", module, name, (k,)) for k, (module, name) in enumerate(names)]


@pytest.mark.parametrize("calls_back", [True, False])
def test_every_result_is_handed_on_once_in_order(calls_back: bool) -> None:
    backend = FakeBackend(calls_back=calls_back)
    calls = SubmissionCalls(backend, {"m": "ok", "broken": "SyntaxError"}, {})
    requests = _requests([("m", "echo"), ("broken", "echo"), ("m", "hang"), ("m", "echo"),
                          ("absent", "echo"), ("m", "echo")])
    handed: list[tuple[int, str]] = []
    results = calls.run_batch(requests, on_result=lambda i, r: handed.append((i, r.status)))
    assert handed == [(i, r.status) for i, r in enumerate(results)]
    assert [r.status for r in results] == ["ok", "import_error", "timeout", "ok",
                                           "missing_module", "ok"]
    # the batch stopped at the call that hung; the rest went again
    assert backend.batches == [[0, 2, 3, 5], [3, 5]]


def test_a_result_is_handed_on_before_the_batch_ends() -> None:
    backend = FakeBackend(calls_back=True)
    calls = SubmissionCalls(backend, {"m": "ok"}, {})
    seen_batches: list[int] = []
    calls.run_batch(_requests([("m", "echo")] * 3),
                    on_result=lambda i, r: seen_batches.append(len(backend.batches)))
    assert seen_batches == [1, 1, 1]


@pytest.fixture(scope="module")
def box():
    with Sandbox(Limits(call_seconds=2.0, grace_seconds=0.5)) as sandbox:
        yield sandbox


def _echo(x: Any) -> dict[str, Any]:
    return {"op": "call", "module": "m", "name": "echo", "args": (x,)}


def test_the_sandbox_hands_on_each_answer_and_does_not_charge_the_callers_time(box) -> None:
    box.load({"m": MODULE})
    handed: list[tuple[int, Any]] = []

    def slow_caller(i: int, result: CallResult) -> None:
        handed.append((i, result.value))
        if i == 0:
            time.sleep(0.4)  # the grader busy with the first answer's checks

    results = box.run_batch([_echo(k) for k in range(4)], on_result=slow_caller)
    assert [r.value for r in results] == [0, 1, 2, 3]
    assert handed == [(0, 0), (1, 1), (2, 2), (3, 3)]
    # the next call was waiting while the caller slept: that was not the student's time
    assert results[1].seconds < 0.4
    assert box.seconds_used < 0.4 + sum(r.seconds for r in results)


def test_a_caller_that_fails_mid_batch_leaves_a_sandbox_that_still_answers(box) -> None:
    box.load({"m": MODULE})

    def broken(i: int, result: CallResult) -> None:
        if i == 1:
            raise RuntimeError("the grader broke")

    with pytest.raises(RuntimeError, match="the grader broke"):
        box.run_batch([_echo(k) for k in range(5)], on_result=broken)
    again = box.run_batch([_echo("a"), _echo("b")])
    assert [r.status for r in again] == ["ok", "ok"]
    assert [r.value for r in again] == ["a", "b"]
