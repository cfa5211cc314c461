"""A Python lexer that never fails, for hand-ins that Python's own tokenizer rejects.

A file with an unclosed bracket, a stray quote or a broken indent still
holds the student's code, and a copied file with one typo must still be
compared with its original. ``tokenize`` stops at such a file, so this
module lexes any text into the same kinds of tokens ``tokenize`` gives
(NAME, NUMBER, STRING, OP, NEWLINE, NL, INDENT, DEDENT, COMMENT, and
ERRORTOKEN for a character that starts no token), following the same rules
for brackets, line continuations and indentation (tabs to multiples of 8),
and simply carrying on where ``tokenize`` would give up: an unterminated
string runs to the end of its line (triple-quoted: of the file), an
unmatched closing bracket is ignored, an inconsistent dedent closes the
blocks it can. ``tests/test_similarity_tokens.py`` checks that on code
that does tokenize, both lexers agree token for token.

Threat model: the text is a student's, possibly hostile, possibly huge (up
to the unpacker's 1 MB per file). It is only matched against regular
expressions without nested quantifiers over the same characters, so no
input makes the lexer slow, and nothing in it is ever executed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["RawToken", "lex"]

TABSIZE = 8


class RawToken(NamedTuple):
    """One lexical token: its ``tokenize`` kind name, text, and character offsets."""

    kind: str
    text: str
    start: int
    end: int


_DIGITS = r"[0-9](?:_?[0-9])*"
_EXPONENT = rf"[eE][-+]?{_DIGITS}"
_POINTFLOAT = rf"(?:{_DIGITS}\.(?:{_DIGITS})?|\.{_DIGITS})(?:{_EXPONENT})?"
_FLOAT = rf"(?:{_POINTFLOAT}|{_DIGITS}{_EXPONENT})"
_INT = (r"(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+"
        r"|0(?:_?0)*|[1-9](?:_?[0-9])*)")
_NUMBER = rf"(?:(?:{_DIGITS}|{_FLOAT})[jJ]|{_FLOAT}|{_INT})"
_PREFIX = r"(?:[rR][bBfF]?|[bBfF][rR]?|[uU])?"
# Each body alternates "ordinary characters" with "one escape or lone quote": linear time.
_TRIPLE = (rf"{_PREFIX}(?:'''[^'\\]*(?:(?:\\(?:.|\Z)|'(?!''))[^'\\]*)*(?:'''|\Z)"
           rf'|"""[^"\\]*(?:(?:\\(?:.|\Z)|"(?!""))[^"\\]*)*(?:"""|\Z))')
_SINGLE = (rf"{_PREFIX}(?:'[^\n'\\]*(?:\\.[^\n'\\]*)*'"
           rf'|"[^\n"\\]*(?:\\.[^\n"\\]*)*")')
_OPERATORS = sorted(
    """** // << >> <= >= == != -> += -= *= /= %= &= |= ^= @= := **= //= >>= <<= ...
    + - * / % @ & | ^ ~ < > ( ) [ ] { } , : ; . = !""".split(),
    key=len, reverse=True,
)
_OP = "|".join(re.escape(op) for op in _OPERATORS)

_TOKEN = re.compile(
    rf"(?P<ws>[ \t\f]+)|(?P<cont>\\\r?\n)|(?P<nl>\r?\n)|(?P<comment>#[^\n]*)"
    rf"|(?P<string>{_TRIPLE}|{_SINGLE})|(?P<number>{_NUMBER})|(?P<name>\w+)|(?P<op>{_OP})"
    rf"|(?P<error>.)",
    re.DOTALL,
)
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")


def _indent_width(text: str) -> int:
    column = 0
    for ch in text:
        if ch == " ":
            column += 1
        elif ch == "\t":
            column = (column // TABSIZE + 1) * TABSIZE
        elif ch == "\f":
            column = 0
    return column


def lex(text: str) -> Iterator[RawToken]:
    """The tokens of ``text`` as ``tokenize.generate_tokens`` would give them, never raising."""
    depth = 0
    indents = [0]
    line_has_code = False  # a token other than a comment since the last NEWLINE
    at_line_start = True  # the next token begins a physical line outside brackets
    pos = 0
    size = len(text)
    while pos < size:
        match = _TOKEN.match(text, pos)
        assert match is not None  # the last alternative matches any character
        kind = match.lastgroup
        value = match.group()
        start, pos = pos, match.end()
        if at_line_start and kind not in ("ws", "cont", "nl", "comment") and not line_has_code:
            # the first token of a logical line: compare its indentation with the open blocks
            line_start = text.rfind("\n", 0, start) + 1
            width = _indent_width(text[line_start:start])
            if width > indents[-1]:
                indents.append(width)
                yield RawToken("INDENT", text[line_start:start], line_start, start)
            while width < indents[-1]:
                indents.pop()
                yield RawToken("DEDENT", "", start, start)
        if kind != "ws":
            at_line_start = False
        if kind in ("ws", "cont"):
            continue
        if kind == "nl":
            if depth == 0 and line_has_code:
                yield RawToken("NEWLINE", value, start, pos)
                line_has_code = False
            else:
                yield RawToken("NL", value, start, pos)
            at_line_start = depth == 0
            continue
        if kind == "comment":
            yield RawToken("COMMENT", value, start, pos)
            continue
        line_has_code = True
        if kind == "op":
            if value in _OPEN:
                depth += 1
            elif value in _CLOSE:
                depth = max(0, depth - 1)
            yield RawToken("OP", value, start, pos)
        elif kind == "error" and value in "'\"":
            yield RawToken("ERRORTOKEN", value, start, pos)  # an unterminated string's quote
        else:
            yield RawToken({"string": "STRING", "number": "NUMBER", "name": "NAME",
                            "error": "ERRORTOKEN"}[kind or "error"], value, start, pos)
    if line_has_code:
        yield RawToken("NEWLINE", "", size, size)
    for _ in indents[1:]:
        yield RawToken("DEDENT", "", size, size)
