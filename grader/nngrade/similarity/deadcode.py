"""Code that can never matter: left out of the comparison so that padding hides nothing.

Adding statements that do nothing is the cheapest way to make a copy look
different: with functions of three lines, one unused line in each breaks
most of the runs of tokens the two files share. So before fingerprinting,
the statements that provably have no effect on what a function returns or
the module defines are set aside:

- a top-level function or class that is not a name of the exercise
  contract and that no file of the same hand-in ever mentions;
- inside a function, an assignment whose targets are all plain names that
  the function never reads (repeated until nothing changes, so a chain of
  unused temporaries goes too), unless declared ``global``/``nonlocal``;
- ``if``/``while`` on a constant false test (without ``else``), ``for`` over
  ``range(0)``, statements that are a bare name or a non-string constant
  (string statements are docstrings, left out of the comparison anyway),
  and ``pass`` next to other statements.

This errs on the side of keeping code: anything with an effect (a call
whose result is unused, an assignment into an array, an attribute) stays.
The report shows what was set aside, greyed, so an instructor can see it.
Only files that parse are read this way; a file that does not parse is
compared with nothing removed.

Threat model: the text is a student's. It is parsed with ``ast.parse`` and
never compiled or run; a file that makes the parser fail in any way
(syntax, too deep, too large) simply has no dead code removed.
"""

from __future__ import annotations

import ast
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping

__all__ = ["dead_spans", "hand_in_dead_spans", "mentioned_names"]

_BLOCK_FIELDS = ("body", "orelse", "finalbody")
MAX_ROUNDS = 8


def _parse(text: str) -> ast.Module | None:
    """The syntax tree, or None; the parser's warnings about the student's code (invalid
    escapes...) are the student's business, not the instructor's terminal's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _names_in(tree: ast.AST, names: set[str]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name.split(".")[0])


def mentioned_names(texts: Iterable[str]) -> set[str]:
    """Every name read or attribute used in these files (for "is this helper ever used?")."""
    names: set[str] = set()
    for text in texts:
        tree = _parse(text)
        if tree is not None:
            _names_in(tree, names)
    return names


def hand_in_dead_spans(files: Mapping[str, str], keep: Mapping[str, set[str]]
                       ) -> dict[str, list[tuple[int, int]]]:
    """Dead code of every file of one hand-in (module -> ranges), each file parsed once.

    ``keep[module]``: the names of that module that must stay (the contract's).
    """
    trees = {module: _parse(text) for module, text in files.items()}
    mentioned: set[str] = set()
    for tree in trees.values():
        if tree is not None:
            _names_in(tree, mentioned)
    return {module: _spans(files[module], tree, keep.get(module, set()), mentioned)
            for module, tree in trees.items()}


def _falsy_constant(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and not test.value and test.value is not ...


def _empty_range(iterable: ast.expr) -> bool:
    if not (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "range" and not iterable.keywords):
        return False
    args = iterable.args
    if not args or not all(isinstance(a, ast.Constant) and isinstance(a.value, int)
                           and not isinstance(a.value, bool) for a in args):
        return False
    values = [a.value for a in args]  # type: ignore[attr-defined]
    try:
        return len(range(*values)) == 0
    except (TypeError, ValueError, OverflowError):
        return False


def _inert(stmt: ast.stmt, siblings: int) -> bool:
    """A statement that does nothing whatever the state."""
    if isinstance(stmt, ast.Pass):
        return siblings > 1
    if isinstance(stmt, ast.Expr):  # a string statement is a docstring or comment: not dead
        value = stmt.value
        return isinstance(value, ast.Name) or (isinstance(value, ast.Constant)
                                               and not isinstance(value.value, str))
    if isinstance(stmt, (ast.If, ast.While)):
        return _falsy_constant(stmt.test) and not stmt.orelse
    if isinstance(stmt, ast.For):
        return _empty_range(stmt.iter) and not stmt.orelse
    return False


def _blocks(node: ast.AST) -> Iterable[list[ast.stmt]]:
    for name in _BLOCK_FIELDS:
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(node, "handlers", []) or []:
        yield handler.body
    for case in getattr(node, "cases", []) or []:
        yield case.body


def _assigned_names(stmt: ast.stmt) -> list[str] | None:
    """The plain names an assignment binds, or None when it binds anything else."""
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    else:
        return None
    names: list[str] = []
    for target in targets:
        elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        for element in elements:
            if not isinstance(element, ast.Name):
                return None
            names.append(element.id)
    return names


def _dead_statements(tree: ast.Module, keep: set[str], mentioned: set[str]) -> list[ast.stmt]:
    dead: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and stmt.name not in keep and stmt.name not in mentioned:
            dead.append(stmt)
    for node in ast.walk(tree):
        for block in _blocks(node):
            for stmt in block:
                if _inert(stmt, len(block)):
                    dead.append(stmt)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            dead.extend(_unused_assignments(node))
    return dead


def _loads(node: ast.AST) -> Counter[str]:
    return Counter(n.id for n in ast.walk(node)
                   if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store))


def _unused_assignments(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """Assignments to names the function never reads, repeated a few rounds (a chain of
    unused temporaries goes too; the bound keeps a hostile 10,000-link chain cheap)."""
    declared: set[str] = set()
    candidates: list[ast.stmt] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # their own scope
        if isinstance(node, ast.stmt) and _assigned_names(node) is not None:
            candidates.append(node)
        stack.extend(ast.iter_child_nodes(node))
    if not candidates:
        return []
    reads = _loads(function)  # reads anywhere in the function, closures included
    own_reads = {id(stmt): _loads(stmt) for stmt in candidates}
    dead: list[ast.stmt] = []
    dead_ids: set[int] = set()
    for _ in range(MAX_ROUNDS):
        newly = [stmt for stmt in candidates if id(stmt) not in dead_ids
                 and not any(reads[n] > 0 or n in declared for n in _assigned_names(stmt) or [])]
        if not newly:
            break
        for stmt in newly:
            reads.subtract(own_reads[id(stmt)])  # what a dead statement reads is not a use
        dead.extend(newly)
        dead_ids.update(id(stmt) for stmt in newly)
    return dead


def _char_offset(lines: list[str], line_starts: list[int], lineno: int, col_bytes: int) -> int:
    """``ast`` columns count UTF-8 bytes; the report needs characters."""
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    prefix = line.encode("utf-8", "surrogatepass")[:col_bytes].decode("utf-8", "ignore")
    return line_starts[lineno - 1] + len(prefix) if 0 < lineno <= len(line_starts) else 0


def dead_spans(text: str, keep: Iterable[str], mentioned: set[str]) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that hold dead statements (sorted, not overlapping).

    ``keep`` are names that must stay (the contract's), ``mentioned`` the
    names the whole hand-in uses (``mentioned_names``).
    """
    return _spans(text, _parse(text), set(keep), mentioned)


def _spans(text: str, tree: ast.Module | None, keep: set[str],
           mentioned: set[str]) -> list[tuple[int, int]]:
    if tree is None:
        return []
    lines = text.split("\n")
    line_starts = [0]
    for line in lines[:-1]:
        line_starts.append(line_starts[-1] + len(line) + 1)
    spans = []
    for stmt in _dead_statements(tree, keep, mentioned):
        decorators = getattr(stmt, "decorator_list", [])
        if decorators:
            first = min(decorators, key=lambda d: (d.lineno, d.col_offset))
            at = _char_offset(lines, line_starts, first.lineno, first.col_offset)
            start = text.rfind("@", line_starts[first.lineno - 1], at + 1)
            start = start if start >= 0 else at
        else:
            start = _char_offset(lines, line_starts, stmt.lineno, stmt.col_offset)
        end = _char_offset(lines, line_starts, stmt.end_lineno or stmt.lineno,
                           stmt.end_col_offset or 0)
        spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
