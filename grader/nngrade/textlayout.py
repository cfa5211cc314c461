"""Plain-text layout for terminals and results.json: labelled rows that line up in any language.

A Chinese label is twice as wide on a terminal as its character count says
(East Asian wide characters take two columns), so aligning ``调用:`` with
``Called:`` by ``len`` would leave the values ragged. Ships to students
(standard library only).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["display_width", "labelled"]


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def labelled(rows: Sequence[tuple[str, str]], colon: str = ":") -> list[str]:
    """``label: value`` rows with the values aligned, multi-line values indented under them.

    A row with an empty label continues the value column. ``colon`` follows
    each label (Chinese text uses the full-width "：").
    """
    if not rows:
        return []
    width = max(display_width(label + colon) for label, _ in rows if label) + 1 \
        if any(label for label, _ in rows) else 0
    out = []
    for label, value in rows:
        head = label + colon if label else ""
        head += " " * (width - display_width(head))
        first, *rest = str(value).splitlines() or [""]
        out.append(head + first)
        out += [" " * width + line for line in rest]
    return out
