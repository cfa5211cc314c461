"""A student's report.html as the gradebook sees it: the hand-in's own facts and any override.

The grader writes ``OUT/<assignment>/<student>/report.html`` from what it
saw, a staged copy. The gradebook knows more: when the work arrived,
whether it was late, and whether an instructor set the score by hand
(``nngrade gradebook override``, with who, when and why). A student must
see that override in the same report as the tests, so the report is
rendered again from results.json plus these facts; results.json itself is
never changed (its resume key must stay the grader's).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from nngrade.course.config import Course
from nngrade.folder_names import student_folder
from nngrade.gradebook.database import Gradebook
from nngrade.gradebook.models import AttemptRow, GradingRow, OverrideRow
from nngrade.gradebook.state import course_state

__all__ = ["override_block", "rewrite_student_report", "source_block"]


def override_block(override: OverrideRow | None, grading: GradingRow | None,
                   tz: dt.tzinfo) -> dict[str, Any] | None:
    """results.json's ``nngrade.override`` for the report, or None when no override stands."""
    if override is None or override.points is None:
        return None
    return {
        "points": override.points,
        "out_of": grading.points if grading is not None else None,
        "automatic": grading.score_after_late if grading is not None else None,
        "reason": override.reason,
        "by": override.created_by,
        "at": f"{override.created_at.astimezone(tz):%Y-%m-%d %H:%M}",
    }


def source_block(attempt: AttemptRow, late: bool) -> dict[str, Any]:
    """results.json's ``nngrade.source`` from the hand-in the gradebook recorded."""
    block: dict[str, Any] = {"path": attempt.source_path, "archive_sha256": attempt.digest,
                             "late": bool(late)}
    if attempt.received_at is not None:
        block["submitted_at"] = attempt.received_at.astimezone(dt.timezone.utc).isoformat()
    return block


def rewrite_student_report(course: Course, gb: Gradebook, student: str,
                           assignment: str) -> Path | None:
    """Render ``student``'s report of ``assignment`` again with the gradebook's facts.

    Returns the report's path, or None when there is none to rewrite (not
    graded yet, or graded without reports).
    """
    folder = course.out_dir(assignment) / student_folder(student)
    report = folder / "report.html"
    if not report.is_file():
        return None
    try:
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(results, dict) or not isinstance(results.get("nngrade"), dict):
        return None
    cell = course_state(gb, course, [student]).cell(student, assignment)
    view = copy.deepcopy(results)
    info = view["nngrade"]
    if cell.attempt is not None:
        info["source"] = source_block(cell.attempt, cell.late)
    block = override_block(cell.override, cell.grading, course.timezone)
    if block is not None:
        info["override"] = block
    from nngrade.report import write_student_report

    write_student_report(view, report, lang=course.language)
    return report
