"""The folder an instructor hands to ``nngrade grade``, read into one `Submission` per student.

Two kinds of folder are accepted: a folder of hand-ins (``alice/``,
``bob.zip``: `nngrade.intake.unpack`) or an inbox that ``nngrade submit``
writes to (`nngrade.intake.inbox`, which picks each student's archive by the
deadline). Everything below the folder is untrusted: whatever it holds
becomes per-student warnings or a per-student ``error``, never an exception
that stops the batch. Only a folder that is not there, or is not a folder,
is the instructor's mistake (`IntakeError`).

``keep`` reads only some students (a shard of ``nngrade grade --shard``):
their ids are decided from the names alone, before any hand-in is opened,
so a shard of a class of 100,000 unpacks only its own share.

Student ids come from file names, so two entries can claim one id
(``alice/`` and ``alice.zip``); each keeps a report of its own
(``alice``, ``alice~2``), with a warning, so no result overwrites another.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from nngrade.intake import inbox, unpack
from nngrade.records import Submission

__all__ = ["IntakeError", "read_submissions", "student_ids"]


class IntakeError(ValueError):
    """The path given is not a folder of submissions; the message says what to give instead."""


def read_submissions(path: Path, deadline: datetime | None = None,
                     keep: Callable[[str], bool] | None = None) -> list[Submission]:
    """Every submission under ``path`` (a folder of folders/zips, or an inbox), sorted by id;
    with ``keep``, only those whose student id it accepts (the others are never opened)."""
    path = Path(path)
    if not path.exists():
        raise IntakeError(f"{path} does not exist: give the folder that holds the submissions.")
    if not path.is_dir():
        raise IntakeError(f"{path} is not a folder: give the folder that holds the submissions.")
    is_inbox = inbox.is_inbox(path)
    names = inbox.student_folders(path) if is_inbox else unpack.hand_in_names(path)
    wanted = _names_kept(names, keep)
    if is_inbox:
        chosen = inbox.select_from_inbox(path, deadline, only=wanted)
        found = _unique_ids([_from_inbox(entry) for entry in chosen])
    else:
        found = _unique_ids(unpack.discover(path, only=wanted))
    return found if keep is None else [s for s in found if keep(s.student)]


def student_ids(path: Path, deadline: datetime | None = None) -> list[str]:
    """The student ids `read_submissions` would give, sorted, reading names only (an inbox's
    archive manifests too: a student folder without a readable archive is nobody's hand-in)."""
    path = Path(path)
    if not path.is_dir():
        raise IntakeError(f"{path} is not a folder: give the folder that holds the submissions.")
    if inbox.is_inbox(path):
        raw = [entry.student for entry in inbox.select_from_inbox(path, deadline)]
    else:
        raw = [name for _, name in unpack.hand_in_names(path)]
    seen: dict[str, int] = {}
    ids = []
    for sid in sorted(unpack.student_id(name)[0] for name in raw):
        n = seen.get(sid, 0)
        seen[sid] = n + 1
        ids.append(f"{sid}~{n + 1}" if n else sid)
    return sorted(ids)


def _names_kept(names: list[tuple[str, str]],
                keep: Callable[[str], bool] | None) -> set[str] | None:
    """The entry names whose student ``keep`` accepts, or None for all of them.

    Two names that clean to one id are numbered (``alice``, ``alice~2``) by
    `_unique_ids` over the whole class; then every entry is read, so the
    numbering is the whole class's, and the caller filters afterwards.
    """
    if keep is None:
        return None
    ids = [(name, unpack.student_id(raw)[0]) for name, raw in names]
    if len({sid for _, sid in ids}) != len(ids):
        return None
    return {name for name, sid in ids if keep(sid)}


def _from_inbox(entry: inbox.InboxEntry) -> Submission:
    """The archive chosen for one student, with how it was chosen (results.json's ``source``)."""
    submission = unpack.read_submission(entry.archive, student=entry.student)
    submission.origin.update({
        "path": str(entry.archive),
        "archive_sha256": entry.sha256,
        "submitted_at": entry.submitted_at.isoformat(),
        "manifest_at": entry.manifest_at.isoformat() if entry.manifest_at else None,
        "received_at": entry.received_at.isoformat() if entry.received_at else None,
        "late": bool(entry.late),
        "archives_in_inbox": entry.all_archives,
    })
    return submission


def _unique_ids(submissions: list[Submission]) -> list[Submission]:
    """Two entries for one student id (``alice/`` and ``alice.zip``) must not share a report."""
    seen: dict[str, int] = {}
    for submission in sorted(submissions, key=lambda s: s.student):
        n = seen.get(submission.student, 0)
        seen[submission.student] = n + 1
        if n:
            original = submission.student
            submission.student = f"{original}~{n + 1}"
            submission.warnings.append(f"another submission is also named {original!r}; "
                                       f"this one is reported as {submission.student!r}")
    return sorted(submissions, key=lambda s: s.student)
