"""Every hand-in of a student, wherever it came from, as an ``Attempt`` with its facts.

An attempt is what the gradebook keys a grade to: who handed it in, a
digest of exactly what was handed in, when it was received (if anyone
knows), and where it came from. This module reads the course inbox that
``nngrade submit`` writes (``INBOX/<student>/<stamp>-<hash>.zip``, every
archive kept); ``nngrade.course.lms`` reads LMS bulk downloads into the
same shape, so the selection of the graded attempt does not care where
hand-ins come from.

Threat model: the inbox is written by students. Archive names, manifests
and contents are untrusted. Only the manifest is read here, with a bounded
read, from a zip opened read-only; nothing is extracted (the grader's
unpacker reads the sources later, in memory). The time of receipt is the
one the student's `nngrade submit` wrote, so it is only as honest as the
student's clock and the inbox's permissions: an archive written to the
inbox much later than its manifest claims is flagged with a note for the
instructor (its file time is set by the machine holding the inbox).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from nngrade.intake.receipts import file_sha256 as sha256_file
from nngrade.student.submit import ARCHIVE_NAME_RE, MANIFEST_NAME, STAMP_FORMAT

__all__ = ["Attempt", "StagedFile", "inbox_attempts", "sha256_file"]

MAX_MANIFEST_BYTES = 1 << 20
CLOCK_SLACK = dt.timedelta(minutes=15)  # manifest time vs. file time before we say so


@dataclass(frozen=True)
class StagedFile:
    """A file of an attempt, as the grader will see it: a safe relative path and its bytes."""

    parts: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class Attempt:
    """One hand-in of one student.

    ``archive`` is set for a hand-in that is one zip (inbox archives, a zip
    uploaded to an LMS): it is given to the grader as it is. Otherwise
    ``files`` holds the hand-in's files, already read and checked.
    ``received_at`` is None when nobody knows when it arrived;
    ``reported_late`` is what the LMS said then.
    """

    student: str
    digest: str
    received_at: dt.datetime | None
    source_kind: str  # "inbox" | "canvas" | "moodle" | "folder"
    source_path: str
    archive: Path | None = None
    files: tuple[StagedFile, ...] = ()
    reported_late: bool = False
    notes: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[dt.datetime, str]:
        when = self.received_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        return (when, self.source_path)


def _parse_time(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return None  # `nngrade submit` always writes UTC with a Z; anything else is not ours
    return value.astimezone(dt.timezone.utc)


def _manifest(archive: Path) -> dict[str, object] | None:
    try:
        with zipfile.ZipFile(archive) as zf:
            info = zf.getinfo(MANIFEST_NAME)
            if info.file_size > MAX_MANIFEST_BYTES:
                return None
            with zf.open(info) as member:
                data = member.read(MAX_MANIFEST_BYTES + 1)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, NotImplementedError,
            RuntimeError):
        return None
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _archive_attempt(student: str, archive: Path) -> tuple[Attempt | None, str | None]:
    """The attempt of one inbox archive, or why it is not one."""
    manifest = _manifest(archive)
    if manifest is None:
        return None, f"{archive}: not a readable submission archive (no manifest); skipped"
    when = _parse_time(manifest.get("submitted_at"))
    if when is None:
        match = ARCHIVE_NAME_RE.match(archive.name)
        if match is None:
            return None, f"{archive}: its manifest has no submission time; skipped"
        when = dt.datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=dt.timezone.utc)
    notes = []
    claimed = manifest.get("student")
    if isinstance(claimed, str) and claimed and claimed != student:
        notes.append(f"the archive says it is {claimed!r}'s but lies in {student!r}'s folder")
    try:
        written = dt.datetime.fromtimestamp(archive.stat().st_mtime, dt.timezone.utc)
    except OSError:
        written = when
    if written - when > CLOCK_SLACK:
        notes.append(f"submitted at {when:%Y-%m-%d %H:%M} UTC by its manifest, but the file was "
                     f"written at {written:%Y-%m-%d %H:%M} UTC: check the student's clock")
    return Attempt(student, sha256_file(archive), when, "inbox", str(archive), archive=archive,
                   notes=tuple(notes)), None


def inbox_attempts(inbox: Path, students: set[str] | None = None
                   ) -> tuple[dict[str, list[Attempt]], list[str]]:
    """Every archive in ``inbox``, by student (oldest first), and what was skipped and why.

    With ``students``, folders of other ids are skipped (and said so once).
    """
    found: dict[str, list[Attempt]] = {}
    problems: list[str] = []
    if not inbox.is_dir():
        return found, [f"the inbox {inbox} does not exist"]
    strangers = []
    for folder in sorted(inbox.iterdir(), key=lambda p: p.name):
        if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
            continue
        if students is not None and folder.name not in students:
            strangers.append(folder.name)
            continue
        attempts = []
        for archive in sorted(folder.iterdir(), key=lambda p: p.name):
            if archive.name.startswith(".") or archive.suffix != ".zip":
                continue  # ".incoming-*" files are hand-ins still being written
            try:
                mode = os.lstat(archive).st_mode
            except OSError:
                continue
            if not stat.S_ISREG(mode):
                problems.append(f"{archive}: not a regular file; skipped")
                continue
            attempt, problem = _archive_attempt(folder.name, archive)
            if problem:
                problems.append(problem)
            if attempt is not None:
                attempts.append(attempt)
        if attempts:
            found[folder.name] = sorted(attempts, key=lambda a: a.sort_key)
    if strangers:
        problems.append("inbox folders of ids not on the roster, not graded: "
                        + ", ".join(strangers[:20]) + (" ..." if len(strangers) > 20 else ""))
    return found, problems
