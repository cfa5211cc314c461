"""``nngrade course check``: is the course file ready for a semester?"""

from __future__ import annotations

from pathlib import Path

import click

from nngrade.course.check import assignment_points, check_course
from nngrade.course.config import CourseError, load_course

__all__ = ["course_group"]


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@click.group("course")
def course_group() -> None:
    """The course file (nngrade.toml): assignments, roster, deadlines, late policy."""


@course_group.command("check")
@click.option("--course", "--course-file", "course_path", type=click.Path(path_type=Path),
              default=None,
              help="The course file or its folder (default: the nearest nngrade.toml).")
def check_command(course_path: Path | None) -> None:
    """Validate the course file and say exactly what is wrong; exit 1 on errors."""
    try:
        course = load_course(course_path)
    except CourseError as exc:
        raise click.ClickException(str(exc)) from exc
    problems = check_course(course)
    points = assignment_points(course)
    click.echo(f"{course.name} ({course.path})")
    click.echo(f"  roster: {len(course.roster.students)} students"
               + (f" from {course.roster_path}" if course.roster_path else ""))
    click.echo(f"  inbox: {course.inbox or '(none)'}")
    click.echo(f"  gradebook: {_shown(course.gradebook)}")
    tz = course.timezone
    for a in course.assignments:
        opens = a.opens.astimezone(tz).strftime("%Y-%m-%d %H:%M") if a.opens else "-"
        click.echo(f"  {a.name:8} {a.title[:40]:40} {points.get(a.name, 0):g} pts  "
                   f"opens {opens}  due {a.due.astimezone(tz):%Y-%m-%d %H:%M}  "
                   f"({a.late_policy.describe()})")
    errors = [p for p in problems if p.level == "error"]
    for problem in problems:
        click.secho(f"  {problem}", fg="red" if problem.level == "error" else "yellow")
    if errors:
        raise click.ClickException(f"{len(errors)} error(s) in {course.path}; fix them and run "
                                   "`nngrade course check` again")
    click.secho("The course file is ready." if not problems else
                "The course file is usable; see the warnings above.", fg="green")
