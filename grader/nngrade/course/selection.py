"""Which attempt of each student is graded for an assignment, and how late it is.

For assignment A and every roster student: gather the student's attempts
(the course inbox, A's LMS downloads and any extra folders), drop those
handed in before A opened, and pick one:

* ``newest_on_time`` (the default, and what `nngrade grade --deadline`
  always did): the newest attempt at or before the student's due date;
  only when there is none, the newest late one that the late policy still
  accepts. A late resubmission never replaces on-time work.
* ``newest``: the newest accepted attempt, late or not (the rule of most
  LMSs: the last hand-in counts, with its penalty).

When no attempt is accepted at all (everything past the last day), the
newest one is still graded, so the student gets feedback, and it is
marked not accepted (it scores zero). The student's due date is the
assignment's moved by the latest extension, from the course file or
granted in the gradebook. Attempts whose time of receipt is unknown
(a Canvas download) count as handed in after every timed one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nngrade.course.attempts import Attempt, inbox_attempts
from nngrade.course.config import Assignment, Course, Download
from nngrade.course.late import LateOutcome, apply_late_policy
from nngrade.course.lms import read_download

__all__ = ["Choice", "Selection", "effective_due", "select_attempts"]

LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Choice:
    """The attempt graded for one student, with everything its score depends on."""

    student: str
    attempt: Attempt
    due: dt.datetime  # the student's own due date
    late: LateOutcome
    considered: int  # attempts after the assignment opened
    extended: bool


@dataclass
class Selection:
    assignment: Assignment
    chosen: dict[str, Choice] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # roster students with nothing to grade
    problems: list[str] = field(default_factory=list)


def effective_due(course: Course, assignment: Assignment, student: str,
                  granted: Mapping[tuple[str, str], dt.datetime] | None = None) -> dt.datetime:
    """The assignment's due date moved by the latest extension of ``student``, if any."""
    due = assignment.due
    for ext in course.extensions:
        if ext.student == student and ext.assignment == assignment.name:
            due = max(due, ext.due)
    if granted:
        due = max(due, granted.get((student, assignment.name), due))
    return due


def _order(a: Attempt) -> tuple[dt.datetime, str]:
    return (a.received_at or LATEST, a.source_path)


def select_attempts(course: Course, assignment: Assignment, *,
                    granted: Mapping[tuple[str, str], dt.datetime] | None = None,
                    extra: Sequence[Download] = ()) -> Selection:
    """The attempt of every roster student to grade for ``assignment`` (see the module doc)."""
    selection = Selection(assignment)
    roster = course.roster
    ids = set(roster.ids())
    by_student: dict[str, list[Attempt]] = {s: [] for s in roster.ids()}
    if course.inbox is not None and course.inbox.is_dir():
        found, problems = inbox_attempts(course.inbox, ids)
        selection.problems += problems
        for student, attempts in found.items():
            by_student[student] += attempts
    for download in [*assignment.downloads, *extra]:
        reading = read_download(download, roster, course.timezone)
        selection.problems += [f"{download.path.name}: {p}" for p in reading.problems]
        for student, attempt in reading.attempts.items():
            by_student[student].append(attempt)

    policy = assignment.late_policy
    for student in roster.ids():
        attempts = by_student[student]
        eligible = [a for a in attempts if assignment.opens is None or a.received_at is None
                    or a.received_at >= assignment.opens]
        if not eligible:
            if attempts:
                selection.problems.append(f"{student}: every hand-in is from before "
                                          f"{assignment.name} opened; nothing to grade")
            selection.missing.append(student)
            continue
        due = effective_due(course, assignment, student, granted)
        judged = sorted(((a, apply_late_policy(policy, due, a.received_at,
                                               reported_late=a.reported_late))
                         for a in eligible), key=lambda al: _order(al[0]))
        accepted = [al for al in judged if al[1].accepted]
        on_time = [al for al in accepted if not al[1].late]
        if course.selection == "newest":
            pick = (accepted or judged)[-1]
        else:
            pick = (on_time or accepted or judged)[-1]
        attempt, late = pick
        selection.chosen[student] = Choice(student, attempt, due, late, len(eligible),
                                           due != assignment.due)
    return selection
