"""What a student's code prints, kept to a bounded tail per call.

Threat model: student code may print without end, write to fd 1 from C,
pass ``print`` objects that are not strings, or replace ``sys.stdout``. It
may also do what Windows and Chinese-console users do on any machine:
``sys.stdout.reconfigure(encoding="utf-8")`` or
``sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")``; so the
stream is a real text stream: ``buffer`` (bytes, decoded into the same tail),
``reconfigure`` (accepted, the tail is text already), ``fileno`` (fd 1, the
capped anonymous file that fd-level writes go to anyway). The
Python-level stream keeps at most twice ``cap`` characters at any time;
fd-level writes go to an anonymous file that RLIMIT_FSIZE caps, of which only
the new tail is read after each call. Whatever happens, a call's reply
carries at most ``cap`` characters of output and a note of what was dropped.

Imports only the standard library.
"""

from __future__ import annotations

import codecs
import io
import os
import sys

__all__ = ["Tail"]

_RECONFIGURE = frozenset({"encoding", "errors", "newline", "line_buffering", "write_through"})


class _Bytes(io.RawIOBase):
    """``Tail.buffer``: bytes written here are decoded (UTF-8, bad bytes replaced) into the tail.

    It never closes: a student's ``TextIOWrapper`` around it closes it when the wrapper is
    collected, and the next call must still print."""

    def __init__(self, tail: Tail) -> None:
        super().__init__()
        self._tail = tail
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raw = bytes(memoryview(data))  # type: ignore[arg-type]
        self._tail.write(self._decoder.decode(raw))
        return len(raw)

    def close(self) -> None:
        return None

    def fileno(self) -> int:
        return 1


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
        self._buffer: _Bytes | None = None

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def buffer(self) -> _Bytes:
        if self._buffer is None:
            self._buffer = _Bytes(self)
        return self._buffer

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    @property
    def line_buffering(self) -> bool:
        return True

    def reconfigure(self, **settings: object) -> None:
        """Accepted as a real stream accepts it; the tail keeps text, whatever the encoding."""
        unknown = set(settings) - _RECONFIGURE
        if unknown:
            raise TypeError(f"reconfigure() got an unexpected keyword argument "
                            f"{sorted(unknown)[0]!r}")

    def fileno(self) -> int:
        return 1

    def close(self) -> None:
        """A student's ``sys.stdout.close()`` must not silence the next call."""

    def write(self, text: str) -> int:
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

    def flush_wrappers(self) -> None:
        """Flush a ``TextIOWrapper`` the student put around `buffer` as ``sys.stdout``/``stderr``
        (only that exact type: a student's own stream class is not run from here)."""
        for stream in (sys.stdout, sys.stderr):
            if type(stream) is io.TextIOWrapper and self._buffer is not None:
                try:
                    if stream.buffer is self._buffer:
                        stream.flush()
                except (OSError, ValueError):
                    pass

    def take(self) -> str:
        """What was printed since the last ``take``, at most ``cap`` characters of it."""
        self.flush_wrappers()
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
