"""The student's module as a hidden test sees it: `StudentModule`, whose calls become `Request`s.

A hidden test writes ``student.sigmoid(z)`` as if the student's code were
here. It is not: each attribute call becomes a `Request` handed to the
``ask`` function the proxy was built with, and what comes back is a
`nngrade.records.CallResult` of plain data. In grading, ``ask`` is
`nngrade.hidden.calls.SubmissionCalls.ask` (the test waits while its call
goes to the sandbox in a batch with the other tests' calls), or a replay
tape in front of it (`nngrade.hidden.replay.Tape`). No object of the
student's ever reaches a test: a call that gave nothing usable raises
`Feedback` saying why, and the test's verdict is made on plain data.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nngrade.feedback import LazyText, call_failure, describe_call
from nngrade.records import CallResult

__all__ = ["Ask", "Request", "StudentModule", "Step", "latest_call"]

# A call as a replay tree records it: (op, module, name, timeout, the encoded request).
Step = tuple[str, str, str, float | None, bytes | None]


@dataclass
class Request:
    """One call (or trusted driver run) a hidden test wants answered."""

    op: str  # "call" or "drive"
    module: str
    name: str  # the function's name, or the driver's
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    timeout: float | None = None
    test: str = ""  # the nodeid of the test that asked (set when it joins a batch)
    body: bytes | None = None  # the request as the backend encodes it (`Backend.encode_request`)

    @property
    def key(self) -> tuple[str, str]:
        """The function this request runs (a function that hung gets a shorter limit later)."""
        return (self.module, self.name if self.op == "call" else f"driver:{self.name}")

    @property
    def step(self) -> Step:
        """What identifies the call in a replay tree: exactly what the worker would get."""
        return (self.op, self.module, self.name, self.timeout, self.body)

    @classmethod
    def from_step(cls, step: Step) -> Request:
        """The recorded call of a replay tree, to be sent again (only its encoded form exists)."""
        op, module, name, timeout, body = step
        if body is None:
            raise ValueError("a replay step must hold the encoded call")
        return cls(op, module, name, timeout=timeout, body=body)

    def message(self) -> dict[str, Any]:
        """The request as a backend's ``run_batch`` and ``encode_request`` take it (no timeout)."""
        if self.body is not None:
            return {"body": self.body}
        if self.op == "call":
            return {"op": "call", "module": self.module, "name": self.name,
                    "args": self.args, "kwargs": self.kwargs}
        return {"op": "drive", "driver": self.name, "params": self.params}


Ask = Callable[[Request], CallResult]
_LastCall = list[tuple[str, tuple, dict] | None]


def _call_text(name: str, args: tuple, kwargs: dict) -> str:
    return describe_call(name, args, kwargs) if args or kwargs else f"{name}()"


# The latest call of the student module the running test uses, so that an expectation can
# name it without being handed ``call=student.last_call`` (`nngrade.suite`). A context
# variable: each hidden test runs in a greenlet of its own, and each greenlet has its own
# context, so tests waiting side by side never see each other's calls.
_LATEST: contextvars.ContextVar[_LastCall | None] = contextvars.ContextVar(
    "nngrade_latest_student_call", default=None)


def latest_call() -> LazyText:
    """``name(args...)`` of the running test's latest call into student code (empty if none).

    The same text as ``student.last_call``: the call is taken now, its text
    made only if a failure shows it.
    """
    last = _LATEST.get()
    entry = None if last is None else last[0]
    return LazyText(None if entry is None else functools.partial(_call_text, *entry))


class StudentModule:
    """A student's module as the hidden tests see it: attribute calls go to ``ask``.

    ``student.sigmoid(z)`` returns plain data or raises `Feedback` that says
    why nothing usable came back. ``student.outcome(...)`` returns the raw
    `CallResult`, for tests that expect an exception (e.g. ValueError).
    """

    def __init__(self, ask: Ask, module: str, timeout: float | None = None,
                 last: _LastCall | None = None) -> None:
        self._ask = ask
        self._module = module
        self._timeout = timeout
        # The latest call, shared with the `with_timeout` views of the same module.
        self._last: _LastCall = last if last is not None else [None]
        _LATEST.set(self._last)  # this test's student now (a fresh test starts with no call)

    @property
    def last_call(self) -> LazyText:
        """``name(args...)`` of the latest call; rendered only if feedback needs the text."""
        last = self._last[0]
        return LazyText(None if last is None else functools.partial(_call_text, *last))

    def with_timeout(self, seconds: float) -> StudentModule:
        """The same module with a longer per-call time limit (e.g. for train_xor)."""
        return StudentModule(self._ask, self._module, seconds, self._last)

    def outcome(self, name: str, args: tuple = (), kwargs: dict | None = None) -> CallResult:
        """Call ``name(*args, **kwargs)`` and return what came back, whatever it was."""
        kwargs = dict(kwargs or {})
        self._last[0] = (name, args, kwargs)
        _LATEST.set(self._last)
        return self._ask(Request("call", self._module, name, args, kwargs,
                                 timeout=self._timeout))

    def drive(self, driver: str, params: dict, *, name: str = "") -> Any:
        """Run a trusted scenario driver (``nngrade.worker.drivers``) on the student's code."""
        self._last[0] = (name or driver, (), {})
        _LATEST.set(self._last)
        out = self._ask(Request("drive", self._module, driver, params=params,
                                timeout=self._timeout))
        return self.value_of(out, name or driver)

    def value_of(self, out: CallResult, name: str) -> Any:
        """The value of a call that worked; else `Feedback` saying what went wrong."""
        if out.ok:
            return out.value
        raise call_failure(out, name=name, module=self._module, call=self.last_call)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.value_of(self.outcome(name, args, kwargs), name)

        return call
