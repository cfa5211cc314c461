"""Reading an inbox: each student's newest archive, or the newest before the deadline."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from nngrade.contract import module_names
from nngrade.intake.inbox import InboxEntry, is_inbox, select_from_inbox
from nngrade.student.submit import write_submission

REPO = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """alice: three submissions (one late); bob: only a late one; chen: one on time."""
    box = tmp_path / "inbox"
    box.mkdir()
    modules = {m: REPO / "exercises" / f"{m}.py" for m in module_names()}
    for student, when in [("alice", at(27, 10)), ("alice", at(27, 23, 59)), ("alice", at(28, 1)),
                          ("bob", at(28, 9)), ("chen", at(26, 12))]:
        write_submission(box, student, modules, now=when)
    return box


def test_is_inbox(inbox: Path, tmp_path: Path) -> None:
    assert is_inbox(inbox)
    (inbox / ".nngrade-inbox").unlink()
    assert is_inbox(inbox), "recognised by its archives' names too"
    plain = tmp_path / "submissions"
    (plain / "alice").mkdir(parents=True)
    (plain / "alice" / "activations.py").write_text("")
    (plain / "bob.zip").write_bytes(b"")
    assert not is_inbox(plain)
    assert not is_inbox(tmp_path / "missing")


def test_newest_without_deadline(inbox: Path) -> None:
    entries = {e.student: e for e in select_from_inbox(inbox)}
    assert list(entries) == ["alice", "bob", "chen"]
    assert entries["alice"].submitted_at == at(28, 1)
    assert entries["alice"].all_archives == 3
    assert not any(e.late for e in entries.values())
    for e in entries.values():
        assert isinstance(e, InboxEntry)
        assert e.sha256 == hashlib.sha256(e.archive.read_bytes()).hexdigest()


def test_newest_before_the_deadline_and_late_ones_marked(inbox: Path) -> None:
    entries = {e.student: e for e in select_from_inbox(inbox, at(28, 0))}
    assert entries["alice"].submitted_at == at(27, 23, 59) and not entries["alice"].late
    assert entries["bob"].submitted_at == at(28, 9) and entries["bob"].late, (
        "only late archives: the newest is graded and marked late")
    assert not entries["chen"].late


def test_submitted_exactly_at_the_deadline_is_on_time(inbox: Path) -> None:
    entries = {e.student: e for e in select_from_inbox(inbox, at(27, 23, 59))}
    assert entries["alice"].submitted_at == at(27, 23, 59) and not entries["alice"].late


def test_naive_deadline_is_local_time(inbox: Path) -> None:
    local = at(28, 0).astimezone().replace(tzinfo=None)
    aware = {e.student: e.archive for e in select_from_inbox(inbox, at(28, 0))}
    naive = {e.student: e.archive for e in select_from_inbox(inbox, local)}
    assert aware == naive


def test_broken_and_in_progress_files_are_ignored(inbox: Path) -> None:
    (inbox / "alice" / "20261130T000000.000000Z-deadbeef.zip").write_bytes(b"not a zip")
    (inbox / "alice" / ".incoming-abc.zip.tmp").write_bytes(b"half")
    (inbox / "alice" / ".hidden.zip").write_bytes(b"half")
    empty = inbox / "dave"
    empty.mkdir()
    entries = {e.student: e for e in select_from_inbox(inbox)}
    assert entries["alice"].submitted_at == at(28, 1)
    assert entries["alice"].all_archives == 3
    assert "dave" not in entries


def test_time_comes_from_the_manifest_not_the_file(inbox: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(inbox, copy)  # copying resets modification times; grading must not change
    before = {e.student: e.archive.name for e in select_from_inbox(inbox, at(28, 0))}
    after = {e.student: e.archive.name for e in select_from_inbox(copy, at(28, 0))}
    assert before == after


def test_selected_archive_is_a_submission(inbox: Path) -> None:
    for entry in select_from_inbox(inbox):
        with zipfile.ZipFile(entry.archive) as zf:
            assert "manifest.json" in zf.namelist()
