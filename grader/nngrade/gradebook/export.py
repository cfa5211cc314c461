"""The semester's grades in the file each LMS imports, with the roster's LMS ids.

Each format follows the LMS's own importer (the tests compare with sample
files written from the same sources):

**Canvas** (Grades > Import): ``Student, ID, SIS User ID, SIS Login ID,
Section``, then one column per assignment, named ``Title (assignment id)``
when the course file gives Canvas's id (an existing assignment), else
``Title`` (Canvas creates it); a second row ``    Points Possible`` holds
each assignment's points. Canvas finds a student by any of Student, ID,
SIS User ID or SIS Login ID (``spec/models/gradebook_importer_spec.rb``
in canvas-lms), so every one the roster has is filled in.

**Moodle** (Grades > Import > CSV file): the identifier columns Moodle can
map from (``ID number`` to "useridnumber", ``Email address`` to
"useremail"), the name, and per assignment a grade column
``Assignment: Title`` and a ``Feedback: Title`` column, as Moodle's own
export names them (``grade/import/csv/tests/load_data_test.php``). At
import, map "ID number" (or "Email address") and each column to its
grade item.

**Blackboard** (Grade Center > Work Offline > Upload): ``Last Name, First
Name, Username, Student ID``, then ``Title [Total Pts: N Score] |<column
id>``; Blackboard matches students by Username and columns by the id after
the bar (a column without one is created as a new text column), and wants
every value of a comma-separated file in quotes.

**csv**: a plain table for spreadsheets: id, name, email, section, one
column per assignment, total and maximum.

A score is the final one (an override when there is one, else the score
after the late policy). A student with nothing graded gets 0 once their
own due date has passed and an empty cell before (``missing``). Text
cells that a spreadsheet would run as a formula are quoted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from nngrade.course.config import Course
from nngrade.course.roster import RosterStudent
from nngrade.gradebook.database import Gradebook
from nngrade.gradebook.i18n import catalog
from nngrade.gradebook.page import fmt_points
from nngrade.gradebook.state import Cell, course_state

__all__ = ["FORMATS", "Export", "build_export", "render_export"]

FORMATS = ("canvas", "moodle", "blackboard", "csv")
MISSING = ("auto", "zero", "blank")


@dataclass
class Export:
    format: str
    header: list[str]
    rows: list[list[str]]
    warnings: list[str]
    quote_all: bool = False


def _safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: quote them."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _score(cell: Cell, missing: str, now: dt.datetime) -> str:
    final = cell.final
    if final is not None:
        return fmt_points(final)
    if missing == "zero" or (missing == "auto" and now > cell.due):
        return "0"
    return ""


def _feedback(cell: Cell, course: Course, lang: str) -> str:
    t = catalog(lang)
    g = cell.grading
    parts = []
    if g is not None:
        parts.append(t.gettext("automatic score %(score)s of %(points)s")
                     % {"score": fmt_points(g.score_after_late), "points": fmt_points(g.points)})
        if g.penalty_points:
            parts.append(t.gettext("late: %(days)s day(s), -%(penalty)s points")
                         % {"days": fmt_points(g.late_days),
                            "penalty": fmt_points(g.penalty_points)})
        if g.status == "not_accepted":
            parts.append(t.gettext("not accepted: handed in after the last day"))
    if cell.override is not None:
        o = cell.override
        parts.append(t.gettext("override %(points)s by %(who)s on %(when)s: %(reason)s")
                     % {"points": fmt_points(o.points), "who": o.created_by,
                        "when": o.created_at.astimezone(course.timezone).strftime("%Y-%m-%d"),
                        "reason": o.reason})
    return _safe("; ".join(parts))


def _name_parts(s: RosterStudent) -> tuple[str, str]:
    """(first, last): the roster's columns, else the name split at its last space."""
    if s.first_name or s.last_name:
        return s.first_name, s.last_name
    if " " in s.name.strip():
        first, _, last = s.name.strip().rpartition(" ")
        return first, last
    return s.name, ""


def build_export(course: Course, gb: Gradebook, fmt: str, *, missing: str = "auto",
                 now: dt.datetime | None = None, lang: str | None = None) -> Export:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {', '.join(MISSING)}")
    now = now or dt.datetime.now(dt.timezone.utc)
    lang = lang or course.language
    state = course_state(gb, course)
    students = course.roster.students
    assignments = course.assignments
    points = {a.name: state.points(a.name) for a in assignments}
    warnings: list[str] = []

    def scores(s: RosterStudent) -> list[str]:
        return [_score(state.cell(s.id, a.name), missing, now) for a in assignments]

    if fmt == "canvas":
        columns = [f"{a.title} ({a.lms['canvas']})" if a.lms.get("canvas") else a.title
                   for a in assignments]
        for a in assignments:
            if not a.lms.get("canvas"):
                warnings.append(f"{a.name}: no Canvas assignment id (lms.canvas) in the course "
                                f"file; Canvas will create a new assignment {a.title!r}")
        ids = ("canvas_id", "sis_user_id", "sis_login_id")
        if not any(c in course.roster.columns for c in ids):
            warnings.append("the roster has none of canvas_id, sis_user_id, sis_login_id: "
                            "Canvas can only match students by name")
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *columns]
        rows = [["    Points Possible", "", "", "", "", *(fmt_points(points[a.name])
                                                          for a in assignments)]]
        for s in students:
            first, last = _name_parts(s)
            sortable = f"{last}, {first}" if last and first else s.name
            rows.append([_safe(sortable), s.lms("canvas_id"), s.lms("sis_user_id"),
                         s.lms("sis_login_id"), _safe(s.section), *scores(s)])
        return Export(fmt, header, rows, warnings)

    if fmt == "moodle":
        header = ["First name", "Surname", "ID number", "Email address"]
        for a in assignments:
            label = a.lms.get("moodle") or a.title
            header += [f"Assignment: {label}", f"Feedback: {label}"]
        rows = []
        for s in students:
            first, last = _name_parts(s)
            row = [_safe(first), _safe(last), s.lms("moodle_idnumber", s.id), s.email]
            for a in assignments:
                cell = state.cell(s.id, a.name)
                row += [_score(cell, missing, now), _feedback(cell, course, lang)]
            rows.append(row)
        return Export(fmt, header, rows, warnings)

    if fmt == "blackboard":
        columns = []
        for a in assignments:
            column = f"{a.title} [Total Pts: {fmt_points(points[a.name])} Score]"
            if a.lms.get("blackboard"):
                column += f" |{a.lms['blackboard']}"
            else:
                warnings.append(f"{a.name}: no Grade Center column id (lms.blackboard): "
                                "Blackboard will add it as a new text column")
            columns.append(column)
        header = ["Last Name", "First Name", "Username", "Student ID", *columns]
        rows = []
        for s in students:
            first, last = _name_parts(s)
            rows.append([_safe(last), _safe(first), s.lms("username", s.id), s.id, *scores(s)])
        return Export(fmt, header, rows, warnings, quote_all=True)

    header = ["student", "name", "email", "section", *(a.name for a in assignments), "total",
              "max"]
    rows = []
    for s in students:
        got, out_of = state.total(s.id, now)
        rows.append([s.id, _safe(s.name), s.email, _safe(s.section), *scores(s),
                     fmt_points(got), fmt_points(out_of)])
    return Export(fmt, header, rows, warnings)


def render_export(export: Export, *, bom: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL if export.quote_all else csv.QUOTE_MINIMAL,
                        lineterminator="\r\n")
    writer.writerow(export.header)
    writer.writerows(export.rows)
    return ("\ufeff" if bom else "") + buf.getvalue()

