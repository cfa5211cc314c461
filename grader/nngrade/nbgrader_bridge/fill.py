"""Fill a released notebook with the code of a student's ``.py`` module, as a student would.

Tests and benchmarks need nbgrader submissions that hold the same code as
the sample class's module files, so that ``nbgrader autograde``,
``nngrade grade --nbgrader`` and ``nngrade grade`` can be compared on equal
terms. It is also how an instructor moves ``.py`` submissions into an
nbgrader course.

Each answer cell (``answer_<name>``) takes the student's definition of
``<name>``; an answer the student did not write keeps the released stub.
The student's setup code (imports) replaces the setup cell, and whatever
else the module defines (helpers, constants, trailing code) goes into new
cells where the module has it: before the next answer the student wrote, or
after the last one, as if the student had added them. A module that does not
parse goes whole into the first answer cell, where it fails as it would in
Jupyter.
"""

from __future__ import annotations

import copy
from typing import Any

from nngrade.nbgrader_bridge.cells import answer_id, is_grade, is_locked, is_solution
from nngrade.nbgrader_bridge.split import split_module

__all__ = ["fill_notebook"]


def fill_notebook(released: Any, module_source: str | None) -> Any:
    """A copy of ``released`` with the student's code in its cells (``None``: nothing submitted)."""
    from nbformat import v4

    nb = copy.deepcopy(released)
    if module_source is None:
        return nb
    code_cells = [c for c in nb.cells if c.cell_type == "code" and not is_grade(c)]
    answers = {c.metadata["nbgrader"]["grade_id"]: c for c in code_cells if is_solution(c)}
    try:
        split = split_module(module_source)
    except SyntaxError:
        if answers:
            next(iter(answers.values())).source = module_source
        return nb

    def index(cell: Any) -> int:
        return next(i for i, c in enumerate(nb.cells) if c is cell)

    first_answer = min((index(c) for c in answers.values()), default=len(nb.cells))
    setup_cells = [
        c for c in code_cells if not is_solution(c) and not is_locked(c) and index(c) < first_answer
    ]
    if setup_cells:
        setup_cells[0].source = split.setup
    # Code that has no answer cell goes into a new cell just before the next answer the
    # student wrote after it, so that it runs in the module's order (a helper or a
    # constant defined before the function that uses it at definition time).
    pending = [split.setup] if split.setup.strip() and not setup_cells else []
    inserts: list[tuple[Any, list[str]]] = []
    for chunk in split.chunks:
        cell = answers.get(answer_id(chunk.name)) if chunk.name else None
        if cell is None:
            pending.append(chunk.source)
            continue
        cell.source = chunk.source
        if pending:
            inserts.append((cell, pending))
            pending = []
    for cell, sources in inserts:
        nb.cells.insert(index(cell), v4.new_code_cell("\n\n\n".join(sources)))
    if pending:
        last = max((index(c) for c in answers.values()), default=len(nb.cells) - 1)
        nb.cells.insert(last + 1, v4.new_code_cell("\n\n\n".join(pending)))
    return nb
