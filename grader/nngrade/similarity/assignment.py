"""``nngrade similarity --assignment A``: compare the hand-ins a course assignment grades.

The similarity report must compare what was graded. For a course
assignment that is each roster student's attempt chosen by
`nngrade.course.selection.select_attempts` (inbox and LMS downloads, due
dates, extensions from the course file and the gradebook), not whatever
lies in one folder; and only the assignment's modules. This module stages
exactly that selection, as ``nngrade grade --assignment A`` does, into a
temporary folder the ordinary similarity intake reads.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

__all__ = ["AssignmentHandIns", "staged_assignment"]


@dataclass
class AssignmentHandIns:
    """The staged folder of one assignment's chosen attempts, and what the report needs."""

    folder: Path
    modules: list[str]
    out: Path  # the default report folder: OUT/<assignment>/similarity
    language: str
    problems: list[str]
    shown: str  # how to name these hand-ins to the user: the assignment and its course file


@contextlib.contextmanager
def staged_assignment(assignment: str, course_file: Path | None) -> Iterator[AssignmentHandIns]:
    """Stage ``assignment``'s chosen attempts; the folder is removed afterwards."""
    from nngrade.course.config import CourseError, load_course
    from nngrade.course.selection import select_attempts
    from nngrade.gradebook.database import GradebookError, open_gradebook
    from nngrade.gradebook.pipeline import stage_selection
    from nngrade.gradebook.state import granted_extensions

    try:
        course = load_course(course_file)
        course.require_usable()
        target = course.assignment(assignment)
    except CourseError as exc:
        raise click.ClickException(str(exc)) from exc
    try:  # extensions granted later live in the gradebook; none yet is fine
        gb = open_gradebook(course.gradebook, create=False)
    except GradebookError:
        granted = {}
    else:
        try:
            granted = granted_extensions(gb)
        finally:
            gb.close()
    selection = select_attempts(course, target, granted=granted)
    course.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".similarity-{target.name}-",
                                     dir=course.out) as staging:
        stage_selection(selection, Path(staging))
        yield AssignmentHandIns(folder=Path(staging), modules=list(target.modules),
                                out=course.out_dir(target.name) / "similarity",
                                language=course.language, problems=list(selection.problems),
                                shown=f"{target.name} ({course.path})")
