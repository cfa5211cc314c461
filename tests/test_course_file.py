"""The course file and `nngrade course check`: read strictly, and every problem said exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from gradebook_fixtures import REPO, ROSTER, make_course

from nngrade.cli import main
from nngrade.course.check import assignment_points, check_course
from nngrade.course.config import CourseError, load_course

SAMPLE = REPO / "examples" / "course"


def messages(course_file: Path) -> list[str]:
    return [str(p) for p in check_course(load_course(course_file))]


def errors(course_file: Path) -> list[str]:
    return [str(p) for p in check_course(load_course(course_file)) if p.level == "error"]


def test_the_sample_course_is_ready_and_names_the_sample_class() -> None:
    course = load_course(SAMPLE)
    assert errors(SAMPLE / "nngrade.toml") == []
    assert len(course.assignments) >= 4
    handed_in = sorted(p.name.removesuffix(".zip")
                       for p in (REPO / "examples" / "submissions").iterdir())
    assert sorted(course.roster.ids()) == handed_in
    assert course.language == "zh" and str(course.timezone) == "Asia/Shanghai"
    # every contract module is graded by exactly one assignment
    graded = [m for a in course.assignments for m in a.modules]
    assert sorted(graded) == sorted(set(graded))
    points = assignment_points(course)
    assert points["a1"] == 17.6  # perceptron 8 + activations 9.6, from the rubric
    assert sum(points.values()) == 100.0


def test_dates_without_an_offset_are_the_course_time_zone_and_a_bare_date_is_a_whole_day(
        tmp_path: Path) -> None:
    course_file = make_course(tmp_path, course_extra='', assignments="""
        [[assignments]]
        name = "a1"
        modules = ["perceptron"]
        opens = 2026-09-07
        due = 2026-09-27
        """)
    text = course_file.read_text().replace('timezone = "UTC"', 'timezone = "Asia/Shanghai"')
    course_file.write_text(text)
    a = load_course(course_file).assignment("a1")
    assert a.due == dt.datetime(2026, 9, 27, 15, 59, 59, tzinfo=dt.timezone.utc)
    assert a.opens == dt.datetime(2026, 9, 6, 16, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("assignments, expected", [
    ("""
     [[assignments]]
     name = "a1"
     modules = ["perceptron", "activation"]
     due = 2026-09-27T23:59:00Z
     """, "unknown module 'activation'"),
    ("""
     [[assignments]]
     name = "a1"
     names = ["activations.sigmoid_derivative"]
     due = 2026-09-27T23:59:00Z
     """, "unknown contract name 'activations.sigmoid_derivative'"),
    ("""
     [[assignments]]
     name = "a1"
     modules = ["perceptron"]
     opens = 2026-09-28T08:00:00Z
     due = 2026-09-27T23:59:00Z
     """, "is due (2026-09-27T23:59:00+00:00) before it opens (2026-09-28T08:00:00+00:00)"),
    ("""
     [[assignments]]
     name = "a1"
     modles = ["perceptron"]
     due = 2026-09-27T23:59:00Z
     """, "unknown key 'modles'"),
    ("""
     [[assignments]]
     name = "a1"
     modules = ["perceptron"]
     """, "needs a due date"),
    ("""
     [[assignments]]
     name = "a1"
     modules = ["perceptron"]
     due = 2026-09-27T23:59:00Z
     late_policy = { percent_per_day = 10, max_percent = 150 }
     """, "a deduction cannot exceed 100%"),
    ("""
     [[assignments]]
     name = "a1"
     modules = ["perceptron"]
     due = 2026-09-27T23:59:00Z

     [[assignments]]
     name = "a1"
     modules = ["activations"]
     due = 2026-10-27T23:59:00Z
     """, "the name is used by 2 assignments"),
])
def test_each_mistake_in_the_file_is_an_error_that_says_what_and_where(
        tmp_path: Path, assignments: str, expected: str) -> None:
    found = errors(make_course(tmp_path, assignments=assignments))
    assert any(expected in e for e in found), found


def test_overlapping_names_between_assignments(tmp_path: Path) -> None:
    found = errors(make_course(tmp_path, assignments="""
        [[assignments]]
        name = "a1"
        modules = ["activations"]
        due = 2026-09-27T23:59:00Z

        [[assignments]]
        name = "a2"
        names = ["activations.relu_prime", "losses.mse"]
        due = 2026-10-27T23:59:00Z
        """))
    assert found == ["error: activations.relu_prime: graded by more than one assignment "
                     "(a1, a2): give each contract name to one assignment"]


def test_roster_problems_name_the_line(tmp_path: Path) -> None:
    roster = (ROSTER + "ben,Benjamin Carter,,,,,,,,\n../x,Mallory,,,,,,,,\n,Nobody,,,,,,,,\n"
              "Ben,Ben Upper,,,,,,,,\n")
    found = errors(make_course(tmp_path, roster=roster))
    assert "error: roster: roster.csv line 5: the id 'ben' is already on line 3" in found
    assert any("roster.csv line 6: the id '../x' cannot be used" in e for e in found)
    assert "error: roster: roster.csv line 7: the id is empty" in found
    # staged as Ben.zip beside ben.zip, one file on a case-insensitive disk: refused up front
    assert any("roster.csv line 8: the id 'Ben' differs from 'ben' (line 3) only in case" in e
               for e in found)


def test_roster_without_an_id_column_and_not_utf8(tmp_path: Path) -> None:
    course_file = make_course(tmp_path, roster="student,name\nada,Ada\n")
    assert any("has no 'id' column" in e for e in errors(course_file))
    (tmp_path / "roster.csv").write_bytes("id,name\nchen,陈晨\n".encode("gb18030"))
    assert any("is not UTF-8 text: save it as 'CSV UTF-8'" in e for e in errors(course_file))


def test_a_byte_order_mark_and_header_case_are_fine(tmp_path: Path) -> None:
    course_file = make_course(tmp_path, roster="\ufeffID, Name ,Email\nada,Ada,a@x\n")
    course = load_course(course_file)
    assert errors(course_file) == []
    assert course.roster.get("ada") is not None and course.roster.get("ada").email == "a@x"


def test_extensions_are_checked_against_roster_and_assignments(tmp_path: Path) -> None:
    course_file = make_course(tmp_path, extra="""
        [[extensions]]
        student = "zoe"
        assignment = "a1"
        days = 2

        [[extensions]]
        student = "ada"
        assignment = "a9"
        days = 2

        [[extensions]]
        student = "ben"
        assignment = "a1"
        days = 2
        due = 2026-10-01T00:00:00Z
        """)
    found = errors(course_file)
    assert "error: extension for 'zoe': this student is not on the roster" in found
    assert "error: [[extensions]] #2: unknown assignment 'a9'" in found
    assert any("give either due" in e for e in found)


def test_an_extension_in_days_moves_the_due_date(tmp_path: Path) -> None:
    course = load_course(make_course(tmp_path, extra="""
        [[extensions]]
        student = "ben"
        assignment = "a1"
        days = 3
        reason = "medical"
        """))
    (ext,) = course.extensions
    assert ext.due == course.assignment("a1").due + dt.timedelta(days=3)


def test_points_default_to_the_rubric_and_can_be_set(tmp_path: Path) -> None:
    course_file = make_course(tmp_path)
    course_file.write_text(course_file.read_text().replace("points = 22\n", ""))
    points = assignment_points(load_course(course_file))
    assert points == {"a1": 17.6, "a2": 10.0}  # a1 from the rubric, a2 as set


def test_unknown_time_zone_and_missing_file(tmp_path: Path,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    course_file = make_course(tmp_path)
    course_file.write_text(course_file.read_text().replace('"UTC"', '"Mars/Olympus"'))
    assert any("timezone 'Mars/Olympus' is unknown" in e for e in errors(course_file))
    with pytest.raises(CourseError, match="no nngrade.toml in"):
        load_course(tmp_path_factory.mktemp("no-course"))


def test_course_check_command(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["course", "check", "--course", str(SAMPLE)])
    assert ok.exit_code == 0, ok.output
    assert "a1" in ok.output and "17.6 pts" in ok.output and "The course file is" in ok.output
    bad = make_course(tmp_path, assignments="""
        [[assignments]]
        name = "a1"
        modules = ["perceptrons"]
        due = 2026-09-27T23:59:00Z
        """)
    result = runner.invoke(main, ["course", "check", "--course", str(bad)])
    assert result.exit_code == 1
    assert "unknown module 'perceptrons'" in result.output
    assert "1 error(s)" in result.output
