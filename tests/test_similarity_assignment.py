"""``nngrade similarity --assignment A`` compares the attempts the course assignment grades.

A three-student course: chen's hand-in is a copy of ada's with renamed
variables, ben's the untouched stubs, and a folder of someone not on the
roster lies beside them. With --assignment the report covers the roster's
chosen attempts only, in the assignment's modules only, in the course's
language, under the course's output folder.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from gradebook_fixtures import A1_FROM_FOLDER, REPO, make_course

from nngrade.cli import main
from nngrade.course.config import load_course

SAMPLE = REPO / "examples" / "submissions"


def _copy(student: str, target: Path) -> None:
    source = next(p for p in SAMPLE.iterdir() if p.name in (student, f"{student}.zip"))
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.unpack_archive(source, target, "zip")


def _disguise(folder: Path) -> None:
    """Rename every local name a student might rename: a copy must still be found."""
    for path in folder.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\b(z|x|w|b|out|result)\b", lambda m: m.group(1) + "_mine",
                               text), encoding="utf-8")


def test_similarity_of_a_course_assignment(tmp_path: Path) -> None:
    hand_ins = tmp_path / "hand-ins"
    hand_ins.mkdir()
    _copy("ada", hand_ins / "ada")
    _copy("ben", hand_ins / "ben")
    _copy("ada", hand_ins / "chen")
    _disguise(hand_ins / "chen")
    _copy("ada", hand_ins / "zed")  # not on the roster: not graded, so not compared
    course_file = make_course(tmp_path / "course", assignments=A1_FROM_FOLDER.format(
        hand_ins=hand_ins))

    done = CliRunner().invoke(main, ["similarity", "--assignment", "a1", "--course-file",
                                     str(course_file)])
    assert done.exit_code == 0, done.output
    out = load_course(course_file).out_dir("a1") / "similarity"
    assert (out / "similarity.html").is_file()
    with (out / "similarity.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["module"] for r in rows} == {"perceptron", "activations"}
    students = {r["student_a"] for r in rows} | {r["student_b"] for r in rows}
    assert students == {"ada", "chen"}  # ben's stubs are all given code: nothing to compare
    assert "3 hand-ins" in done.output  # zed, not on the roster, was never read
    assert ".similarity-" not in done.output  # the user is told the assignment, not a temp folder
    assert f"a1 ({course_file}" in done.output
    flagged = {(r["module"], r["student_a"], r["student_b"]) for r in rows if r["flagged"] == "yes"}
    assert ("perceptron", "ada", "chen") in flagged
    assert all(pair[1:] == ("ada", "chen") for pair in flagged)


def test_similarity_assignment_options_are_checked(tmp_path: Path) -> None:
    course_file = make_course(tmp_path / "course", assignments=A1_FROM_FOLDER.format(
        hand_ins=tmp_path))
    runner = CliRunner()
    done = runner.invoke(main, ["similarity", str(SAMPLE), "--assignment", "a1",
                                "--course-file", str(course_file)])
    assert done.exit_code == 2 and "give neither SUBMISSIONS" in done.output
    done = runner.invoke(main, ["similarity", str(SAMPLE), "--out", str(tmp_path / "o"),
                                "--course-file", str(course_file)])
    assert done.exit_code == 2 and "goes with --assignment" in done.output
    done = runner.invoke(main, ["similarity", "--out", str(tmp_path / "o")])
    assert done.exit_code == 2 and "SUBMISSIONS_OR_INBOX" in done.output
    done = runner.invoke(main, ["similarity", "--assignment", "a7", "--course-file",
                                str(course_file)])
    assert done.exit_code == 1 and "a7" in done.output
