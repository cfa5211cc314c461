"""``nngrade gradebook ...``: a semester's grades, one small command per job.

``show`` one student's semester, ``diff`` what the last regrades changed,
``override`` a score and ``extend`` a due date (with who, when and why),
``export`` for an LMS, ``page`` to rewrite the course page. Each command
finds the course file from ``--course`` or the current folder, opens the
gradebook the course file names (or ``$NNGRADE_GRADEBOOK``), and says
what to do next when something is wrong.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from nngrade.course.config import Course, CourseError, load_course
from nngrade.gradebook.database import Gradebook, GradebookError, open_gradebook

__all__ = ["gradebook_group"]

course_option = click.option(
    "--course", "--course-file", "course_path", type=click.Path(path_type=Path), default=None,
    help="The course file or its folder (default: the nearest nngrade.toml).")
lang_option = click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                           help="Language (default: the course's).")
by_option = click.option("--by", "by", default=None, metavar="NAME",
                         help="Who decides (default: $NNGRADE_USER, else your login name).")


@contextlib.contextmanager
def opened(course_path: Path | None, *, create: bool = False) -> Iterator[tuple[Course, Gradebook]]:
    """The course and its gradebook, with errors as messages that say what to do."""
    try:
        course = load_course(course_path)
        course.require_usable()
        gb = open_gradebook(course.gradebook, create=create)
    except (CourseError, GradebookError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield course, gb
    except GradebookError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        gb.close()


def _known(course: Course, student: str, assignment: str | None) -> None:
    if course.roster.students and course.roster.get(student) is None:
        raise click.ClickException(f"{student!r} is not on the roster {course.roster_path}; "
                                   "check the id (nngrade gradebook show lists ids on the page)")
    if assignment is not None:
        try:
            course.assignment(assignment)
        except CourseError as exc:
            raise click.ClickException(str(exc)) from exc


def _refresh_page(course: Course, gb: Gradebook) -> None:
    from nngrade.gradebook.page import write_course_page

    try:
        path = write_course_page(course, gb)
        click.echo(f"Course page: {path}")
    except OSError as exc:
        click.echo(f"warning: the course page was not rewritten: {exc}", err=True)


def _refresh_report(course: Course, gb: Gradebook, student: str, assignment: str) -> None:
    """The student's report.html shows the override that now stands (or no longer)."""
    from nngrade.gradebook.reports import rewrite_student_report

    try:
        path = rewrite_student_report(course, gb, student, assignment)
    except Exception as exc:  # the override is recorded; a report bug must not hide that
        click.echo(f"warning: {student}'s report was not rewritten: {exc}", err=True)
        return
    if path is not None:
        click.echo(f"Report: {path}")


def _when(text: str, course: Course) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            day = dt.date.fromisoformat(text.strip())
        except ValueError as exc:
            raise click.BadParameter(f"{text!r} is not a date, e.g. 2026-10-08 or "
                                     "2026-10-08T23:59") from exc
        value = dt.datetime.combine(day, dt.time(23, 59, 59))
    return value if value.tzinfo else value.replace(tzinfo=course.timezone)


@click.group("gradebook")
def gradebook_group() -> None:
    """The semester's gradebook: show, diff, override, extend, export, page."""


@gradebook_group.command("show")
@click.argument("student")
@course_option
@lang_option
def show_command(student: str, course_path: Path | None, lang: str | None) -> None:
    """Print STUDENT's semester: every assignment, score, late days, overrides, history."""
    from nngrade.gradebook.show import render_student

    with opened(course_path) as (course, gb):
        _known(course, student, None)
        click.echo(render_student(course, gb, student, lang))


@gradebook_group.command("diff")
@course_option
@click.option("--assignment", "-a", default=None, help="Only this assignment.")
@click.option("--student", "-s", default=None, help="Only this student.")
@click.option("--since", default=None, metavar="DATETIME",
              help="Compare with the grades current at this time (default: each student's "
                   "previous grading).")
@click.option("--tests/--no-tests", default=True, show_default=True,
              help="List the tests that changed under each student.")
def diff_command(course_path: Path | None, assignment: str | None, student: str | None,
                 since: str | None, tests: bool) -> None:
    """Whose score moved in the latest regrades, by how much, and test by test."""
    from nngrade.gradebook.diff import gradebook_diff
    from nngrade.gradebook.page import fmt_points

    with opened(course_path) as (course, gb):
        if assignment is not None:
            _known(course, student or "", assignment) if student else course.assignment(assignment)
        moment = _when(since, course) if since else None
        diffs = gradebook_diff(gb, assignment=assignment, student=student, since=moment)
        if not diffs:
            click.echo("No score moved" + (f" since {since}" if since else "") + ".")
            return
        tz = course.timezone
        for d in diffs:
            sign = "+" if d.delta > 0 else ""
            click.echo(f"{d.student:16} {d.assignment:8} {fmt_points(d.old.score_after_late):>7}"
                       f" -> {fmt_points(d.new.score_after_late):>7}  ({sign}"
                       f"{fmt_points(d.delta)})  {d.new.recorded_at.astimezone(tz):%Y-%m-%d %H:%M}"
                       f" by {d.new.recorded_by}: {d.new.reason}")
            if tests:
                for change in d.tests:
                    old = "new" if change.old_score is None else \
                        f"{fmt_points(change.old_score)} {change.old_status}"
                    new = "gone" if change.new_score is None else \
                        f"{fmt_points(change.new_score)} {change.new_status}"
                    click.echo(f"    {change.name[:70]:70} {old:>14} -> {new}")
        click.echo(f"\n{len(diffs)} score(s) changed.")


@gradebook_group.command("override")
@click.argument("student")
@click.argument("assignment")
@click.option("--points", type=click.FloatRange(min=0), default=None,
              help="The score that stands, whatever the grader says now or later.")
@click.option("--clear", is_flag=True, help="Withdraw the standing override.")
@click.option("--reason", required=True, help="Why (kept for good; shown with the score).")
@by_option
@course_option
def override_command(student: str, assignment: str, points: float | None, clear: bool,
                     reason: str, by: str | None, course_path: Path | None) -> None:
    """Set STUDENT's score in ASSIGNMENT by hand (recorded with who, when and why)."""
    from nngrade.gradebook.record import set_override

    if (points is None) == (not clear):
        raise click.UsageError("give either --points P or --clear")
    with opened(course_path, create=True) as (course, gb):
        _known(course, student, assignment)
        row = set_override(gb, student=student, assignment=assignment, points=points,
                           reason=reason, by=by)
        what = f"{points:g} points" if points is not None else "withdrawn"
        click.echo(f"Override for {student} in {assignment}: {what} (by {row.created_by}, "
                   f"{row.created_at.astimezone(course.timezone):%Y-%m-%d %H:%M}).")
        _refresh_report(course, gb, student, assignment)
        _refresh_page(course, gb)


@gradebook_group.command("extend")
@click.argument("student")
@click.argument("assignment")
@click.option("--until", default=None, metavar="DATETIME",
              help="The new due date (e.g. 2026-10-08T23:59, in the course's time zone).")
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Days added to the assignment's due date.")
@click.option("--reason", required=True, help="Why (kept for good).")
@by_option
@course_option
def extend_command(student: str, assignment: str, until: str | None, days: float | None,
                   reason: str, by: str | None, course_path: Path | None) -> None:
    """Give STUDENT a later due date for ASSIGNMENT; the current score is worked out again."""
    from nngrade.course.selection import effective_due
    from nngrade.gradebook.record import grant_extension, rescore
    from nngrade.gradebook.state import granted_extensions

    if (until is None) == (days is None):
        raise click.UsageError("give either --until DATETIME or --days N")
    with opened(course_path, create=True) as (course, gb):
        _known(course, student, assignment)
        target = course.assignment(assignment)
        due = _when(until, course) if until else target.due + dt.timedelta(days=days or 0.0)
        if due <= target.due:
            raise click.ClickException(f"{due:%Y-%m-%d %H:%M} is not after the due date "
                                       f"{target.due.astimezone(course.timezone):%Y-%m-%d %H:%M}")
        row = grant_extension(gb, student=student, assignment=assignment, due=due,
                              reason=reason, by=by)
        now_due = effective_due(course, target, student, granted_extensions(gb))
        click.echo(f"Extension for {student} in {assignment}: due "
                   f"{now_due.astimezone(course.timezone):%Y-%m-%d %H:%M} (by {row.created_by}).")
        done = rescore(gb, student=student, assignment=target, due=now_due,
                       policy=target.late_policy, reason=f"extension: {reason}", by=by)
        if done is not None and done.changed:
            click.echo(f"The current score was worked out again: {done.reason}.")
        click.echo(f"Grade {assignment} again to pick up hand-ins that are on time now.")
        _refresh_report(course, gb, student, assignment)
        _refresh_page(course, gb)


@gradebook_group.command("export")
@click.option("--lms", "fmt", type=click.Choice(["canvas", "moodle", "blackboard", "csv"]),
              required=True, help="The LMS whose import file to write.")
@click.option("--out", "-o", "out", type=click.Path(path_type=Path), default=None,
              help="The file to write (default: <course out>/grades-<lms>.csv; - for stdout).")
@click.option("--missing", type=click.Choice(["auto", "zero", "blank"]), default="auto",
              show_default=True,
              help="Nothing graded: 0 once the student's due date has passed (auto), always 0, "
                   "or an empty cell.")
@click.option("--bom", is_flag=True, help="Start with a byte-order mark (for Excel).")
@lang_option
@course_option
def export_command(fmt: str, out: Path | None, missing: str, bom: bool, lang: str | None,
                   course_path: Path | None) -> None:
    """Write the semester's grades as the file Canvas, Moodle or Blackboard imports."""
    from nngrade.gradebook.export import build_export, render_export

    with opened(course_path, create=True) as (course, gb):
        export = build_export(course, gb, fmt, missing=missing, lang=lang)
        text = render_export(export, bom=bom)
        for warning in export.warnings:
            click.echo(f"warning: {warning}", err=True)
        if out is not None and str(out) == "-":
            sys.stdout.write(text)
            return
        path = out or course.out / f"grades-{fmt}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        click.echo(f"{len(course.roster.students)} students, {len(course.assignments)} "
                   f"assignments: {path}")


@gradebook_group.command("page")
@lang_option
@course_option
def page_command(lang: str | None, course_path: Path | None) -> None:
    """Rewrite the course page, <course out>/index.html."""
    from nngrade.gradebook.page import write_course_page

    with opened(course_path, create=True) as (course, gb):
        click.echo(f"Course page: {write_course_page(course, gb, lang)}")
