"""Everything that can be wrong with a course, found before a semester depends on it.

``load_course`` already reports what is wrong inside the file (unknown
keys, modules and names, dates in the wrong order). This adds what needs
the course as a whole or the files it points to: the roster, assignments
that grade the same contract name twice, extensions for students who are
not enrolled, a rubric that does not load, an inbox that is not there,
and a gradebook address that cannot work.
"""

from __future__ import annotations

import os
from collections import defaultdict

from nngrade.course.config import GRADEBOOK_ENV, Course, Problem
from nngrade.rubric import RubricError, load_rubric

__all__ = ["assignment_points", "check_course"]


def assignment_points(course: Course) -> dict[str, float]:
    """Each assignment's points: its own ``points``, else the rubric's for its names."""
    try:
        rubric = load_rubric(course.rubric_path)
    except (OSError, RubricError):
        return {a.name: a.points or 0.0 for a in course.assignments}
    out = {}
    for a in course.assignments:
        out[a.name] = a.points if a.points is not None else sum(
            rubric.points.get(m, {}).get(n, 0.0) for m, n in a.names)
    return out


def check_course(course: Course) -> list[Problem]:
    """All problems of ``course``: the file's own and those found here (errors first)."""
    problems = list(course.problems)

    roster = course.roster
    for text in roster.problems:
        problems.append(Problem("error", "roster", text))
    if course.roster_path is not None and not roster.problems and not roster.students:
        problems.append(Problem("warning", "roster", f"{course.roster_path} lists no students"))

    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    seen_names: dict[str, int] = defaultdict(int)
    for a in course.assignments:
        seen_names[a.name] += 1
        for key in a.names:
            owners[key].append(a.name)
    for name, count in seen_names.items():
        if count > 1:
            problems.append(Problem("error", f"assignment {name!r}",
                                    f"the name is used by {count} assignments"))
    for (module, name), names in owners.items():
        if len(names) > 1:
            problems.append(Problem(
                "error", f"{module}.{name}",
                f"graded by more than one assignment ({', '.join(names)}): give each contract "
                "name to one assignment"))

    ids = set(roster.ids())
    for ext in course.extensions:
        if roster.students and ext.student not in ids:
            problems.append(Problem("error", f"extension for {ext.student!r}",
                                    "this student is not on the roster"))

    try:
        load_rubric(course.rubric_path)
    except (OSError, RubricError) as exc:
        problems.append(Problem("error", "rubric", str(exc)))
    for name, points in assignment_points(course).items():
        if points <= 0:
            problems.append(Problem("warning", f"assignment {name!r}",
                                    "is worth 0 points (set points = N)"))

    if course.inbox is not None and not course.inbox.is_dir():
        problems.append(Problem("warning", "[course] inbox",
                                f"{course.inbox} does not exist yet (create it before students "
                                "submit: mkdir -p it)"))
    elif course.inbox is not None and roster.students:
        strangers = sorted(p.name for p in course.inbox.iterdir()
                           if p.is_dir() and not p.name.startswith(".") and p.name not in ids)
        if strangers:
            problems.append(Problem("warning", "[course] inbox",
                                    "folders of ids not on the roster (never graded): "
                                    + ", ".join(strangers[:20])))

    problems.extend(_gradebook_problems(course))
    return sorted(problems, key=lambda p: p.level != "error")


def _gradebook_problems(course: Course) -> list[Problem]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(course.gradebook)
    except ArgumentError as exc:
        return [Problem("error", "[course] gradebook", f"not a database URL: {exc}")]
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        return [Problem("error", "[course] gradebook",
                        f"{url.get_backend_name()} is not supported: use a file (SQLite) or "
                        "postgresql://USER@HOST/DB")]
    if url.password and not os.environ.get(GRADEBOOK_ENV):
        return [Problem("warning", "[course] gradebook",
                        "the URL holds a password; put it in ~/.pgpass or in the "
                        f"{GRADEBOOK_ENV} variable instead of the course file")]
    return []
