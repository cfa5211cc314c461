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


def _covered_tokens(positions: np.ndarray, k: int, n: int) -> np.ndarray:
    """Which of ``n`` tokens the k-grams starting at ``positions`` cover."""
    steps = np.zeros(n + k + 1, dtype=np.int32)
    np.add.at(steps, positions, 1)
    np.add.at(steps, positions + k, -1)
    return np.cumsum(steps)[:n] > 0


def _token_roles(doc: Document, k: int, given_hashes: np.ndarray) -> np.ndarray:
    """Per token: common, given or plain (kept on the document: a file is shown often)."""
    if doc.display_roles is not None:
        return doc.display_roles
    n = len(doc.stream)
    roles = np.zeros(n, dtype=np.int8)
    common = np.setdiff1d(doc.written_positions, doc.own_positions)
    roles[_covered_tokens(common, k, n)] = COMMON
    given = doc.positions[np.isin(doc.hashes, given_hashes)]
    roles[_covered_tokens(given, k, n)] = GIVEN
    doc.display_roles = roles
    return roles


def _roles(doc: Document, regions: list[tuple[int, int]], k: int,
           given_hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per character: its role, and the number of the region it belongs to (or -1).

    A token's role covers its own characters and the spaces after it on the same line
    when the next token has the same role (never comments, docstrings or line breaks
    between tokens: those were not compared)."""
    text = doc.text
    n = len(doc.stream)
    token_role = _token_roles(doc, k, given_hashes).copy()
    token_region = np.full(n, -1, dtype=np.int32)
    for number, (first, last) in enumerate(regions):
        token_role[first:last] = MATCH
        token_region[first:last] = number
    role = np.zeros(len(text), dtype=np.int8)
    region = np.full(len(text), -1, dtype=np.int32)
    starts, ends = doc.stream.starts.tolist(), doc.stream.ends.tolist()
    roles, numbers = token_role.tolist(), token_region.tolist()
    for j in range(n):
        kind = roles[j]
        if kind == PLAIN:
            continue
        a, b = starts[j], ends[j]
        if not text[a:b].strip():
            continue  # an indent or a line break: layout, not code
        if j + 1 < n and roles[j + 1] == kind and numbers[j + 1] == numbers[j]:
            gap_end = starts[j + 1]
            if b < gap_end and not text[b:gap_end].strip(" \t"):
                b = gap_end
        role[a:b] = kind
        region[a:b] = numbers[j]
    for a, b in doc.dead:
        role[a:b + 1] = np.maximum(role[a:b + 1], DEAD)
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
