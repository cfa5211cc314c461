"""Hand-ins read exactly as ``nngrade grade`` reads them: the one door to the grader's intake.

The similarity report must compare what was graded, so it reads a folder
of ``<student>/`` folders and ``<student>.zip`` files, or an ``nngrade
submit`` inbox (each student's newest archive, or the newest before a
deadline), with the grader's own intake code: the same hostile-input rules
(zips never extracted, symlinks and bombs skipped, encodings and line
endings normalised, bad hand-ins reported, not fatal). ``read_hand_ins``
is the only function here that touches that code, so when the intake moves
only its imports change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HandIn", "IntakeError", "read_hand_ins"]


class IntakeError(Exception):
    """The path holds no hand-ins at all (a message saying what to give instead)."""


@dataclass
class HandIn:
    """One student's hand-in as text: module name -> source, and what went wrong reading it."""

    student: str
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    source: str = ""  # the folder or archive it was read from
    submitted_at: dt.datetime | None = None  # inboxes only


def read_hand_ins(path: Path, deadline: dt.datetime | None = None) -> list[HandIn]:
    """Every hand-in under ``path`` (folder of folders/zips, or an inbox), sorted by student."""
    from nngrade.intake import inbox, unpack

    path = Path(path)
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a folder"
        raise IntakeError(f"{path} {what}: give the folder that holds the hand-ins "
                          "(<student>/ folders or <student>.zip files), or an nngrade inbox.")
    hand_ins: list[HandIn] = []
    if inbox.is_inbox(path):
        for entry in inbox.select_from_inbox(path, deadline):
            sub = unpack.read_submission(entry.archive, student=entry.student)
            hand_ins.append(HandIn(sub.student, dict(sub.sources), list(sub.warnings), sub.error,
                                   str(entry.archive), entry.submitted_at))
    else:
        for sub in unpack.discover(path):
            hand_ins.append(HandIn(sub.student, dict(sub.sources), list(sub.warnings), sub.error,
                                   str(sub.origin.get("path", ""))))
    return _unique_ids(hand_ins)


def _unique_ids(hand_ins: list[HandIn]) -> list[HandIn]:
    """``alice/`` and ``alice.zip`` are two hand-ins: the second is ``alice~2`` (as in grading)."""
    seen: dict[str, int] = {}
    for hand_in in sorted(hand_ins, key=lambda h: (h.student, h.source)):
        count = seen.get(hand_in.student, 0)
        seen[hand_in.student] = count + 1
        if count:
            original = hand_in.student
            hand_in.student = f"{original}~{count + 1}"
            hand_in.warnings.append(f"another hand-in is also named {original!r}; this one "
                                    f"({hand_in.source}) is reported as {hand_in.student!r}")
    return sorted(hand_ins, key=lambda h: h.student)
