"""Reading the gradebook: where every student stands in every assignment, and how they got there.

A ``Cell`` is one student in one assignment: the current grading (the
newest), the standing override (the newest, unless it withdrew the one
before), and the due date after extensions. Its ``final`` score is the
override's points when there is one, else the grading's score after the
late policy; an override stays in force through any later regrade, and
the page and ``gradebook show`` say so next to the automatic score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nngrade.course.config import Course
from nngrade.course.selection import effective_due
from nngrade.gradebook.database import Gradebook
from nngrade.gradebook.models import (
    AttemptRow,
    ExtensionRow,
    GradedTest,
    GradingRow,
    OverrideRow,
)

__all__ = ["Cell", "CourseState", "course_state", "granted_extensions", "history", "tests_of"]


@dataclass
class Cell:
    student: str
    assignment: str
    due: dt.datetime  # the student's own due date (extensions included)
    extended: bool
    grading: GradingRow | None = None
    override: OverrideRow | None = None
    gradings: int = 0  # how many gradings the history holds
    attempt: AttemptRow | None = None  # the hand-in of the current grading

    @property
    def automatic(self) -> float | None:
        return None if self.grading is None else self.grading.score_after_late

    @property
    def final(self) -> float | None:
        if self.override is not None and self.override.points is not None:
            return self.override.points
        return self.automatic

    @property
    def late(self) -> bool:
        """Charged for lateness, not accepted, or marked late by an LMS that gave no time."""
        g = self.grading
        if g is None:
            return False
        lms_late = (self.attempt is not None and self.attempt.reported_late
                    and g.late_seconds is None)
        return g.late_days > 0 or g.penalty_points > 0 or g.status == "not_accepted" or lms_late

    def marks(self) -> list[str]:
        """Short codes for the page and the terminal: late, overridden, extended, ..."""
        out = []
        if self.grading is not None and self.grading.status == "not_accepted":
            out.append("not_accepted")
        elif self.late:
            out.append("late")
        if self.grading is not None and self.grading.status == "ungradeable":
            out.append("ungradeable")
        if self.override is not None:
            out.append("override")
        if self.extended:
            out.append("extension")
        if self.gradings > 1:
            out.append("regraded")
        return out


@dataclass
class CourseState:
    course: Course
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    def cell(self, student: str, assignment: str) -> Cell:
        return self.cells[(student, assignment)]

    def points(self, assignment: str) -> float:
        """What ``assignment`` is worth: as its gradings recorded it, else as the course says."""
        for (_, name), cell in self.cells.items():
            if name == assignment and cell.grading is not None:
                return cell.grading.points
        from nngrade.gradebook.figures import assignment_points
        from nngrade.rubric import load_rubric

        return assignment_points(self.course.assignment(assignment),
                                 load_rubric(self.course.rubric_path))

    def total(self, student: str, now: dt.datetime | None = None) -> tuple[float, float]:
        """(sum of final scores, sum of points) over the assignments that count so far.

        An assignment counts once it is graded, or (given ``now``) once the
        student's own due date has passed: nothing handed in is 0 of its points.
        """
        got = 0.0
        out_of = 0.0
        for a in self.course.assignments:
            cell = self.cells[(student, a.name)]
            if cell.grading is not None:
                got += cell.final or 0.0
                out_of += cell.grading.points
            elif cell.final is not None:  # overridden without a grading
                got += cell.final
                out_of += self.points(a.name)
            elif now is not None and now > cell.due:
                out_of += self.points(a.name)
        return round(got, 4), round(out_of, 4)


def _newest(session: Session, model: type[GradingRow] | type[OverrideRow]
            ) -> dict[tuple[str, str], int]:
    rows = session.execute(select(model.student, model.assignment, func.max(model.id))
                           .group_by(model.student, model.assignment)).all()
    return {(s, a): i for s, a, i in rows}


def granted_extensions(gb: Gradebook) -> dict[tuple[str, str], dt.datetime]:
    """The latest due date granted in the gradebook, by (student, assignment)."""
    with gb.reading() as session:
        rows = session.execute(select(ExtensionRow.student, ExtensionRow.assignment,
                                      func.max(ExtensionRow.due))
                               .group_by(ExtensionRow.student, ExtensionRow.assignment)).all()
    out = {}
    for student, assignment, due in rows:
        if due is not None and due.tzinfo is None:  # func.max bypasses the column type
            due = due.replace(tzinfo=dt.timezone.utc)
        if isinstance(due, str):
            due = dt.datetime.fromisoformat(due).replace(tzinfo=dt.timezone.utc)
        out[(student, assignment)] = due
    return out


def course_state(gb: Gradebook, course: Course, students: Iterable[str] | None = None
                 ) -> CourseState:
    """Every roster student in every assignment (and anyone the gradebook knows besides)."""
    granted = granted_extensions(gb)
    state = CourseState(course)
    with gb.reading() as session:
        newest_grading = _newest(session, GradingRow)
        newest_override = _newest(session, OverrideRow)
        counts = {(s, a): n for s, a, n in session.execute(
            select(GradingRow.student, GradingRow.assignment, func.count(GradingRow.id))
            .group_by(GradingRow.student, GradingRow.assignment)).all()}
        gradings = {g.id: g for g in session.scalars(
            select(GradingRow).where(GradingRow.id.in_(list(newest_grading.values()))))}
        overrides = {o.id: o for o in session.scalars(
            select(OverrideRow).where(OverrideRow.id.in_(list(newest_override.values()))))}
        attempts = {a.id: a for a in session.scalars(
            select(AttemptRow).where(AttemptRow.id.in_([g.attempt_id
                                                        for g in gradings.values()])))}
    wanted = list(students) if students is not None else course.roster.ids()
    for student in wanted:
        for a in course.assignments:
            key = (student, a.name)
            due = effective_due(course, a, student, granted)
            override = overrides.get(newest_override.get(key, -1))
            if override is not None and override.points is None:
                override = None
            grading = gradings.get(newest_grading.get(key, -1))
            state.cells[key] = Cell(student, a.name, due, due != a.due, grading, override,
                                    counts.get(key, 0),
                                    attempts.get(grading.attempt_id) if grading else None)
    return state


def history(gb: Gradebook, student: str, assignment: str | None = None
            ) -> tuple[list[GradingRow], list[OverrideRow], list[ExtensionRow]]:
    """Everything recorded for ``student`` (in ``assignment``), oldest first."""
    with gb.reading() as session:
        def where(model: type[GradingRow] | type[OverrideRow] | type[ExtensionRow]) -> list:
            query = select(model).where(model.student == student)
            if assignment is not None:
                query = query.where(model.assignment == assignment)
            return list(session.scalars(query.order_by(model.id)))

        return where(GradingRow), where(OverrideRow), where(ExtensionRow)


def tests_of(gb: Gradebook, grading_id: int) -> list[GradedTest]:
    with gb.reading() as session:
        return list(session.scalars(select(GradedTest).where(GradedTest.grading_id == grading_id)
                                    .order_by(GradedTest.position)))
