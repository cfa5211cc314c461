"""Fill a released notebook with the code of a student's ``.py`` module, as a student would.

Tests and benchmarks need nbgrader submissions that hold the same code as
the sample class's module files, so that ``nbgrader autograde``,
``nngrade grade --nbgrader`` and ``nngrade grade`` can be compared on equal
terms. It is also how an instructor moves ``.py`` submissions into an
nbgrader course.

Each answer cell (``answer_<name>``) takes the student's definition of
``<name>``; an answer the student did not write keeps the released stub.
The student's setup code (imports) replaces the setup cell, and whatever
else the module defines (helpers, trailing code) goes into one new cell after
the last answer, as if the student had added it. A module that does not
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
    first_answer = min((nb.cells.index(c) for c in answers.values()), default=len(nb.cells))
    setup_cells = [
        c
        for c in code_cells
        if not is_solution(c) and not is_locked(c) and nb.cells.index(c) < first_answer
    ]
    if setup_cells:
        setup_cells[0].source = split.setup
    extra = [split.setup] if split.setup.strip() and not setup_cells else []
    for chunk in split.chunks:
        cell = answers.get(answer_id(chunk.name)) if chunk.name else None
        if cell is not None:
            cell.source = chunk.source
        else:
            extra.append(chunk.source)
    if extra:
        last = max((nb.cells.index(c) for c in answers.values()), default=len(nb.cells) - 1)
        added = v4.new_code_cell("\n\n\n".join(extra))
        nb.cells.insert(last + 1, added)
    return nb
