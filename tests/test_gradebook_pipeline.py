"""Grading assignments of the sample course into the gradebook with the real grader.

``grade_assignment`` is called with a ``grade_fn`` that runs ``nngrade grade
FOLDER --out OUT`` as a subprocess, exactly as an instructor would, so
these tests depend on results.json documents and the command line only.
"""

# ruff: noqa: F811 - fixtures imported from gradebook_fixtures are used as arguments
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from gradebook_fixtures import REPO, pg_url, postgres  # noqa: F401 - fixtures

from nngrade.course.config import Course, load_course
from nngrade.gradebook.database import open_gradebook
from nngrade.gradebook.diff import gradebook_diff
from nngrade.gradebook.pipeline import grade_assignment
from nngrade.gradebook.state import course_state, history
from nngrade.rubric import DEFAULT_RUBRIC

SAMPLE = REPO / "examples" / "course"
NNGRADE = [sys.executable, "-c", "from nngrade.cli import main; main()"]


def cli_grader(seed: int, *extra: str) -> Callable[[Path, Path], None]:
    """The grade_fn of these tests: the real `nngrade grade`, in a subprocess."""
    def grade(submissions: Path, out: Path) -> None:
        subprocess.run([*NNGRADE, "grade", str(submissions), "--out", str(out), "--seed",
                        str(seed), "-j", "2", *extra], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=600)
    return grade


def sample_course(folder: Path, gradebook: str | None = None) -> Path:
    """The sample course, copied with its build folder and gradebook inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (SAMPLE / "nngrade.toml").read_text(encoding="utf-8")
    text = text.replace('"../submissions"', json.dumps(str(REPO / "examples" / "submissions")))
    text = text.replace('out = "../../build/course"', 'out = "build"')
    text = re.sub(r'gradebook = "[^"]*"', f'gradebook = "{gradebook or "gradebook.sqlite"}"',
                  text)
    text = text.replace('roster = "roster.csv"', 'roster = "roster.csv"\nrubric = "rubric.toml"')
    (folder / "nngrade.toml").write_text(text, encoding="utf-8")
    shutil.copyfile(SAMPLE / "roster.csv", folder / "roster.csv")
    shutil.copyfile(DEFAULT_RUBRIC, folder / "rubric.toml")
    (folder / "inbox").mkdir(exist_ok=True)
    return folder / "nngrade.toml"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Course, list]:
    """a1 of the sample course graded once, with reports, into a SQLite gradebook."""
    course = load_course(sample_course(tmp_path_factory.mktemp("course")))
    run = grade_assignment(course, "a1", cli_grader(7, "--rubric", str(course.rubric_path)),
                           by="prof-li")
    return course, run


def test_every_student_is_recorded_with_the_assignments_share_of_the_results(graded) -> None:
    course, run = graded
    assert run.problems == []
    assert sorted((r.student, r.kind) for r in run.recorded) == \
        [(s, "first") for s in sorted(course.roster.ids())]
    gb = open_gradebook(course.gradebook)
    try:
        state = course_state(gb, course)
        for student in course.roster.ids():
            results = json.loads((course.out / "a1" / student / "results.json").read_text())
            modules = results["nngrade"]["modules"]
            expected = round(modules["perceptron"]["score"] + modules["activations"]["score"], 4)
            cell = state.cell(student, "a1")
            assert cell.final == expected, student
            assert cell.grading.points == 17.6 and cell.grading.seed == 7
            assert cell.grading.recorded_by == "prof-li"
            assert json.loads(cell.grading.results_json) == results  # the same document
        assert state.cell("ada", "a1").final == 17.6
        assert state.cell("gus", "a1").final == 0.0  # modules missing or failing to import
    finally:
        gb.close()


def test_the_course_page_links_every_report_and_the_class_summary(graded) -> None:
    course, _ = graded
    page = (course.out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "课程成绩册" in page
    assert 'href="a1/index.html"' in page
    for student in course.roster.ids():
        assert f'href="a1/{student}/report.html"' in page
        assert (course.out / "a1" / student / "report.html").is_file()
    assert "陈晨" in page and "韩娜" in page
    report = (course.out / "a1" / "ada" / "report.html").read_text(encoding="utf-8")
    assert "2026-09-27T12:00:00+00:00" in report  # when the hand-in arrived, not the staging
    gb = open_gradebook(course.gradebook)
    try:
        digest = course_state(gb, course).cell("ada", "a1").grading.attempt_id
        with gb.reading() as session:
            from nngrade.gradebook.models import AttemptRow

            assert session.get(AttemptRow, digest).digest in report
    finally:
        gb.close()
    results = json.loads((course.out / "a1" / "ada" / "results.json").read_text())
    assert ".staging-a1-" in results["nngrade"]["source"]["path"]  # as the grader wrote it


def test_a_rerun_records_nothing_new(graded) -> None:
    course, _ = graded
    run = grade_assignment(course, "a1", cli_grader(7, "--rubric", str(course.rubric_path)),
                           write_page=False)
    assert {r.kind for r in run.recorded} == {"unchanged"}


def test_a_new_seed_regrades_everyone_and_the_diff_shows_who_moved(graded) -> None:
    course, _ = graded
    gb = open_gradebook(course.gradebook)
    try:
        before = {s: c.final for (s, a), c in course_state(gb, course).cells.items() if a == "a1"}
    finally:
        gb.close()
    run = grade_assignment(course, "a1", cli_grader(8, "--rubric", str(course.rubric_path),
                                                    "--no-reports"),
                           reason="new seed for the resit", write_page=False)
    assert {r.kind for r in run.recorded} == {"regrade"}
    assert all(r.reason.startswith("seed 7 -> 8; new seed for the resit") for r in run.recorded)
    gb = open_gradebook(course.gradebook)
    try:
        after = {s: c.final for (s, a), c in course_state(gb, course).cells.items() if a == "a1"}
        moved = {s for s in before if before[s] != after[s]}
        diffs = gradebook_diff(gb, assignment="a1")
        # Scores should not depend on the seed; when a hidden test does, the diff says where.
        assert {d.student for d in diffs if d.delta} == moved
        for d in diffs:
            assert d.delta == pytest.approx(after[d.student] - before[d.student])
            if d.delta:
                assert sum(c.delta for c in d.tests) != 0
    finally:
        gb.close()


def test_a_rubric_change_is_a_regrade_whose_moves_are_shown_test_by_test(graded) -> None:
    course, _ = graded
    rubric = course.rubric_path.read_text(encoding="utf-8")
    assert "\nsigmoid_prime = 2.4\n" in rubric and "\nrelu_prime = 2.4\n" in rubric
    rubric = rubric.replace("\nsigmoid_prime = 2.4\n", "\nsigmoid_prime = 0.8\n")
    rubric = rubric.replace("\nrelu_prime = 2.4\n", "\nrelu_prime = 4\n")
    course.rubric_path.write_text(rubric, encoding="utf-8")
    run = grade_assignment(course, "a1", cli_grader(8, "--rubric", str(course.rubric_path),
                                                    "--no-reports"),
                           reason="relu_prime is worth more", write_page=False)
    assert run.problems == []
    changed = {r.student: r for r in run.recorded if r.changed}
    assert changed and all("rubric changed" in r.reason for r in changed.values())
    gb = open_gradebook(course.gradebook)
    try:
        diffs = gradebook_diff(gb, assignment="a1")
        assert diffs, "some student fails sigmoid_prime or relu_prime in the sample class"
        for d in diffs:
            assert d.tests and all(c.old_score != c.new_score for c in d.tests)
            assert {c.name.split(":")[0] for c in d.tests} <= {"activations.sigmoid_prime",
                                                               "activations.relu_prime"}, \
                "the seed is the same (8): only the two rubric entries may move"
            assert d.delta == pytest.approx(d.new.score_after_late - d.old.score_after_late)
            gradings, _, _ = history(gb, d.student, "a1")
            assert [g.kind for g in gradings] == ["first", "regrade", "regrade"]
            assert "relu_prime is worth more" in gradings[-1].reason
    finally:
        gb.close()


# ------------------------------------------------------------------ interrupted, and in parallel

INTERRUPTED = textwrap.dedent('''
    import json, os, shutil, signal, sys
    from pathlib import Path
    from sqlalchemy import event
    from nngrade.course.config import load_course
    from nngrade.gradebook import database
    from nngrade.gradebook.pipeline import grade_assignment

    course_file, graded_dir, kill_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    opened = database.open_gradebook

    def open_and_arm(*args, **kwargs):
        gb = opened(*args, **kwargs)
        count = [0]

        @event.listens_for(gb.engine, "before_cursor_execute")
        def die(*a):
            count[0] += 1
            if count[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return gb

    database.open_gradebook = open_and_arm
    import nngrade.gradebook.pipeline as pipeline
    pipeline.open_gradebook = open_and_arm

    def copy_results(submissions, out):  # the grader's results, already computed
        for student in os.listdir(submissions):
            sid = student.removesuffix(".zip")
            (out / sid).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(graded_dir / sid / "results.json", out / sid / "results.json")

    run = grade_assignment(load_course(course_file), "a1", copy_results, write_page=False)
    print(json.dumps([r.kind for r in run.recorded]))
''')


def test_an_interrupted_grading_is_completed_by_running_it_again(graded, tmp_path: Path) -> None:
    course, _ = graded
    fresh = load_course(sample_course(tmp_path / "course"))
    script = tmp_path / "interrupted.py"
    script.write_text(INTERRUPTED)
    for kill_at in (9, 23, 40):  # somewhere in the 1st, 3rd and 5th students' recordings
        proc = subprocess.run([sys.executable, str(script), str(fresh.path),
                               str(course.out / "a1"), str(kill_at)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
    proc = subprocess.run([sys.executable, str(script), str(fresh.path), str(course.out / "a1"),
                           "0"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    kinds = json.loads(proc.stdout.splitlines()[-1])
    assert len(kinds) == 8 and set(kinds) <= {"first", "unchanged"}
    gb = open_gradebook(fresh.gradebook)
    try:
        for student in fresh.roster.ids():
            gradings, _, _ = history(gb, student, "a1")
            assert len(gradings) == 1, student
    finally:
        gb.close()


TA = textwrap.dedent('''
    import json, subprocess, sys, time
    from pathlib import Path
    from nngrade.course.config import load_course
    from nngrade.gradebook.pipeline import grade_assignment

    course_file, assignment, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    course = load_course(course_file)

    def grade(submissions, out):
        subprocess.run([sys.executable, "-c", "from nngrade.cli import main; main()", "grade",
                        str(submissions), "--out", str(out), "--seed", "11", "-j", "1",
                        "--no-reports", "--rubric", str(course.rubric_path)], check=True,
                       stdout=subprocess.DEVNULL)

    while time.time() < start:
        time.sleep(0.01)
    run = grade_assignment(course, assignment, grade, by="ta-" + assignment)
    print(json.dumps({"kinds": [r.kind for r in run.recorded], "problems": run.problems}))
''')


def test_two_tas_grading_different_assignments_at_once_on_the_server(tmp_path: Path,
                                                                    pg_url: str) -> None:
    course_file = sample_course(tmp_path / "course", gradebook=pg_url)
    script = tmp_path / "ta.py"
    script.write_text(TA)
    start = str(time.time() + 2.0)
    env = dict(os.environ)
    tas = [subprocess.Popen([sys.executable, str(script), str(course_file), a, start],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
           for a in ("a1", "a2")]
    for ta in tas:
        out, err = ta.communicate(timeout=900)
        assert ta.returncode == 0, err
        report = json.loads(out.splitlines()[-1])
        assert report["kinds"] == ["first"] * 8 and report["problems"] == []
    course = load_course(course_file)
    gb = open_gradebook(pg_url)
    try:
        state = course_state(gb, course)
        for student in course.roster.ids():
            assert state.cell(student, "a1").grading.recorded_by == "ta-a1"
            assert state.cell(student, "a2").grading.recorded_by == "ta-a2"
        assert state.cell("ada", "a1").final == 17.6 and state.cell("ada", "a2").final == 22.2
    finally:
        gb.close()
