"""`nngrade gradebook ...` on a small recorded semester: exports, show, override, extend, diff.

The exports are compared byte for byte with the files in
``tests/gradebook_samples/`` (see its README for the rule behind each).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from gradebook_fixtures import SAMPLES, make_course, results_doc

from nngrade.cli import main
from nngrade.course.attempts import Attempt
from nngrade.course.config import Course, load_course
from nngrade.course.late import LateOutcome, apply_late_policy
from nngrade.gradebook.database import open_gradebook
from nngrade.gradebook.export import build_export, render_export
from nngrade.gradebook.figures import assignment_figures
from nngrade.gradebook.i18n import LOCALE_DIR, missing_translations
from nngrade.gradebook.page import render_course_page
from nngrade.gradebook.record import record_grading, set_override
from nngrade.gradebook.show import render_student
from nngrade.rubric import load_rubric

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 1, 9, tzinfo=UTC)  # after a1's due date, before a2's


def _record(gb, course: Course, student: str, name: str, doc: dict,
            received: dt.datetime) -> None:
    a = course.assignment(name)
    late = apply_late_policy(a.late_policy, a.due, received)
    record_grading(gb, student=student, assignment=a,
                   attempt=Attempt(student, (student + name) * 8, received, "inbox", "x"),
                   results=doc, figures=assignment_figures(doc, a, load_rubric(), late),
                   due=a.due, by="ta-wang", now=received)


@pytest.fixture
def semester(tmp_path: Path) -> Course:
    """ada: full marks; ben: a1 late by two started days with xor failed, a2 overridden;
    chen: nothing handed in."""
    course = load_course(make_course(tmp_path / "course"))
    gb = open_gradebook(course.gradebook)
    try:
        a1_due, a2_due = course.assignment("a1").due, course.assignment("a2").due
        _record(gb, course, "ada", "a1", results_doc("ada"), a1_due - dt.timedelta(hours=3))
        _record(gb, course, "ada", "a2", results_doc("ada"), a2_due - dt.timedelta(days=1))
        _record(gb, course, "ben", "a1", results_doc("ben", passed={"perceptron.xor": False}),
                a1_due + dt.timedelta(hours=30))
        _record(gb, course, "ben", "a2", results_doc("ben"), a2_due - dt.timedelta(days=2))
        set_override(gb, student="ben", assignment="a2", points=8.5,
                     reason="helper code copied from a classmate", by="prof-li", now=NOW)
    finally:
        gb.close()
    return course


@pytest.mark.parametrize("fmt", ["canvas", "moodle", "blackboard", "csv"])
def test_exports_match_the_lms_sample_files(semester: Course, fmt: str) -> None:
    gb = open_gradebook(semester.gradebook)
    try:
        export = build_export(semester, gb, fmt, now=NOW)
    finally:
        gb.close()
    expected = (SAMPLES / f"export-{fmt}.csv").read_bytes().decode("utf-8")
    assert render_export(export) == expected
    assert export.warnings == []
    assert render_export(export, bom=True).startswith("\ufeff")


def test_export_warns_when_the_lms_ids_are_missing(tmp_path: Path) -> None:
    course = load_course(make_course(
        tmp_path, roster="id,name\nada,Ada Lovelace\n", assignments="""
        [[assignments]]
        name = "a1"
        modules = ["perceptron"]
        due = 2026-09-27T23:59:00Z
        """))
    gb = open_gradebook(course.gradebook)
    try:
        canvas = build_export(course, gb, "canvas", now=NOW)
        blackboard = build_export(course, gb, "blackboard", now=NOW)
        missing_blank = build_export(course, gb, "csv", now=NOW, missing="blank")
    finally:
        gb.close()
    assert any("Canvas will create a new assignment" in w for w in canvas.warnings)
    assert any("can only match students by name" in w for w in canvas.warnings)
    assert canvas.header[-1] == "a1"  # no "(id)": a new Canvas assignment
    assert blackboard.header[-1] == "a1 [Total Pts: 8 Score]"
    assert any("new text column" in w for w in blackboard.warnings)
    assert missing_blank.rows[0][1:2] == ["Ada Lovelace"] and missing_blank.rows[0][2:] == \
        ["", "", "", "0", "8"]  # a1 is past due: 0 of its 8 points


def test_export_command_writes_the_file(semester: Course, tmp_path: Path) -> None:
    out = tmp_path / "canvas.csv"
    result = CliRunner().invoke(main, ["gradebook", "export", "--lms", "canvas", "--course",
                                       str(semester.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 students, 2 assignments" in result.output
    assert out.read_text(encoding="utf-8").startswith("Student,ID,SIS User ID")


def test_show_prints_the_semester_in_both_languages(semester: Course) -> None:
    gb = open_gradebook(semester.gradebook)
    try:
        en = render_student(semester, gb, "ben", "en")
        zh = render_student(semester, gb, "ben", "zh")
    finally:
        gb.close()
    assert "Semester of Ben Carter (ben)" in en
    assert re.search(r"a1 Perceptron and activations\s+2026-09-27 23:59\s+2026-09-29 05:59\s+"
                     r"14\.6 / 22", en)
    assert "late: 2 day(s), -4.4 points" in en
    assert "override 8.5 by prof-li on 2026-10-01 09:00: helper code copied from a classmate" \
        in en
    assert "automatic score 10 of 10" in en
    assert "Ben Carter（ben）本学期成绩" in zh and "迟交 2 天，扣 4.4 分" in zh
    assert "人工调整为 8.5 分（prof-li，2026-10-01 09:00）" in zh


def test_every_text_has_its_chinese_translation() -> None:
    sources = list((LOCALE_DIR.parent).glob("*.py")) + list((LOCALE_DIR.parent /
                                                            "templates").glob("*.html"))
    found = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'(?:gettext|N_|\b_)\(\s*"((?:[^"\\]|\\.)*)"', text))
    assert len(found) > 50
    assert missing_translations("zh", sorted(found)) == ["!"] or \
        missing_translations("zh", sorted(found)) == []


def test_override_extend_and_diff_commands(semester: Course) -> None:
    runner = CliRunner()
    course = ["--course", str(semester.path)]
    result = runner.invoke(main, ["gradebook", "override", "ada", "a1", "--points", "20",
                                  "--reason", "plagiarism hearing", "--by", "prof-li", *course])
    assert result.exit_code == 0, result.output
    assert "Override for ada in a1: 20 points (by prof-li" in result.output
    assert (semester.out / "index.html").is_file()

    result = runner.invoke(main, ["gradebook", "override", "ada", "a1", "--reason", "x",
                                  *course])
    assert result.exit_code == 2 and "give either --points P or --clear" in result.output
    result = runner.invoke(main, ["gradebook", "override", "zoe", "a1", "--points", "1",
                                  "--reason", "x", *course])
    assert result.exit_code == 1 and "'zoe' is not on the roster" in result.output
    result = runner.invoke(main, ["gradebook", "override", "ada", "a9", "--points", "1",
                                  "--reason", "x", *course])
    assert result.exit_code == 1 and "no assignment 'a9'" in result.output

    result = runner.invoke(main, ["gradebook", "extend", "ben", "a1", "--days", "2",
                                  "--reason", "hospital", "--by", "prof-li", *course])
    assert result.exit_code == 0, result.output
    assert "due 2026-09-29 23:59" in result.output
    assert "The current score was worked out again" in result.output

    result = runner.invoke(main, ["gradebook", "diff", *course])
    assert result.exit_code == 0, result.output
    assert re.search(r"ben\s+a1\s+14\.6 ->\s+19\s+\(\+4\.4\).*by prof-li: due date",
                     result.output)
    assert "1 score(s) changed." in result.output

    result = runner.invoke(main, ["gradebook", "show", "ben", "--lang", "en", *course])
    assert result.exit_code == 0
    assert "extension to 2026-09-29 23:59 by prof-li: hospital" in result.output
    assert "history:" in result.output and "score worked out again" in result.output


def test_commands_say_what_to_do_without_a_course(tmp_path_factory: pytest.TempPathFactory
                                                  ) -> None:
    empty = tmp_path_factory.mktemp("nothing")
    result = CliRunner().invoke(main, ["gradebook", "show", "ada", "--course", str(empty)])
    assert result.exit_code == 1 and "no nngrade.toml" in result.output


def test_the_page_escapes_what_people_typed(tmp_path: Path) -> None:
    roster = ('id,name,email,section\nada,"<script>alert(1)</script>",a@x,'
              '"<img src=x onerror=alert(2)>"\n')
    course = load_course(make_course(tmp_path, roster=roster))
    gb = open_gradebook(course.gradebook)
    try:
        _record(gb, course, "ada", "a1", results_doc("ada"), course.assignment("a1").due)
        set_override(gb, student="ada", assignment="a1", points=1.0,
                     reason="</td><script>alert(3)</script>", by="<b>ta</b>")
        page = render_course_page(course, gb, "en")
    finally:
        gb.close()
    assert "<script>" not in page and "<img" not in page and "<b>ta" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'id="student-ada"' in page


def test_unknown_lateness_is_said_not_charged(tmp_path: Path) -> None:
    course = load_course(make_course(tmp_path))
    gb = open_gradebook(course.gradebook)
    try:
        a1 = course.assignment("a1")
        doc = results_doc("ada")
        record_grading(gb, student="ada", assignment=a1,
                       attempt=Attempt("ada", "c" * 64, None, "canvas", "canvas/ada",
                                       reported_late=True),
                       results=doc, figures=assignment_figures(
                           doc, a1, load_rubric(), LateOutcome(True, None, 0.0, 0.0, True)),
                       due=a1.due)
        text = render_student(course, gb, "ada", "en")
    finally:
        gb.close()
    assert "time unknown (canvas)" in text and "22 / 22" in text


def test_the_chinese_catalog_is_valid() -> None:
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / "zh" / "LC_MESSAGES" / "gradebook.po").open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if message.id and "%(" in str(message.id):
            names = set(re.findall(r"%\((\w+)\)s", str(message.id)))
            assert names == set(re.findall(r"%\((\w+)\)s", str(message.string))), message.id
