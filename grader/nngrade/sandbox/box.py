"""``Sandbox``: the grader's side of the trust boundary, its public API and lifecycle.

Mirror of ``nngrade.worker.main``, the worker's entry point. One ``Sandbox``
per grading process starts one zygote (``nngrade.sandbox.zygote``) and reuses
it for every submission. For each submission ``load`` asks the zygote for a
fresh child, handing it two new pipes, so no byte of an earlier child can be
read as a reply; the sources then travel as data, and all work is sent one
way: ``run_batch`` pipelines request frames to the child and reads one reply
frame each (``call`` and ``drive`` are one-request batches).

The grader enforces every limit itself, from outside: a wall deadline on each
request (the in-worker timer is only the fast path), the submission's time
budget, a cap on the size of every frame, and a strict decoder for every
value (``nngrade.sandbox.channel``, ``nngrade.sandbox.child``). When a child
times out, dies, or sends anything malformed, the grader has the zygote kill
it (the zygote then kills everything else in the sandbox and wipes its
scratch space) and the next request for the same submission transparently
forks a new child and reloads the modules: a hostile test costs that test
only. A module whose import kills the child or never returns is reported for
that module only. If the zygote itself does not answer, the whole sandbox is
killed and restarted. What the student is told in each case is worded in
``nngrade.sandbox.wording``.

Threat model: student code runs only in the worker; everything that comes
back from it (frames, replies, values, the zygote's events about it) is
checked before use, and no failure of a child, however hostile, raises out of
this API: it becomes a ``CallResult`` or a module's load status.
``SandboxError`` is raised only when the sandbox itself cannot start (the
grader's fault, not a student's).

Not thread-safe: one grading process, one thread, one ``Sandbox``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nngrade.sandbox import wording
from nngrade.sandbox.api import CallResult, Limits
from nngrade.sandbox.channel import Channel, Deadline, Ended
from nngrade.sandbox.child import Child, child_config, reply_result
from nngrade.sandbox.wording import Failure
from nngrade.sandbox.zygote import Zygote
from nngrade.worker.drivers import DRIVERS, load_all
from nngrade.worker.protocol import (
    DecodeLimits,
    ProtocolError,
    ResultTooLarge,
    dumps_frame,
    encode_args,
    encode_body,
    encode_value,
    frame_of,
)

__all__ = ["Sandbox"]

_WINDOW_BYTES = 32 << 10  # requests in flight: half a pipe, so writing never blocks
_WINDOW_FRAMES = 64
_BODY = "$body"  # a message of run_batch already encoded (Sandbox.encode_request)


class _SandboxStuck(Failure):
    """A new child never said hello: the zygote is stuck and was stopped."""

    def __init__(self) -> None:
        super().__init__("crashed", wording.STOPPED_ANSWERING)


@dataclass
class _Submission:
    """One submission, across every child that serves it (a crash forks a new one)."""

    sources: dict[str, str]
    eager: list[str]
    seed: int
    rejected: dict[str, str]  # module -> why it was not sent to the worker
    poisoned: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    used: float = 0.0  # wall seconds spent in the worker so far
    load_failure: str | None = None


class Sandbox:
    """Runs student code in a confined, reusable worker; see docs/architecture.md ("Sandbox").

    ``with Sandbox(Limits()) as box: box.load(sources); box.call(...)``
    """

    def __init__(self, limits: Limits | None = None, *, cpu: int | None = None,
                 zygote: Zygote | None = None) -> None:
        """``cpu``: pin this process, and so its sandbox, to that CPU.

        A call is two pipe wake-ups between the grader and the worker; on a
        VM these cost several times more when the two sit on different CPUs.
        At ``-j N`` give each grading process its own CPU (``i % os.cpu_count()``).

        ``zygote``: one made with these limits and perhaps launched already
        (a grading process launches it before it imports this module and numpy).
        """
        self.limits = limits or Limits()
        self.cpu = cpu
        self.stats: dict[str, float] = zygote.stats if zygote is not None else {}
        self.stats.update({
            "zygote_starts": 0,
            "zygote_start_seconds": 0.0,
            "children": 0,
            "children_killed": 0,
            "children_ended": 0,
            "children_reaped": 0,  # those whose CPU time the zygote reported
            "worker_cpu_seconds": 0.0,  # CPU time of the children, user and system
        })
        self._zygote = zygote if zygote is not None else Zygote(self.limits, self.stats)
        self._channel = Channel(self._zygote, self.limits, self._note_hello)
        self._protections: dict[str, bool] = {}
        self._request_id = 0
        self._launch_started = time.perf_counter() - self._zygote.launched_for
        self._submission: _Submission | None = None
        self._decode_limits = DecodeLimits(
            max_elements=self.limits.max_elements,
            max_depth=self.limits.max_depth,
            max_items=self.limits.max_items,
            max_text=max(self.limits.max_module_bytes, 1 << 16),
        )

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def launch(self) -> None:
        """Start the zygote without waiting for it; `start` (or the first use) waits.

        The zygote imports numpy in the sandbox for a fifth of a second: a
        grading process launches it first and imports the grader and collects
        the suites meanwhile, on the other CPU when there is one.
        """
        if self._zygote.running:
            return
        self._launch_started = time.perf_counter()
        self._zygote.launch()

    def start(self) -> None:
        """Start the zygote (imports numpy inside the sandbox) and wait for it; idempotent."""
        if self._zygote.running and not self._zygote.launched:
            return
        self.launch()
        ready = self._zygote.wait_ready()
        self._pin()
        bwrap = self.mode == "bwrap"
        self._protections = {
            "user_namespace": bwrap,
            "mount_namespace": bwrap,
            "pid_namespace": bwrap,
            "network_namespace": bwrap,
            "ipc_namespace": bwrap,
            "seccomp": bool(ready.get("seccomp")),
            "rlimits": True,
        }
        self.stats["zygote_starts"] += 1
        self.stats["zygote_start_seconds"] += time.perf_counter() - self._launch_started

    def _pin(self) -> None:
        """Pin this process and the zygote (whose children inherit it) to ``cpu``.

        Once the zygote is ready, not before: until then it imports numpy on
        whichever CPU is free while this process imports the grader.
        """
        if self.cpu is None or not hasattr(os, "sched_setaffinity"):
            return
        mask = {self.cpu % (os.cpu_count() or 1)}
        for pid in (0, *self._zygote.process_tree()):
            try:
                os.sched_setaffinity(pid, mask)
            except OSError:
                pass  # a CPU outside the cpuset, a process gone: it runs unpinned

    def close(self) -> None:
        """Stop the worker and the zygote; the sandbox can be started again."""
        self._zygote.drop_child()
        self._zygote.stop()
        self._submission = None

    @property
    def mode(self) -> str:
        """``"bwrap"`` or ``"none"`` once started (``""`` before)."""
        return self._zygote.mode

    @property
    def ready(self) -> dict[str, Any]:
        """The zygote's ``ready`` event: seccomp, Python and numpy versions, drivers."""
        return self._zygote.ready

    @property
    def protections(self) -> dict[str, bool]:
        """Which confinements are in force (as far as known: starts the sandbox if needed)."""
        if not self._protections:
            self.start()
        return dict(self._protections)

    @property
    def missing_protections(self) -> list[str]:
        return sorted(name for name, on in self.protections.items() if not on)

    def _note_hello(self, hello: dict[str, Any]) -> None:
        """A new child's first frame: a confinement it could not apply is not in force."""
        if hello.get("seccomp") is False:
            self._protections["seccomp"] = False
        if hello.get("rlimits") is False:
            self._protections["rlimits"] = False

    # ------------------------------------------------------------ public API

    def load(
        self,
        sources: Mapping[str, str],
        modules: Iterable[str] | None = None,
        *,
        seed: int = 0,
    ) -> dict[str, str]:
        """Start a new submission: a fresh worker child with these module sources.

        ``sources`` maps module names (``"activations"``) to source text.
        ``modules`` are imported now (default: all of them); the others can
        still be imported by the student's own modules, or later by ``call``.
        ``seed`` seeds ``random`` and ``numpy.random``'s global state in the
        worker, so that a submission that draws unseeded numbers is graded
        reproducibly. Returns ``{module: "ok" | error text}`` for ``modules``.
        """
        self.end()
        self.start()
        rejected: dict[str, str] = {}
        clean: dict[str, str] = {}
        for name, text in sources.items():
            problem = self._check_source(name, text)
            if problem:
                rejected[str(name)] = problem
            else:
                clean[name] = text
        eager = list(dict.fromkeys(sources if modules is None else modules))
        self._submission = _Submission(clean, eager, int(seed), rejected)
        self._reload()
        return dict(self._submission.statuses)

    def call(
        self,
        module: str,
        name: str,
        args: Iterable[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> CallResult:
        """Call the top-level ``module.name(*args, **kwargs)`` of the loaded submission."""
        request = {"op": "call", "module": module, "name": name, "args": args,
                   "kwargs": kwargs, "timeout": timeout}
        return self.run_batch([request])[0]

    def drive(
        self, driver: str, params: Mapping[str, Any] | None = None, timeout: float | None = None
    ) -> CallResult:
        """Run the trusted driver ``driver`` (``nngrade.worker.drivers``) on the submission."""
        return self.run_batch([{"op": "drive", "driver": driver, "params": params,
                                "timeout": timeout}])[0]

    def run_batch(self, requests: Iterable[Mapping[str, Any]],
                  on_result: Callable[[int, CallResult], None] | None = None,
                  ) -> list[CallResult]:
        """Calls and drives pipelined in one go; the results of a prefix of them.

        Each request is ``{"op": "call", "module", "name", "args", "kwargs"}`` or
        ``{"op": "drive", "driver", "params"}``, with an optional ``"timeout"``
        (seconds; default ``Limits.call_seconds``), or ``{"body": bytes}`` made by
        `encode_request` (the same request, encoded once). The first request
        that fails (timeout, crash...) ends the batch, its result last: the
        caller decides what to send again, and with which limits (the grader
        gives a function that just hung a shorter one). A call that runs out of
        time ends the batch too, even when the worker survived it. A batch of
        one request (``call``, ``drive``) always gets its one result.

        ``on_result(i, result)`` is called with each result as it arrives, in
        order, while the worker goes on with the requests behind it: the
        caller's work on one answer overlaps the student's code computing the
        next. The time it takes is not counted as the next call's.
        """
        messages: list[dict[str, Any]] = []
        wanted: list[float | None] = []
        for request in requests:
            if "body" in request:
                body = request["body"]
                if not isinstance(body, bytes) or not body.startswith(b'{"op":'):
                    raise ValueError("a request body must come from Sandbox.encode_request")
                messages.append({_BODY: body})
            else:
                messages.append(self._message(request))
            wanted.append(request.get("timeout"))
        if not messages:
            return []
        return self._run_batch(messages, wanted, on_result)

    def encode_request(self, request: Mapping[str, Any]) -> bytes:
        """A `run_batch` request (without its timeout) as the worker receives it.

        Encoding the arguments is most of what sending a call costs the grader;
        a request encoded once can be sent to submission after submission
        (`nngrade.hidden.replay`), and two encoded requests are equal exactly when the
        worker would receive the same call.
        """
        return encode_body(self._message(request))

    def end(self) -> None:
        """Finish the current submission now; optional.

        The zygote kills the child and cleans up while the caller goes on
        (writing reports...), so calling this as soon as a submission's last
        test has run takes that work off the next ``load``.
        """
        self._zygote.drop_child(wait=False)
        self._submission = None

    @property
    def seconds_used(self) -> float:
        """Wall seconds the current submission has spent in the worker."""
        return self._submission.used if self._submission else 0.0

    # ------------------------------------------------------------ the submission

    def _check_source(self, name: Any, text: Any) -> str:
        if not isinstance(name, str) or not name.isidentifier():
            return wording.bad_module_name(name)
        if not isinstance(text, str):
            return wording.not_text(name)
        if len(text.encode("utf-8", "surrogatepass")) > self.limits.max_module_bytes:
            return wording.source_too_large(name, self.limits.max_module_bytes)
        return ""

    def _reload(self) -> None:
        """Fork a new child for the current submission and import its eager modules.

        A module whose import kills the child or never returns is remembered as
        poisoned (with why), and the child is restarted without it.
        """
        sub = self._submission
        assert sub is not None
        self._zygote.drop_child(wait=False)
        sub.load_failure = None
        for _attempt in range(len(sub.sources) + 2):
            if sub.used >= self.limits.submission_seconds:
                sub.load_failure = wording.IMPORT_BUDGET_EXHAUSTED
                break
            started = time.perf_counter()
            stack: list[str] = []
            try:
                child = self._spawn(sub.seed)
                message = {
                    "op": "load",
                    "sources": sub.sources,
                    "eager": [m for m in sub.eager if m in sub.sources],
                    "poisoned": sub.poisoned,
                }
                reply = self._load_request(child, message, stack)
                statuses = self._load_statuses(reply)
            except _SandboxStuck:
                continue  # _spawn starts a new zygote
            except Failure as failure:
                sub.used += time.perf_counter() - started
                culprit = stack[-1] if stack else None
                if culprit and failure.status in ("crashed", "timeout", "bad_result"):
                    sub.poisoned[culprit] = wording.blame(culprit, failure)
                    continue
                sub.load_failure = wording.load_failed(failure.error)
                break
            sub.used += time.perf_counter() - started
            sub.statuses = statuses
            return
        self._zygote.drop_child()
        why = sub.load_failure or wording.LOAD_FAILED
        sub.statuses = {m: sub.poisoned.get(m, why) for m in sub.eager}
        sub.statuses.update({m: e for m, e in sub.rejected.items() if m in sub.eager})

    def _spawn(self, seed: int) -> Child:
        """A fresh child from the zygote (started again first if it is gone)."""
        if not self._zygote.running:
            self.start()
        cfg = child_config(self.limits, self._decode_limits, seed, self._zygote.hidden_path)
        return self._zygote.spawn(cfg)

    def _load_request(
        self, child: Child, message: dict[str, Any], stack: list[str]
    ) -> dict[str, Any]:
        """Send the submission to ``child`` and wait for its import statuses.

        Each module's import gets ``Limits.import_seconds``; progress frames
        keep the load going module by module, never past the submission's budget.
        """
        request_id = self._number(message)
        seconds = self.limits.import_seconds
        grace = self.limits.grace_seconds
        deadline = time.monotonic() + seconds + grace
        sub = self._submission
        left = self.limits.submission_seconds - (sub.used if sub else 0.0)
        hard_end = time.monotonic() + max(left, seconds) + grace
        with self._failures(child, "import", seconds, stack):
            self._channel.send(child, dumps_frame(message), deadline)
            return self._channel.reply(child, request_id, deadline, hard_end, stack)
        raise AssertionError("unreachable")  # pragma: no cover - _failures always raises

    def _load_statuses(self, reply: dict[str, Any]) -> dict[str, str]:
        sub = self._submission
        assert sub is not None
        value = reply.get("value")
        if reply.get("status") != "ok" or not isinstance(value, dict):
            self._zygote.drop_child()
            raise Failure("bad_result", wording.MALFORMED_LOAD_REPLY)
        statuses: dict[str, str] = {}
        for module in sub.eager:
            if module in sub.rejected:
                statuses[module] = sub.rejected[module]
            elif module not in sub.sources:
                statuses[module] = wording.no_module(module)
            else:
                text = value.get(module)
                statuses[module] = (
                    text[: self.limits.error_chars * 2]
                    if isinstance(text, str)
                    else wording.NOT_REPORTED
                )
        return statuses

    def _ensure_child(self, sub: _Submission) -> Child:
        """A live child with the submission loaded (transparently reloaded after a failure)."""
        child = self._zygote.child
        if child is None:
            if sub.load_failure is None:
                self._reload()
            child = self._zygote.child
            if child is None:
                raise Failure("crashed", sub.load_failure or wording.WORKER_DID_NOT_START)
        return child

    # ------------------------------------------------------------ requests

    def _message(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The worker's message for a ``run_batch`` request (its arguments encoded)."""
        op = request.get("op")
        if op == "call":
            enc_args, enc_kwargs = encode_args(
                tuple(request.get("args", ())), dict(request.get("kwargs") or {}),
                self._decode_limits,
            )
            return {"op": "call", "module": request["module"], "name": request["name"],
                    "args": enc_args, "kwargs": enc_kwargs}
        if op == "drive":
            driver = request["driver"]
            if driver not in (self.ready.get("drivers") or load_all()):
                raise KeyError(f"no driver {driver!r}; known: {sorted(DRIVERS)}")
            params = encode_value(dict(request.get("params") or {}), self._decode_limits,
                                  strict=True)
            return {"op": "drive", "driver": driver, "params": params}
        raise ValueError(f"unknown request op {op!r}")

    def _number(self, message: dict[str, Any]) -> int:
        self._request_id += 1
        message["id"] = self._request_id
        return self._request_id

    def _run_batch(
        self, messages: list[dict[str, Any]], timeouts: list[float | None],
        on_result: Callable[[int, CallResult], None] | None = None,
    ) -> list[CallResult]:
        """Pipeline ``messages`` to the child; results for a prefix of them (at least one).

        Requests are written ahead of the replies (up to a window that can never
        fill a pipe), so the worker goes from one call to the next without
        waiting for the grader: a batch costs about one round trip. Each call
        keeps its own deadline, counted from the previous reply. The first call
        that fails ends the batch (its child is replaced), and so does one that
        runs out of time; the caller sends the rest again.
        """
        sub = self._submission
        if sub is None:
            raise RuntimeError("Sandbox.load() must be called before call() or drive()")
        wants = [self.limits.call_seconds if t is None else float(t) for t in timeouts]
        if self.limits.submission_seconds - sub.used <= 0:
            return [self._budget_exhausted(0.0) for _ in messages]
        started = time.perf_counter()
        try:
            child = self._ensure_child(sub)
        except Failure as failure:
            elapsed = time.perf_counter() - started
            sub.used += elapsed
            if not sub.load_failure:
                return [failure.result(elapsed)]
            # The submission cannot be loaded at all: every request gets the same answer.
            return [failure.result(elapsed)] + [failure.result()] * (len(messages) - 1)
        grace = self.limits.grace_seconds
        results: list[CallResult] = []
        count = len(messages)
        sent = 0  # requests written to the child so far
        ids: list[int] = []
        frames: list[int] = []  # size of each request sent and not yet answered
        in_flight = 0  # their total size
        previous = time.perf_counter()
        for index in range(count):
            left = self.limits.submission_seconds - sub.used
            if left <= 0:
                break
            wanted = wants[index]
            seconds = min(wanted, left)
            try:
                with self._failures(child, "call", seconds):
                    # Top the window up in one write once it is down to a quarter: one
                    # write per request would wake the worker for each, and a worker on
                    # the same CPU would run each request as it arrives, one at a time.
                    if sent == index or len(frames) <= _WINDOW_FRAMES // 4:
                        chunk = []
                        while sent < count and (
                            sent == index
                            or (in_flight < _WINDOW_BYTES and len(frames) < _WINDOW_FRAMES)
                        ):
                            ahead = messages[sent]
                            ahead["timeout"] = min(wants[sent], left)
                            ids.append(self._number(ahead))
                            frame = _frame(ahead)
                            frames.append(len(frame))
                            in_flight += len(frame)
                            chunk.append(frame)
                            sent += 1
                        if chunk:
                            data = chunk[0] if len(chunk) == 1 else b"".join(chunk)
                            self._channel.send(child, data, time.monotonic() + seconds + grace)
                    deadline = time.monotonic() + seconds + grace
                    reply = self._channel.reply(child, ids[index], deadline, deadline)
                    in_flight -= frames.pop(0)
                now = time.perf_counter()
                result = self._result(reply, now - previous)
            except Failure as failure:
                now = time.perf_counter()
                result = failure.result(now - previous)
            sub.used += now - previous
            previous = now
            if result.status == "timeout" and seconds < wanted:
                result = self._budget_exhausted(result.seconds)
            results.append(result)
            if on_result is not None:
                try:
                    on_result(index, result)
                except BaseException:
                    if sent > index + 1 and self._zygote.child is child:
                        self._zygote.drop_child(wait=False)  # its answers have no taker
                    raise
                previous = time.perf_counter()  # the caller's time is not the student's
            if result.status == "timeout" and index + 1 < count:
                # The caller may want to send the rest with other limits (a shorter one
                # for the function that just hung). Requests already sent behind this
                # one went out with the old limits: they go with the child.
                if sent > index + 1 and self._zygote.child is child:
                    self._zygote.drop_child(wait=False)
                break
            if self._zygote.child is not child:  # it failed and was replaced: resend the rest
                break
        if not results:
            results.append(self._budget_exhausted(0.0))
        return results

    def _result(self, reply: dict[str, Any], seconds: float) -> CallResult:
        """The reply's CallResult; a child whose reply broke the format is replaced."""
        result, condemned = reply_result(reply, seconds, self.limits, self._decode_limits)
        if condemned:
            self._zygote.drop_child()
        return result

    def _budget_exhausted(self, elapsed: float) -> CallResult:
        text = wording.budget_exhausted(self.limits.submission_seconds)
        return CallResult("timeout", error=text, seconds=elapsed, limit="submission_seconds")

    @contextlib.contextmanager
    def _failures(
        self, child: Child, what: str, seconds: float, stack: list[str] | None = None
    ) -> Iterator[None]:
        """Turn what can go wrong on the pipes into a ``Failure`` (and a replaced child)."""
        try:
            yield
        except Deadline:
            if child.hello is None:  # not the student's fault: the sandbox is stuck
                self._zygote.stop()
                self._zygote.drop_child()  # gone with the zygote: only its pipes are left
                raise _SandboxStuck from None
            self._zygote.drop_child()
            raise wording.timed_out(what, seconds, stack[-1] if stack else None) from None
        except Ended as ended:
            self._zygote.drop_child()
            raise wording.describe_end(ended.event, what) from None
        except ResultTooLarge as exc:
            self._zygote.drop_child()
            raise wording.reply_too_large(exc) from None
        except ProtocolError as exc:
            self._zygote.drop_child()
            raise wording.malformed_frame(exc) from None


def _frame(message: dict[str, Any]) -> bytes:
    """A request's frame; one encoded ahead only gets its id and time limit."""
    body = message.get(_BODY)
    if body is None:
        return dumps_frame(message)
    return frame_of(body, message["id"], message["timeout"])
