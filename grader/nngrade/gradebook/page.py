"""The course page: students x assignments, totals, and every late, extension and override mark.

``write_course_page(course, gradebook)`` writes ``<course out>/index.html``
beside each assignment's own folder (``<out>/<assignment>/index.html``, the
class summary ``nngrade grade`` writes, and the students' reports), and
links to them with relative links, so the whole folder can be zipped,
mailed or served as it is. One self-contained file: no network, no
JavaScript, printable.

Threat model: student ids, names, sections and reasons end up in the page.
Names come from the roster, reasons from TAs, but ids and hand-in facts
come from students' folders, so autoescaping is on and nothing is
inserted as markup.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median
from typing import Any
from urllib.parse import quote

import jinja2

from nngrade.course.config import Course
from nngrade.course.late import LatePolicy
from nngrade.folder_names import student_folder
from nngrade.gradebook.database import Gradebook
from nngrade.gradebook.i18n import N_, catalog, normalize
from nngrade.gradebook.state import Cell, CourseState, course_state, history
from nngrade.version import __version__

__all__ = ["MARKS", "fmt_points", "render_course_page", "write_course_page"]

TEMPLATES = Path(__file__).with_name("templates")

# mark -> (letter on the page, legend)
MARKS: dict[str, tuple[str, str]] = {
    "late": (N_("L"), N_("late: the late policy deducted points")),
    "not_accepted": (N_("X"), N_("not accepted: handed in after the last day")),
    "override": (N_("O"), N_("override: a person set the score")),
    "extension": (N_("E"), N_("extension: the due date was moved")),
    "regraded": (N_("R"), N_("regraded: the history holds earlier scores")),
    "ungradeable": (N_("!"), N_("could not be graded")),
}


def fmt_points(value: float | None) -> str:
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _local(when: dt.datetime | None, tz: dt.tzinfo) -> str:
    return "" if when is None else when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@dataclass
class CellView:
    text: str
    marks: list[tuple[str, str]]  # (letter, legend)
    title: str
    link: str | None
    css: str


@dataclass
class RowView:
    student: str
    name: str
    section: str
    cells: list[CellView]
    total: str
    percent: float | None


@dataclass
class ColumnView:
    name: str
    title: str
    points: str
    due: str
    policy: str
    summary_link: str | None
    graded: int
    mean: str
    median: str


@dataclass
class PageView:
    course: str
    lang: str
    generated: str
    gradebook: str
    columns: list[ColumnView]
    rows: list[RowView]
    legend: list[tuple[str, str]]
    decisions: list[dict[str, str]] = field(default_factory=list)


def _link(out: Path, *parts: str) -> str | None:
    if not out.joinpath(*parts).is_file():
        return None
    return "/".join(quote(p) for p in parts)


def _policy(policy: LatePolicy, t: Any) -> str:
    if policy.percent_per_day <= 0:
        text = t.gettext("no deduction for lateness")
    else:
        text = t.gettext("-%(percent)s%% per day late, at most -%(cap)s%%") % {
            "percent": fmt_points(policy.percent_per_day), "cap": fmt_points(policy.max_percent)}
    if policy.accept_days is not None:
        text += "; " + t.gettext("not accepted after %(days)s days") % {
            "days": fmt_points(policy.accept_days)}
    return text


def _cell_view(cell: Cell, out: Path, tz: dt.tzinfo, t: Any) -> CellView:
    marks = [(t.gettext(MARKS[m][0]), t.gettext(MARKS[m][1])) for m in cell.marks()]
    lines = []
    g = cell.grading
    if g is None and cell.override is None:
        return CellView("–", marks, t.gettext("no hand-in graded"), None, "none")
    if g is not None:
        lines.append(t.gettext("automatic score %(score)s of %(points)s")
                     % {"score": fmt_points(g.score_after_late), "points": fmt_points(g.points)})
        if g.penalty_points:
            lines.append(t.gettext("late: %(days)s day(s), -%(penalty)s points")
                         % {"days": fmt_points(g.late_days),
                            "penalty": fmt_points(g.penalty_points)})
    if cell.override is not None:
        o = cell.override
        lines.append(t.gettext("override %(points)s by %(who)s on %(when)s: %(reason)s")
                     % {"points": fmt_points(o.points), "who": o.created_by,
                        "when": _local(o.created_at, tz), "reason": o.reason})
    if cell.extended:
        lines.append(t.gettext("due %(when)s (extended)") % {"when": _local(cell.due, tz)})
    final = cell.final
    css = "ok"
    if g is not None and g.points and final is not None:
        ratio = final / g.points
        css = "ok" if ratio >= 0.85 else "mid" if ratio >= 0.5 else "low"
    return CellView(fmt_points(final), marks, "\n".join(lines),
                    _link(out, cell.assignment, student_folder(cell.student), "report.html"), css)


def page_view(course: Course, state: CourseState, gb: Gradebook, lang: str) -> PageView:
    t = catalog(lang)
    tz = course.timezone
    out = course.out
    columns = []
    for a in course.assignments:
        finals = [c.final for (s, name), c in state.cells.items()
                  if name == a.name and c.final is not None]
        points = state.points(a.name)
        columns.append(ColumnView(
            a.name, a.title, fmt_points(points), _local(a.due, tz), _policy(a.late_policy, t),
            _link(out, a.name, "index.html"), len(finals),
            fmt_points(mean(finals)) if finals else "–",
            fmt_points(median(finals)) if finals else "–"))
    rows = []
    for student in course.roster.students:
        got, out_of = state.total(student.id, dt.datetime.now(dt.timezone.utc))
        rows.append(RowView(
            student.id, student.name, student.section,
            [_cell_view(state.cell(student.id, a.name), out, tz, t) for a in course.assignments],
            f"{fmt_points(got)} / {fmt_points(out_of)}" if out_of else fmt_points(got),
            round(100.0 * got / out_of, 1) if out_of else None))
    decisions = []
    for student in course.roster.students:
        _, overrides, extensions = history(gb, student.id)
        for o in overrides:
            decisions.append({
                "when": _local(o.created_at, tz), "student": student.id,
                "assignment": o.assignment, "who": o.created_by, "reason": o.reason,
                "what": (t.gettext("override: %(points)s points") % {"points": fmt_points(o.points)}
                         if o.points is not None else t.gettext("override withdrawn"))})
        for e in extensions:
            decisions.append({
                "when": _local(e.created_at, tz), "student": student.id,
                "assignment": e.assignment, "who": e.created_by, "reason": e.reason,
                "what": t.gettext("extension to %(when)s") % {"when": _local(e.due, tz)}})
    for ext in course.extensions:
        decisions.append({
            "when": "", "student": ext.student, "assignment": ext.assignment,
            "who": ext.granted_by or course.path.name, "reason": ext.reason,
            "what": t.gettext("extension to %(when)s") % {"when": _local(ext.due, tz)}})
    decisions.sort(key=lambda d: (d["when"], d["student"]))
    legend = [(t.gettext(letter), t.gettext(text)) for letter, text in MARKS.values()]
    return PageView(course.name, lang, _local(dt.datetime.now(dt.timezone.utc), tz),
                    gb.location, columns, rows, legend, decisions)


def render_course_page(course: Course, gb: Gradebook, lang: str | None = None) -> str:
    code = normalize(lang or course.language)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"],
                             trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(catalog(code), newstyle=True)  # type: ignore[attr-defined]
    view = page_view(course, course_state(gb, course), gb, code)
    return env.get_template("course.html").render(
        v=view, version=__version__, html_lang="zh-CN" if code == "zh" else "en",
        stylesheet=(TEMPLATES / "course.css").read_text(encoding="utf-8"))


def write_course_page(course: Course, gb: Gradebook, lang: str | None = None) -> Path:
    """Write ``<course out>/index.html`` atomically and return its path."""
    path = course.out / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".html.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(render_course_page(course, gb, lang))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
