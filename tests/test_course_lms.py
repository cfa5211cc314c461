"""LMS bulk downloads read as hand-ins of roster students.

The downloads are written here file by file, following each LMS's own
naming code, so the rules the reader relies on are spelled out where they
are tested:

* Canvas, ``lib/content_zipper.rb`` (canvas-lms): a file is named
  ``[name, LATE?, user id].join("_")`` with every non-word character removed
  (the name is the sortable name, "Last, First", lower-cased), then
  ``_<attachment id>_<display name>``, the display name with
  ``\\ / : * ? " < > |`` replaced by ``_``. Canvas renames a file uploaded
  again under the same name to ``name-1.py``.
* Moodle, ``mod/assign/locallib.php`` ``download_submissions``: a prefix of
  the full name (``_`` replaced by a space) and the participant id
  (``get_uniqueid_for_user``, a per-assignment pseudonym), then
  ``_assignsubmission_<plugin>_`` and, in the default "download as folders"
  mode, the file's path inside a folder of that name. The grading
  worksheet's first column is ``Identifier`` = "Participant <id>", its
  times ``userdate`` strings such as "Sunday, 27 September 2026, 10:30 PM".
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

from gradebook_fixtures import ROSTER

from nngrade.course.config import Download
from nngrade.course.lms import detect_format, read_download
from nngrade.course.roster import read_roster
from nngrade.course.selection import Selection
from nngrade.gradebook.pipeline import stage_selection
from nngrade.intake.unpack import discover

UTC = dt.timezone.utc
SIGMOID = "import numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"
STEP = "import numpy as np\n\ndef step(x):\n    return (np.asarray(x) > 0).astype(int)\n"


def roster(tmp_path: Path, text: str = ROSTER):
    (tmp_path / "roster.csv").write_text(text, encoding="utf-8")
    return read_roster(tmp_path / "roster.csv")


def zip_bytes(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buf.getvalue()


def canvas_files() -> dict[str, bytes]:
    return {
        # "Lovelace, Ada" -> "lovelaceada"; user 41001; two attachments
        "lovelaceada_41001_900001_activations.py": SIGMOID.encode(),
        "lovelaceada_41001_900002_perceptron.py": STEP.encode(),
        "lovelaceada_41001_900009_notes.pdf": b"%PDF-1.4",
        # a late submission, and a file uploaded a second time (Canvas adds "-1")
        "carterben_LATE_41002_900003_activations-1.py": SIGMOID.encode(),
        # "陈, 晨": CJK letters are word characters and stay; a zip of the exercises folder
        "陈晨_41003_900005_exercises.zip": zip_bytes({"exercises/activations.py": SIGMOID}),
        # somebody the roster does not know
        "zhuzoe_49999_900006_activations.py": SIGMOID.encode(),
    }


def test_canvas_download_folder(tmp_path: Path) -> None:
    folder = tmp_path / "canvas"
    folder.mkdir()
    for name, data in canvas_files().items():
        (folder / name).write_bytes(data)
    reading = read_download(Download(folder), roster(tmp_path), UTC)
    assert reading.format == "canvas"
    assert sorted(reading.attempts) == ["ada", "ben", "chen"]
    ada = reading.attempts["ada"]
    assert [f.parts for f in ada.files] == [("activations.py",), ("perceptron.py",)]
    assert ada.received_at is None and not ada.reported_late
    assert any("notes.pdf" in n and "only .py files" in n for n in ada.notes)
    ben = reading.attempts["ben"]
    assert ben.reported_late and [f.parts for f in ben.files] == [("activations.py",)]
    assert any("activations-1.py was graded as activations.py" in n for n in ben.notes)
    assert [f.parts for f in reading.attempts["chen"].files] == [("exercises.zip",)]
    assert any("Canvas user 49999 (zhuzoe): nobody on the roster is called 'zhuzoe'" in p
               for p in reading.problems)


def test_canvas_download_zip_and_matching_by_name(tmp_path: Path) -> None:
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as zf:
        for name, data in canvas_files().items():
            zf.writestr(name, data)
    no_ids = "id,name,first_name,last_name\nada,Ada Lovelace,Ada,Lovelace\nchen,陈晨,晨,陈\n"
    reading = read_download(Download(download), roster(tmp_path, no_ids), UTC)
    assert sorted(reading.attempts) == ["ada", "chen"]  # by sortable name, without canvas_id
    assert reading.attempts["ada"].digest == read_download(
        Download(download), roster(tmp_path, no_ids), UTC).attempts["ada"].digest


def test_canvas_anonymous_submissions_are_not_guessed(tmp_path: Path) -> None:
    folder = tmp_path / "canvas"
    folder.mkdir()
    (folder / "anon_x7Kq2_900010_activations.py").write_text(SIGMOID)
    reading = read_download(Download(folder, "canvas"), roster(tmp_path), UTC)
    assert reading.attempts == {}
    assert any("anonymous submission cannot be matched" in p for p in reading.problems)


def moodle_download(folder: Path) -> None:
    files = {
        "Ada Lovelace_1234567_assignsubmission_file_/activations.py": SIGMOID,
        "Ada Lovelace_1234567_assignsubmission_file_/perceptron.py": STEP,
        "Ben Carter_1234568_assignsubmission_file_/exercises/activations.py": SIGMOID,
        "陈晨_1234569_assignsubmission_onlinetext_/onlinetext.html": "<p>see my code</p>",
        "陈晨_1234569_assignsubmission_file_/activations.py": SIGMOID,
        "Zoe Zhu_1234570_assignsubmission_file_/activations.py": SIGMOID,
    }
    for name, text in files.items():
        path = folder.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


WORKSHEET = """\
Identifier,"Full name","Email address",Status,Grade,"Maximum Grade","Grade can be changed",\
"Last modified (submission)","Last modified (grade)","Feedback comments"
"Participant 1234567","Ada Lovelace",ada@example.edu,"Submitted for grading",,100.00,Yes,\
"Sunday, 27 September 2026, 10:30 PM",-,
"Participant 1234568","Ben Carter",ben@example.edu,"Submitted for grading",,100.00,Yes,\
"Monday, 28 September 2026, 9:05 AM",-,
"Participant 1234569","陈晨",chen@example.edu,"Submitted for grading",,100.00,Yes,-,-,
"""


def test_moodle_download_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "moodle"
    moodle_download(folder)
    reading = read_download(Download(folder), roster(tmp_path), UTC)
    assert reading.format == "moodle"
    assert sorted(reading.attempts) == ["ada", "ben", "chen"]
    assert [f.parts for f in reading.attempts["ben"].files] == [("exercises", "activations.py")]
    assert [f.parts for f in reading.attempts["chen"].files] == [("activations.py",)]
    assert all(a.received_at is None for a in reading.attempts.values())
    assert any("'Zoe Zhu'" in p for p in reading.problems)


def test_moodle_worksheet_gives_emails_and_times(tmp_path: Path) -> None:
    folder = tmp_path / "moodle"
    moodle_download(folder)
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text(WORKSHEET, encoding="utf-8")
    renamed = ROSTER.replace("Ada Lovelace,Ada,Lovelace", "Augusta Ada King,Augusta Ada,King")
    reading = read_download(Download(folder, worksheet=sheet), roster(tmp_path, renamed), UTC)
    ada = reading.attempts["ada"]  # found by the worksheet's email, not by the name
    assert ada.received_at == dt.datetime(2026, 9, 27, 22, 30, tzinfo=UTC)
    assert reading.attempts["ben"].received_at == dt.datetime(2026, 9, 28, 9, 5, tzinfo=UTC)
    assert reading.attempts["chen"].received_at is None
    assert any("Moodle participant 1234570 (Zoe Zhu): not in the grading worksheet" in p
               for p in reading.problems)


def test_moodle_flat_layout_and_ambiguous_names(tmp_path: Path) -> None:
    folder = tmp_path / "moodle"
    folder.mkdir()
    (folder / "Ada Lovelace_1234567_assignsubmission_file_activations.py").write_text(SIGMOID)
    (folder / "Ben Carter_1234568_assignsubmission_file_activations.py").write_text(SIGMOID)
    twins = ROSTER + "ben2,Ben Carter,Ben,Carter,b2@example.edu,03,,,,\n"
    reading = read_download(Download(folder), roster(tmp_path, twins), UTC)
    assert sorted(reading.attempts) == ["ada"]
    assert [f.parts for f in reading.attempts["ada"].files] == [("activations.py",)]
    assert any("fits 2 roster students (ben, ben2)" in p for p in reading.problems)


def test_a_plain_folder_with_a_time_of_receipt(tmp_path: Path) -> None:
    folder = tmp_path / "collected"
    (folder / "ada").mkdir(parents=True)
    (folder / "ada" / "activations.py").write_text(SIGMOID)
    (folder / "ben.zip").write_bytes(zip_bytes({"activations.py": SIGMOID}))
    (folder / "README.txt").write_text("collected in the lab")
    (folder / "mallory").mkdir()
    (folder / "mallory" / "activations.py").write_text(SIGMOID)
    when = dt.datetime(2026, 9, 27, 12, tzinfo=UTC)
    reading = read_download(Download(folder, "folder", received=when), roster(tmp_path), UTC)
    assert sorted(reading.attempts) == ["ada", "ben"]
    assert reading.attempts["ada"].received_at == when
    assert any("'mallory' is not on the roster" in p for p in reading.problems)


def test_hostile_downloads_cannot_escape_or_exhaust(tmp_path: Path) -> None:
    download = tmp_path / "evil.zip"
    with zipfile.ZipFile(download, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../lovelaceada_41001_1_activations.py", SIGMOID)
        zf.writestr("/etc/lovelaceada_41001_2_perceptron.py", STEP)
        zf.writestr("lovelaceada_41001_3_..", "x")
        zf.writestr("lovelaceada_41001_4_.bashrc", "x")
        zf.writestr("lovelaceada_41001_5_big.py", "#" * (2 << 20))
        zf.writestr("carterben_41002_6_activations.py", SIGMOID)
        info = zipfile.ZipInfo("carterben_41002_7_losses.py")
        info.create_system = 3
        info.external_attr = (0o120777 << 16)  # a symbolic link
        zf.writestr(info, "/etc/shadow")
    reading = read_download(Download(download, "canvas"), roster(tmp_path), UTC)
    assert any("a path outside the download" in p for p in reading.problems)
    assert any("not a regular file" in p for p in reading.problems)
    assert [f.parts for f in reading.attempts["ben"].files] == [("activations.py",)]
    notes = " ".join(reading.attempts["ada"].notes)
    assert "not a plain file name" in notes and "larger than 1 MB" in notes
    assert reading.attempts["ada"].files == ()

    folder = tmp_path / "canvas"
    folder.mkdir()
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'do not read'")
    os.symlink(secret, folder / "lovelaceada_41001_8_activations.py")
    reading = read_download(Download(folder, "canvas"), roster(tmp_path), UTC)
    assert reading.attempts == {}
    assert any("a symbolic link, not followed" in p for p in reading.problems)


def test_staged_lms_hand_ins_are_read_by_the_grader(tmp_path: Path) -> None:
    folder = tmp_path / "canvas"
    folder.mkdir()
    for name, data in canvas_files().items():
        (folder / name).write_bytes(data)
    reading = read_download(Download(folder), roster(tmp_path), UTC)
    from nngrade.course.late import LateOutcome
    from nngrade.course.selection import Choice

    selection = Selection(assignment=None)  # type: ignore[arg-type]
    for student, attempt in reading.attempts.items():
        selection.chosen[student] = Choice(student, attempt, dt.datetime.now(UTC),
                                           LateOutcome(False, 0.0, 0.0, 0.0, True), 1, False)
    staged = tmp_path / "staged"
    staged.mkdir()
    stage_selection(selection, staged)
    assert sorted(p.name for p in staged.iterdir()) == ["ada", "ben", "chen.zip"]
    read = {s.student: s for s in discover(staged)}
    assert read["ada"].sources["activations"] == SIGMOID
    assert read["chen"].error is None and "activations" in read["chen"].sources


def test_format_detection() -> None:
    assert detect_format(["Ada Lovelace_12_assignsubmission_file_"]) == "moodle"
    assert detect_format(["lovelaceada_41001_900001_activations.py"]) == "canvas"
    assert detect_format(["ada", "ben.zip"]) == "folder"
