"""The grader's end of a child's two pipes: frames written and read under hard deadlines.

Mirror of ``nngrade.worker.channel``, the child's end. The frame format is
defined in ``nngrade.worker.protocol``; this module moves frames and keeps
time. While it waits on a pipe it also listens to the zygote's control
socket, so a child that dies is noticed at once, with the zygote's report of
how it ended.

Threat model: the other end runs student code and may write anything, or
nothing, at any pace: a header announcing a huge frame, a frame that never
ends, bytes that are not JSON, a JSON bomb of nested brackets, replies to
requests never sent, or no reply at all while it keeps the pipe open. So both
pipes are non-blocking, every wait is bounded by the request's deadline
(``Deadline``), a frame over ``Limits.max_frame_bytes`` is refused from its
header (``ResultTooLarge``), a body is counted before it is parsed
(``loads_payload``), anything that is not a whole JSON object is a
``ProtocolError``, and a closed pipe is an ``Ended`` carrying the zygote's
report. The caller turns each of these into a failed request and replaces
the child (``nngrade.sandbox.box``).
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable
from typing import Any

from nngrade.sandbox.api import Limits
from nngrade.sandbox.child import Child
from nngrade.sandbox.zygote import Zygote
from nngrade.worker.protocol import HEADER, ProtocolError, frame_length, loads_payload

__all__ = ["Channel", "Deadline", "Ended"]


class Deadline(Exception):  # noqa: N818 - an event, not an error of ours
    """The hard deadline of a request passed."""


class Ended(Exception):  # noqa: N818 - an event, not an error of ours
    """The child's pipe closed: it ended (``event`` is the zygote's report)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__("ended")
        self.event = event


class Channel:
    """Frames to and from the zygote's current child, each wait bounded by a deadline."""

    def __init__(
        self,
        zygote: Zygote,
        limits: Limits,
        on_hello: Callable[[dict[str, Any]], None],
    ) -> None:
        self.zygote = zygote
        self.limits = limits
        self.on_hello = on_hello  # the child's first frame: the confinement it applied

    def send(self, child: Child, frame: bytes, deadline: float) -> None:
        """Write ``frame`` (one or several requests) whole, or raise."""
        view = memoryview(frame)
        while view:
            try:
                written = os.write(child.req, view)
                view = view[written:]
                continue
            except BlockingIOError:
                pass
            except (BrokenPipeError, OSError):
                raise Ended(self.zygote.wait_ended(child)) from None
            self._wait(child, deadline, select.POLLOUT, child.req)

    def recv(self, child: Child, deadline: float) -> dict[str, Any]:
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
                raise Ended(self.zygote.wait_ended(child))
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

    def reply(
        self,
        child: Child,
        request_id: int,
        deadline: float,
        hard_end: float,
        stack: list[str] | None = None,
    ) -> dict[str, Any]:
        """Frames until the reply to ``request_id``; hello and progress frames on the way.

        With ``stack`` (a load), "importing X" / "imported X" progress frames
        keep the modules being imported there, and each new import gets
        ``Limits.import_seconds`` again, never past ``hard_end``.
        """
        grace = self.limits.grace_seconds
        while True:
            frame = self.recv(child, deadline)
            kind = frame.get("kind")
            if kind == "hello" and child.hello is None:
                child.hello = frame
                self.on_hello(frame)
            elif kind == "progress" and stack is not None:
                module, event = frame.get("module"), frame.get("event")
                if not isinstance(module, str):
                    raise ProtocolError("malformed progress frame")
                if event == "importing":
                    stack.append(module)
                    deadline = min(time.monotonic() + self.limits.import_seconds + grace, hard_end)
                elif event == "imported" and stack and stack[-1] == module:
                    stack.pop()
            elif kind == "reply" and frame.get("id") == request_id:
                return frame
            elif kind not in ("progress", "hello"):
                raise ProtocolError("unexpected frame")

    def _wait(self, child: Child, deadline: float, events: int, fd: int) -> None:
        """Block until ``fd`` is ready, the zygote reports the child's end, or the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise Deadline
        ctrl = self.zygote.fileno()
        poller = select.poll()
        poller.register(fd, events | select.POLLHUP | select.POLLERR)
        poller.register(ctrl, select.POLLIN)
        ready = dict(poller.poll(max(1, int(left * 1000) + 1)))
        if ctrl in ready:
            self.zygote.drain()
            if child.ended is not None and fd not in ready:
                # The child is gone; whatever it wrote is already in the pipe.
                if events == select.POLLOUT:
                    raise Ended(child.ended)
        if not ready and time.monotonic() >= deadline:
            raise Deadline
