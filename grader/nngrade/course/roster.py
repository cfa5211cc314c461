"""The class list: who is in the course, and what each LMS calls them.

A roster is a CSV file with a header row. ``id`` (the student id nngrade
uses everywhere: inbox folders, report folders, the gradebook) and
``name`` are required; ``email`` and ``section`` are read when present;
every other column is kept as it is, because that is where the LMS's own
ids live and the exports need them:

==================  ========================================================
column              used for
==================  ========================================================
``canvas_id``       Canvas's user id: the "ID" column of its gradebook and
                    the number in its bulk-download file names
``sis_user_id``     Canvas "SIS User ID" (defaults to nothing)
``sis_login_id``    Canvas "SIS Login ID"
``moodle_idnumber`` Moodle's "ID number" (defaults to ``id``)
``username``        Blackboard's "Username" (defaults to ``id``)
``first_name``,     LMS columns that want the name in two parts
``last_name``
==================  ========================================================

The file comes from a registrar's export or a spreadsheet, so it is read
defensively: a byte-order mark, stray spaces, blank lines and header case
are tolerated; a missing id, an id used twice or an id nngrade cannot use
as a folder name are problems reported with their line number, never
silently dropped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ID_RE", "Roster", "RosterStudent", "read_roster"]

# The same rule `nngrade submit` applies to the ids students hand in under.
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MAX_ROSTER_BYTES = 16 << 20
KNOWN = ("id", "name", "email", "section")


@dataclass(frozen=True)
class RosterStudent:
    """One line of the roster."""

    id: str
    name: str
    email: str = ""
    section: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # every other column, by header

    def lms(self, column: str, default: str = "") -> str:
        return self.extra.get(column, "") or default

    @property
    def first_name(self) -> str:
        return self.lms("first_name")

    @property
    def last_name(self) -> str:
        return self.lms("last_name")


@dataclass
class Roster:
    path: Path
    students: list[RosterStudent]
    columns: list[str]
    problems: list[str] = field(default_factory=list)

    def ids(self) -> list[str]:
        return [s.id for s in self.students]

    def get(self, student_id: str) -> RosterStudent | None:
        for s in self.students:
            if s.id == student_id:
                return s
        return None

    def by(self, column: str) -> dict[str, RosterStudent]:
        """Students by the value of ``column`` (empty values left out)."""
        out: dict[str, RosterStudent] = {}
        for s in self.students:
            value = {"id": s.id, "name": s.name, "email": s.email,
                     "section": s.section}.get(column, s.extra.get(column, ""))
            if value:
                out[value] = s
        return out


def _header(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def read_roster(path: Path) -> Roster:
    """The roster at ``path``; problems are collected in ``Roster.problems``, not raised."""
    roster = Roster(Path(path), [], [])
    try:
        raw = roster.path.read_bytes()[: MAX_ROSTER_BYTES + 1]
    except OSError as exc:
        roster.problems.append(f"cannot read the roster {path}: {exc.strerror or exc}")
        return roster
    if len(raw) > MAX_ROSTER_BYTES:
        roster.problems.append(f"the roster {path} is larger than {MAX_ROSTER_BYTES >> 20} MB")
        return roster
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        roster.problems.append(
            f"the roster {path} is not UTF-8 text: save it as 'CSV UTF-8' and try again")
        return roster
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if not header:
        roster.problems.append(f"the roster {path} is empty: it needs a header row with "
                               "at least the columns id and name")
        return roster
    columns = [_header(h) for h in header]
    roster.columns = columns
    for needed in ("id", "name"):
        if needed not in columns:
            roster.problems.append(f"the roster {path} has no '{needed}' column (its columns: "
                                   f"{', '.join(h.strip() for h in header)})")
    if roster.problems:
        return roster
    seen: dict[str, int] = {}
    folded: dict[str, tuple[str, int]] = {}  # ids by case fold: see below
    for line_no, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {col: (row[i].strip() if i < len(row) else "") for i, col in enumerate(columns)}
        sid = values["id"]
        where = f"{path.name} line {line_no}"
        if not sid:
            roster.problems.append(f"{where}: the id is empty")
            continue
        if not ID_RE.match(sid):
            roster.problems.append(
                f"{where}: the id {sid!r} cannot be used (letters, digits, '.', '_', '-', '@'; "
                "at most 64; starting with a letter or digit)")
            continue
        if sid in seen:
            roster.problems.append(f"{where}: the id {sid!r} is already on line {seen[sid]}")
            continue
        same = folded.get(sid.casefold())
        if same is not None:  # one file on macOS' and Windows' disks: staged hand-ins would merge
            roster.problems.append(
                f"{where}: the id {sid!r} differs from {same[0]!r} (line {same[1]}) only in "
                "case; a case-insensitive disk (macOS, Windows) keeps one file for both, "
                "so give them ids that differ in more than case")
            continue
        seen[sid] = line_no
        folded[sid.casefold()] = (sid, line_no)
        if not values["name"]:
            roster.problems.append(f"{where}: student {sid!r} has no name")
        extra = {c: v for c, v in values.items() if c not in KNOWN}
        roster.students.append(RosterStudent(sid, values["name"], values.get("email", ""),
                                             values.get("section", ""), extra))
    return roster
