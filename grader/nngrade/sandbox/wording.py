"""How the grader words what it saw from outside the worker: every text of a failed request.

Mirror of ``nngrade.worker.wording``, which words the student's own
exceptions from inside. Texts here describe what only the grader can see: a
child that ended (and by which signal), a deadline that passed, a reply that
broke the wire format, a sandbox that stopped answering, a submission whose
time budget ran out, a source file refused before it was sent. They reach a
student's report as ``CallResult.error`` or as a module's load status.

A request that got no usable reply is a ``Failure`` (status, error, limit),
which the sandbox turns into the request's ``CallResult``.
"""

from __future__ import annotations

import signal
from typing import Any

from nngrade.sandbox.api import CallResult

__all__ = [
    "IMPORT_BUDGET_EXHAUSTED",
    "LOAD_FAILED",
    "MALFORMED_LOAD_REPLY",
    "MALFORMED_REPLY",
    "NOT_REPORTED",
    "STOPPED_ANSWERING",
    "WORKER_DID_NOT_START",
    "Failure",
    "bad_module_name",
    "blame",
    "budget_exhausted",
    "describe_end",
    "did_not_start",
    "internal",
    "load_failed",
    "malformed_frame",
    "malformed_result",
    "no_module",
    "not_text",
    "reply_too_large",
    "result_too_large",
    "sandbox_stopped",
    "source_too_large",
    "timed_out",
]


class Failure(Exception):
    """A request that got no usable reply; becomes its CallResult."""

    def __init__(self, status: str, error: str, limit: str | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.limit = limit

    def result(self, seconds: float = 0.0) -> CallResult:
        return CallResult(self.status, error=self.error, limit=self.limit, seconds=seconds)


# The zygote did not answer in time (a new child never said hello, or a kill was
# never confirmed): the whole sandbox was killed and starts again with the next request.
STOPPED_ANSWERING = "the sandbox stopped answering; it was restarted"

_SIGNAL_TEXT = {
    signal.SIGSEGV: "a segmentation fault (SIGSEGV): C code or ctypes touched invalid memory, "
    "or the recursion went too deep",
    signal.SIGBUS: "a bus error (SIGBUS)",
    signal.SIGABRT: "an abort (SIGABRT)",
    signal.SIGFPE: "a floating-point exception (SIGFPE)",
    signal.SIGILL: "an illegal instruction (SIGILL)",
    signal.SIGXCPU: "the CPU time limit (SIGXCPU)",
    signal.SIGXFSZ: "the file size limit (SIGXFSZ)",
    signal.SIGSYS: "a forbidden system call (SIGSYS)",
    signal.SIGKILL: "SIGKILL (a limit of the sandbox, e.g. CPU time or memory)",
}


def describe_end(event: dict[str, Any], what: str) -> Failure:
    """A child that ended during a request (``what``: "call" or "import"), from the zygote's
    ``ended`` event."""
    if event.get("zygote"):
        return Failure("crashed", f"the sandbox stopped during the {what}; it will be restarted")
    if event.get("reason") == "scratch_files":
        return Failure(
            "crashed",
            f"the worker was stopped during the {what}: it created more files than its "
            f"scratch space allows",
            "scratch_files",
        )
    sig = event.get("signal")
    if isinstance(sig, int):
        if sig == signal.SIGXCPU:
            return Failure("timeout", f"the {what} used up the CPU time limit", "cpu_seconds")
        try:
            label = _SIGNAL_TEXT.get(signal.Signals(sig), f"signal {signal.Signals(sig).name}")
        except ValueError:
            label = f"signal {sig}"
        return Failure("crashed", f"the worker process was killed during the {what} by {label}")
    code = event.get("exit")
    if isinstance(code, int):
        return Failure(
            "crashed",
            f"the worker process ended during the {what} with exit status {code} "
            f"(the code called os._exit() or closed the worker's pipes)",
        )
    return Failure("crashed", f"the worker process ended during the {what}")


def timed_out(what: str, seconds: float, module: str | None) -> Failure:
    """The grader's hard deadline passed (the worker's own timer did not answer in time)."""
    where = f" while importing {module}.py" if module else ""
    return Failure(
        "timeout",
        f"the {what} did not finish within {seconds:g} s{where}; "
        f"the worker was stopped and replaced",
        "import_seconds" if what == "import" else "call_seconds",
    )


def malformed_frame(detail: object) -> Failure:
    return Failure("bad_result", f"the worker sent a malformed reply ({detail}); it was replaced")


def reply_too_large(detail: object) -> Failure:
    return Failure("bad_result", f"the worker sent {detail}", "max_frame_bytes")


def sandbox_stopped(detail: object) -> Failure:
    """An order could not even be sent to the zygote."""
    return Failure("crashed", f"the sandbox stopped ({detail}); it will be restarted")


def blame(module: str, failure: Failure) -> str:
    """The load status of a module whose import killed the worker, broke its replies
    or never returned."""
    if failure.status == "timeout":
        return f"importing {module}.py did not finish in time: {failure.error}"
    if failure.status == "bad_result":  # the module wrote to the worker's reply pipe
        return f"importing {module}.py broke the worker's replies: {failure.error}"
    return f"the worker died while importing {module}.py: {failure.error}"


LOAD_FAILED = "the worker failed while loading the submission"
IMPORT_BUDGET_EXHAUSTED = "the submission used up its time budget while importing"
WORKER_DID_NOT_START = "the worker could not start"
MALFORMED_LOAD_REPLY = "the worker sent a malformed load reply"
MALFORMED_REPLY = "the worker sent a malformed reply"
NOT_REPORTED = "the worker did not report this module"


def load_failed(detail: str) -> str:
    return f"{LOAD_FAILED}: {detail}"


def budget_exhausted(submission_seconds: float) -> str:
    return (
        f"the submission used up its time budget of {submission_seconds:g} s; "
        f"no further calls were run"
    )


def internal(detail: str) -> str:
    """The worker's own code failed on a request (status ``internal`` in its reply)."""
    return f"the worker could not run the call: {detail}"


def result_too_large(detail: object) -> str:
    return f"the result is too large: {detail}"


def malformed_result(detail: object) -> str:
    return f"the worker sent a malformed result ({detail})"


def no_module(module: str) -> str:
    return f"the submission has no {module}.py"


def bad_module_name(name: object) -> str:
    return f"{name!r} is not a valid module name"


def not_text(name: str) -> str:
    return f"{name}.py is not text"


def source_too_large(name: str, max_bytes: int) -> str:
    return f"{name}.py is larger than {max_bytes} bytes"


def did_not_start(detail: str) -> str:
    return f"the sandbox did not start: {detail or 'no ready message'}"
