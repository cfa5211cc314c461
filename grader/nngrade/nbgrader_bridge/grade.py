"""``nngrade grade --nbgrader COURSE_DIR ASSIGNMENT``: grade an nbgrader course with nngrade.

Instead of executing every student notebook in a kernel, take the code of
the notebooks' answer cells, grade it like any other submission (sandbox,
one pytest session for the whole class, a process pool) and write the scores
where nbgrader and formgrader expect them. nngrade's own reports go to
``out`` (``COURSE_DIR/nngrade-reports/<assignment>`` by default).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import click

from nngrade.contract import MODULES
from nngrade.nbgrader_bridge.course import Course, open_course
from nngrade.nbgrader_bridge.extract import cell_sources, module_source
from nngrade.nbgrader_bridge.gradebook import (
    CellVerdict,
    assign_late_penalties,
    record_submission,
    sanitize,
    verdicts_for,
    write_autograded,
)
from nngrade.nbgrader_bridge.incell import cell_points, explain, score_of
from nngrade.nbgrader_bridge.requirement import require_nbgrader

log = logging.getLogger(__name__)

__all__ = ["grade_course", "export_seed"]


def export_seed(course: Course, assignment: str) -> int | None:
    """The seed ``nngrade nbgrader export`` wrote into the source notebooks, so both ways agree."""
    import nbformat

    folder = course.path("source", ".", assignment)
    for path in sorted(folder.glob("*.ipynb")):
        seed = nbformat.read(str(path), as_version=4).metadata.get("nngrade", {}).get("seed")
        if isinstance(seed, int):
            return seed
    return None


def _verdicts(module: str, nb: Any, results: dict | None) -> dict[str, CellVerdict]:
    """One verdict per contract name that has a test cell in ``nb``."""
    scores: dict[str, CellVerdict] = {}
    points = {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
        for c in nb.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade", False)
    }
    from nngrade.nbgrader_bridge.cells import grade_cell_id

    for name in MODULES[module]:
        cell_max = points.get(grade_cell_id(name))
        if cell_max is None:
            continue
        if results is None:
            scores[name] = CellVerdict(0.0, f"{name}: 0 / {cell_max:g} points: not graded")
            continue
        score, max_score, tests = score_of(results, module, name)
        value = cell_points(score, max_score, cell_max)
        scores[name] = CellVerdict(value, explain(name, value, cell_max, tests))
    return verdicts_for(module, nb, scores)


def grade_course(
    course_dir: Path,
    assignment: str,
    out: Path | None = None,
    jobs: int = 2,
    seed: int | None = None,
    force: bool = False,
    *,
    options: Any = None,
) -> list[dict]:
    """Grade every submission of ``assignment`` in an nbgrader course; return the results dicts.

    ``seed`` defaults to the one the source notebooks were exported with, so
    that ``nbgrader autograde`` (the hidden cells) and this function draw the
    same hidden inputs. ``options`` (a `nngrade.grade.options.BatchOptions`) carries
    the rest of ``nngrade grade``'s settings (timeouts, rubric, language);
    ``jobs``, ``seed`` and ``force`` given here win over its fields.
    """
    require_nbgrader()
    import nbformat

    from nngrade.grade.pipeline import grade_directory

    course = open_course(Path(course_dir))
    notebooks = course.notebooks(assignment)
    if not notebooks:
        raise click.ClickException(
            f"the gradebook of {course.root} has no notebooks for {assignment!r}: "
            f"run `nbgrader generate_assignment {assignment}` there first"
        )
    for name in notebooks:
        if name not in MODULES:
            log.warning(
                "%s.ipynb is not a contract module: its grade cells need manual grading", name
            )
    students = course.submitted_students(assignment)
    if seed is None:
        seed = export_seed(course, assignment)
    out = Path(out) if out is not None else course.root / "nngrade-reports" / assignment
    out.mkdir(parents=True, exist_ok=True)

    submitted: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="nngrade-nbgrader-") as tmp:
        for student in students:
            folder = Path(tmp) / student
            folder.mkdir()
            submitted[student] = {}
            for name in notebooks:
                path = course.path("submitted", student, assignment) / f"{name}.ipynb"
                if not path.is_file():
                    continue
                nb = sanitize(
                    course, nbformat.read(str(path), as_version=4), name, assignment, student
                )
                submitted[student][name] = nb
                if name in MODULES:
                    extracted = module_source(cell_sources(nb), name)
                    for reason in extracted.skipped:
                        log.warning("%s/%s.ipynb: %s", student, name, reason)
                    (folder / f"{name}.py").write_text(extracted.source, encoding="utf-8")
        results = (
            grade_directory(Path(tmp), out, jobs=jobs, seed=seed, force=force, options=options)
            if students
            else []
        )

    from nngrade.intake import student_id

    by_student = {r.get("nngrade", {}).get("student"): r for r in results}
    for student in students:
        result = by_student.get(student_id(student)[0])  # nngrade's safe form of the id
        if result is None:
            log.warning("nngrade returned no result for %s: recording 0", student)
        verdicts = {
            name: _verdicts(name, nb, result)
            for name, nb in submitted[student].items()
            if name in MODULES
        }
        timestamp = course.submitted_timestamp(assignment, student)
        record_submission(course, assignment, student, timestamp, submitted[student], verdicts)
        assign_late_penalties(course, submitted[student], assignment, student)
        write_autograded(course, assignment, student, submitted[student], verdicts)
    return results
