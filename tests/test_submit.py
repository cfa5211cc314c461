"""``nngrade submit``: every hand-in is a new, complete archive, and none is ever lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from nngrade.contract import module_names
from nngrade.student import submit
from nngrade.student.submit import ARCHIVE_NAME_RE, submit_command, write_submission

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A student's course folder (a copy of exercises/) and an empty inbox beside it."""
    shutil.copytree(REPO / "exercises", tmp_path / "course" / "exercises")
    (tmp_path / "inbox").mkdir()
    monkeypatch.chdir(tmp_path / "course")
    monkeypatch.delenv("NNGRADE_STUDENT", raising=False)
    monkeypatch.delenv("NNGRADE_INBOX", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(submit_command, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def archives(inbox: Path, student: str = "alice") -> list[Path]:
    return sorted((inbox / student).glob("*.zip"))


def test_two_submits_both_survive_with_receipts(course: Path) -> None:
    inbox = course / "inbox"
    code1, out1 = run("--student", "alice", "--to", str(inbox), "--no-checks")
    edited = course / "course" / "exercises" / "vanishing.py"
    edited.write_text("def chain_gradient(d): return 0.0\n")
    code2, out2 = run("--student", "alice", "--to", str(inbox), "--no-checks")
    assert code1 == code2 == 0, out1 + out2
    found = archives(inbox)
    assert len(found) == 2
    for path in found:
        assert ARCHIVE_NAME_RE.match(path.name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in out1 + out2, "the receipt prints the archive's sha256"
    assert (inbox / ".nngrade-inbox").is_file()
    assert not [p for p in (inbox / "alice").iterdir() if p.name.startswith(".")]


def test_archive_layout_matches_the_grader_unpacker(course: Path) -> None:
    run("--student", "alice", "--to", str(course / "inbox"), "--no-checks")
    (archive,) = archives(course / "inbox")
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        assert names == {"manifest.json", *(f"exercises/{m}.py" for m in module_names())}
        for entry in manifest["files"]:
            assert hashlib.sha256(zf.read(entry["path"])).hexdigest() == entry["sha256"]
    assert manifest["student"] == "alice"
    assert manifest["format"] == "nngrade-submission/1"
    assert manifest["tool"]["name"] == "nngrade" and manifest["tool"]["version"]
    when = dt.datetime.fromisoformat(manifest["submitted_at"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.timezone.utc) - when).total_seconds()) < 60


def test_grader_unpacker_reads_the_archive(course: Path) -> None:
    unpack = pytest.importorskip("nngrade.intake.unpack")
    run("--student", "alice", "--to", str(course / "inbox"), "--no-checks")
    (archive,) = archives(course / "inbox")
    sub = unpack.read_submission(archive, student="alice")
    assert not sub.error
    assert set(sub.sources) >= set(module_names())


def test_same_microsecond_same_content_never_overwrites(course: Path) -> None:
    inbox = course / "inbox"
    modules = {m: course / "course" / "exercises" / f"{m}.py" for m in module_names()}
    now = dt.datetime(2026, 11, 27, 23, 59, 59, 123456, tzinfo=dt.timezone.utc)
    first = write_submission(inbox, "alice", modules, now=now)
    before = first.archive.read_bytes()
    second = write_submission(inbox, "alice", modules, now=now)
    third = write_submission(inbox, "alice", modules, now=now)
    assert len({first.archive, second.archive, third.archive}) == 3
    assert first.archive.read_bytes() == before, "an earlier archive is never touched"
    assert len(archives(inbox)) == 3


def test_a_failure_half_way_leaves_no_partial_archive(course: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = course / "inbox"
    modules = {m: course / "course" / "exercises" / f"{m}.py" for m in module_names()}
    write_submission(inbox, "alice", modules)  # an earlier hand-in that must survive

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_submission(inbox, "alice", modules)
    assert len(archives(inbox)) == 1
    assert sorted(p.name for p in (inbox / "alice").iterdir()) == [archives(inbox)[0].name]


def test_missing_module_blocks_unless_forced(course: Path) -> None:
    (course / "course" / "exercises" / "vanishing.py").unlink()
    code, out = run("--student", "alice", "--to", str(course / "inbox"), "--no-checks")
    assert code != 0
    assert "missing: vanishing.py" in out and "--force" in out
    assert not (course / "inbox" / "alice").exists() or not archives(course / "inbox")
    code, out = run("--student", "alice", "--to", str(course / "inbox"), "--no-checks",
                    "--force")
    assert code == 0, out
    (archive,) = archives(course / "inbox")
    with zipfile.ZipFile(archive) as zf:
        assert json.loads(zf.read("manifest.json"))["missing"] == ["vanishing"]
        assert "exercises/vanishing.py" not in zf.namelist()


def test_syntax_error_is_reported_with_file_and_line(course: Path) -> None:
    bad = course / "course" / "exercises" / "losses.py"
    bad.write_text("import numpy as np\n\ndef mse(y_pred, y)\n    return 0\n")
    code, out = run("--student", "alice", "--to", str(course / "inbox"), "--no-checks")
    assert code != 0
    assert f"{bad}:3" in out
    assert not archives(course / "inbox")


def test_student_and_inbox_from_environment(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNGRADE_STUDENT", "bob")
    monkeypatch.setenv("NNGRADE_INBOX", str(course / "inbox"))
    code, out = run("--no-checks")
    assert code == 0, out
    assert len(archives(course / "inbox", "bob")) == 1


def test_student_and_inbox_from_course_config(course: Path) -> None:
    (course / "course" / "nngrade.toml").write_text('[course]\nstudent = "chen_wei"\n'
                                                    'inbox = "../inbox"\n')
    os.chdir(course / "course" / "exercises")  # a subfolder: the config is found in a parent
    code, out = run("--path", ".", "--no-checks")
    assert code == 0, out
    assert len(archives(course / "inbox", "chen_wei")) == 1


def test_helpful_errors(course: Path) -> None:
    code, out = run("--to", str(course / "inbox"), "--no-checks")
    assert code != 0 and "--student" in out and "NNGRADE_STUDENT" in out
    code, out = run("--student", "alice", "--no-checks")
    assert code != 0 and "--to" in out and "NNGRADE_INBOX" in out
    code, out = run("--student", "alice", "--to", str(course / "nope"), "--no-checks")
    assert code != 0 and "does not exist" in out and "mkdir" in out
    code, out = run("--student", "../etc", "--to", str(course / "inbox"), "--no-checks")
    assert code != 0 and "not a usable student id" in out
    assert not list((course / "inbox").rglob("*.zip"))


def test_failing_public_checks_warn_but_do_not_block(course: Path) -> None:
    code, out = run("--student", "alice", "--to", str(course / "inbox"))
    assert code == 0, out
    assert "public checks:" in out and "not implemented yet" in out
    (archive,) = archives(course / "inbox")
    with zipfile.ZipFile(archive) as zf:
        checks = json.loads(zf.read("manifest.json"))["public_checks"]
    assert checks["ran"] and checks["passed"] == 0 and checks["not_implemented"]


def test_a_hanging_module_cannot_stop_the_hand_in(course: Path) -> None:
    (course / "course" / "exercises" / "vanishing.py").write_text(
        "while True:\n    pass\n")
    code, out = run("--student", "alice", "--to", str(course / "inbox"), "--check-timeout", "3")
    assert code == 0, out
    assert "skipped" in out or "did not load" in out
    assert len(archives(course / "inbox")) == 1


def test_submit_imports_only_what_ships_to_students() -> None:
    code = (
        "import sys, nngrade.student.submit as s\n"
        "mods = [m for m in sys.modules if m.startswith('nngrade')]\n"
        "from nngrade.release import STUDENT_MODULES\n"
        "shipped = {'nngrade', 'nngrade.version'} | {'nngrade.' + n for n in STUDENT_MODULES}\n"
        "bad = [m for m in mods if m not in shipped "
        "and not m.startswith('nngrade.student')]\n"
        "bad += [m for m in ('jinja2', 'babel', 'pytest', 'markupsafe') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_receipt_matches_file(course: Path) -> None:
    modules = {m: course / "course" / "exercises" / f"{m}.py" for m in module_names()}
    receipt = write_submission(course / "inbox", "alice", modules)
    assert hashlib.sha256(receipt.archive.read_bytes()).hexdigest() == receipt.sha256
    assert receipt.archive.name.split("-")[1].startswith(receipt.sha256[:8])
    assert submit.MANIFEST_NAME == "manifest.json"
