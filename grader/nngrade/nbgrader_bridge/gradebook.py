"""Put nngrade's verdicts where nbgrader and formgrader look for them.

``nbgrader autograde`` does three things per submission, and so does this
module, with nbgrader's own code wherever it exists:

1. sanitize the submitted notebook (nbgrader's ``ClearOutput``,
   ``DeduplicateIds``, ``OverwriteKernelspec``, ``OverwriteCells``,
   ``CheckCellMetadata``): test cells get back their source from the
   gradebook, hidden tests included, whatever the student did to them;
2. record the submission and one ``auto_score`` per grade cell in the
   gradebook (``nbgrader.api.Gradebook``), as ``SaveAutoGrades`` does, then
   the late penalty (nbgrader's ``AssignLatePenalties``, so the course's
   ``LateSubmissionPlugin`` applies);
3. write ``autograded/<student>/<assignment>/``: the notebooks, with each
   test cell's output set to nngrade's explanation and score (so formgrader
   and ``generate_feedback`` show them, and ``nbgrader.utils.determine_grade``
   on the cell gives the recorded score), and the submitted folder's other
   files, ``timestamp.txt`` among them: formgrader counts a submission as
   autograded when that timestamp equals the one in the gradebook.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nngrade.nbgrader_bridge.cells import contract_name_of_test, is_grade, is_solution
from nngrade.nbgrader_bridge.course import Course

log = logging.getLogger(__name__)

__all__ = [
    "CellVerdict",
    "assign_late_penalties",
    "record_submission",
    "sanitize",
    "write_autograded",
]


@dataclass(frozen=True)
class CellVerdict:
    """nngrade's result for one test cell: the points and what the student should read."""

    score: float
    text: str


def sanitize(course: Course, nb: Any, notebook: str, assignment: str, student: str) -> Any:
    """Run nbgrader's autograde sanitizers on a submitted notebook (in place, and return it)."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    resources = {
        "nbgrader": {
            "notebook": notebook,
            "assignment": assignment,
            "student": student,
            "db_url": course.db_url,
        }
    }
    for preprocessor in (
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        OverwriteCells,
        CheckCellMetadata,
    ):
        nb, resources = preprocessor(config=course.config).preprocess(nb, resources)
    return nb


def verdicts_for(module: str, nb: Any, scores: Mapping[str, CellVerdict]) -> dict[str, CellVerdict]:
    """Map contract-name verdicts onto the notebook's test cells, by grade_id."""
    found = {}
    for cell in nb.cells:
        if is_grade(cell) and cell.cell_type == "code":
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            name = contract_name_of_test(module, grade_id)
            if name is not None and name in scores:
                found[grade_id] = scores[name]
    return found


def _fill_outputs(nb: Any, verdicts: Mapping[str, CellVerdict]) -> None:
    from nbformat import v4

    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or grade_id not in verdicts or not is_grade(cell):
            continue
        verdict = verdicts[grade_id]
        cell.outputs = [
            v4.new_output("stream", name="stdout", text=verdict.text + "\n"),
            v4.new_output(
                "execute_result",
                data={"text/plain": repr(float(verdict.score))},
                execution_count=None,
            ),
        ]


def record_submission(
    course: Course,
    assignment: str,
    student: str,
    timestamp: datetime.datetime | None,
    notebooks: Mapping[str, Any],
    verdicts: Mapping[str, Mapping[str, CellVerdict]],
) -> None:
    """Write one student's submission and grades to the gradebook.

    ``notebooks`` maps notebook name to the sanitized submitted notebook,
    ``verdicts`` notebook name to grade_id to verdict. A notebook of the
    assignment that was not submitted scores 0, as in ``nbgrader autograde``.
    A grade cell nngrade did not write (an instructor's own question) gets no
    automatic score and is flagged for manual grading, unless nbgrader's own
    rule can tell (an unchanged written answer scores 0).
    """
    from nbgrader.utils import compute_checksum, determine_grade

    with course.gradebook() as gb:
        gb.update_or_create_student(student)
        if timestamp is not None:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
        for notebook in gb.find_assignment(assignment).notebooks:
            nb = notebooks.get(notebook.name)
            if nb is None:
                submitted = gb.find_submission_notebook(notebook.name, assignment, student)
                for grade in submitted.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
                continue
            cell_verdicts = verdicts.get(notebook.name, {})
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                grade_id = meta.get("grade_id")
                if not grade_id:
                    continue
                if is_grade(cell):
                    grade = gb.find_grade(grade_id, notebook.name, assignment, student)
                    if grade_id in cell_verdicts:
                        grade.auto_score = cell_verdicts[grade_id].score
                    elif is_solution(cell):
                        grade.auto_score = determine_grade(cell)[0]
                    else:
                        log.warning(
                            "%s/%s: %s is not an nngrade test cell; grade it by hand",
                            student,
                            notebook.name,
                            grade_id,
                        )
                        grade.auto_score = None
                    grade.needs_manual_grade = (
                        grade.manual_score is not None or grade.auto_score is None
                    )
                if is_solution(cell) or meta.get("task", False):
                    comment = gb.find_comment(grade_id, notebook.name, assignment, student)
                    unchanged = meta.get("checksum") == compute_checksum(cell)
                    comment.auto_comment = (
                        "No response." if unchanged and not meta.get("task", False) else None
                    )
        gb.db.commit()


def assign_late_penalties(
    course: Course, notebooks: Mapping[str, Any], assignment: str, student: str
) -> None:
    """Apply the course's late-submission policy, with nbgrader's own ``AssignLatePenalties``.

    It reads the scores just recorded, so it runs after `record_submission`,
    as it does last in ``nbgrader autograde``.
    """
    from nbgrader.preprocessors import AssignLatePenalties

    for name, nb in notebooks.items():
        resources = {
            "nbgrader": {
                "notebook": name,
                "assignment": assignment,
                "student": student,
                "db_url": course.db_url,
            }
        }
        AssignLatePenalties(config=course.config).preprocess(nb, resources)


def write_autograded(
    course: Course,
    assignment: str,
    student: str,
    notebooks: Mapping[str, Any],
    verdicts: Mapping[str, Mapping[str, CellVerdict]],
) -> Path:
    """Write ``autograded/<student>/<assignment>/`` as ``nbgrader autograde`` would."""
    import nbformat

    submitted = course.path("submitted", student, assignment)
    source = course.path("source", ".", assignment)
    dest = course.path("autograded", student, assignment)
    if dest.exists():
        for path in dest.rglob("*"):
            if path.is_file():
                path.chmod(0o644)
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("*.ipynb", *course.coursedir.ignore)
    for folder in (submitted, source):  # source files overwrite, as in autograde
        if folder.is_dir():
            shutil.copytree(folder, dest, ignore=ignore, dirs_exist_ok=True)
    for name, nb in notebooks.items():
        _fill_outputs(nb, verdicts.get(name, {}))
        nbformat.write(nb, str(dest / f"{name}.ipynb"))
    mode = 0o664 if course.coursedir.groupshared else 0o444
    for dirname, _, filenames in os.walk(dest):
        for filename in filenames:
            os.chmod(os.path.join(dirname, filename), mode)
    return dest
