"""One submission's calls into its student code: where every hidden test's request goes.

`SubmissionCalls` is the single place a `Request` leaves the grader for the
backend (the sandbox, or the in-process backend of an nbgrader kernel). It
owns what the hidden tests must not each decide for themselves:

- calls into a module that is missing or did not import are answered at
  once (``missing_module`` / ``import_error``), without a round trip;
- once the submission has used up its total time, every call is answered
  ``timeout`` at once;
- a function that already ran out of time once is most likely stuck in a
  loop, so its later calls get `REPEAT_TIMEOUT` instead of the full limit
  (one endless loop cannot eat the submission's budget);
- the time spent waiting for student code and the limits hit are counted
  for the submission's results.

Tests run side by side (`nngrade.hidden.side_by_side`): a test's `ask`
parks it and hands the request to the scheduler, which sends the requests
of all waiting tests as one `run_batch`. Nothing here looks at student
values: results come back as `CallResult`s of plain data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import cast

import greenlet

from nngrade.hidden.backend import Backend
from nngrade.hidden.student import Request
from nngrade.records import CallResult

__all__ = ["SubmissionCalls"]


class SubmissionCalls:
    """The calls of the submission being graded: batches, short cuts, timers and limits hit."""

    # A function that already ran out of time once in this submission is most
    # likely stuck in a loop; its later calls get this many seconds instead of
    # the full limit, so one endless loop cannot eat the submission's budget.
    REPEAT_TIMEOUT = 0.5

    def __init__(self, backend: Backend, statuses: Mapping[str, str],
                 limits: Mapping[str, float]) -> None:
        self.backend = backend
        self.statuses = dict(statuses)  # module -> "ok" | why it did not import
        self.limits = limits
        self.scheduler: greenlet.greenlet | None = None  # set while tests run side by side
        self.current_test = ""  # the nodeid whose call is being answered (for limits_hit)
        self.call_seconds = 0.0
        self.limits_hit: list[dict[str, str]] = []
        self.deadline = time.monotonic() + limits.get("submission_seconds", 300.0)
        self.timed_out: set[tuple[str, str]] = set()

    def ask(self, request: Request) -> CallResult:
        """What one call of the running test gave: answered now, or with the next batch.

        Called from a test's greenlet: the test waits while the scheduler sends
        this request together with those of the other waiting tests.
        """
        early = self._short_circuit(request.module)
        if early is not None:
            return early
        if self.scheduler is None or greenlet.getcurrent() is self.scheduler:
            raise RuntimeError("student calls are answered only while tests run side by side")
        request.test = self.current_test
        result: CallResult = self.scheduler.switch(request)
        return result

    def encode(self, request: Request) -> None:
        """Encode ``request`` once, as the backend would send it (a replay tree keeps this)."""
        if request.body is None:
            request.body = self.backend.encode_request(request.message())

    def run_batch(self, requests: list[Request],
                  on_result: Callable[[int, CallResult], None] | None = None,
                  ) -> list[CallResult]:
        """The results of ``requests``, sent to the backend in as few batches as possible.

        A batch stops at the first call that fails (its worker is replaced);
        the rest go again, each with the limit it has now: a function that
        just hung gets `REPEAT_TIMEOUT`, as it would one call at a time.

        ``on_result(i, result)`` is called once per request, in the requests'
        order, as soon as its result and those of every request before it are
        known: the caller can go on with request ``i``'s test while the
        worker runs the calls behind it. The order is what keeps grading
        reproducible: whatever the caller asks next comes after this batch.
        """
        results: list[CallResult | None] = [None] * len(requests)
        delivered = 0  # results[:delivered] were handed to on_result

        def deliver() -> None:
            nonlocal delivered
            while delivered < len(requests) and results[delivered] is not None:
                index, delivered = delivered, delivered + 1
                if on_result is not None:
                    on_result(index, cast(CallResult, results[index]))

        todo = list(range(len(requests)))
        while todo:
            sendable = []
            for i in todo:
                early = self._short_circuit(requests[i].module)
                if early is not None:
                    results[i] = early
                else:
                    sendable.append(i)
            if not sendable:
                break
            batch = []
            for i in sendable:
                message = requests[i].message()
                message["timeout"] = self._timeout_for(requests[i].key, requests[i].timeout)
                batch.append(message)

            def arrived(j: int, result: CallResult, sendable: list[int] = sendable) -> None:
                i = sendable[j]
                if results[i] is None:
                    self.current_test = requests[i].test
                    results[i] = self._record(result, requests[i].key)
                    deliver()

            answered = self.backend.run_batch(batch, on_result=arrived)
            if not answered:
                break
            for j, answer in enumerate(answered):  # a prefix came back (a backend may not
                arrived(j, answer)  # have called on_result itself)
            todo = sendable[len(answered):]
        for i in range(len(results)):
            if results[i] is None:
                results[i] = CallResult("crashed", error="not run")
        deliver()
        return cast("list[CallResult]", results)

    def _short_circuit(self, module: str) -> CallResult | None:
        status = self.statuses.get(module, "missing")
        if status == "ok":
            if time.monotonic() > self.deadline:
                return CallResult("timeout", error="the submission used up its total time "
                                  f"({self.limits.get('submission_seconds', 300.0):g} s)")
            return None
        if status == "missing":
            return CallResult("missing_module")
        return CallResult("import_error", error=status)

    def _timeout_for(self, key: tuple[str, str], timeout: float | None) -> float | None:
        if key in self.timed_out:
            return self.REPEAT_TIMEOUT if timeout is None else min(timeout, self.REPEAT_TIMEOUT)
        return timeout

    def _record(self, result: CallResult, key: tuple[str, str]) -> CallResult:
        if result.status == "timeout":
            self.timed_out.add(key)
        self.call_seconds += result.seconds
        if result.status in ("timeout", "crashed", "limit"):
            self.limits_hit.append({"test": self.current_test, "limit": result.status,
                                    "detail": result.error.strip()[:200]})
        return result
