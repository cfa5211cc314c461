"""Turn a submitted notebook back into the module file nngrade grades.

What counts as the student's code: every code cell a student could write,
that is, the "Autograded answer" cells (nbgrader ``solution: true``), the
plain setup cell, and any cell the student added, in notebook order, as
``nbgrader autograde`` would run them. Never the test cells (``grade:
true`` or locked): a student may have edited them, and their hidden source is
the grader's, not the student's.

A notebook is not a module, so three things are adapted so that a cell costs
what it would cost in a kernel, no more:

* IPython syntax (``%magic``, ``!shell``) is commented out;
* a cell that does not parse is left out (in a kernel it would fail alone,
  in a module it would fail the whole file) and a comment says so;
* a cell that does more than define things (a call, a print, a loop) runs
  under ``try: ... except Exception: pass``: in a kernel a failing scratch
  cell stops that cell only, while at import time it would stop the module.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nngrade.nbgrader_bridge.cells import is_grade, is_locked

__all__ = ["Extracted", "cell_sources", "module_source"]

_MAGIC = re.compile(r"^(\s*)([%!].*)$")
_DEFINING = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Pass,
)


@dataclass
class Extracted:
    source: str
    skipped: list[str] = field(default_factory=list)  # one line per cell left out, and why


def cell_sources(nb: Any) -> list[tuple[str, str]]:
    """(label, source) of each code cell that holds the student's code, in order."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or is_grade(cell) or is_locked(cell):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        found.append((grade_id or f"cell {index + 1}", source))
    return found


def _without_magics(source: str) -> str:
    return "\n".join(_MAGIC.sub(r"\1# \2", line) for line in source.splitlines())


def _only_defines(tree: ast.Module) -> bool:
    """Imports, definitions, docstrings and assignments of literals cannot fail at import time."""
    for node in tree.body:
        if isinstance(node, _DEFINING):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            decorators = getattr(node, "decorator_list", [])
            if any(not isinstance(d, ast.Name) for d in decorators):
                return False
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            try:
                ast.literal_eval(node.value)
            except ValueError:
                return False
            continue
        return False
    return True


def module_source(cells: Iterable[tuple[str, str]], module: str = "") -> Extracted:
    """The module file for a notebook's code cells (see the module docstring for the rules)."""
    parts: list[str] = []
    futures: list[str] = []
    skipped: list[str] = []
    for label, raw in cells:
        source = _without_magics(raw)
        if not source.strip():
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            reason = f"{label}: SyntaxError: {exc.msg} (line {exc.lineno})"
            skipped.append(reason)
            parts.append(f"# nngrade: left out {reason}")
            continue
        kept = []
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                futures.append(ast.get_source_segment(source, node) or "")
            else:
                kept.append(node)
        if len(kept) != len(tree.body):
            lines = source.splitlines()
            source = "\n".join("\n".join(lines[n.lineno - 1 : n.end_lineno]) for n in kept)
            tree = ast.Module(body=kept, type_ignores=[])
        if not source.strip():
            continue
        if _only_defines(tree):
            parts.append(f"# --- {label}\n{source.rstrip()}")
        else:
            parts.append(
                f"# --- {label} (a failure here stops this cell only, as in a notebook)\n"
                f"try:\n{textwrap.indent(source.rstrip(), '    ')}\n"
                f"except Exception:\n    pass"
            )
    header = f'"""{module} extracted from a notebook by nngrade."""\n' if module else ""
    head = "\n".join(dict.fromkeys(f for f in futures if f))
    body = "\n\n\n".join(parts)
    text = "\n\n".join(x for x in (header.rstrip(), head, body) if x)
    return Extracted(text + "\n", skipped)
