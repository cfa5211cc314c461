"""``nngrade grade --assignment A``: a course assignment graded into the semester gradebook, and
an override shown in the student's report.html, through the command line an instructor uses.

A two-student course (ada, ben of the sample class, handed in as a folder
download) is graded, overridden, regraded and un-overridden with the real
grader; the gradebook and the reports are read back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from gradebook_fixtures import A1_FROM_FOLDER, REPO, make_course
from sample_class import copy_sample_class

from nngrade.cli import main
from nngrade.course.config import load_course
from nngrade.gradebook.database import open_gradebook
from nngrade.gradebook.state import course_state, history

SAMPLE = REPO / "examples" / "submissions"



def _run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(main, list(args))
    return done.exit_code, done.output


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("course")
    hand_ins = base / "hand-ins"
    copy_sample_class(hand_ins, ("ada", "ben"))
    path = make_course(base / "course", assignments=A1_FROM_FOLDER.format(hand_ins=hand_ins))
    code, output = _run("grade", "--assignment", "a1", "--course", str(path), "--seed", "7",
                        "-j", "2", "--reason", "first run")
    assert code == 0, output
    return path


def _report(course_file: Path, student: str) -> str:
    return (load_course(course_file).out_dir("a1") / student / "report.html").read_text()


def _override_text(report: str) -> str:
    found = re.search(r'<div class="alert warn" id="override".*?</div>', report, re.S)
    return re.sub(r"\s+", " ", found.group(0)) if found else ""


def test_grading_an_assignment_records_every_student_in_the_gradebook(course: Path) -> None:
    loaded = load_course(course)
    gb = open_gradebook(loaded.gradebook)
    try:
        state = course_state(gb, loaded, ["ada", "ben"])
        ada, ben = state.cell("ada", "a1"), state.cell("ben", "a1")
        assert ada.grading is not None and ben.grading is not None
        assert ada.final == ada.grading.points > 0  # the model solution: every point of a1
        assert ben.final == 0.0  # the untouched stubs
        assert ada.grading.seed == 7 and "first run" in ada.grading.reason
    finally:
        gb.close()
    results = loaded.out_dir("a1") / "ada" / "results.json"
    assert results.is_file() and (loaded.out / "index.html").is_file()
    assert _override_text(_report(course, "ada")) == ""


def test_an_override_shows_in_the_report_and_survives_a_regrade(course: Path) -> None:
    code, output = _run("gradebook", "override", "ben", "a1", "--points", "3.5", "--reason",
                        "appeal: the wrong folder was uploaded", "--by", "Prof. Li",
                        "--course", str(course))
    assert code == 0, output
    shown = _override_text(_report(course, "ben"))
    assert "set your score for this assignment to 3.5 of" in shown
    assert "appeal: the wrong folder was uploaded" in shown and "Prof. Li" in shown
    assert "The grader's score was 0;" in shown
    assert _override_text(_report(course, "ada")) == ""

    # --course-file, as `nngrade similarity --assignment` spells it, names the course file too
    code, output = _run("grade", "--assignment", "a1", "--course-file", str(course), "-j", "2")
    assert code == 0, output
    assert re.search(r"ben\s+unchanged", output)
    assert "3.5 of" in _override_text(_report(course, "ben"))  # rewritten, still there

    code, output = _run("gradebook", "override", "ben", "a1", "--clear", "--reason",
                        "appeal withdrawn", "--course", str(course))
    assert code == 0, output
    assert _override_text(_report(course, "ben")) == ""
    loaded = load_course(course)
    gb = open_gradebook(loaded.gradebook)
    try:
        _, overrides, _ = history(gb, "ben", "a1")
        assert [o.points for o in overrides] == [3.5, None]  # nothing is ever deleted
    finally:
        gb.close()


def test_the_assignment_options_are_checked(course: Path, tmp_path: Path) -> None:
    code, output = _run("grade", str(SAMPLE), "--assignment", "a1", "--course", str(course))
    assert code == 2 and "give neither SUBMISSIONS" in output
    code, output = _run("grade", str(SAMPLE), "--out", str(tmp_path / "o"), "--reason", "x")
    assert code == 2 and "go with --assignment A" in output
    code, output = _run("grade", "--assignment", "a1", "--course", str(course),
                        "--student", "zed")
    assert code == 1 and "not on the roster" in output and "zed" in output
    code, output = _run("grade", "--assignment", "a9", "--course", str(course))
    assert code == 1 and "a9" in output


def test_shards_of_an_assignment_record_into_one_gradebook(tmp_path: Path) -> None:
    """Shards of a course assignment need no shared folder: each records into the gradebook."""
    hand_ins = tmp_path / "hand-ins"
    copy_sample_class(hand_ins, ("ada", "ben"))
    path = make_course(tmp_path / "course", assignments=A1_FROM_FOLDER.format(hand_ins=hand_ins))
    code, output = _run("grade", "--assignment", "a1", "--course", str(path), "--shard", "1/2")
    assert code == 2 and "needs --seed" in output
    outputs = []
    for k in range(1, 6):  # ada in shard 4 of 5, ben in 5, chen (nothing handed in) in 1
        code, output = _run("grade", "--assignment", "a1", "--course", str(path), "--shard",
                            f"{k}/5", "--seed", "7", "-j", "1", "--no-reports")
        assert code == 0, output
        outputs.append(output)
    assert re.search(r"ada\s+first", outputs[3]) and "ben" not in outputs[3]
    assert re.search(r"ben\s+first", outputs[4]) and "ada" not in outputs[4]
    assert "no roster student of a1 falls in it" in outputs[1]
    loaded = load_course(path)
    gb = open_gradebook(loaded.gradebook)
    try:
        state = course_state(gb, loaded, ["ada", "ben", "chen"])
        graded = {s: state.cell(s, "a1").grading for s in ("ada", "ben", "chen")}
        assert {s: g.seed if g else None for s, g in graded.items()} == {
            "ada": 7, "ben": 7, "chen": None}
    finally:
        gb.close()
