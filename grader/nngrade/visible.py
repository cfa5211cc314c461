"""Text a student controls, made safe to show: control and bidi characters become visible escapes.

Exception messages, printed output, file names and ids come from the
student. Shown raw, ESC starts a terminal escape sequence (clear the
screen, retitle the window, fake a green "passed"), BEL rings, C1
characters act as ESC on some terminals, and bidi overrides (U+202E) make
text read backwards in a browser or a terminal, so that a report says
something other than what it holds. Wherever such text is displayed (HTML
reports, the terminal, Gradescope's output), each such character is
replaced by its escape (``\\x1b``, ``\\u202e``): the reader sees that it is
there and what it is; newlines and tabs are kept. Stored data (results.json's
fields) keeps the characters; display escapes them.

Imports only the standard library: the student bundle ships it.
"""

from __future__ import annotations

import re

__all__ = ["visible"]

# C0 controls but tab and newline, DEL, C1 controls, the bidi embeddings, overrides,
# isolates and marks, and the line and paragraph separators.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     "\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control and bidi character replaced by a visible escape."""
    return _HIDDEN.sub(_escape, text)
