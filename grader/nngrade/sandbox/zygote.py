"""The grader's handle on the zygote: start it, give it orders, hear its events, stop it.

Mirror of ``nngrade.worker.zygote``, the process itself. The zygote is
started through ``nngrade.sandbox.launch`` (bubblewrap, or the fallback) with
one end of a ``SOCK_SEQPACKET`` socket pair, its control socket. On it the
grader sends orders (``spawn`` with a new child's two pipe ends attached,
``kill``) and hears events (``ready`` once started, ``ended`` when a child is
gone, the sandbox cleaned, with its exit status or signal and CPU time). The
zygote handles its orders in turn, so a ``kill`` that is only sent still
guarantees a clean sandbox for the next ``spawn``.

Threat model: the zygote never runs student code, but its children do, and
they share its sandbox; the control socket is not reachable from a child
(the child closes it right after the fork). An event is still parsed as
untrusted JSON, and a zygote that dies or does not answer within a few
seconds is killed with its whole process group and started again by the next
request: the grader never waits on it without a deadline.
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
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nngrade.sandbox import wording
from nngrade.sandbox.api import Limits, SandboxError
from nngrade.sandbox.launch import Launch, plan, requested_mode

if TYPE_CHECKING:  # a grading process launches a zygote before it imports numpy
    from nngrade.sandbox.child import Child

__all__ = ["Zygote"]

_ANSWER_SECONDS = 3.0  # for the zygote to report that a killed child has ended

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


class Zygote:
    """One zygote process at a time, and the child it currently serves.

    ``stats`` (shared with ``Sandbox.stats``) counts starts, children, kills
    and the children's CPU time as the zygote reports it.
    """

    def __init__(self, limits: Limits, stats: dict[str, float]) -> None:
        self.limits = limits
        self.stats = stats
        self.mode = ""  # "bwrap" or "none", once started
        self.ready: dict[str, Any] = {}  # its "ready" event: seccomp, versions, drivers
        self.child: Child | None = None  # the current child, whose end we watch for
        self._seq = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctrl: socket.socket | None = None
        self._launch: Launch | None = None
        self._stderr: IO[bytes] | None = None
        self._launched_at = 0.0
        self._doubt_bwrap = False  # probe bubblewrap before launching it (`plan`)

    # ------------------------------------------------------------ the process

    @property
    def running(self) -> bool:
        """Started, not stopped, and its process still alive."""
        return self._proc is not None and self._proc.poll() is None and self._ctrl is not None

    @property
    def pid(self) -> int | None:
        """The zygote's process (bubblewrap's, when confined), which leads its process group."""
        return self._proc.pid if self._proc is not None else None

    @property
    def hidden_path(self) -> str:
        """The ``sys.path`` entry of the worker package, which children take away."""
        assert self._launch is not None
        return self._launch.lib

    def process_tree(self) -> list[int]:
        """The zygote's process and its descendants (bubblewrap's), as the host numbers them."""
        if self._proc is None:
            return []
        found: list[int] = []
        todo = [self._proc.pid]
        while todo and len(found) < 64:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError, ValueError):
                    todo += [int(child) for child in task.read_text().split()]
        return found

    def fileno(self) -> int:
        """The control socket, for ``poll`` next to a child's pipe."""
        assert self._ctrl is not None
        return self._ctrl.fileno()

    def start(self) -> dict[str, Any]:
        """Start a new zygote and wait for its ``ready`` event (which it returns)."""
        self.launch()
        return self.wait_ready()

    @property
    def launched_for(self) -> float:
        """Seconds since the last launch (0 before any)."""
        return time.monotonic() - self._launched_at if self._launched_at else 0.0

    @property
    def launched(self) -> bool:
        """Launched and not yet known to be ready (`wait_ready` has not returned)."""
        return self._proc is not None and not self.ready

    def launch(self) -> None:
        """Start a new zygote without waiting for it: it imports numpy while we do other work.

        `wait_ready` must follow before any order is sent.
        """
        self.stop()
        self.ready = {}
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._stderr = tempfile.TemporaryFile()
            launch = plan(
                child_end.fileno(),
                self._stderr.fileno(),
                self.limits.mode,
                self.limits.scratch_bytes,
                probe=self._doubt_bwrap,
            )
            self._launch = launch
            self.mode = launch.mode
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
        self._launched_at = time.monotonic()

    def adopt_limits(self, limits: Limits) -> None:
        """Serve ``limits`` from now on: a zygote launched with others is launched again
        only if they change how it starts (the sandbox mode, the size of its scratch).

        A grading process started before its command read the options
        (`nngrade.grade.early`) launches its zygote with the default limits.
        """
        starts_alike = (requested_mode(limits.mode) == requested_mode(self.limits.mode)
                        and limits.scratch_bytes == self.limits.scratch_bytes)
        self.limits = limits
        if self._proc is not None and not starts_alike:
            self.launch()

    def wait_ready(self) -> dict[str, Any]:
        """Wait for the launched zygote's ``ready`` event (which it returns); `SandboxError`
        if it does not come within the start limit, counted from the launch."""
        ready = self.next_event(self._launched_at + self.limits.start_seconds, "ready")
        if ready is None and self._launch is not None and self._launch.unprobed:
            # bubblewrap was launched unchecked (`plan`) and failed: check it now, then
            # start it again, or the fallback where it cannot run (a container).
            self._doubt_bwrap = True
            self.launch()
            ready = self.next_event(self._launched_at + self.limits.start_seconds, "ready")
        if ready is None:
            detail = self.stderr_tail()
            self.stop()
            raise SandboxError(wording.did_not_start(detail))
        self.ready = ready
        return ready

    def stop(self) -> None:
        """Kill the zygote's whole process group (bubblewrap takes the sandbox with it)."""
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

    def stderr_tail(self) -> str:
        """The end of what the zygote wrote to its log (why it did not start)."""
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            text = self._stderr.read(1 << 16).decode("utf-8", "replace").strip()
        except OSError:
            return ""
        return text[-2000:]

    # ------------------------------------------------------------ orders

    def spawn(self, child_cfg: dict[str, Any]) -> Child:
        """Order a fresh child with two new pipes; it becomes the current child.

        Raises ``wording.Failure`` (and stops the zygote) if the order cannot be sent.
        """
        assert self._ctrl is not None
        self._seq += 1
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        for fd in (req_w, resp_w):
            _widen_pipe(fd)
        order = json.dumps({"op": "spawn", "seq": self._seq, "child": child_cfg}).encode()
        try:
            socket.send_fds(self._ctrl, [order], [req_r, resp_w])
        except OSError as exc:
            for fd in (req_r, req_w, resp_r, resp_w):
                os.close(fd)
            self.stop()
            raise wording.sandbox_stopped(exc) from None
        os.close(req_r)
        os.close(resp_w)
        os.set_blocking(req_w, False)
        os.set_blocking(resp_r, False)
        from nngrade.sandbox.child import Child

        self.child = Child(self._seq, req_w, resp_r)
        self.stats["children"] += 1
        return self.child

    def drop_child(self, wait: bool = True) -> None:
        """Make sure the current child is gone, killing it if needed.

        With ``wait=False`` the kill order is only sent: the zygote handles its
        orders in turn, so the next spawn still gets a clean sandbox, and a
        zygote that stopped answering shows up as a missing ``hello``.
        """
        child = self.child
        if child is None:
            return
        if child.ended is None and not wait and self._ctrl is not None:
            try:
                self._ctrl.send(json.dumps({"op": "kill", "seq": child.seq}).encode())
                self.stats["children_ended"] += 1
            except OSError:
                wait = True
        if child.ended is None and wait:
            self.kill(child)
        self.child = None
        child.close_pipes()

    def kill(self, child: Child) -> None:
        """Kill ``child`` and wait for the zygote's report; a silent zygote is stopped."""
        self.stats["children_killed"] += 1
        if not self.running:
            child.ended = child.ended or {"event": "ended", "zygote": True}
            self.stop()
            return
        assert self._ctrl is not None
        try:
            self._ctrl.send(json.dumps({"op": "kill", "seq": child.seq}).encode())
        except OSError:
            self.stop()
            return
        deadline = time.monotonic() + _ANSWER_SECONDS
        while child.ended is None:
            if self.next_event(deadline, "ended") is None:
                self.stop()  # the zygote does not answer: start over
                child.ended = child.ended or {"event": "ended", "zygote": True}
                return

    # ------------------------------------------------------------ events

    def wait_ended(self, child: Child) -> dict[str, Any]:
        """The zygote's report of how ``child`` ended (its pipe was closed)."""
        if child.ended is None and self._ctrl is not None:
            deadline = time.monotonic() + _ANSWER_SECONDS
            while child.ended is None:
                if self.next_event(deadline, "ended") is None:
                    break
        if child.ended is None:
            # The child closed its pipe but lives on, or the zygote is stuck.
            self.kill(child)
        return child.ended or {"event": "ended", "unknown": True}

    def drain(self) -> None:
        """Read every pending event; note the end of the current child."""
        assert self._ctrl is not None
        while True:
            try:
                data = self._ctrl.recv(1 << 16, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._lost()
                return
            self._note(data)

    def next_event(self, deadline: float, name: str) -> dict[str, Any] | None:
        """Wait for the event ``name``; None if the zygote dies or the deadline passes."""
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
            event = self._note(data)
            if event is not None and event.get("event") == name:
                return event

    def _note(self, data: bytes) -> dict[str, Any] | None:
        try:
            event = json.loads(data)
        except ValueError:
            return None
        if not isinstance(event, dict):
            return None
        if event.get("event") == "ended":
            cpu = event.get("cpu_seconds")
            if isinstance(cpu, float) and 0.0 <= cpu < 1e6:
                self.stats["worker_cpu_seconds"] += cpu
                self.stats["children_reaped"] += 1
            child = self.child
            if child is not None and event.get("seq") == child.seq:
                child.ended = event
        return event

    def _lost(self) -> None:
        """The control socket closed: the zygote is gone, and its child with it."""
        child = self.child
        if child is not None and child.ended is None:
            child.ended = {"event": "ended", "zygote": True}
        self.stop()

