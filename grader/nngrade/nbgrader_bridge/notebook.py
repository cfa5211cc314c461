"""Build one nbgrader source notebook from one solution module and its rubric points.

One notebook per contract module, not one per assignment, because:

* modules share names (``sigmoid`` is an array function in
  ``activations`` and a `Variable` function in ``autodiff``), and a single
  kernel namespace would let one silently replace the other;
* nngrade grades a module as a unit (a module that does not import scores
  zero on that module only); one notebook per module keeps that promise in
  nbgrader too: a notebook that crashes costs that module only;
* formgrader, feedback and the gradebook then show the same per-module
  breakdown as ``nngrade grade``'s reports.

Cells, in order: a markdown introduction (the module docstring); the setup
code (imports) as a plain code cell, so nbgrader keeps it in the release
(a solution cell without markers would be replaced whole by the stub); one
"Autograded answer" cell per top-level definition that holds solution
markers (plain code cell otherwise); then a heading and one read-only cell
that runs the module's public checks on the notebook's functions (what
``nngrade check`` does in a terminal, `nngrade.nbgrader_bridge.publiccell`),
so a student can check before submitting; then a markdown heading and one
"Autograder tests" cell per contract name worth points, all at the end. The
tests come last because the hidden checks grade the module as a whole,
exactly as ``nngrade grade`` does, once every answer has been run; the
first test cell runs the module's suite and the others reuse its result.
"""

from __future__ import annotations

from typing import Any

from nngrade.contract import MODULES
from nngrade.messages import msg, render
from nngrade.nbgrader_bridge.cells import (
    answer_id,
    answer_metadata,
    check_cell_id,
    check_cell_metadata,
    grade_cell_id,
    grade_cell_metadata,
)
from nngrade.nbgrader_bridge.publiccell import public_cell_source
from nngrade.nbgrader_bridge.split import BEGIN_SOLUTION, END_SOLUTION, SplitModule

HIDDEN_CALL = "_nngrade_hidden_score"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

__all__ = ["HIDDEN_CALL", "build_source_notebook", "hints_before_solutions", "grade_cell_source"]


def grade_cell_source(module: str, name: str, points: float, seed: int) -> str:
    """One test cell's source: a visible comment, then the hidden call whose value is the score.

    nbgrader gives a test cell partial credit when its output is a number
    (``nbgrader.utils.determine_grade``), so the last expression is the score
    nngrade's hidden checks give ``name``. nbgrader removes the hidden block
    from the students' copy; nngrade's nbgrader_config.py also removes it from
    feedback.
    """
    return (
        f"# Autograder test for `{name}` ({points:g} point{'' if points == 1 else 's'}): "
        "nngrade's hidden checks\n"
        f"# call your code with inputs you have not seen and compare it with a reference.\n"
        f"### BEGIN HIDDEN TESTS\n"
        f"from nngrade.nbgrader_bridge.incell import hidden_score as {HIDDEN_CALL}\n"
        f"{HIDDEN_CALL}(globals(), {module!r}, {name!r}, points={float(points)!r}, seed={seed!r})\n"
        f"### END HIDDEN TESTS"
    )


def hints_before_solutions(source: str) -> str:
    """Move ``### HINT:`` lines from inside solution regions to just above them, as ``# Hint:``.

    ``solutions/`` keeps hints inside the solution region, where nngrade's stub
    generator finds them; nbgrader would delete them with the solution. Above
    the ``### BEGIN SOLUTION`` line they survive into the students' notebooks,
    next to ``# YOUR CODE HERE``, as in ``exercises/``.
    """
    lines = source.split("\n")
    out: list[str] = []
    begin = None  # index in out of the current region's BEGIN line
    for line in lines:
        stripped = line.strip()
        if BEGIN_SOLUTION in line:
            begin = len(out)
            out.append(line)
        elif END_SOLUTION in line:
            begin = None
            out.append(line)
        elif begin is not None and stripped.startswith("### HINT"):
            indent = line[: len(line) - len(line.lstrip())]
            text = stripped[len("### HINT") :].lstrip(":").strip()
            out.insert(begin, f"{indent}# Hint: {text}")
            begin += 1
        else:
            out.append(line)
    return "\n".join(out)


def _intro(module: str, docstring: str) -> str:
    title, _, rest = docstring.partition("\n")
    heading = f"# `{module}.py`" + (f": {title.strip().rstrip('.')}" if title.strip() else "")
    return (
        f"{heading}\n\n{rest.strip()}\n\n"
        "Replace every `raise NotImplementedError()` under `# YOUR CODE HERE` with your code. "
        "Keep the names and signatures: the autograder calls them with inputs you have not "
        "seen. The cells under *Autograder tests* are read-only; they are graded after you "
        "submit."
    ).replace("\n\n\n", "\n\n")


def _check_heading(lang: str | None) -> str:
    """The public checks' heading: in the notebook's language, in both when none is fixed."""
    langs = [lang] if lang else ["en", "zh"]
    return "## " + " / ".join(render(msg("notebook.checks_title"), x) for x in langs) + \
        "\n\n" + "\n\n".join(render(msg("notebook.checks_intro"), x) for x in langs)


def build_source_notebook(
    module: str, split: SplitModule, points: dict[str, float], seed: int,
    lang: str | None = None,
) -> Any:
    """The instructor's source notebook for ``module``: solutions in place, hidden tests included.

    ``points`` maps contract names to rubric points; names worth 0 get no test
    cell (their checks still run inside the module's suite). Cell ids are
    fixed so that exporting twice writes the same file. ``lang`` fixes the
    language of the public-check cell's report (None: the student's locale).
    """
    from nbformat import v4

    if module not in MODULES:
        raise ValueError(f"{module!r} is not a contract module")
    cells = [v4.new_markdown_cell(_intro(module, split.docstring))]
    if split.setup.strip():
        cells.append(v4.new_code_cell(split.setup))
    for chunk in split.chunks:
        cell = v4.new_code_cell(hints_before_solutions(chunk.source))
        if chunk.name is not None and chunk.has_solution:
            cell.metadata["nbgrader"] = answer_metadata(answer_id(chunk.name))
        cells.append(cell)
    cells.append(v4.new_markdown_cell(_check_heading(lang)))
    check = v4.new_code_cell(public_cell_source(module, lang))
    check.metadata["nbgrader"] = check_cell_metadata(check_cell_id(module))
    cells.append(check)
    graded = [name for name in MODULES[module] if points.get(name, 0) > 0]
    if graded:
        cells.append(v4.new_markdown_cell("## Autograder tests"))
    for name in graded:
        cell = v4.new_code_cell(grade_cell_source(module, name, points[name], seed))
        cell.metadata["nbgrader"] = grade_cell_metadata(grade_cell_id(name), points[name])
        cells.append(cell)
    for index, cell in enumerate(cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"{module}-{index}"
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["nngrade"] = {"module": module, "seed": seed}
    return nb
