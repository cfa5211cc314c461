"""What a student's code prints, kept to a bounded tail per call.

Threat model: student code may print without end, write to fd 1 from C,
pass ``print`` objects that are not strings, or replace ``sys.stdout``. The
Python-level stream keeps at most twice ``cap`` characters at any time;
fd-level writes go to an anonymous file that RLIMIT_FSIZE caps, of which only
the new tail is read after each call. Whatever happens, a call's reply
carries at most ``cap`` characters of output and a note of what was dropped.

Imports only the standard library.
"""

from __future__ import annotations

import io
import os

__all__ = ["Tail"]


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
