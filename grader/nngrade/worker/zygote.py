"""The zygote: forks one worker child per submission and leaves nothing of it behind.

Mirror of ``nngrade.sandbox.zygote``, the grader's handle on this process.
The zygote waits for orders on its control socket:

- ``spawn`` (with two pipe fds attached): fork a child for a new submission
  (``nngrade.worker.child``), killing the current one first;
- ``kill``: kill the current child, if it is the one named;
- ``exit``: stop.

When a child ends, however it ends, the zygote kills every other process of
the sandbox (``kill(-1)`` from inside the pid namespace), empties the scratch
directories, and only then reports ``ended`` (with the exit status or signal,
and the child's CPU time) and accepts the next order: nothing of one student
survives into the next one's child. While a child runs, the zygote also
counts the files in the scratch tmpfs, which bounds bytes but not inodes.

Threat model: the zygote never runs student code, but it shares the sandbox
with children that do. It is non-dumpable (no ptrace, no /proc/PID/mem or fd
access from its children), reads only its control socket (whose peer is the
grader), and treats the scratch directories as hostile when it wipes them:
directories without permissions, nesting deeper than PATH_MAX, symlinks in
place of directories.

Imports only the standard library and this package.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import traceback
from typing import Any

from nngrade.worker.child import child_main
from nngrade.worker.confine import NOBODY

__all__ = ["Zygote", "wipe"]

_FILES_POLL_SECONDS = 0.25  # how often the zygote counts the files of a running child


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
        wipe(scratch, keep_root=False)
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
                code = child_main(
                    req,
                    resp,
                    child_cfg,
                    ctrl=self.ctrl,
                    scratch=scratch,
                    zygote_pid=zygote_pid,
                    drop_user=drop_user,
                    pidns=self.pidns,
                    program=self.program,
                    drivers=self.drivers,
                )
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
            wipe(self.scratch_root, keep_root=True)
            wipe("/dev/shm", keep_root=True)
        else:
            wipe(os.path.join(self.scratch_root, "work"), keep_root=False)


def wipe(path: str, keep_root: bool) -> None:
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
