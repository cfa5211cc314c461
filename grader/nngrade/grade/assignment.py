"""``nngrade grade --assignment A``: one assignment of the course graded into its gradebook.

The course file (``nngrade.toml``, `nngrade.course.config`) says where the
hand-ins are (inbox, LMS downloads), who is on the roster, the due dates,
the rubric and the language; `nngrade.gradebook.pipeline.grade_assignment`
selects each student's attempt, stages it, records what changed and writes
the course page. This module only supplies its ``grade_fn``: the very
`nngrade.grade.pipeline.grade_class` a plain ``nngrade grade`` runs, with
the options the command was given, the course's rubric and language, into
``OUT/<assignment>/`` (so a rerun resumes what is graded already and keeps
the seed in its run.json).

``--shard K/N`` grades only the roster students of shard K: on a server
gradebook (PostgreSQL) the shards need no shared folder, since every
grading is recorded in the database with its seed, grader version and
rubric, and the course page is written from the database after each shard.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import click

from nngrade.grade.options import BatchOptions
from nngrade.grade.shards import Shard

__all__ = ["grade_course_assignment"]


def grade_course_assignment(assignment: str, course_path: Path | None, options: BatchOptions, *,
                            reason: str | None = None, students: Sequence[str] = (),
                            by: str | None = None, shard: Shard | None = None) -> int:
    """Grade ``assignment`` of the course into its gradebook; print what happened.

    With ``shard``, only the roster students of that shard (`nngrade.grade.shards`):
    on a server gradebook, N machines each grade one shard into their own
    output folder and record into the one database, which is the merge (the
    seed must be given to all of them; each grading records it).

    The exit status: 0, or 1 when a student could not be recorded (each
    problem is printed; the others are recorded all the same).
    """
    from nngrade.course.config import CourseError, load_course
    from nngrade.grade.pipeline import grade_class
    from nngrade.gradebook.database import GradebookError, open_gradebook
    from nngrade.gradebook.pipeline import grade_assignment

    try:
        course = load_course(course_path)
        course.require_usable()
        target = course.assignment(assignment)
        gb = open_gradebook(course.gradebook, create=True)
    except (CourseError, GradebookError) as exc:
        raise click.ClickException(str(exc)) from exc
    if students and course.roster.students:
        unknown = [s for s in students if course.roster.get(s) is None]
        if unknown:
            gb.close()
            raise click.ClickException(f"not on the roster {course.roster_path}: "
                                       f"{', '.join(unknown)}")

    if shard is not None:
        mine = [s for s in (students or course.roster.ids()) if shard.holds(s)]
        if not mine:
            gb.close()
            click.echo(f"Shard {shard}: no roster student of {target.name} falls in it.")
            return 0
        students = mine

    def grade_fn(staged: Path, out: Path) -> None:
        run_options = copy.copy(options)
        run_options.rubric_path = course.rubric_path
        run_options.lang = course.language
        run_options.deadline = None  # the selection already chose each student's attempt
        grade_class(staged, out, run_options)

    try:
        run = grade_assignment(course, target.name, grade_fn, gradebook=gb, reason=reason,
                               by=by, students=list(students) or None)
    except GradebookError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        gb.close()

    for recorded in run.recorded:
        what = f"{recorded.kind}: {recorded.reason}" if recorded.changed else "unchanged"
        click.echo(f"{recorded.student:24} {what}")
    for problem in run.problems:
        click.echo(f"warning: {problem}", err=True)
    changed = len(run.changed)
    click.echo(f"\n{target.name}: {len(run.recorded)} students recorded in the gradebook "
               f"({changed} changed). Results: {run.out_dir}; course page: "
               f"{course.out / 'index.html'}")
    unrecorded = [p for p in run.problems if p.endswith("not recorded")]
    return 1 if unrecorded else 0
