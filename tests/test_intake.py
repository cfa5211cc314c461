"""The folder handed to ``nngrade grade``, read into `Submission`s by `nngrade.intake`.

The readers themselves are tested in tests/test_unpack.py (folders and
zips) and tests/test_inbox.py (which archive of an inbox); here is what
``nngrade grade`` gets from either kind of folder: one record per student,
ids that never collide, and where each submission came from.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from nngrade.contract import module_names
from nngrade.intake import IntakeError, read_submissions
from nngrade.student.submit import write_submission

REPO = Path(__file__).resolve().parents[1]
ACT = "def sigmoid(z):\n    return z\n"


def test_a_folder_of_hand_ins(tmp_path: Path) -> None:
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "activations.py").write_text(ACT)
    with zipfile.ZipFile(tmp_path / "ann.zip", "w") as zf:
        zf.writestr("ann/exercises/activations.py", ACT)
    (tmp_path / "README.txt").write_text("not a hand-in")
    ann, bob = read_submissions(tmp_path)
    assert (ann.student, bob.student) == ("ann", "bob")
    assert ann.sources == bob.sources == {"activations": ACT}
    assert ann.content_sha256 == bob.content_sha256 != ""
    assert ann.modules == ["activations"] and not ann.late
    assert ann.origin == {"path": str(tmp_path / "ann.zip"), "late": False}


def test_two_hand_ins_with_one_id_keep_a_report_each(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "activations.py").write_text(ACT)
    with zipfile.ZipFile(tmp_path / "alice.zip", "w") as zf:
        zf.writestr("activations.py", ACT + "# the zip\n")
    first, second = read_submissions(tmp_path)
    assert (first.student, second.student) == ("alice", "alice~2")
    assert any("also named 'alice'" in w and "'alice~2'" in w for w in second.warnings)
    assert not first.warnings


def test_an_inbox_reports_which_archive_and_whether_it_was_late(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    modules = {m: REPO / "exercises" / f"{m}.py" for m in module_names()}
    utc = dt.timezone.utc
    write_submission(inbox, "alice", modules, now=dt.datetime(2026, 11, 27, 10, tzinfo=utc))
    late = write_submission(inbox, "alice", modules,
                            now=dt.datetime(2026, 11, 28, 10, tzinfo=utc))
    deadline = dt.datetime(2026, 11, 27, 23, 59, tzinfo=utc)
    (on_time,) = read_submissions(inbox, deadline)
    assert on_time.student == "alice" and not on_time.late and on_time.error is None
    assert on_time.origin["archives_in_inbox"] == 2
    assert on_time.origin["submitted_at"].startswith("2026-11-27T10:00")
    assert set(on_time.origin) == {"path", "late", "archive_sha256", "submitted_at",
                                   "archives_in_inbox", "manifest_at", "received_at"}
    assert on_time.origin["received_at"] is None  # no receipt recorded (nngrade receive)
    (newest,) = read_submissions(inbox)
    assert newest.origin["path"] == str(late.archive) and not newest.late
    (only_late,) = read_submissions(inbox, dt.datetime(2026, 11, 1, tzinfo=utc))
    assert only_late.late and only_late.origin["late"] is True


def test_an_unreadable_hand_in_is_a_record_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    shutil.copytree(REPO / "solutions", tmp_path / "good")
    broken, good = read_submissions(tmp_path)
    assert broken.error and "zip" in broken.error and broken.sources == {}
    assert good.error is None and good.modules == module_names()


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_path_that_is_no_folder_is_the_instructors_mistake(tmp_path: Path, make: str) -> None:
    path = tmp_path / "submissions"
    if make == "file":
        path.write_text("")
    with pytest.raises(IntakeError, match="give the folder that holds the submissions"):
        read_submissions(path)
