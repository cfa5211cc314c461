"""A student's file as the report shows it: escaped, numbered, its matching regions marked.

Every character of a file gets one role, by priority: part of a region
found again in the other file (numbered, so the two sides can be linked),
dead code that was set aside, code the course gave out, code written the
common way, or plain. The text is then cut into lines of runs of one role.

Threat model: the text is a student's and is shown to an instructor in a
browser. Everything is HTML-escaped, and every character that could hide
or disguise what the code says is shown as a visible ``⟨U+XXXX⟩`` mark with
its name: control characters, bidirectional overrides and isolates (the
"Trojan Source" trick), zero-width and other format characters, line and
paragraph separators, private-use, unassigned and lone surrogate code
points. Very long files show only the lines around the matches.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup, escape

from nngrade.similarity.compare import Document, Fragment

__all__ = ["Line", "code_lines", "visible"]

MAX_LINES = 1500  # longer files show only the lines near a match
CONTEXT = 6
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
PLAIN, COMMON, GIVEN, DEAD, MATCH = 0, 1, 2, 3, 4
ROLE_CLASS = {PLAIN: "", COMMON: "common", GIVEN: "given", DEAD: "dead"}


def _mark(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    category = unicodedata.category(ch)
    default = {"Cc": "control character", "Cs": "lone surrogate", "Co": "private use",
               "Cn": "unassigned"}.get(category, "invisible character")
    name = unicodedata.name(ch, default)
    return (f'<span class="ctl" title="{code} {escape(name)}">'
            f"\u27e8{code}\u27e9</span>")


def visible(text: str) -> Markup:
    """``text`` escaped for HTML, with every invisible or direction-changing character shown."""
    if text.replace("\t", "").replace("\n", "").isprintable():  # the usual case, in C
        return escape(text)
    out: list[str] = []
    plain: list[str] = []
    for ch in text:
        if ch not in "\t\n" and unicodedata.category(ch) in HIDDEN_CATEGORIES:
            if plain:
                out.append(str(escape("".join(plain))))
                plain = []
            out.append(_mark(ch))
        else:
            plain.append(ch)
    if plain:
        out.append(str(escape("".join(plain))))
    return Markup("".join(out))


@dataclass(frozen=True)
class Line:
    """One line of a file, ready for the template (``html`` is already safe)."""

    number: int | None  # None: a "lines not shown" gap
    html: Markup
    matched: bool = False


def _roles(doc: Document, regions: list[tuple[int, int]], k: int,
           given_hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per character: its role, and the number of the region it belongs to (or -1)."""
    size = len(doc.text)
    role = np.zeros(size, dtype=np.int8)
    region = np.full(size, -1, dtype=np.int32)
    starts, ends = doc.stream.starts, doc.stream.ends

    text = doc.text

    def paint(first_token: int, last_token: int, value: int, number: int = -1) -> None:
        """Mark the tokens first..last and the spaces between them on a line (never the
        comments, docstrings or line breaks between them, which were not compared)."""
        last_token = min(last_token, len(starts))
        for j in range(first_token, last_token):
            a, b = int(starts[j]), int(ends[j])
            if not text[a:b].strip():
                continue  # an indent or a line break: layout, not code
            if j + 1 < last_token:
                gap_end = int(starts[j + 1])
                if b < gap_end and not text[b:gap_end].strip(" \t"):
                    b = gap_end
            role[a:b] = np.maximum(role[a:b], value)
            if number >= 0:
                region[a:b] = np.where(role[a:b] == MATCH, number, region[a:b])

    common = np.setdiff1d(doc.written_positions, doc.own_positions)
    for p in common.tolist():
        paint(p, p + k, COMMON)
    for p in doc.positions[np.isin(doc.hashes, given_hashes)].tolist():
        paint(p, p + k, GIVEN)
    for a, b in doc.dead:
        role[a:b + 1] = np.maximum(role[a:b + 1], DEAD)
    for number, (first, last) in enumerate(regions):
        paint(first, last, MATCH, number)
    return role, region


def code_lines(doc: Document, fragments: list[Fragment], side: str, k: int,
               given_hashes: np.ndarray) -> list[Line]:
    """The lines of ``doc`` with its side (``"a"`` or ``"b"``) of ``fragments`` marked."""
    regions = [(f.a_start, f.a_end) if side == "a" else (f.b_start, f.b_end)
               for f in fragments]
    role, region = _roles(doc, regions, k, given_hashes)
    text = doc.text
    size = len(text)
    # runs of one role and region, cut at line ends (found with numpy, not char by char)
    newline = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 10
    change = np.zeros(size + 1, dtype=bool)
    change[0] = change[size] = True
    if size:
        change[1:size] |= (role[1:] != role[:-1]) | (region[1:] != region[:-1])
        change[1:size] |= newline[:-1] | newline[1:]
    cuts = np.flatnonzero(change).tolist()
    lines: list[Line] = []
    pieces: list[str] = []
    matched = False
    for run, stop in zip(cuts[:-1], cuts[1:], strict=True):
        if newline[run]:
            lines.append(Line(len(lines) + 1, Markup("".join(pieces)), matched))
            pieces, matched = [], False
            continue
        chunk = visible(text[run:stop])
        kind = int(role[run])
        if kind == MATCH:
            matched = True
            n = int(region[run])
            pieces.append(f'<mark class="m c{n % 6}" data-r="{n}">{chunk}</mark>')
        elif kind != PLAIN:
            pieces.append(f'<span class="{ROLE_CLASS[kind]}">{chunk}</span>')
        else:
            pieces.append(str(chunk))
    lines.append(Line(len(lines) + 1, Markup("".join(pieces)), matched))
    return _shorten(lines)


def _shorten(lines: list[Line]) -> list[Line]:
    """Long files: only the lines near a match, with a gap line for each stretch left out."""
    if len(lines) <= MAX_LINES:
        return lines
    near = np.zeros(len(lines), dtype=bool)
    for i, line in enumerate(lines):
        if line.matched:
            near[max(0, i - CONTEXT):i + CONTEXT + 1] = True
    near[:CONTEXT] = True
    out: list[Line] = []
    skipped = 0
    for i, line in enumerate(lines):
        if near[i]:
            if skipped:
                out.append(Line(None, Markup(f"\u22ef {skipped} \u22ef")))
                skipped = 0
            out.append(line)
        else:
            skipped += 1
    if skipped:
        out.append(Line(None, Markup(f"\u22ef {skipped} \u22ef")))
    return out
