"""Reading a course inbox: which archive of each student gets graded.

``nngrade submit`` writes ``INBOX/<student>/<stamp>-<hash>.zip`` (never
replacing one) and a marker file ``INBOX/.nngrade-inbox``. A student may
submit many times; the grader takes each student's newest archive, or,
given a deadline, the newest one submitted at or before it. A student who
only submitted after the deadline is still graded, on the newest archive,
and marked late, so the instructor decides what late costs.

An archive's time is its receipt, recorded by the receiving side
(`nngrade.intake.receipts`, ``nngrade receive``), when there is one; else the
one ``nngrade submit`` recorded in the archive's manifest (UTC, the student's
clock), never the file's modification time, which changes whenever an inbox
is copied. The inbox is only as trustworthy as its storage: if
students can rewrite files there, they can rewrite manifests too, so use a
drop folder they can add to but not change.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

from nngrade.intake.receipts import file_sha256, read_ledger
from nngrade.student.submit import (
    ARCHIVE_NAME_RE,
    INBOX_MARKER,
    MANIFEST_NAME,
    STAMP_FORMAT,
)

__all__ = ["InboxEntry", "is_inbox", "select_from_inbox", "student_folders"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboxEntry:
    """The archive of one student that will be graded, and how it was chosen."""

    student: str
    archive: Path
    sha256: str
    submitted_at: dt.datetime  # timezone-aware, UTC: what the deadline is compared with
    late: bool
    all_archives: int  # how many readable archives this student has in the inbox
    manifest_at: dt.datetime | None = None  # the student's clock, as the manifest says
    received_at: dt.datetime | None = None  # the receiving side's, when recorded


def is_inbox(path: Path) -> bool:
    """True for a folder ``nngrade submit`` writes to.

    That is: it has the marker file, or a student folder holding an archive
    named the way ``nngrade submit`` names them.
    """
    path = Path(path)
    if not path.is_dir():
        return False
    if (path / INBOX_MARKER).is_file():
        return True
    for sub in path.iterdir():
        if sub.is_dir() and not sub.name.startswith("."):
            if any(ARCHIVE_NAME_RE.match(f.name) for f in sub.iterdir() if f.is_file()):
                return True
    return False


def _as_utc(value: dt.datetime) -> dt.datetime:
    """Aware datetimes are converted; a naive one is read as the grading machine's local time."""
    if value.tzinfo is None:
        value = value.astimezone()  # local time, as an instructor typing a deadline means it
    return value.astimezone(dt.timezone.utc)


def _parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return _as_utc(value)


def _submitted_at(archive: Path) -> dt.datetime | None:
    """The manifest's time; else the time in the archive's name; None if it is no submission."""
    try:
        with zipfile.ZipFile(archive) as zf:
            manifest = json.loads(zf.read(MANIFEST_NAME).decode("utf-8"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        log.warning("skipping %s: not a readable submission archive (%s)", archive, exc)
        return None
    if not isinstance(manifest, dict):
        manifest = {}
    when = _parse_time(str(manifest.get("submitted_at", "")))
    if when is None:
        match = ARCHIVE_NAME_RE.match(archive.name)
        if match:
            when = dt.datetime.strptime(match["stamp"], STAMP_FORMAT).replace(
                tzinfo=dt.timezone.utc)
    if when is None:
        log.warning("skipping %s: its manifest has no submission time", archive)
    return when


def student_folders(inbox: Path) -> list[tuple[str, str]]:
    """(folder name, raw student id) of each student folder, none of its archives opened."""
    return [(p.name, p.name) for p in sorted(Path(inbox).iterdir())
            if p.is_dir() and not p.name.startswith(".")]


def select_from_inbox(inbox: Path, deadline: dt.datetime | None = None,
                      only: set[str] | None = None) -> list[InboxEntry]:
    """Each student's newest archive (before ``deadline`` when given), sorted by student;
    with ``only``, just the student folders of those names.

    ``deadline`` may be naive (read as local time) or timezone-aware. An
    archive submitted exactly at the deadline is on time.
    """
    inbox = Path(inbox)
    limit = _as_utc(deadline) if deadline is not None else None
    receipts = read_ledger(inbox)
    entries = []
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if only is not None and folder.name not in only:
            continue
        dated = []
        for archive in sorted(folder.glob("*.zip")):
            if archive.name.startswith(".") or not archive.is_file():
                continue  # ".incoming-*" files are submissions still being written
            stated = _submitted_at(archive)
            if stated is None:
                continue
            digest = file_sha256(archive) if receipts else ""
            received = receipts.get((folder.name, archive.name, digest))
            dated.append((received or stated, archive.name, archive, stated, received, digest))
        if not dated:
            continue
        dated.sort(key=lambda d: d[:2])
        on_time = [d for d in dated if limit is None or d[0] <= limit]
        when, _, archive, stated, received, digest = (on_time or dated)[-1]
        entries.append(InboxEntry(
            student=folder.name,
            archive=archive,
            sha256=digest or file_sha256(archive),
            submitted_at=when,
            late=not on_time,
            all_archives=len(dated),
            manifest_at=stated,
            received_at=received,
        ))
    return entries
