"""Cut a solution module into the pieces that become notebook cells.

A module of `solutions/` reads top to bottom as the lecture does: a
docstring, imports, then one function or class per contract name, their
solution code between nbgrader's ``### BEGIN SOLUTION`` / ``### END
SOLUTION`` markers. A notebook wants the same order, one cell per
definition, so that a student answers one question per cell and nbgrader
can give each answer its own ``grade_id``. The split works on the syntax
tree, never on indentation guesses, and keeps every line of the source
(comments and constants travel with the definition that follows them),
except an ``if __name__ == "__main__":`` block, which would run demos in a
notebook where ``__name__`` is always ``"__main__"``.

The same split reads a student's ``.py`` module when a notebook has to be
filled from one (`nngrade.nbgrader_bridge.fill`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"

__all__ = ["BEGIN_SOLUTION", "END_SOLUTION", "Chunk", "SplitModule", "split_module"]


@dataclass(frozen=True)
class Chunk:
    """A run of source lines: one top-level definition (``name``), or plain code (``name`` None)."""

    name: str | None
    source: str

    @property
    def has_solution(self) -> bool:
        """Whether nbgrader will replace part of it with a stub, so it must be a solution cell."""
        return BEGIN_SOLUTION in self.source


@dataclass(frozen=True)
class SplitModule:
    docstring: str
    setup: str  # imports and constants before the first definition
    chunks: list[Chunk]  # definitions in order, then trailing code (name None) if any

    def definition(self, name: str) -> Chunk | None:
        return next((c for c in self.chunks if c.name == name), None)


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _text(lines: list[str], start: int, end: int, dropped: set[int]) -> str:
    """Lines [start, end) (0-based), minus dropped ones, without surrounding blank lines."""
    kept = [lines[i] for i in range(start, end) if i not in dropped]
    return "\n".join(kept).strip("\n")


def _body_end(lines: list[str], end: int) -> int:
    """Extend a definition over the indented comments after its last statement.

    The syntax tree ends a function at its last statement, but the ``###
    END SOLUTION`` line after it is a comment inside the body.
    """
    last = end
    while last < len(lines) and (
        not lines[last].strip() or (lines[last][:1] in " \t" and lines[last].lstrip()[:1] == "#")
    ):
        last += 1
    while last > end and not lines[last - 1].strip():
        last -= 1
    return last


def split_module(source: str) -> SplitModule:
    """Split module source into docstring, setup code and one chunk per top-level definition.

    Raises SyntaxError if the source does not parse: the caller decides what a
    module that does not parse becomes.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    body = list(tree.body)
    docstring = ast.get_docstring(tree, clean=True) or ""
    cursor = 0
    if docstring and body:
        cursor = body[0].end_lineno or 0
        body = body[1:]

    dropped: set[int] = set()
    for node in body:
        if _is_main_guard(node):
            dropped.update(range(node.lineno - 1, node.end_lineno or node.lineno))

    definitions = [node for node in body if isinstance(node, _DEFINITIONS)]
    chunks: list[Chunk] = []
    setup = ""
    for index, node in enumerate(definitions):
        start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
        end = _body_end(lines, node.end_lineno or node.lineno)
        if index == 0:
            # Comments directly above the first definition belong to it, the rest is setup.
            first = start
            while first > cursor and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            setup = _text(lines, cursor, first, dropped)
            start = first
        else:
            start = cursor
        chunks.append(Chunk(node.name, _text(lines, start, end, dropped)))
        cursor = end
    if not definitions:
        setup = _text(lines, cursor, len(lines), dropped)
    else:
        trailing = _text(lines, cursor, len(lines), dropped)
        if trailing.strip():
            chunks.append(Chunk(None, trailing))
    return SplitModule(docstring, setup, chunks)
