"""The course file, ``nngrade.toml``: a semester's assignments, roster, deadlines and policies.

One file describes the course as the instructor plans it, and every
semester command reads it (``nngrade course check`` says what is wrong
with it)::

    [course]
    name = "Neural networks and deep learning: foundations"
    language = "zh"                 # reports, pages and `gradebook show`
    timezone = "Asia/Shanghai"      # how dates without an offset are read
    roster = "roster.csv"
    inbox = "inbox"                 # where `nngrade submit` hands in
    gradebook = "gradebook.sqlite"  # a file here, or postgresql://... for a server
    out = "build"                   # build/<assignment>/ results, build/index.html

    [late_policy]                   # every assignment's, unless it sets its own
    percent_per_day = 10
    max_percent = 50
    grace_minutes = 15

    [[assignments]]
    name = "a1"
    title = "Perceptron and activations"
    modules = ["perceptron", "activations"]     # or names = ["activations.sigmoid", ...]
    opens = 2026-09-07T08:00:00
    due = 2026-09-20T23:59:00
    # points = 20                   # default: the rubric's points of those names

    [[extensions]]
    student = "ben"
    assignment = "a1"
    days = 3
    reason = "medical certificate"

The file is the instructor's, so it is trusted; it is still read strictly:
an unknown key (a typo such as ``modles``) is a problem, not a silent
default, because a misspelt deadline is a wrong grade for a whole class.
Loading collects every problem with where it is; ``Course.errors`` lists
those that make grading unsafe.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nngrade.contract import MODULES
from nngrade.course.late import LatePolicy
from nngrade.course.roster import Roster, read_roster

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "COURSE_FILE",
    "GRADEBOOK_ENV",
    "Assignment",
    "Course",
    "CourseError",
    "Download",
    "FileExtension",
    "Problem",
    "find_course_file",
    "load_course",
]

COURSE_FILE = "nngrade.toml"
GRADEBOOK_ENV = "NNGRADE_GRADEBOOK"  # a database URL that beats the course file's
SELECTIONS = ("newest_on_time", "newest")
LMS_KEYS = ("canvas", "moodle", "blackboard")
DOWNLOAD_FORMATS = ("auto", "canvas", "moodle", "folder")

COURSE_KEYS = {"name", "id", "language", "timezone", "roster", "inbox", "gradebook", "out",
               "rubric", "selection", "student"}
POLICY_KEYS = {"percent_per_day", "max_percent", "grace_minutes", "per_started_day",
               "accept_days"}
ASSIGNMENT_KEYS = {"name", "title", "modules", "names", "points", "opens", "due", "late_policy",
                   "downloads", "lms"}
EXTENSION_KEYS = {"student", "assignment", "due", "days", "reason", "granted_by"}
DOWNLOAD_KEYS = {"path", "format", "received", "worksheet"}
TOP_KEYS = {"course", "late_policy", "assignments", "extensions"}


class CourseError(Exception):
    """The course file cannot be used; the message lists every problem and where it is."""


@dataclass(frozen=True)
class Problem:
    level: str  # "error" | "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


@dataclass(frozen=True)
class Download:
    """A folder or zip of hand-ins downloaded from an LMS (or collected by hand)."""

    path: Path
    format: str = "auto"  # auto | canvas | moodle | folder
    received: dt.datetime | None = None  # for a plain folder: when it was collected
    worksheet: Path | None = None  # Moodle's grading worksheet (times of receipt, emails)


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    names: tuple[tuple[str, str], ...]  # (module, contract name), in contract order
    whole_modules: tuple[str, ...]  # modules given whole (their module totals are used)
    points: float | None  # None: the rubric's points of ``names``
    opens: dt.datetime | None
    due: dt.datetime
    late_policy: LatePolicy
    downloads: tuple[Download, ...] = ()
    lms: dict[str, str] = field(default_factory=dict)  # canvas / moodle / blackboard column ids

    @property
    def modules(self) -> list[str]:
        """Every module with at least one name in this assignment, in contract order."""
        seen = {m for m, _ in self.names}
        return [m for m in MODULES if m in seen]


@dataclass(frozen=True)
class FileExtension:
    """An extension written in the course file (the gradebook holds those granted later)."""

    student: str
    assignment: str
    due: dt.datetime
    reason: str
    granted_by: str


@dataclass
class Course:
    path: Path  # the nngrade.toml
    name: str
    course_id: str
    language: str
    timezone: dt.tzinfo
    roster_path: Path | None
    inbox: Path | None
    gradebook: str  # a database URL
    out: Path
    rubric_path: Path | None
    selection: str
    late_policy: LatePolicy
    assignments: list[Assignment]
    extensions: list[FileExtension]
    problems: list[Problem] = field(default_factory=list)
    _roster: Roster | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def roster(self) -> Roster:
        if self._roster is None:
            if self.roster_path is None:
                self._roster = Roster(self.folder / "roster.csv", [], [],
                                      ["the course has no roster: add roster = \"FILE.csv\" "
                                       "under [course]"])
            else:
                self._roster = read_roster(self.roster_path)
        return self._roster

    def assignment(self, name: str) -> Assignment:
        for a in self.assignments:
            if a.name == name:
                return a
        known = ", ".join(a.name for a in self.assignments) or "none"
        raise CourseError(f"the course has no assignment {name!r} (its assignments: {known})")

    def out_dir(self, assignment: str) -> Path:
        return self.out / assignment

    def require_usable(self) -> None:
        """Raise CourseError listing the errors, if there are any."""
        if self.errors:
            lines = "\n  ".join(str(p) for p in self.errors)
            raise CourseError(f"{self.path} cannot be used yet:\n  {lines}\n"
                              "Run `nngrade course check` after fixing it.")


def find_course_file(start: Path | None = None) -> Path | None:
    """``start`` itself if it is a file, else the nearest nngrade.toml in it or its parents."""
    start = Path(start) if start is not None else Path.cwd()
    if start.is_file():
        return start
    for folder in [start.resolve(), *start.resolve().parents]:
        if (folder / COURSE_FILE).is_file():
            return folder / COURSE_FILE
    return None


# ------------------------------------------------------------------ reading values


class _Reader:
    """Reads the parsed TOML, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.tz: dt.tzinfo = dt.timezone.utc

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem("error", where, message))

    def warn(self, where: str, message: str) -> None:
        self.problems.append(Problem("warning", where, message))

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(where, f"must be a table, not {type(value).__name__}")
            return {}
        return dict(value)

    def unknown(self, table: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(table) - allowed):
            self.error(where, f"unknown key {key!r} (known: {', '.join(sorted(allowed))})")

    def text(self, table: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.error(where, f"{key} must be text (in quotes), not {value!r}")
            return default
        return value.strip()

    def number(self, table: Mapping[str, Any], key: str, where: str,
               default: float | None) -> float | None:
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(where, f"{key} must be a number, not {value!r}")
            return default
        if value < 0:
            self.error(where, f"{key} must not be negative ({value})")
            return default
        return float(value)

    def resolve(self, raw: str) -> Path:
        p = Path(raw).expanduser()
        return (p if p.is_absolute() else (self.path.parent / p)).resolve()

    def when(self, value: Any, where: str, key: str, end_of_day: bool) -> dt.datetime | None:
        """A TOML date-time (or ISO text) as an aware datetime; a bare date means a whole day."""
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                self.error(where, f"{key} = {value!r} is not a date and time "
                                  "(write e.g. 2026-09-20T23:59:00)")
                return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=self.tz)
        if isinstance(value, dt.date):
            clock = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
            return dt.datetime.combine(value, clock, tzinfo=self.tz)
        self.error(where, f"{key} must be a date and time, not {value!r}")
        return None


def _policy(reader: _Reader, raw: Any, where: str, base: LatePolicy) -> LatePolicy:
    table = reader.table(raw, where)
    reader.unknown(table, POLICY_KEYS, where)
    per_day = reader.number(table, "percent_per_day", where, base.percent_per_day)
    cap = reader.number(table, "max_percent", where, base.max_percent)
    grace = reader.number(table, "grace_minutes", where, base.grace_minutes)
    accept = reader.number(table, "accept_days", where, base.accept_days)
    started = table.get("per_started_day", base.per_started_day)
    if not isinstance(started, bool):
        reader.error(where, f"per_started_day must be true or false, not {started!r}")
        started = base.per_started_day
    if cap is not None and cap > 100:
        reader.error(where, f"max_percent is {cap:g}: a deduction cannot exceed 100%")
    return LatePolicy(per_day or 0.0, 100.0 if cap is None else cap, grace or 0.0, started,
                      accept)


def _contract_names(reader: _Reader, table: Mapping[str, Any], where: str
                    ) -> tuple[list[tuple[str, str]], list[str]]:
    names: list[tuple[str, str]] = []
    whole: list[str] = []
    modules = table.get("modules", [])
    listed = table.get("names", [])
    for key, value in (("modules", modules), ("names", listed)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            reader.error(where, f"{key} must be a list of text, e.g. {key} = [\"activations\"]")
            return [], []
    for module in modules:
        if module not in MODULES:
            reader.error(where, f"unknown module {module!r} (the contract's modules: "
                                f"{', '.join(MODULES)})")
            continue
        whole.append(module)
        names += [(module, n) for n in MODULES[module]]
    for dotted in listed:
        module, _, name = dotted.partition(".")
        if module not in MODULES or name not in MODULES[module]:
            hint = ""
            if module in MODULES:
                hint = f" ({module}'s names: {', '.join(MODULES[module])})"
            reader.error(where, f"unknown contract name {dotted!r}; write module.name, e.g. "
                                f"\"activations.sigmoid_prime\"{hint}")
            continue
        if (module, name) in names:
            reader.error(where, f"{dotted} is listed twice in this assignment")
            continue
        names.append((module, name))
    if not modules and not listed:
        reader.error(where, "lists neither modules nor names: what does it grade?")
    order = {(m, n): i for i, (m, n) in enumerate((m, n) for m in MODULES for n in MODULES[m])}
    return sorted(names, key=lambda mn: order[mn]), whole


def _downloads(reader: _Reader, raw: Any, where: str) -> list[Download]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.error(where, "downloads must be a list of paths or tables")
        return []
    out = []
    for i, item in enumerate(raw):
        here = f"{where} downloads[{i}]"
        if isinstance(item, str):
            item = {"path": item}
        table = reader.table(item, here)
        reader.unknown(table, DOWNLOAD_KEYS, here)
        raw_path = reader.text(table, "path", here)
        if not raw_path:
            reader.error(here, "needs a path")
            continue
        fmt = reader.text(table, "format", here, "auto")
        if fmt not in DOWNLOAD_FORMATS:
            reader.error(here, f"format {fmt!r} is not one of {', '.join(DOWNLOAD_FORMATS)}")
            fmt = "auto"
        received = reader.when(table.get("received"), here, "received", end_of_day=False)
        sheet = reader.text(table, "worksheet", here)
        path = reader.resolve(raw_path)
        if not path.exists():
            reader.warn(here, f"{path} does not exist (yet)")
        out.append(Download(path, fmt, received, reader.resolve(sheet) if sheet else None))
    return out


def _lms(reader: _Reader, raw: Any, where: str) -> dict[str, str]:
    table = reader.table(raw, f"{where} lms")
    reader.unknown(table, set(LMS_KEYS), f"{where} lms")
    out = {}
    for key, value in table.items():
        if key in LMS_KEYS:
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                reader.error(f"{where} lms", f"{key} must be an id (text or a number)")
                continue
            out[key] = str(value).strip()
    return out


def _timezone(reader: _Reader, name: str) -> dt.tzinfo:
    if not name:
        local = dt.datetime.now().astimezone().tzinfo
        return local or dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        reader.error("[course]", f"timezone {name!r} is unknown; use a name such as "
                                 "\"Asia/Shanghai\" or \"UTC\"")
        return dt.timezone.utc


def _gradebook_url(reader: _Reader, raw: str) -> str:
    from_env = os.environ.get(GRADEBOOK_ENV, "").strip()
    value = from_env or raw or "gradebook.sqlite"
    if "://" in value:
        return value
    return "sqlite:///" + str(reader.resolve(value).resolve())


def load_course(path: Path | None = None) -> Course:
    """Read the course file (``path``, or the nearest nngrade.toml); problems are collected."""
    found = find_course_file(path)
    if found is None:
        raise CourseError(f"no {COURSE_FILE} in {path or Path.cwd()} or its parents. Give the "
                          "course file with --course PATH, or start from "
                          f"examples/course/{COURSE_FILE}.")
    reader = _Reader(found)
    try:
        data = tomllib.loads(found.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"cannot read {found}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{found} is not valid TOML: {exc}") from exc
    reader.unknown(data, TOP_KEYS, "the file")

    course = reader.table(data.get("course"), "[course]")
    reader.unknown(course, COURSE_KEYS, "[course]")
    reader.tz = _timezone(reader, reader.text(course, "timezone", "[course]"))
    language = reader.text(course, "language", "[course]", "en")
    if language not in ("en", "zh"):
        reader.error("[course]", f"language {language!r}: use \"en\" or \"zh\"")
        language = "en"
    selection = reader.text(course, "selection", "[course]", "newest_on_time")
    if selection not in SELECTIONS:
        reader.error("[course]", f"selection {selection!r}: use one of {', '.join(SELECTIONS)}")
        selection = SELECTIONS[0]
    roster = reader.text(course, "roster", "[course]")
    inbox = reader.text(course, "inbox", "[course]")
    rubric = reader.text(course, "rubric", "[course]")
    default_policy = _policy(reader, data.get("late_policy"), "[late_policy]", LatePolicy())

    assignments: list[Assignment] = []
    raw_assignments = data.get("assignments", [])
    if not isinstance(raw_assignments, list):
        reader.error("the file", "assignments must be an array of tables: [[assignments]]")
        raw_assignments = []
    for i, raw in enumerate(raw_assignments):
        table = reader.table(raw, f"[[assignments]] #{i + 1}")
        name = reader.text(table, "name", f"[[assignments]] #{i + 1}")
        where = f"assignment {name!r}" if name else f"[[assignments]] #{i + 1}"
        if not name:
            reader.error(where, "needs a name, e.g. name = \"a1\"")
            continue
        reader.unknown(table, ASSIGNMENT_KEYS, where)
        names, whole = _contract_names(reader, table, where)
        due = reader.when(table.get("due"), where, "due", end_of_day=True)
        if due is None and "due" not in table:
            reader.error(where, "needs a due date, e.g. due = 2026-09-20T23:59:00")
        opens = reader.when(table.get("opens"), where, "opens", end_of_day=False)
        if due is not None and opens is not None and due <= opens:
            reader.error(where, f"is due ({due.isoformat()}) before it opens "
                                f"({opens.isoformat()})")
        points = reader.number(table, "points", where, None)
        policy = _policy(reader, table.get("late_policy"), f"{where} late_policy",
                         default_policy)
        assignments.append(Assignment(
            name=name,
            title=reader.text(table, "title", where) or name,
            names=tuple(names),
            whole_modules=tuple(whole),
            points=points,
            opens=opens,
            due=due or dt.datetime.max.replace(tzinfo=dt.timezone.utc),
            late_policy=policy,
            downloads=tuple(_downloads(reader, table.get("downloads"), where)),
            lms=_lms(reader, table.get("lms"), where),
        ))

    extensions = _extensions(reader, data.get("extensions", []), assignments)
    out = reader.resolve(reader.text(course, "out", "[course]", "build") or "build")
    result = Course(
        path=found,
        name=reader.text(course, "name", "[course]") or found.parent.name,
        course_id=reader.text(course, "id", "[course]"),
        language=language,
        timezone=reader.tz,
        roster_path=reader.resolve(roster) if roster else None,
        inbox=reader.resolve(inbox) if inbox else None,
        gradebook=_gradebook_url(reader, reader.text(course, "gradebook", "[course]")),
        out=out,
        rubric_path=reader.resolve(rubric) if rubric else None,
        selection=selection,
        late_policy=default_policy,
        assignments=assignments,
        extensions=extensions,
    )
    result.problems = reader.problems
    return result


def _extensions(reader: _Reader, raw: Any, assignments: list[Assignment]) -> list[FileExtension]:
    if not isinstance(raw, list):
        reader.error("the file", "extensions must be an array of tables: [[extensions]]")
        return []
    by_name = {a.name: a for a in assignments}
    out = []
    for i, item in enumerate(raw):
        where = f"[[extensions]] #{i + 1}"
        table = reader.table(item, where)
        reader.unknown(table, EXTENSION_KEYS, where)
        student = reader.text(table, "student", where)
        name = reader.text(table, "assignment", where)
        if not student or not name:
            reader.error(where, "needs student and assignment")
            continue
        assignment = by_name.get(name)
        if assignment is None:
            reader.error(where, f"unknown assignment {name!r}")
            continue
        due = reader.when(table.get("due"), where, "due", end_of_day=True)
        days = reader.number(table, "days", where, None)
        if (due is None) == (days is None):
            reader.error(where, "give either due (a new deadline) or days (added to the "
                                "assignment's), not both or neither")
            continue
        if due is None:
            due = assignment.due + dt.timedelta(days=days or 0.0)
        if due <= assignment.due:
            reader.warn(where, f"the extension's deadline {due.isoformat()} is not after the "
                               f"assignment's {assignment.due.isoformat()}")
        out.append(FileExtension(student, name, due, reader.text(table, "reason", where),
                                 reader.text(table, "granted_by", where)))
    return out
