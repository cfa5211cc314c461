"""The worker's end of a child's two pipes: one whole frame in, one whole frame out.

Mirror of ``nngrade.sandbox.channel``, the grader's end. The frame format is
defined in ``nngrade.worker.protocol``; this module only moves frames.

Threat model: the functions it uses are captured when it is imported, in the
zygote, before any student code runs. Student code shares the child's
process and may replace ``os.read``, ``json`` or this module's globals; that
can only break its own replies, which the grader checks byte by byte (it
never trusts a frame, see ``nngrade.sandbox.channel``). Capturing them keeps
a student's harmless monkeypatching from breaking the worker by accident.

Imports only the standard library and this package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from nngrade.worker.protocol import HEADER, dumps_frame, frame_length, loads_payload

__all__ = ["Channel"]

_read = os.read
_write = os.write
_dumps_frame = dumps_frame
_loads_payload = loads_payload


class Channel:
    """Blocking frame I/O on the child's request pipe (read) and reply pipe (write)."""

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
        """The next request; ``EOFError`` when the grader closed the pipe."""
        self._fill(HEADER.size)
        length = frame_length(bytes(self.buffer[: HEADER.size]), self.max_frame)
        end = HEADER.size + length
        self._fill(end)
        body = bytes(self.buffer[HEADER.size : end])
        del self.buffer[:end]
        return _loads_payload(body)

    def send(self, message: Mapping[str, Any]) -> None:
        """Write one whole frame (the grader reads the reply pipe without blocking us)."""
        view = memoryview(_dumps_frame(message))
        while view:
            try:
                written = _write(self.write_fd, view)
            except InterruptedError:
                continue
            view = view[written:]
