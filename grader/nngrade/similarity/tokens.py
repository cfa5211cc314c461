"""A source file as the token sequence that is compared: what a disguise cannot change.

The usual ways of hiding a copy change what a reader sees but not the
program's shape, so the comparison reads tokens and normalises away what a
disguise changes:

- comments, blank lines, spacing and line breaks inside brackets are not
  tokens at all, and docstrings (any statement that is only a string) are
  dropped, so rewritten comments and reformatted code compare equal;
- the student's own names (variables, parameters, functions, classes,
  module aliases, and attributes the file assigns or defines as methods)
  all become one word, ``N``, so consistent renaming changes nothing; what
  a rename cannot touch is kept: keywords, Python's builtins unless the file
  rebinds them, and library attributes such as ``np.maximum`` or ``.T``,
  which are what distinguish one independent solution from another;
- every string literal becomes ``S``; numbers are compared by value
  (``1``, ``1.0`` and ``1.`` are one word); a statement ends in ``;``
  whether it ends with a newline or a semicolon; a block is ``{ ... }``;
- the sequence is cut into *units*, one per ``def`` or ``class`` (with its
  decorators) and one per stretch of other top-level code, and nothing
  later looks across a unit's edge, so reordering functions or methods
  changes no fingerprint.

Every token keeps its character span in the original text, which is what
the report highlights.

Threat model: the text is a student's and may be hostile or broken. It is
read as text only, never imported, compiled or run. Python's ``tokenize``
reads it when it can; when it cannot (a syntax error, an unclosed bracket,
NUL bytes), ``nngrade.similarity.lexer`` lexes it instead, so a file that
does not parse is still compared and nothing here raises.
"""

from __future__ import annotations

import builtins
import io
import keyword
import math
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from nngrade.similarity.lexer import RawToken, lex

__all__ = ["TokenStream", "raw_tokens", "tokenize_source"]

NAME_WORD = "N"
STRING_WORD = "S"
END_WORD = ";"
BUILTIN_NAMES = frozenset(name for name in dir(builtins) if not name.startswith("_"))
ASSIGN_OPS = frozenset("= := += -= *= /= //= %= **= @= &= |= ^= >>= <<=".split())
_SKIPPED = frozenset({"COMMENT", "NL", "ENCODING", "ENDMARKER"})
_LINE_ENDS = frozenset({"NEWLINE", "INDENT", "DEDENT"})


@dataclass(frozen=True)
class TokenStream:
    """The normalised tokens of one file, with their spans in its text and their units."""

    words: tuple[str, ...]
    starts: np.ndarray  # character offset where each token starts in the text
    ends: np.ndarray  # ... and ends (exclusive)
    units: np.ndarray  # the unit (function, class, top-level stretch) each token belongs to
    parsed: bool  # False: Python's tokenizer rejected the file and the fallback lexer read it

    def __len__(self) -> int:
        return len(self.words)


# ------------------------------------------------------------------ raw tokens


def _line_offsets(text: str) -> list[int]:
    """Offsets where each line starts, lines ending at "\\n" only (as ``readline`` splits)."""
    offsets = [0]
    at = text.find("\n")
    while at >= 0:
        offsets.append(at + 1)
        at = text.find("\n", at + 1)
    return offsets


def _python_tokens(text: str) -> list[RawToken]:
    """Python's own tokenizer; raises on anything it cannot read."""
    lines = _line_offsets(text)

    def offset(row: int, col: int) -> int:
        return lines[row - 1] + col if row - 1 < len(lines) else len(text)

    out: list[RawToken] = []
    fstring_depth = 0
    fstring_start = 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        name = tokenize.tok_name[tok.type]
        start, end = offset(*tok.start), offset(*tok.end)
        # Python 3.12 splits f-strings into parts; they are one string literal here.
        if name == "FSTRING_START":
            if fstring_depth == 0:
                fstring_start = start
            fstring_depth += 1
            continue
        if fstring_depth:
            if name == "FSTRING_END":
                fstring_depth -= 1
                if fstring_depth == 0:
                    out.append(RawToken("STRING", text[fstring_start:end], fstring_start, end))
            continue
        out.append(RawToken(name, tok.string, start, end))
    return out


def raw_tokens(text: str) -> tuple[list[RawToken], bool]:
    """The file's tokens and whether Python's tokenizer read them (else the fallback lexer)."""
    try:
        return _python_tokens(text), True
    except Exception:  # noqa: BLE001 - any failure of tokenize means: lex it ourselves
        return list(lex(text)), False


# ------------------------------------------------------------------ normalising


def _significant(tokens: Iterable[RawToken]) -> list[RawToken]:
    kept = []
    for tok in tokens:
        if tok.kind in _SKIPPED:
            continue
        if tok.kind == "ERRORTOKEN" and not tok.text.strip():
            continue
        kept.append(tok)
    return kept


def _without_string_statements(tokens: list[RawToken]) -> list[RawToken]:
    """Drop docstrings and other statements that are only a string (they are comments)."""
    out: list[RawToken] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        at_line_start = not out or out[-1].kind in _LINE_ENDS
        if tok.kind == "STRING" and at_line_start:
            j = i
            while j < len(tokens) and tokens[j].kind == "STRING":
                j += 1
            if j == len(tokens) or tokens[j].kind == "NEWLINE":
                i = j + 1
                continue
        out.append(tok)
        i += 1
    return out


def _own_names(tokens: list[RawToken]) -> tuple[set[str], set[str]]:
    """Names the file binds, and attribute names it defines (assigned, or methods).

    A builtin the file rebinds (a variable called ``sum``) is the student's
    name, and so is an attribute the file assigns (``self.cache = ...``) or
    a method it defines: a rename can change those, so they are normalised.
    """
    bound: set[str] = set()
    attributes: set[str] = set()
    blocks: list[str] = []  # "class", "def" or "other" for each open indented block
    pending = "other"
    in_params = 0  # bracket depth inside a def's parameter list
    prev: RawToken | None = None
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind == "INDENT":
            blocks.append(pending)
            pending = "other"
        elif tok.kind == "DEDENT":
            if blocks:
                blocks.pop()
        elif tok.kind == "NAME":
            after = prev.text if prev is not None and prev.kind in ("NAME", "OP") else ""
            if after in ("def", "class"):
                pending = after
                bound.add(tok.text)
                if after == "def" and blocks and blocks[-1] == "class":
                    attributes.add(tok.text)
            elif after == ".":
                if nxt is not None and nxt.text in ASSIGN_OPS:
                    attributes.add(tok.text)
            elif after in ("as", "import", "for", "global", "nonlocal", "lambda", "*", "**"):
                bound.add(tok.text)
            elif nxt is not None and nxt.text in ASSIGN_OPS:
                bound.add(tok.text)
            elif in_params and after in ("(", ",") and nxt is not None \
                    and nxt.text in (",", ")", "=", ":"):
                bound.add(tok.text)
        if tok.kind == "OP":
            if tok.text == "(" and prev is not None and prev.kind == "NAME" and i >= 2 \
                    and tokens[i - 2].text == "def":
                in_params = 1
            elif in_params and tok.text in "([{":
                in_params += 1
            elif in_params and tok.text in ")]}":
                in_params -= 1
        prev = tok
    return bound, attributes


def _number_word(text: str) -> str:
    """Numbers by value: ``1``, ``1.0``, ``1.`` and ``1_0e-1`` are the same word."""
    t = text.replace("_", "").lower()
    if t.endswith("j"):
        return t
    try:
        if t.startswith(("0x", "0o", "0b")):
            value = float(int(t, 0))
        elif any(ch in t for ch in ".e"):
            value = float(t)
        else:
            value = float(int(t))
    except (ValueError, OverflowError):
        return t
    return repr(value) if math.isfinite(value) else t


def _words(tokens: list[RawToken]) -> Iterator[tuple[str, RawToken]]:
    bound, attributes = _own_names(tokens)
    prev_text = ""
    for tok in tokens:
        kind, text = tok.kind, tok.text
        if kind == "NAME":
            if keyword.iskeyword(text):
                word = text
            elif prev_text == ".":
                word = NAME_WORD if text in attributes else text
            elif text in BUILTIN_NAMES and text not in bound:
                word = text
            else:
                word = NAME_WORD
        elif kind == "NUMBER":
            word = _number_word(text)
        elif kind == "STRING":
            word = STRING_WORD
        elif kind == "NEWLINE" or (kind == "OP" and text == ";"):
            word = END_WORD
        elif kind == "INDENT":
            word = "{"
        elif kind == "DEDENT":
            word = "}"
        else:
            word = text.strip()
        prev_text = text if kind == "OP" else ""
        yield word, tok


def _unit_starts(words: list[str]) -> list[bool]:
    """Where a new unit begins: at a ``def``/``class`` line (or its first decorator), and
    at the first line after a function's body that belongs to no function."""
    starts = []
    line_start = True
    depth = 0
    decorated = False
    def_depth: int | None = None  # depth of the def/class that opened the current unit
    for i, word in enumerate(words):
        new = False
        if word == "{":
            depth += 1
        elif word == "}":
            depth = max(0, depth - 1)
        elif line_start:
            is_def = word in ("def", "class") or (
                word == "async" and i + 1 < len(words) and words[i + 1] == "def")
            if word == "@" or is_def:
                new = not decorated
                decorated = word == "@"
                def_depth = depth
            else:
                decorated = False
                if def_depth is not None and depth <= def_depth:
                    new = True
                    def_depth = None
        starts.append(new)
        line_start = word in (END_WORD, "{", "}")
    if starts:
        starts[0] = True
    return starts


def _outside(tokens: list[RawToken], spans: Sequence[tuple[int, int]]) -> list[RawToken]:
    """Drop the tokens that start inside ``spans`` (statements set aside as dead code).

    A span's end is inclusive, so the line break that ends a dead statement
    goes with it; a dead block's INDENT takes its matching DEDENT along, and
    a DEDENT that closes a block opened before the span stays.
    """
    if not spans:
        return tokens
    kept: list[RawToken] = []
    span = 0
    owed_dedents = 0
    for tok in tokens:
        while span < len(spans) and tok.start > spans[span][1]:
            span += 1
        if span < len(spans) and spans[span][0] <= tok.start <= spans[span][1]:
            if tok.kind == "DEDENT" and owed_dedents <= 0:
                kept.append(tok)  # it closes a block opened before the dead statement
            elif tok.kind == "DEDENT":
                owed_dedents -= 1
            elif tok.kind == "INDENT":
                owed_dedents += 1
            continue
        if tok.kind == "DEDENT" and owed_dedents > 0:
            owed_dedents -= 1
            continue
        kept.append(tok)
    return kept


def tokenize_source(text: str, ignore: Sequence[tuple[int, int]] = ()) -> TokenStream:
    """The normalised token stream of ``text``; never raises on any text.

    ``ignore``: character ranges to leave out (dead code, ``nngrade.similarity.deadcode``).
    """
    raw, parsed = raw_tokens(text)
    tokens = _outside(_without_string_statements(_significant(raw)), ignore)
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for word, tok in _words(tokens):
        if not word:
            continue
        if word == END_WORD and (not words or words[-1] in (END_WORD, "{", "}")):
            continue  # "a;\n" ends one statement, not two
        words.append(word)
        spans.append((tok.start, tok.end))
    starts_flags = _unit_starts(words)
    units = np.cumsum(np.array(starts_flags, dtype=np.int64)) - 1 if words else \
        np.zeros(0, dtype=np.int64)
    arr = np.array(spans, dtype=np.int64).reshape(-1, 2)
    return TokenStream(words=tuple(words), starts=arr[:, 0].copy(), ends=arr[:, 1].copy(),
                       units=units, parsed=parsed)
