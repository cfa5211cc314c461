"""``Sandbox``: the grader's side of the trust boundary.

One ``Sandbox`` per grading process starts one zygote (see
``nngrade.worker.main``) and reuses it for every submission. For each
submission ``load`` asks the zygote for a fresh child over the control socket,
handing it two new pipes, so no byte of an earlier child can be read as a
reply; the sources then travel as data and every ``call`` / ``drive`` is one
request frame and one reply frame on those pipes.

The grader enforces every limit itself, from outside: a wall deadline on each
request (the in-worker timer is only the fast path), the submission's time
budget, a cap on the size of every frame, and a strict decoder for every
value. When a child times out, dies, or sends anything malformed, the grader
has the zygote kill it (the zygote then kills everything else in the sandbox
and wipes its scratch space) and the next request for the same submission
transparently forks a new child and reloads the modules: a hostile test costs
that test only. If the zygote itself does not answer, the whole sandbox is
killed and restarted.

Not thread-safe: one grading process, one thread, one ``Sandbox``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nngrade.sandbox.api import STATUSES, CallResult, Limits, SandboxError
from nngrade.sandbox.launch import Launch, plan
from nngrade.worker.drivers import DRIVERS, load_all
from nngrade.worker.protocol import (
    HEADER,
    DecodeLimits,
    ProtocolError,
    ResultTooLarge,
    decode_value,
    dumps_frame,
    encode_args,
    encode_body,
    encode_value,
    frame_length,
    frame_of,
    loads_payload,
)

__all__ = ["Sandbox"]

_CHILD_STATUSES = frozenset(STATUSES) | {"internal"}
_LIMIT_NAMES = frozenset(Limits.__dataclass_fields__) | {"result_size", "output"}
_ZYGOTE_ANSWER_SECONDS = 3.0  # to report that a killed child has ended
_WINDOW_BYTES = 32 << 10  # requests in flight: half a pipe, so writing never blocks
_WINDOW_FRAMES = 64
_BODY = "$body"  # a message of run_batch already encoded (Sandbox.encode_request)

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


class _Failure(Exception):
    """A request that got no usable reply; becomes a CallResult."""

    def __init__(self, status: str, error: str, limit: str | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.limit = limit


@dataclass
class _Child:
    seq: int
    req: int  # we write requests here
    resp: int  # we read replies here
    buffer: bytearray = field(default_factory=bytearray)
    ended: dict[str, Any] | None = None
    eof: bool = False
    hello: dict[str, Any] | None = None


@dataclass
class _Submission:
    sources: dict[str, str]
    eager: list[str]
    seed: int
    rejected: dict[str, str]  # module -> why it was not sent to the worker
    poisoned: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    used: float = 0.0  # wall seconds spent in the worker so far
    load_failure: str | None = None


# A pipe holds 64 KiB by default: an array argument or result of a few hundred
# kilobytes then crosses in several write/wake-up/read rounds between the two
# processes. 1 MiB (Linux's default cap for unprivileged users) takes most in one.
_PIPE_BYTES = 1 << 20


def _widen_pipe(fd: int) -> None:
    """Best effort: a pipe that cannot grow (a per-user quota, not Linux) still works."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except OSError:
            pass


class Sandbox:
    """Runs student code in a confined, reusable worker; see docs/architecture.md ("Sandbox").

    ``with Sandbox(Limits()) as box: box.load(sources); box.call(...)``
    """

    def __init__(self, limits: Limits | None = None, *, cpu: int | None = None) -> None:
        """``cpu``: pin this process, and so its sandbox, to that CPU.

        A call is two pipe wake-ups between the grader and the worker; on a
        VM these cost several times more when the two sit on different CPUs.
        At ``-j N`` give each grading process its own CPU (``i % os.cpu_count()``).
        """
        self.limits = limits or Limits()
        self.cpu = cpu
        self.mode = ""  # "bwrap" or "none", once started
        self.fallback_reason = ""  # why bubblewrap is not used, if it is not
        self._protections: dict[str, bool] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctrl: socket.socket | None = None
        self._launch: Launch | None = None
        self._stderr: Any = None
        self._child: _Child | None = None
        self._seq = 0
        self._request_id = 0
        self._submission: _Submission | None = None
        self._decode_limits = DecodeLimits(
            max_elements=self.limits.max_elements,
            max_depth=self.limits.max_depth,
            max_items=self.limits.max_items,
            max_text=max(self.limits.max_module_bytes, 1 << 16),
        )
        self.ready: dict[str, Any] = {}
        self.stats: dict[str, float] = {
            "zygote_starts": 0,
            "zygote_start_seconds": 0.0,
            "children": 0,
            "children_killed": 0,
            "children_ended": 0,
            "children_reaped": 0,  # those whose CPU time the zygote reported
            "worker_cpu_seconds": 0.0,  # CPU time of the children, user and system
        }

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the zygote (imports numpy inside the sandbox); idempotent."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop_zygote()
        started = time.perf_counter()
        if self.cpu is not None and hasattr(os, "sched_setaffinity"):
            try:
                os.sched_setaffinity(0, {self.cpu % (os.cpu_count() or 1)})
            except OSError:
                pass  # a CPU outside this process's cpuset: run unpinned
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._stderr = tempfile.TemporaryFile()
            launch, reason = plan(
                child_end.fileno(),
                self._stderr.fileno(),
                self.limits.mode,
                self.limits.scratch_bytes,
            )
            self._launch = launch
            self.mode = launch.mode
            self.fallback_reason = reason
            env = launch.env if launch.mode == "none" else {"PATH": "/usr/bin:/bin"}
            self._proc = subprocess.Popen(
                launch.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(child_end.fileno(), self._stderr.fileno()),
                cwd=launch.cwd,
                env=env,
                start_new_session=True,
            )
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        self._ctrl = parent_end
        ready = self._ctrl_event(time.monotonic() + self.limits.start_seconds, "ready")
        if ready is None:
            detail = self._zygote_stderr()
            self._stop_zygote()
            raise SandboxError(f"the sandbox did not start: {detail or 'no ready message'}")
        self.ready = ready
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
        self.stats["zygote_start_seconds"] += time.perf_counter() - started

    def close(self) -> None:
        """Stop the worker and the zygote; the sandbox can be started again."""
        self._drop_child()
        self._stop_zygote()
        self._submission = None

    @property
    def protections(self) -> dict[str, bool]:
        """Which confinements are in force (as far as known: starts the sandbox if needed)."""
        if not self._protections:
            self.start()
        return dict(self._protections)

    @property
    def missing_protections(self) -> list[str]:
        return sorted(name for name, on in self.protections.items() if not on)

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
        return self._run(self._call_message(module, name, args, kwargs), timeout)

    def call_many(
        self,
        calls: Iterable[tuple[Any, ...]],
        timeout: float | None = None,
    ) -> list[CallResult]:
        """Several calls in one go: ``[(module, name[, args[, kwargs]]), ...]``.

        Same results as calling ``call`` for each in turn (a failing call costs
        only itself), but pipelined: the calls of a batch cost about one round
        trip to the worker instead of one each. ``timeout`` applies per call.
        """
        messages = [self._call_message(*call) for call in calls]
        wanted = [timeout] * len(messages)
        results: list[CallResult] = []
        while len(results) < len(messages):
            done = len(results)
            results += self._run_batch(messages[done:], wanted[done:])
        return results

    def run_batch(self, requests: Iterable[Mapping[str, Any]]) -> list[CallResult]:
        """Calls and drives pipelined in one go; the results of a prefix of them.

        Each request is ``{"op": "call", "module", "name", "args", "kwargs"}`` or
        ``{"op": "drive", "driver", "params"}``, with an optional ``"timeout"``
        (seconds; default ``Limits.call_seconds``), or ``{"body": bytes}`` made by
        `encode_request` (the same request, encoded once). Unlike `call_many`, the first
        request that fails (timeout, crash...) ends the batch, its result last:
        the caller decides what to send again, and with which limits (the
        grader gives a function that just hung a shorter one). A call that runs
        out of time ends the batch too, even when the worker survived it.
        """
        messages: list[dict[str, Any]] = []
        wanted: list[float | None] = []
        for request in requests:
            op = request.get("op")
            if "body" in request:
                body = request["body"]
                if not isinstance(body, bytes) or not body.startswith(b'{"op":'):
                    raise ValueError("a request body must come from Sandbox.encode_request")
                messages.append({_BODY: body})
            elif op == "call":
                messages.append(self._call_message(request["module"], request["name"],
                                                   request.get("args", ()),
                                                   request.get("kwargs")))
            elif op == "drive":
                messages.append(self._drive_message(request["driver"], request.get("params")))
            else:
                raise ValueError(f"unknown request op {op!r}")
            wanted.append(request.get("timeout"))
        if not messages:
            return []
        return self._run_batch(messages, wanted)

    def encode_request(self, request: Mapping[str, Any]) -> bytes:
        """A `run_batch` request (without its timeout) as the worker receives it.

        Encoding the arguments is most of what sending a call costs the grader;
        a request encoded once can be sent to submission after submission
        (`nngrade.replay`), and two encoded requests are equal exactly when the
        worker would receive the same call.
        """
        if request.get("op") == "call":
            message = self._call_message(request["module"], request["name"],
                                         request.get("args", ()), request.get("kwargs"))
        elif request.get("op") == "drive":
            message = self._drive_message(request["driver"], request.get("params"))
        else:
            raise ValueError(f"unknown request op {request.get('op')!r}")
        return encode_body(message)

    def drive(
        self, driver: str, params: Mapping[str, Any] | None = None, timeout: float | None = None
    ) -> CallResult:
        """Run the trusted driver ``driver`` (``nngrade.worker.drivers``) on the submission."""
        return self._run(self._drive_message(driver, params), timeout)

    def _call_message(self, module: str, name: str, args: Iterable[Any] = (),
                      kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        enc_args, enc_kwargs = encode_args(tuple(args), dict(kwargs or {}), self._decode_limits)
        return {"op": "call", "module": module, "name": name, "args": enc_args,
                "kwargs": enc_kwargs}

    def _drive_message(self, driver: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        if driver not in (self.ready.get("drivers") or load_all()):
            raise KeyError(f"no driver {driver!r}; known: {sorted(DRIVERS)}")
        encoded = encode_value(dict(params or {}), self._decode_limits, strict=True)
        return {"op": "drive", "driver": driver, "params": encoded}

    def end(self) -> None:
        """Finish the current submission now; optional.

        The zygote kills the child and cleans up while the caller goes on
        (writing reports...), so calling this as soon as a submission's last
        test has run takes that work off the next ``load``.
        """
        self._drop_child(wait=False)
        self._submission = None

    @property
    def seconds_used(self) -> float:
        """Wall seconds the current submission has spent in the worker."""
        return self._submission.used if self._submission else 0.0

    # ------------------------------------------------------------ requests

    def _check_source(self, name: Any, text: Any) -> str:
        if not isinstance(name, str) or not name.isidentifier():
            return f"{name!r} is not a valid module name"
        if not isinstance(text, str):
            return f"{name}.py is not text"
        if len(text.encode("utf-8", "surrogatepass")) > self.limits.max_module_bytes:
            return f"{name}.py is larger than {self.limits.max_module_bytes} bytes"
        return ""

    def _run(self, message: dict[str, Any], timeout: float | None) -> CallResult:
        sub = self._submission
        if sub is None:
            raise RuntimeError("Sandbox.load() must be called before call() or drive()")
        started = time.perf_counter()
        left = self.limits.submission_seconds - sub.used
        if left <= 0:
            return self._budget_exhausted(0.0)
        wanted = self.limits.call_seconds if timeout is None else float(timeout)
        seconds = min(wanted, left)
        try:
            self._ensure_child(sub)
            message["timeout"] = seconds
            reply = self._request(message, seconds)
            elapsed = time.perf_counter() - started
            result = self._result(reply, elapsed)
        except _SandboxStuck:
            elapsed = time.perf_counter() - started
            text = "the sandbox stopped answering; it was restarted"
            result = CallResult("crashed", error=text, seconds=elapsed)
        except _Failure as failure:
            elapsed = time.perf_counter() - started
            result = CallResult(
                failure.status, error=failure.error, limit=failure.limit, seconds=elapsed
            )
        sub.used += elapsed
        if result.status == "timeout" and seconds < wanted:
            return self._budget_exhausted(elapsed)
        return result

    def _ensure_child(self, sub: _Submission) -> None:
        """A live child with the submission loaded (transparently reloaded after a failure)."""
        if self._child is None:
            if sub.load_failure is None:
                self._reload()
            if self._child is None:
                raise _Failure("crashed", sub.load_failure or "the worker could not start")

    def _run_batch(
        self, messages: list[dict[str, Any]], timeouts: list[float | None]
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
            self._ensure_child(sub)
        except _SandboxStuck:
            text = "the sandbox stopped answering; it was restarted"
            return [CallResult("crashed", error=text, seconds=time.perf_counter() - started)]
        except _Failure as failure:
            elapsed = time.perf_counter() - started
            sub.used += elapsed
            one = CallResult(failure.status, error=failure.error, limit=failure.limit)
            return [one] + [one] * (len(messages) - 1) if sub.load_failure else [one]
        child = self._child
        assert child is not None
        grace = self.limits.grace_seconds
        results: list[CallResult] = []
        ids: list[int] = []
        frames: list[int] = []  # size of each request sent and not yet answered
        in_flight = 0  # their total size
        previous = time.perf_counter()
        for index in range(len(messages)):
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
                    if len(ids) == index or len(frames) <= _WINDOW_FRAMES // 4:
                        chunk = []
                        while len(ids) < len(messages) and (
                            len(ids) == index
                            or (in_flight < _WINDOW_BYTES and len(frames) < _WINDOW_FRAMES)
                        ):
                            ahead = messages[len(ids)]
                            ahead["timeout"] = min(wants[len(ids)], left)
                            ids.append(self._number(ahead))
                            frame = _frame(ahead)
                            frames.append(len(frame))
                            in_flight += len(frame)
                            chunk.append(frame)
                        if chunk:
                            self._write(child, b"".join(chunk), time.monotonic() + seconds + grace)
                    deadline = time.monotonic() + seconds + grace
                    reply = self._await(child, ids[index], deadline, deadline, None)
                    in_flight -= frames.pop(0)
                    now = time.perf_counter()
                    result = self._result(reply, now - previous)
            except _SandboxStuck:
                now = time.perf_counter()
                text = "the sandbox stopped answering; it was restarted"
                result = CallResult("crashed", error=text, seconds=now - previous)
            except _Failure as failure:
                now = time.perf_counter()
                result = CallResult(
                    failure.status, error=failure.error, limit=failure.limit, seconds=now - previous
                )
            sub.used += now - previous
            previous = now
            if result.status == "timeout" and seconds < wanted:
                result = self._budget_exhausted(result.seconds)
            results.append(result)
            if result.status == "timeout" and index + 1 < len(messages):
                # The caller may want to send the rest with other limits (a shorter one
                # for the function that just hung). Requests already sent behind this
                # one went out with the old limits: they go with the child.
                if len(ids) > index + 1 and self._child is child:
                    self._drop_child(wait=False)
                break
            if self._child is not child:  # it failed and was replaced: resend the rest
                break
        if not results:
            results.append(self._budget_exhausted(0.0))
        return results

    def _budget_exhausted(self, elapsed: float) -> CallResult:
        text = (
            f"the submission used up its time budget of {self.limits.submission_seconds:g} s; "
            f"no further calls were run"
        )
        return CallResult("timeout", error=text, seconds=elapsed, limit="submission_seconds")

    def _reload(self) -> None:
        """Fork a new child for the current submission and import its eager modules.

        A module whose import kills the child or never returns is remembered as
        poisoned (with why), and the child is restarted without it.
        """
        sub = self._submission
        assert sub is not None
        self._drop_child(wait=False)
        sub.load_failure = None
        for _attempt in range(len(sub.sources) + 2):
            if sub.used >= self.limits.submission_seconds:
                sub.load_failure = "the submission used up its time budget while importing"
                break
            started = time.perf_counter()
            stack: list[str] = []
            try:
                self._spawn(sub.seed)
                message = {
                    "op": "load",
                    "sources": sub.sources,
                    "eager": [m for m in sub.eager if m in sub.sources],
                    "poisoned": sub.poisoned,
                }
                reply = self._request(message, self.limits.import_seconds, stack)
            except _SandboxStuck:
                continue  # _spawn starts a new zygote
            except _Failure as failure:
                sub.used += time.perf_counter() - started
                culprit = stack[-1] if stack else None
                if culprit and failure.status in ("crashed", "timeout", "bad_result"):
                    sub.poisoned[culprit] = _blame(culprit, failure)
                    continue
                sub.load_failure = (
                    f"the worker failed while loading the submission: {failure.error}"
                )
                break
            sub.used += time.perf_counter() - started
            sub.statuses = self._load_statuses(reply)
            return
        self._drop_child()
        why = sub.load_failure or "the worker failed while loading the submission"
        sub.statuses = {m: sub.poisoned.get(m, why) for m in sub.eager}
        sub.statuses.update({m: e for m, e in sub.rejected.items() if m in sub.eager})

    def _load_statuses(self, reply: dict[str, Any]) -> dict[str, str]:
        sub = self._submission
        assert sub is not None
        value = reply.get("value")
        if reply.get("status") != "ok" or not isinstance(value, dict):
            raise _Failure("bad_result", "the worker sent a malformed load reply")
        statuses: dict[str, str] = {}
        for module in sub.eager:
            if module in sub.rejected:
                statuses[module] = sub.rejected[module]
            elif module not in sub.sources:
                statuses[module] = f"the submission has no {module}.py"
            else:
                text = value.get(module)
                statuses[module] = (
                    text[: self.limits.error_chars * 2]
                    if isinstance(text, str)
                    else "the worker did not report this module"
                )
        return statuses

    def _spawn(self, seed: int) -> None:
        """Ask the zygote for a fresh child with two new pipes."""
        if self._proc is None or self._proc.poll() is not None or self._ctrl is None:
            self.start()
        assert self._ctrl is not None and self._launch is not None
        self._seq += 1
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        for fd in (req_w, resp_w):
            _widen_pipe(fd)
        limits = self.limits
        child_cfg = {
            "seed": seed,
            "hide": [self._launch.lib],
            "scratch_files": limits.scratch_files,
            "import_seconds": limits.import_seconds,
            "output_chars": limits.output_chars,
            "error_chars": limits.error_chars,
            "decode": {
                "max_elements": limits.max_elements,
                "max_depth": limits.max_depth,
                "max_items": limits.max_items,
                "max_text": self._decode_limits.max_text,
            },
            "rlimits": {
                "memory_bytes": limits.memory_bytes,
                "file_bytes": limits.file_bytes,
                "open_files": limits.open_files,
                "processes": limits.processes,
                "cpu_seconds": limits.cpu_seconds,
            },
        }
        order = json.dumps({"op": "spawn", "seq": self._seq, "child": child_cfg}).encode()
        try:
            socket.send_fds(self._ctrl, [order], [req_r, resp_w])
        except OSError as exc:
            for fd in (req_r, req_w, resp_r, resp_w):
                os.close(fd)
            self._stop_zygote()
            raise _Failure(
                "crashed", f"the sandbox stopped ({exc}); it will be restarted"
            ) from None
        os.close(req_r)
        os.close(resp_w)
        os.set_blocking(req_w, False)
        os.set_blocking(resp_r, False)
        self._child = _Child(self._seq, req_w, resp_r)
        self.stats["children"] += 1

    def _request(
        self, message: dict[str, Any], seconds: float, stack: list[str] | None = None
    ) -> dict[str, Any]:
        """Send one request to the child and wait for its reply, within the hard deadline."""
        child = self._child
        assert child is not None
        rid = self._number(message)
        grace = self.limits.grace_seconds
        deadline = time.monotonic() + seconds + grace
        # Progress frames extend a load's deadline module by module, never past this.
        sub = self._submission
        left = self.limits.submission_seconds - (sub.used if sub else 0.0)
        hard_end = time.monotonic() + max(left, seconds) + grace
        what = "import" if message["op"] == "load" else "call"
        with self._failures(child, what, seconds, stack):
            self._write(child, dumps_frame(message), deadline)
            return self._await(child, rid, deadline, hard_end, stack)
        raise AssertionError("unreachable")  # pragma: no cover - _failures always raises

    def _number(self, message: dict[str, Any]) -> int:
        self._request_id += 1
        message["id"] = self._request_id
        return self._request_id

    def _await(
        self,
        child: _Child,
        rid: int,
        deadline: float,
        hard_end: float,
        stack: list[str] | None,
    ) -> dict[str, Any]:
        """Frames until the reply to request ``rid``; hello and progress frames on the way."""
        grace = self.limits.grace_seconds
        while True:
            reply = self._read(child, deadline)
            kind = reply.get("kind")
            if kind == "hello" and child.hello is None:
                self._note_hello(child, reply)
            elif kind == "progress" and stack is not None:
                module, event = reply.get("module"), reply.get("event")
                if not isinstance(module, str):
                    raise ProtocolError("malformed progress frame")
                if event == "importing":
                    stack.append(module)
                    deadline = min(time.monotonic() + self.limits.import_seconds + grace, hard_end)
                elif event == "imported" and stack and stack[-1] == module:
                    stack.pop()
            elif kind == "reply" and reply.get("id") == rid:
                return reply
            elif kind not in ("progress", "hello"):
                raise ProtocolError("unexpected frame")

    @contextlib.contextmanager
    def _failures(
        self, child: _Child, what: str, seconds: float, stack: list[str] | None = None
    ) -> Iterator[None]:
        """Turn what can go wrong on the pipes into a ``_Failure`` (and a replaced child)."""
        try:
            yield
        except _Deadline:
            if child.hello is None:  # not the student's fault: the sandbox is stuck
                self._stop_zygote()
                self._child = None
                raise _SandboxStuck from None
            self._drop_child()
            module = f" while importing {stack[-1]}.py" if stack else ""
            raise _Failure(
                "timeout",
                f"the {what} did not finish within {seconds:g} s{module}; "
                f"the worker was stopped and replaced",
                "import_seconds" if what == "import" else "call_seconds",
            ) from None
        except _Ended as ended:
            self._drop_child()
            raise _Failure(*_describe_end(ended.event, what)) from None
        except ResultTooLarge as exc:
            self._drop_child()
            raise _Failure("bad_result", f"the worker sent {exc}", "max_frame_bytes") from None
        except ProtocolError as exc:
            self._drop_child()
            raise _Failure(
                "bad_result", f"the worker sent a malformed reply ({exc}); it was replaced"
            ) from None

    def _note_hello(self, child: _Child, hello: dict[str, Any]) -> None:
        child.hello = hello
        if hello.get("seccomp") is False:
            self._protections["seccomp"] = False
        if hello.get("rlimits") is False:
            self._protections["rlimits"] = False

    def _result(self, reply: dict[str, Any], seconds: float) -> CallResult:
        """Validate a reply and turn it into a CallResult; anything odd is ``bad_result``."""
        status = reply.get("status")
        error = reply.get("error", "")
        output = reply.get("output", "")
        notes = reply.get("warnings", [])
        limit = reply.get("limit")
        error_type = reply.get("error_type", "")
        if (
            status not in _CHILD_STATUSES
            or not isinstance(error, str)
            or not isinstance(output, str)
            or not isinstance(notes, list)
            or not all(isinstance(n, str) for n in notes)
            or (limit is not None and limit not in _LIMIT_NAMES)
            or not isinstance(error_type, str)
        ):
            self._drop_child()
            return CallResult(
                "bad_result", error="the worker sent a malformed reply", seconds=seconds
            )
        output = output[-(self.limits.output_chars + 200) :]
        error = error[: self.limits.error_chars * 2]
        kept = tuple(n[:400] for n in notes[:20])
        if status == "internal":
            text = f"the worker could not run the call: {error}"
            return CallResult(
                "bad_result", error=text, output=output, warnings=kept, seconds=seconds
            )
        value = None
        if status == "ok":
            try:
                value = decode_value(reply.get("value"), self._decode_limits)
            except ResultTooLarge as exc:
                text = f"the result is too large: {exc}"
                return CallResult(
                    "bad_result",
                    error=text,
                    output=output,
                    warnings=kept,
                    limit="max_elements",
                    seconds=seconds,
                )
            except ProtocolError as exc:
                self._drop_child()
                text = f"the worker sent a malformed result ({exc})"
                return CallResult(
                    "bad_result", error=text, output=output, warnings=kept, seconds=seconds
                )
        error_type = error_type[:100] if error_type.isidentifier() else ""
        return CallResult(status, value, error, output, seconds, kept, limit, error_type)

    # ------------------------------------------------------------ pipes

    def _write(self, child: _Child, frame: bytes, deadline: float) -> None:
        view = memoryview(frame)
        while view:
            try:
                written = os.write(child.req, view)
                view = view[written:]
                continue
            except BlockingIOError:
                pass
            except (BrokenPipeError, OSError):
                raise _Ended(self._wait_ended(child)) from None
            self._wait(child, deadline, select.POLLOUT, child.req)

    def _read(self, child: _Child, deadline: float) -> dict[str, Any]:
        """The next whole frame from the child."""
        cap = self.limits.max_frame_bytes
        while True:
            buf = child.buffer
            if len(buf) >= HEADER.size:
                length = frame_length(bytes(buf[: HEADER.size]), cap)
                end = HEADER.size + length
                if len(buf) >= end:
                    body = bytes(buf[HEADER.size : end])
                    del buf[:end]
                    return loads_payload(body, self.limits.max_items)
                want = end - len(buf)
            else:
                want = HEADER.size - len(buf)
            if child.eof:
                raise _Ended(self._wait_ended(child))
            if not buf:  # a new reply is rarely there yet: poll first, read once
                self._wait(child, deadline, select.POLLIN, child.resp)
            try:
                chunk = os.read(child.resp, max(want, 1 << 16))
            except BlockingIOError:
                self._wait(child, deadline, select.POLLIN, child.resp)
                continue
            if not chunk:
                child.eof = True
                continue
            buf += chunk

    def _wait(self, child: _Child, deadline: float, events: int, fd: int) -> None:
        """Block until ``fd`` is ready, the zygote reports the child's end, or the deadline."""
        assert self._ctrl is not None
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Deadline
        poller = select.poll()
        poller.register(fd, events | select.POLLHUP | select.POLLERR)
        poller.register(self._ctrl.fileno(), select.POLLIN)
        ready = dict(poller.poll(max(1, int(left * 1000) + 1)))
        if self._ctrl.fileno() in ready:
            self._drain_ctrl()
            if child.ended is not None and fd not in ready:
                # The child is gone; whatever it wrote is already in the pipe.
                if events == select.POLLOUT:
                    raise _Ended(child.ended)
        if not ready and time.monotonic() >= deadline:
            raise _Deadline

    # ------------------------------------------------------------ control socket

    def _drain_ctrl(self) -> None:
        """Read every pending event of the zygote; note the end of the current child."""
        assert self._ctrl is not None
        while True:
            try:
                data = self._ctrl.recv(1 << 16, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._zygote_lost()
                return
            self._note_event(data)

    def _note_event(self, data: bytes) -> dict[str, Any] | None:
        try:
            event = json.loads(data)
        except ValueError:
            return None
        if not isinstance(event, dict):
            return None
        child = self._child
        if event.get("event") == "ended":
            cpu = event.get("cpu_seconds")
            if isinstance(cpu, float) and 0.0 <= cpu < 1e6:
                self.stats["worker_cpu_seconds"] += cpu
                self.stats["children_reaped"] += 1
            if child is not None and event.get("seq") == child.seq:
                child.ended = event
        return event

    def _ctrl_event(self, deadline: float, name: str) -> dict[str, Any] | None:
        """Wait for the zygote's event ``name``; None if it dies or the deadline passes."""
        assert self._ctrl is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._ctrl], [], [], left)
            if not ready:
                return None
            try:
                data = self._ctrl.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                return None
            event = self._note_event(data)
            if event is not None and event.get("event") == name:
                return event

    def _zygote_lost(self) -> None:
        child = self._child
        if child is not None and child.ended is None:
            child.ended = {"event": "ended", "zygote": True}
        self._stop_zygote()

    def _wait_ended(self, child: _Child) -> dict[str, Any]:
        """The zygote's report of how ``child`` ended (its pipe was closed)."""
        if child.ended is None and self._ctrl is not None:
            deadline = time.monotonic() + _ZYGOTE_ANSWER_SECONDS
            while child.ended is None:
                if self._ctrl_event(deadline, "ended") is None:
                    break
        if child.ended is None:
            # The child closed its pipe but lives on, or the zygote is stuck.
            self._kill_child(child)
        return child.ended or {"event": "ended", "unknown": True}

    def _drop_child(self, wait: bool = True) -> None:
        """Make sure the current child is gone, killing it if needed.

        With ``wait=False`` the kill order is only sent: the zygote handles its
        orders in turn, so the next spawn still gets a clean sandbox, and a
        zygote that stopped answering shows up as a missing ``hello``.
        """
        child = self._child
        if child is None:
            return
        if child.ended is None and not wait and self._ctrl is not None:
            try:
                self._ctrl.send(json.dumps({"op": "kill", "seq": child.seq}).encode())
                self.stats["children_ended"] += 1
            except OSError:
                wait = True
        if child.ended is None and wait:
            self._kill_child(child)
        self._child = None
        for fd in (child.req, child.resp):
            try:
                os.close(fd)
            except OSError:
                pass

    def _kill_child(self, child: _Child) -> None:
        self.stats["children_killed"] += 1
        if self._ctrl is None or self._proc is None or self._proc.poll() is not None:
            child.ended = child.ended or {"event": "ended", "zygote": True}
            self._stop_zygote()
            return
        try:
            self._ctrl.send(json.dumps({"op": "kill", "seq": child.seq}).encode())
        except OSError:
            self._stop_zygote()
            return
        deadline = time.monotonic() + _ZYGOTE_ANSWER_SECONDS
        while child.ended is None:
            if self._ctrl_event(deadline, "ended") is None:
                self._stop_zygote()  # the zygote does not answer: start over
                child.ended = child.ended or {"event": "ended", "zygote": True}
                return

    def _stop_zygote(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self._ctrl is not None:
            self._ctrl.close()
            self._ctrl = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._launch is not None and self._launch.root:
            shutil.rmtree(self._launch.root, ignore_errors=True)
        self._launch = None

    def _zygote_stderr(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            text = self._stderr.read(1 << 16).decode("utf-8", "replace").strip()
        except OSError:
            return ""
        return text[-2000:]


class _SandboxStuck(Exception):
    """A new child never said hello: the zygote is stuck and was stopped."""


class _Deadline(Exception):
    """The hard deadline of a request passed."""


class _Ended(Exception):
    """The child's pipe closed: it ended (``event`` is the zygote's report)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__("ended")
        self.event = event


def _frame(message: dict[str, Any]) -> bytes:
    """A request's frame; one encoded ahead only gets its id and time limit."""
    body = message.get(_BODY)
    if body is None:
        return dumps_frame(message)
    return frame_of(body, message["id"], message["timeout"])


def _describe_end(event: dict[str, Any], what: str) -> tuple[str, str, str | None]:
    """(status, error, limit) for a child that ended during a request."""
    if event.get("zygote"):
        return "crashed", f"the sandbox stopped during the {what}; it will be restarted", None
    if event.get("reason") == "scratch_files":
        return (
            "crashed",
            f"the worker was stopped during the {what}: it created more files than its "
            f"scratch space allows",
            "scratch_files",
        )
    sig = event.get("signal")
    if isinstance(sig, int):
        if sig == signal.SIGXCPU:
            return "timeout", f"the {what} used up the CPU time limit", "cpu_seconds"
        try:
            label = _SIGNAL_TEXT.get(signal.Signals(sig), f"signal {signal.Signals(sig).name}")
        except ValueError:
            label = f"signal {sig}"
        return "crashed", f"the worker process was killed during the {what} by {label}", None
    code = event.get("exit")
    if isinstance(code, int):
        return (
            "crashed",
            f"the worker process ended during the {what} with exit status {code} "
            f"(the code called os._exit() or closed the worker's pipes)",
            None,
        )
    return "crashed", f"the worker process ended during the {what}", None


def _blame(module: str, failure: _Failure) -> str:
    if failure.status == "timeout":
        return f"importing {module}.py did not finish in time: {failure.error}"
    return f"the worker died while importing {module}.py: {failure.error}"
