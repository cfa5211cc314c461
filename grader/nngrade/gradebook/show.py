"""One student's semester as plain text: ``nngrade gradebook show STUDENT``.

Every assignment with its due date (the student's own, after extensions),
the hand-in that was graded, the score, and below it everything that
explains the score: the late deduction, an override with who, when and
why, an extension, and the history of regrades with their reasons. Then
the total so far. In the course's language unless ``lang`` says otherwise.
"""

from __future__ import annotations

import datetime as dt
import gettext
import unicodedata

from nngrade.course.config import Course
from nngrade.gradebook.database import Gradebook
from nngrade.gradebook.i18n import N_, catalog, normalize
from nngrade.gradebook.page import fmt_points
from nngrade.gradebook.state import course_state, history

__all__ = ["render_student"]

KINDS = {
    "first": N_("first grading"),
    "new_attempt": N_("newer hand-in graded"),
    "regrade": N_("regraded"),
    "rescore": N_("score worked out again"),
}


def _local(when: dt.datetime | None, tz: dt.tzinfo) -> str:
    return "" if when is None else when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def render_student(course: Course, gb: Gradebook, student: str, lang: str | None = None) -> str:
    code = normalize(lang or course.language)
    t = catalog(code)
    tz = course.timezone
    info = course.roster.get(student)
    state = course_state(gb, course, [student])
    gradings, overrides, extensions = history(gb, student)
    lines = []
    name = info.name if info else t.gettext("not on the roster")
    lines.append(t.gettext("Semester of %(name)s (%(id)s)") % {"name": name, "id": student})
    if info is not None and info.section:
        lines.append(t.gettext("Section: %(section)s") % {"section": info.section})
    lines.append(course.name)
    lines.append("")
    head = [t.gettext("Assignment"), t.gettext("Due"), t.gettext("Hand-in"), t.gettext("Score")]
    widths = [max(_width(head[0]), *(_width(f"{a.name} {a.title}")
                                     for a in course.assignments)) + 2, 20, 20, 14]
    lines.append("".join(_pad(h, w) for h, w in zip(head, widths, strict=True)).rstrip())
    for a in course.assignments:
        cell = state.cell(student, a.name)
        g = cell.grading
        if g is not None:
            received = _handin(gb, g.attempt_id, tz, t)
            score = f"{fmt_points(cell.final)} / {fmt_points(g.points)}"
        else:
            received = t.gettext("nothing graded")
            score = (f"{fmt_points(cell.final)}" if cell.final is not None else "–")
        row = [f"{a.name} {a.title}", _local(cell.due, tz), received, score]
        lines.append("".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
        notes = []
        if g is not None and g.status == "not_accepted":
            notes.append(t.gettext("not accepted: handed in after the last day"))
        if g is not None and g.status == "ungradeable":
            notes.append(t.gettext("could not be graded"))
        if g is not None and g.penalty_points:
            notes.append(t.gettext("late: %(days)s day(s), -%(penalty)s points")
                         % {"days": fmt_points(g.late_days),
                            "penalty": fmt_points(g.penalty_points)})
        if cell.override is not None:
            o = cell.override
            notes.append(t.gettext("override %(points)s by %(who)s on %(when)s: %(reason)s")
                         % {"points": fmt_points(o.points), "who": o.created_by,
                            "when": _local(o.created_at, tz), "reason": o.reason})
            if g is not None:
                notes.append(t.gettext("automatic score %(score)s of %(points)s")
                             % {"score": fmt_points(g.score_after_late),
                                "points": fmt_points(g.points)})
        for e in extensions:
            if e.assignment == a.name:
                notes.append(t.gettext("extension to %(when)s by %(who)s: %(reason)s")
                             % {"when": _local(e.due, tz), "who": e.created_by,
                                "reason": e.reason})
        for fe in course.extensions:
            if fe.student == student and fe.assignment == a.name:
                notes.append(t.gettext("extension to %(when)s (course file): %(reason)s")
                             % {"when": _local(fe.due, tz), "reason": fe.reason})
        past = [x for x in gradings if x.assignment == a.name]
        if len(past) > 1:
            notes.append(t.gettext("history:"))
            for x in past:
                notes.append("  " + t.gettext("%(when)s %(kind)s: %(score)s (%(reason)s)")
                             % {"when": _local(x.recorded_at, tz), "kind": t.gettext(KINDS.get(
                                 x.kind, x.kind)), "score": fmt_points(x.score_after_late),
                                "reason": x.reason})
        lines += ["    " + n for n in notes]
    got, out_of = state.total(student, dt.datetime.now(dt.timezone.utc))
    lines.append("")
    if out_of:
        lines.append(t.gettext("Total so far: %(got)s of %(max)s (%(percent)s%%)")
                     % {"got": fmt_points(got), "max": fmt_points(out_of),
                        "percent": f"{100.0 * got / out_of:.1f}"})
    else:
        lines.append(t.gettext("Nothing graded yet."))
    return "\n".join(lines)


def _handin(gb: Gradebook, attempt_id: int, tz: dt.tzinfo, t: gettext.NullTranslations) -> str:
    from nngrade.gradebook.models import AttemptRow

    with gb.reading() as session:
        row = session.get(AttemptRow, attempt_id)
    if row is None:
        return ""
    if row.received_at is not None:
        return _local(row.received_at, tz)
    return t.gettext("time unknown (%(kind)s)") % {"kind": row.source_kind}
