"""The worker's two loops: the zygote, and the child that serves one submission.

The zygote is started once per grading process, inside bubblewrap. It imports
numpy and every driver (the slow part, ~150 ms), becomes non-dumpable (no
ptrace, no /proc/PID/mem or fd access from its children), compiles the
seccomp filter, and then waits for orders on its control socket:

- ``spawn`` (with two pipe fds attached): fork a child for a new submission;
- ``kill``: kill the current child.

When a child ends, however it ends, the zygote kills every other process of
the sandbox (``kill(-1)`` from inside the pid namespace), empties the scratch
directories, and only then reports ``ended`` and accepts the next ``spawn``:
nothing of one student survives into the next one's child.

The child confines itself (rlimits, seccomp, output capture, hides the
``nngrade`` package), says ``hello``, then answers frames on its own pipes:
``load`` (import the submission from memory), ``call`` and ``drive``. Every
exception of the student's, ``SystemExit`` and ``KeyboardInterrupt`` included,
becomes a reply; a soft ``SIGALRM`` timer turns most overlong calls into a
``timeout`` reply, and the grader's hard kill covers the rest.

Imports only the standard library and numpy. Started as::

    python -I -S -B -c BOOTSTRAP CONFIG_JSON LIB_DIR SITE_DIR DIAG_FD
"""

from __future__ import annotations

import _signal
import gc
import importlib
import importlib.util
import io
import json
import os
import random
import select
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

from nngrade.worker import confine, functions
from nngrade.worker.drivers import DRIVERS, Unavailable, load_all
from nngrade.worker.loader import SubmissionFinder, filename_of, shadowed_names
from nngrade.worker.protocol import (
    HEADER,
    DecodeLimits,
    ProtocolError,
    decode_value,
    dumps_frame,
    encode_value,
    frame_length,
    loads_payload,
    short_text,
    type_name,
)

# argv: CONFIG_JSON LIB_DIR SITE_DIR DIAG_FD. The grader's log fd becomes
# stderr first thing, so that even a failing import is reported.
BOOTSTRAP = (
    "import os, sys; d = int(sys.argv[4]); d >= 0 and os.dup2(d, 2); "
    "sys.path[:0] = sys.argv[2:4]; "
    "from nngrade.worker.main import zygote_main; zygote_main(sys.argv[1])"
)

# Imported once in the zygote, so that children start with them: faster, and
# in the fallback a child running as ``nobody`` may not be able to read the
# interpreter's files any more (numpy.random, for one, is imported lazily).
PRELOAD = (
    "numpy.random",
    "numpy.linalg",
    "numpy.fft",
    "numpy.testing",
    "math",
    "cmath",
    "random",
    "secrets",
    "statistics",
    "fractions",
    "decimal",
    "itertools",
    "functools",
    "collections",
    "copy",
    "dataclasses",
    "typing",
    "enum",
    "heapq",
    "bisect",
    "operator",
    "re",
    "string",
    "numbers",
    "contextlib",
    "textwrap",
    "pprint",
)

_FILES_POLL_SECONDS = 0.25  # how often the zygote counts the files of a running child

REQ_FD = 3  # the child's request pipe (read end)
RESP_FD = 4  # the child's reply pipe (write end)
DIAG_FD = 5  # the zygote's stderr, while a child sets itself up
NOBODY = 65534

# Captured before any student code runs (a student may monkeypatch os or json;
# that can only break its own replies, but we'd rather not break by accident).
_read = os.read
_write = os.write
_dumps_frame = dumps_frame
_loads_payload = loads_payload


# ====================================================================== zygote


def zygote_main(config: str) -> None:
    """Entry point of the sandboxed process (see ``BOOTSTRAP``)."""
    cfg = json.loads(config)
    ctrl = socket.socket(fileno=int(cfg["ctrl_fd"]))
    diag = int(cfg.get("diag_fd", -1))
    if diag > 2:  # BOOTSTRAP made it our stderr already
        os.close(diag)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # fd 2 stays: the grader keeps it for startup errors
    os.close(null)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    load_all()
    drivers = dict(DRIVERS)
    # Fill the path finders' directory caches once, for every child to inherit.
    importlib.util.find_spec("nngrade_cache_warmup")
    confine.set_dumpable(False)
    try:
        program: bytes | None = confine.compile_filter()
        seccomp_error = ""
    except OSError as exc:
        program, seccomp_error = None, str(exc)
    ready = {
        "event": "ready",
        "pid": os.getpid(),
        "seccomp": program is not None,
        "seccomp_error": seccomp_error,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "drivers": sorted(drivers),
    }
    ctrl.sendall(json.dumps(ready).encode())
    Zygote(ctrl, cfg, program, drivers).serve()


class Zygote:
    """Forks one child at a time and cleans the sandbox after each."""

    def __init__(
        self,
        ctrl: socket.socket,
        cfg: dict[str, Any],
        program: bytes | None,
        drivers: dict[str, Any],
    ) -> None:
        self.ctrl = ctrl
        self.cfg = cfg
        self.program = program
        self.drivers = drivers
        self.scratch_root: str = cfg["scratch"]
        # kill(-1) is only ever safe inside our own pid namespace, where we
        # are pid 2 under bubblewrap's reaper: never in the fallback.
        self.pidns = bool(cfg.get("pidns")) and os.getpid() == 2
        self.child: tuple[int, int, int | None] | None = None  # (seq, pid, pidfd)
        self.scratch_files = 10_000

    def serve(self) -> None:
        while True:
            watch = [self.ctrl.fileno()]
            if self.child and self.child[2] is not None:
                watch.append(self.child[2])
            timeout = None
            if self.child:
                timeout = 0.05 if self.child[2] is None else _FILES_POLL_SECONDS
            ready, _, _ = select.select(watch, [], [], timeout)
            if self.child and (self.child[2] is None or self.child[2] in ready):
                self._reap(block=False)
            if self.child and not ready and self._too_many_files():
                self._kill(reason="scratch_files")
            if self.ctrl.fileno() in ready:
                try:
                    going_on = self._order()
                except Exception:  # noqa: BLE001 - log it; the grader restarts us if need be
                    traceback.print_exc()
                    going_on = True
                if not going_on:
                    self._kill()
                    return

    def _order(self) -> bool:
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.ctrl, 1 << 16, 4)
        except ConnectionError:
            return False
        if not data:
            return False
        try:
            order = json.loads(data)
            op = order["op"]
            if op == "spawn" and len(fds) == 2:
                self._kill()
                child_cfg = order.get("child", {})
                self.scratch_files = int(child_cfg.get("scratch_files", 10_000))
                self._spawn(int(order["seq"]), fds[0], fds[1], child_cfg)
                fds = []
            elif op == "kill":
                if self.child and self.child[0] == int(order["seq"]):
                    self._kill()
            elif op == "exit":
                return False
        finally:
            for fd in fds:
                os.close(fd)
        return True

    def _spawn(self, seq: int, req: int, resp: int, child_cfg: dict[str, Any]) -> None:
        scratch = os.path.join(self.scratch_root, "work")
        _wipe(scratch, keep_root=False)
        if os.path.lexists(scratch):  # a file or symlink a child left in its place
            os.unlink(scratch)
        os.mkdir(scratch, 0o700)
        drop_user = bool(self.cfg.get("drop_user")) and os.geteuid() == 0
        if drop_user:
            os.chown(scratch, NOBODY, NOBODY)
        zygote_pid = os.getpid()
        # Everything the zygote holds moves out of the collector's sight: a child's first
        # collection would otherwise write to every tracked object, copying nearly every
        # page of the zygote's heap (copy-on-write) in each new child.
        gc.freeze()
        pid = os.fork()
        if pid == 0:  # ---- child
            code = 70
            try:
                code = _child_main(self, req, resp, child_cfg, scratch, zygote_pid, drop_user)
            except BaseException:  # noqa: BLE001 - never return into the zygote loop
                try:
                    traceback.print_exc()
                finally:
                    os._exit(71)
            finally:
                os._exit(code)
        os.close(req)
        os.close(resp)
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        self.child = (seq, pid, pidfd)

    def _too_many_files(self) -> bool:
        """tmpfs ``size=`` bounds bytes, not inodes: millions of empty files would eat
        kernel memory, so the zygote counts them while a child runs."""
        if not self.pidns:
            return False  # the fallback's scratch space is the host's /tmp: not ours to count
        for path in (self.scratch_root, "/dev/shm"):
            try:
                st = os.statvfs(path)
            except OSError:
                continue
            if st.f_files - st.f_ffree > self.scratch_files:
                return True
        return False

    def _kill(self, reason: str = "") -> None:
        if self.child is None:
            return
        try:
            os.kill(self.child[1], signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap(block=True, killed=True, reason=reason)

    def _reap(self, block: bool, killed: bool = False, reason: str = "") -> None:
        assert self.child is not None
        seq, pid, pidfd = self.child
        cpu = None
        try:
            done, status, usage = os.wait4(pid, 0 if block else os.WNOHANG)
            cpu = usage.ru_utime + usage.ru_stime
        except ChildProcessError:
            done, status = pid, 0
        if done == 0:
            return
        if pidfd is not None:
            os.close(pidfd)
        self.child = None
        self._clean()
        event: dict[str, Any] = {"event": "ended", "seq": seq, "killed": killed}
        if cpu is not None:
            event["cpu_seconds"] = round(cpu, 6)  # what the submission cost the worker
        if reason:
            event["reason"] = reason
        if os.WIFSIGNALED(status):
            event["signal"] = os.WTERMSIG(status)
        else:
            event["exit"] = os.WEXITSTATUS(status)
        try:
            self.ctrl.sendall(json.dumps(event).encode())
        except OSError:
            pass

    def _clean(self) -> None:
        """Nothing of the last child may survive: processes, files, shared memory."""
        if self.pidns:
            try:
                os.kill(-1, signal.SIGKILL)  # all but us and bubblewrap's pid 1
            except ProcessLookupError:
                pass
            while True:
                try:
                    if os.waitpid(-1, os.WNOHANG)[0] == 0:
                        break
                except ChildProcessError:
                    break
            _wipe(self.scratch_root, keep_root=True)
            _wipe("/dev/shm", keep_root=True)
        else:
            _wipe(os.path.join(self.scratch_root, "work"), keep_root=False)


def _wipe(path: str, keep_root: bool) -> None:
    """Delete everything under ``path`` (and ``path`` unless ``keep_root``).

    The student may leave directories without permissions, nested deeper than
    PATH_MAX or than Python's recursion limit: the walk is iterative, works on
    directory fds, and gives every directory back its owner's rwx first (the
    zygote has no capabilities, but it owns what its children created).
    """
    try:
        os.chmod(path, 0o755 if keep_root else 0o700)
        root = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    stack: list[tuple[int, str]] = [(root, "")]  # (directory fd, its name in the parent)
    budget = 1_000_000  # operations; a bound, not an expected size
    try:
        while stack and budget > 0:
            fd = stack[-1][0]
            descended = False
            try:
                names = [entry.name for entry in os.scandir(fd)]
            except OSError:
                names = []
            for name in names:
                budget -= 1
                try:
                    os.unlink(name, dir_fd=fd)
                    continue
                except IsADirectoryError:
                    pass
                except OSError:
                    continue
                try:
                    os.chmod(name, 0o700, dir_fd=fd, follow_symlinks=False)
                    os.rmdir(name, dir_fd=fd)
                    continue
                except OSError:
                    pass
                try:
                    child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except OSError:
                    continue
                stack.append((child, name))
                descended = True
                break
            if descended:
                continue
            fd, name = stack.pop()
            os.close(fd)
            if stack:
                try:
                    os.rmdir(name, dir_fd=stack[-1][0])
                except OSError:
                    budget -= 1000  # cannot remove it: do not loop on it forever
    finally:
        for fd, _name in stack:
            os.close(fd)
    if not keep_root:
        try:
            os.rmdir(path)
        except OSError:
            pass


# ======================================================================= child


class CallTimeout(BaseException):  # noqa: N818 - raised into student code by SIGALRM
    """The soft per-call timer went off."""


_SIGALRM = int(signal.SIGALRM)


def _alarm(_signum: int, _frame: Any) -> None:
    raise CallTimeout


def _child_main(
    zygote: Zygote,
    req: int,
    resp: int,
    cfg: dict[str, Any],
    scratch: str,
    zygote_pid: int,
    drop_user: bool,
) -> int:
    zygote.ctrl.close()
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
        child = _confine_child(zygote, cfg, scratch, zygote_pid, drop_user)
    except BaseException:  # noqa: BLE001 - report to the grader's log, never serve
        os.write(DIAG_FD, traceback.format_exc().encode("utf-8", "replace"))
        return 71
    finally:
        os.close(DIAG_FD)
    if child is None:
        return 72
    child.channel.send({"kind": "hello", **child.protections})
    return child.serve()


def _confine_child(
    zygote: Zygote, cfg: dict[str, Any], scratch: str, zygote_pid: int, drop_user: bool
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
    if not zygote.pidns and not drop_user:
        # Outside a user namespace RLIMIT_NPROC counts every process of this
        # user on the host, so a low value could forbid even threads; new
        # processes are denied by seccomp anyway.
        rlimits.pop("processes", None)
    failed = confine.apply_rlimits(rlimits)
    protections["rlimits"] = not failed
    protections["rlimits_failed"] = failed
    if drop_user:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    if zygote.program is not None:
        try:
            confine.install_filter(zygote.program)
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
    child = Child(Channel(REQ_FD, RESP_FD), cfg, zygote.drivers)
    child.protections = protections
    return child


def _hide_worker(paths: list[str]) -> None:
    """Take the worker package off ``sys.path``/``sys.modules``: ``import nngrade`` must fail."""
    sys.path[:] = [p for p in sys.path if p not in paths]
    for name in [n for n in sys.modules if n == "nngrade" or n.startswith("nngrade.")]:
        del sys.modules[name]


class Channel:
    """Blocking frame I/O on the child's two pipes."""

    def __init__(self, read_fd: int, write_fd: int, max_frame: int = 256 << 20) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.max_frame = max_frame
        self.buffer = bytearray()

    def _fill(self, n: int) -> None:
        """Read until the buffer holds ``n`` bytes (one read for a small frame)."""
        while len(self.buffer) < n:
            chunk = _read(self.read_fd, max(n - len(self.buffer), 1 << 16))
            if not chunk:
                raise EOFError
            self.buffer += chunk

    def recv(self) -> dict[str, Any]:
        self._fill(HEADER.size)
        length = frame_length(bytes(self.buffer[: HEADER.size]), self.max_frame)
        end = HEADER.size + length
        self._fill(end)
        body = bytes(self.buffer[HEADER.size : end])
        del self.buffer[:end]
        return _loads_payload(body)

    def send(self, message: Mapping[str, Any]) -> None:
        view = memoryview(_dumps_frame(message))
        while view:
            try:
                written = _write(self.write_fd, view)
            except InterruptedError:
                continue
            view = view[written:]


class Tail(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of the child: keeps only the last ``cap`` characters.

    Printing 100 MB costs the student the time to build the string and us
    nothing; fd-level writes (``os.write(1, ...)``, C code) go to an
    anonymous file capped by RLIMIT_FSIZE, whose new tail is added per call.
    """

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0
        self.fd_offset = 0

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:  # type: ignore[override]
        if type(text) is not str:
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        n = len(text)
        if n >= self.cap:
            self.dropped += self.size + n - self.cap
            self.parts, self.size = [text[-self.cap :]], self.cap
            return n
        self.parts.append(text)
        self.size += n
        if self.size > 2 * self.cap:
            joined = "".join(self.parts)
            self.dropped += len(joined) - self.cap
            self.parts, self.size = [joined[-self.cap :]], self.cap
        return n

    def take(self) -> str:
        """What was printed since the last ``take``, at most ``cap`` characters of it."""
        text = "".join(self.parts)
        dropped = self.dropped + max(0, len(text) - self.cap)
        text = text[-self.cap :]
        self.parts, self.size, self.dropped = [], 0, 0
        try:
            end = os.fstat(1).st_size
            if end > self.fd_offset:
                start = max(self.fd_offset, end - self.cap)
                dropped += start - self.fd_offset
                raw = os.pread(1, end - start, start).decode("utf-8", "replace")
                text = raw + text if text else raw
            self.fd_offset = end
        except OSError:
            pass
        if len(text) > self.cap:
            dropped += len(text) - self.cap
            text = text[-self.cap :]
        if dropped:
            text = f"[... {dropped} earlier characters not shown ...]\n" + text
        return text


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
        sys.stdout = sys.stderr = self.output  # type: ignore[assignment]
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
                reply = {"status": "timeout", "error": "the call did not finish in time"}
            except BaseException as exc:  # noqa: BLE001 - the worker itself must go on
                reply = {"status": "internal", "error": f"{type(exc).__name__}: {exc}"[:2000]}
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
            error = (
                f"{name}.py has the name of a module of Python or numpy, so it cannot be "
                f"imported as your module; rename it"
            )
        elif name not in self.sources:
            return f"the submission has no {name}.py"
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
                error = f"importing {name}.py did not finish within {self.import_seconds:g} s"
            else:
                error = self.describe(exc)
        self.errors[name] = error
        return error

    def module(self, name: str) -> ModuleType | dict[str, Any]:
        """The loaded module ``name``, importing it now if it was not eager; or a reply."""
        if name in self.loaded:
            return self.loaded[name]
        if name not in self.sources:
            return {"status": "missing_module", "error": f"the submission has no {name}.py"}
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
                raise Unavailable(
                    "missing_name", f"{module_name}.py does not define {name}"
                ) from None
            if not callable(fn):
                raise Unavailable(
                    "missing_name", f"{module_name}.{name} is a {type_name(fn)}, not a function"
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
        if isinstance(exc, CallTimeout):
            return {
                "status": "timeout",
                "error": f"the call did not finish within {seconds:g} s",
                "limit": "call_seconds",
            }
        if isinstance(exc, Unavailable):
            return {"status": exc.status, "error": str(exc.message)[: self.error_chars]}
        text = self.describe(exc)
        kind = type_name(exc).rsplit(".", 1)[-1][:100]
        if isinstance(exc, NotImplementedError):
            return {"status": "not_implemented", "error": text, "error_type": kind}
        if isinstance(exc, MemoryError):
            return {"status": "raised", "error": text, "error_type": kind, "limit": "memory_bytes"}
        return {"status": "raised", "error": text, "error_type": kind}

    def describe(self, exc: BaseException) -> str:
        """The exception as a traceback of the student's own frames, cut to size."""
        try:
            names = {filename_of(m) for m in self.sources}
            # Only the student's frames are looked up: reading the source lines of the
            # worker's and numpy's frames cost more than the call that raised.
            own = ((frame, line) for frame, line in traceback.walk_tb(exc.__traceback__)
                   if frame.f_code.co_filename in names)
            frames = traceback.StackSummary.extract(own)
            lines = traceback.format_list(frames[-8:])
            if len(frames) > 8:
                lines.insert(0, f"  ... {len(frames) - 8} more frames ...\n")
            try:
                last = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            except BaseException:  # noqa: BLE001 - a hostile __str__
                last = f"{type_name(exc)}: <the exception's message could not be shown>"
            if isinstance(exc, SystemExit):
                last += "  (the code called sys.exit())"
            text = "".join(lines) + last
        except BaseException:  # noqa: BLE001
            text = f"{type_name(exc)} (its details could not be shown)"
        if len(text) > self.error_chars:
            half = self.error_chars // 2
            text = text[:half] + "\n[...]\n" + text[-half:]
        return text
