"""The worker child: forked by the zygote for one submission, it serves ``load``/``call``/``drive``.

Mirror of ``nngrade.sandbox.child``, the grader's record of this process.

Right after the fork the child confines itself (``child_main``): its pipes go
to fixed fds and every other inherited fd is closed, it dies with the zygote,
its stdio goes to a scratch file, it lowers its rlimits, drops to ``nobody``
in the fallback, installs the seccomp filter the zygote compiled, seeds
``random`` and ``numpy.random``, and takes ``nngrade`` out of ``sys.path``
and ``sys.modules``. Only then does it say ``hello`` and answer requests.

Threat model: from the first ``load`` on, this process runs the student's
code, which may do anything the confinement allows: replace builtins, numpy
functions, signal handlers or this module's globals, raise anything
(``SystemExit`` and ``KeyboardInterrupt`` included), never return, print
without end, or kill the process. So every student call runs under a soft
``SIGALRM`` timer (the handler is reinstalled per call, through the C-level
function a student cannot wrap), every exception becomes a reply, results are
encoded while the timer still runs (a hostile ``__repr__`` may loop), and
nothing here is trusted afterwards: the grader enforces the hard deadline,
checks every reply, and kills and replaces the child when anything is off.

Imports only the standard library, numpy and this package.
"""

from __future__ import annotations

import _signal
import importlib
import os
import random
import signal
import socket
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

import numpy as np

from nngrade.worker import confine, functions, wording
from nngrade.worker.channel import Channel
from nngrade.worker.drivers import Unavailable
from nngrade.worker.loader import SubmissionFinder, filename_of, shadowed_names
from nngrade.worker.output import Tail
from nngrade.worker.protocol import (
    DecodeLimits,
    ProtocolError,
    decode_value,
    encode_value,
    short_text,
    type_name,
)

__all__ = ["DIAG_FD", "REQ_FD", "RESP_FD", "CallTimeout", "Child", "StudentModules", "child_main"]

REQ_FD = 3  # the child's request pipe (read end)
RESP_FD = 4  # the child's reply pipe (write end)
DIAG_FD = 5  # the zygote's stderr, while a child sets itself up


class CallTimeout(BaseException):  # noqa: N818 - raised into student code by SIGALRM
    """The soft per-call timer went off."""


_SIGALRM = int(signal.SIGALRM)


def _alarm(_signum: int, _frame: Any) -> None:
    raise CallTimeout


# ====================================================================== start


def child_main(
    req: int,
    resp: int,
    cfg: dict[str, Any],
    *,
    ctrl: socket.socket,
    scratch: str,
    zygote_pid: int,
    drop_user: bool,
    pidns: bool,
    program: bytes | None,
    drivers: dict[str, Any],
) -> int:
    """Run in the child right after the fork; returns its exit status.

    ``ctrl`` is the zygote's control socket (closed at once), ``program`` its
    compiled seccomp filter, ``pidns`` whether it runs in its own pid namespace.
    """
    ctrl.close()
    # Our pipes go to fixed numbers, the zygote's stderr to DIAG_FD until the
    # set-up is done, and every other inherited fd is closed.
    req_hi = os.dup(req)
    resp_hi = os.dup(resp)
    diag_hi = os.dup(2)
    os.dup2(req_hi, REQ_FD)
    os.dup2(resp_hi, RESP_FD)
    os.dup2(diag_hi, DIAG_FD)
    os.closerange(DIAG_FD + 1, 1 << 16)
    try:
        child = _confine(cfg, scratch, zygote_pid, drop_user, pidns, program, drivers)
    except BaseException:  # noqa: BLE001 - report to the grader's log, never serve
        os.write(DIAG_FD, traceback.format_exc().encode("utf-8", "replace"))
        return 71
    finally:
        os.close(DIAG_FD)
    if child is None:
        return 72
    child.channel.send({"kind": "hello", **child.protections})
    return child.serve()


def _confine(
    cfg: dict[str, Any],
    scratch: str,
    zygote_pid: int,
    drop_user: bool,
    pidns: bool,
    program: bytes | None,
    drivers: dict[str, Any],
) -> Child | None:
    confine.set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != zygote_pid:
        return None  # the zygote died before we could ask to die with it
    os.chdir(scratch)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        out = os.open(scratch, os.O_TMPFILE | os.O_RDWR, 0o600)
    except (AttributeError, OSError):
        out = os.open(os.path.join(scratch, ".output"), os.O_CREAT | os.O_RDWR, 0o600)
        os.unlink(os.path.join(scratch, ".output"))
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    protections: dict[str, Any] = {}
    rlimits = dict(cfg.get("rlimits", {}))
    if not pidns and not drop_user:
        # Outside a user namespace RLIMIT_NPROC counts every process of this
        # user on the host, so a low value could forbid even threads; new
        # processes are denied by seccomp anyway.
        rlimits.pop("processes", None)
    failed = confine.apply_rlimits(rlimits)
    protections["rlimits"] = not failed
    protections["rlimits_failed"] = failed
    if drop_user:
        os.setgroups([])
        os.setgid(confine.NOBODY)
        os.setuid(confine.NOBODY)
    if program is not None:
        try:
            confine.install_filter(program)
            protections["seccomp"] = True
        except OSError as exc:
            protections["seccomp"] = False
            protections["seccomp_error"] = str(exc)
    else:
        protections["seccomp"] = False
    seed = int(cfg.get("seed", 0))
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    _hide_worker(cfg.get("hide", []))
    child = Child(Channel(REQ_FD, RESP_FD), cfg, drivers)
    child.protections = protections
    return child


def _hide_worker(paths: list[str]) -> None:
    """Take the worker package off ``sys.path``/``sys.modules``: ``import nngrade`` must fail."""
    sys.path[:] = [p for p in sys.path if p not in paths]
    for name in [n for n in sys.modules if n == "nngrade" or n.startswith("nngrade.")]:
        del sys.modules[name]


# ====================================================================== serve


class StudentModules(Mapping[str, ModuleType]):
    """What drivers see as ``modules``: a missing or broken module raises ``Unavailable``."""

    def __init__(self, child: Child) -> None:
        self._child = child

    def __getitem__(self, name: str) -> ModuleType:
        found = self._child.module(name)
        if isinstance(found, dict):
            raise Unavailable(found["status"], found["error"])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._child.sources))

    def __len__(self) -> int:
        return len(self._child.sources)


class Child:
    """Serves one submission: ``load`` once, then any number of ``call`` / ``drive``."""

    def __init__(self, channel: Channel, cfg: dict[str, Any], drivers: dict[str, Any]) -> None:
        self.channel = channel
        self.drivers = drivers
        self.limits = DecodeLimits(**cfg.get("decode", {}))
        self.import_seconds = float(cfg.get("import_seconds", 10.0))
        self.error_chars = int(cfg.get("error_chars", 2000))
        self.output = Tail(int(cfg.get("output_chars", 4096)))
        sys.stdout = sys.stderr = self.output
        self.sources: dict[str, str] = {}
        self.loaded: dict[str, ModuleType] = {}
        self.errors: dict[str, str] = {}
        self.shadowed: set[str] = set()
        self.finder: SubmissionFinder | None = None
        self.request_id: Any = None
        self.protections: dict[str, Any] = {}
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "load": self.op_load,
            "call": self.op_call,
            "drive": self.op_drive,
            "ping": lambda _msg: {"status": "ok", "value": None},
        }

    def serve(self) -> int:
        while True:
            try:
                message = self.channel.recv()
            except (EOFError, ProtocolError):
                return 0
            self.request_id = message.get("id")
            try:
                handler = self.handlers[message["op"]]
                reply = handler(message)
            except CallTimeout:
                reply = {"status": "timeout", "error": wording.CALL_TIMEOUT}
            except BaseException as exc:  # noqa: BLE001 - the worker itself must go on
                reply = {"status": "internal", "error": wording.internal_error(exc)}
            reply["kind"] = "reply"
            reply["id"] = self.request_id
            self.channel.send(reply)

    def progress(self, event: str, module: str) -> None:
        self.channel.send(
            {"kind": "progress", "id": self.request_id, "event": event, "module": module}
        )

    # ------------------------------------------------------------ requests

    def op_load(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.finder is not None:
            raise RuntimeError("a child loads one submission only")
        sources = message["sources"]
        self.sources = {str(k): str(v) for k, v in sources.items()}
        self.shadowed = shadowed_names(self.sources)
        served = {k: v for k, v in self.sources.items() if k not in self.shadowed}
        self.finder = SubmissionFinder(served, message.get("poisoned", {}), self.progress)
        sys.meta_path.append(self.finder)
        results = {name: self.import_module(name) for name in message.get("eager", [])}
        return {"status": "ok", "value": results, "output": self.output.take()}

    def import_module(self, name: str) -> str:
        """Import one student module under the soft timer; "ok" or the error text."""
        if name in self.loaded:
            return "ok"
        if name in self.errors:
            return self.errors[name]
        assert self.finder is not None
        if name in self.finder.poisoned:
            error = self.finder.poisoned[name]
        elif name in self.shadowed:
            error = wording.shadowed(name)
        elif name not in self.sources:
            return wording.no_module(name)
        else:
            holder: list[ModuleType] = []
            outcome = self.guarded(
                lambda: holder.append(importlib.import_module(name)), self.import_seconds
            )
            if outcome[0] == "ok":
                self.loaded[name] = holder[0]
                return "ok"
            exc = outcome[1]
            if isinstance(exc, CallTimeout):
                error = wording.import_timeout(name, self.import_seconds)
            else:
                error = self.describe(exc)
        self.errors[name] = error
        return error

    def module(self, name: str) -> ModuleType | dict[str, Any]:
        """The loaded module ``name``, importing it now if it was not eager; or a reply."""
        if name in self.loaded:
            return self.loaded[name]
        if name not in self.sources:
            return {"status": "missing_module", "error": wording.no_module(name)}
        result = self.import_module(name)
        if result == "ok":
            return self.loaded[name]
        return {"status": "import_error", "error": result}

    def op_call(self, message: dict[str, Any]) -> dict[str, Any]:
        module_name = message["module"]
        name = message["name"]
        found = self.module(module_name)
        if isinstance(found, dict):
            return found
        module = found
        args = self.decode(message.get("args", []))
        kwargs = self.decode(message.get("kwargs", {"$": "dict", "v": {}}))

        def run() -> Any:
            try:
                fn = getattr(module, name)
            except AttributeError:
                raise Unavailable("missing_name", wording.missing_name(module_name, name)) from None
            if not callable(fn):
                raise Unavailable(
                    "missing_name", wording.not_a_function(module_name, name, type_name(fn))
                )
            return fn(*args, **kwargs)

        return self.run(run, float(message.get("timeout", 5.0)))

    def op_drive(self, message: dict[str, Any]) -> dict[str, Any]:
        driver = self.drivers.get(message["driver"])
        if driver is None:
            raise KeyError(f"unknown driver {message['driver']!r}")
        params = self.decode(message.get("params", {"$": "dict", "v": {}}))
        modules = StudentModules(self)
        return self.run(lambda: driver(modules, params), float(message.get("timeout", 5.0)))

    def decode(self, data: Any) -> Any:
        return decode_value(
            data,
            self.limits,
            make_rng=lambda seed: np.random.default_rng(
                tuple(seed) if isinstance(seed, list) else seed
            ),
            make_fn=functions.make,
        )

    # ------------------------------------------------------------ guarding

    def guarded(self, thunk: Callable[[], Any], seconds: float) -> tuple[str, Any, list[str]]:
        """Run student code: ("ok", encoded value, warnings) or ("exc", exception, warnings)."""
        outcome: tuple[str, Any]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Every call: student code may have replaced the handler. The C function,
            # not signal.signal, whose enum wrapping costs more than the call it guards.
            _signal.signal(_SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
            try:
                try:
                    # Encode while the timer still runs: a hostile __repr__ may loop.
                    value = encode_value(thunk(), self.limits)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                outcome = ("ok", value)
            except BaseException as exc:  # noqa: BLE001 - student code: SystemExit too
                outcome = ("exc", exc)
        notes: list[str] = []
        for item in caught[:20]:
            try:
                note = f"{item.category.__name__}: {short_text(str(item.message), 300)}"
            except BaseException:  # noqa: BLE001 - a hostile warning message
                note = "a warning that could not be shown"
            if note not in notes:
                notes.append(note)
        return outcome[0], outcome[1], notes

    def run(self, thunk: Callable[[], Any], seconds: float) -> dict[str, Any]:
        """Guarded call to student code, as a reply."""
        started = time.perf_counter()
        kind, value, notes = self.guarded(thunk, seconds)
        reply: dict[str, Any] = {"warnings": notes}
        if kind == "ok":
            reply.update(status="ok", value=value)
        else:
            reply.update(self.failure(value, seconds))
        reply["output"] = self.output.take()
        reply["cpu_seconds"] = time.perf_counter() - started
        return reply

    def failure(self, exc: BaseException, seconds: float) -> dict[str, Any]:
        """The reply for an exception that ended a guarded call."""
        if isinstance(exc, CallTimeout):
            return {"status": "timeout", "error": wording.call_timeout(seconds),
                    "limit": "call_seconds"}
        if isinstance(exc, Unavailable):
            return {"status": exc.status, "error": str(exc.message)[: self.error_chars]}
        status, error_type, limit = wording.classify(exc)
        reply = {"status": status, "error": self.describe(exc), "error_type": error_type}
        if limit is not None:
            reply["limit"] = limit
        return reply

    def describe(self, exc: BaseException) -> str:
        """The exception as the student's report shows it."""
        return wording.describe(exc, {filename_of(m) for m in self.sources}, self.error_chars)
