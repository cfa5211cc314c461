"""Which hand-in is graded for an assignment, how late it is, and what lateness costs."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import pytest
from gradebook_fixtures import REPO, make_course

from nngrade.contract import module_names
from nngrade.course.attempts import inbox_attempts
from nngrade.course.config import load_course
from nngrade.course.late import LatePolicy, apply_late_policy
from nngrade.course.selection import select_attempts
from nngrade.gradebook.pipeline import stage_selection
from nngrade.intake.unpack import discover
from nngrade.student.submit import write_submission

UTC = dt.timezone.utc
DUE = dt.datetime(2026, 9, 27, 23, 59, tzinfo=UTC)
POLICY = LatePolicy(percent_per_day=10, max_percent=50, grace_minutes=15, accept_days=7)


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("received, late, days, percent, accepted", [
    (DUE - dt.timedelta(hours=1), False, 0, 0, True),
    (DUE, False, 0, 0, True),  # exactly at the due date is on time
    (DUE + dt.timedelta(minutes=15), False, 0, 0, True),  # the grace period
    (DUE + dt.timedelta(minutes=16), True, 1, 10, True),  # a started day counts
    (DUE + dt.timedelta(days=1, minutes=15), True, 1, 10, True),
    (DUE + dt.timedelta(days=1, minutes=16), True, 2, 20, True),
    (DUE + dt.timedelta(days=6, hours=1), True, 7, 50, True),  # capped at 50%
    (DUE + dt.timedelta(days=7, minutes=1), True, 7, 50, False),  # past the last day
])
def test_late_policy(received: dt.datetime, late: bool, days: float, percent: float,
                     accepted: bool) -> None:
    outcome = apply_late_policy(POLICY, DUE, received)
    assert (outcome.late, outcome.days_charged, outcome.penalty_percent, outcome.accepted) == \
        (late, days, percent, accepted)


def test_the_deduction_is_a_share_of_the_points_and_never_below_zero() -> None:
    outcome = apply_late_policy(POLICY, DUE, DUE + dt.timedelta(days=2, hours=1))
    assert outcome.penalty_percent == 30
    assert outcome.penalty_points(earned=18.0, points=20.0) == 6.0
    assert outcome.penalty_points(earned=4.0, points=20.0) == 4.0  # 0 left, not -2
    gone = apply_late_policy(POLICY, DUE, DUE + dt.timedelta(days=9))
    assert gone.penalty_points(earned=18.0, points=20.0) == 18.0


def test_unknown_time_of_receipt_costs_nothing_but_keeps_the_lms_mark() -> None:
    outcome = apply_late_policy(POLICY, DUE, None, reported_late=True)
    assert outcome.late and outcome.late_seconds is None and outcome.penalty_percent == 0


def test_fractional_days_when_asked() -> None:
    policy = LatePolicy(percent_per_day=10, max_percent=100, per_started_day=False)
    outcome = apply_late_policy(policy, DUE, DUE + dt.timedelta(hours=12))
    assert outcome.days_charged == pytest.approx(0.5) and outcome.penalty_percent == \
        pytest.approx(5.0)


@pytest.fixture
def modules() -> dict[str, Path]:
    return {m: REPO / "exercises" / f"{m}.py" for m in module_names()}


def submit(course_dir: Path, student: str, when: dt.datetime, modules: dict[str, Path]) -> Path:
    return write_submission(course_dir / "inbox", student, modules, now=when).archive


def test_newest_on_time_wins_over_a_later_late_one(tmp_path: Path, modules: dict) -> None:
    make_course(tmp_path)
    submit(tmp_path, "ada", at(20, 10), modules)
    on_time = submit(tmp_path, "ada", at(27, 23, 50), modules)
    submit(tmp_path, "ada", at(28, 9), modules)  # late: must not replace on-time work
    submit(tmp_path, "ben", at(29, 9), modules)  # only late: graded, with the penalty
    submit(tmp_path, "chen", at(5, 10), modules)  # before a1 opened: nothing to grade
    course = load_course(tmp_path)
    sel = select_attempts(course, course.assignment("a1"))
    assert sel.chosen["ada"].attempt.archive == on_time
    assert sel.chosen["ada"].considered == 3
    assert not sel.chosen["ada"].late.late
    assert sel.chosen["ben"].late.late and sel.chosen["ben"].late.penalty_percent == 20
    assert sel.missing == ["chen"]
    assert any("chen: every hand-in is from before a1 opened" in p for p in sel.problems)


def test_selection_newest_takes_the_last_accepted_hand_in(tmp_path: Path, modules: dict) -> None:
    make_course(tmp_path, course_extra='selection = "newest"')
    submit(tmp_path, "ada", at(27, 23, 50), modules)
    late = submit(tmp_path, "ada", at(28, 9), modules)
    submit(tmp_path, "ben", at(27, 10), modules)
    submit(tmp_path, "ben", at(10, 10, month=10), modules)  # 12 days late: not accepted
    course = load_course(tmp_path)
    sel = select_attempts(course, course.assignment("a1"))
    assert sel.chosen["ada"].attempt.archive == late
    assert sel.chosen["ben"].attempt.received_at == at(27, 10)


def test_nothing_accepted_is_still_graded_and_marked(tmp_path: Path, modules: dict) -> None:
    make_course(tmp_path)
    submit(tmp_path, "ada", at(10, 10, month=10), modules)
    course = load_course(tmp_path)
    choice = select_attempts(course, course.assignment("a1")).chosen["ada"]
    assert not choice.late.accepted


def test_extensions_from_the_course_file_and_the_gradebook(tmp_path: Path,
                                                           modules: dict) -> None:
    make_course(tmp_path, extra="""
        [[extensions]]
        student = "ada"
        assignment = "a1"
        days = 2
        """)
    submit(tmp_path, "ada", at(29, 20), modules)
    submit(tmp_path, "ben", at(29, 20), modules)
    course = load_course(tmp_path)
    a1 = course.assignment("a1")
    sel = select_attempts(course, a1)
    assert not sel.chosen["ada"].late.late and sel.chosen["ada"].extended
    assert sel.chosen["ben"].late.late
    granted = {("ben", "a1"): DUE + dt.timedelta(days=3)}
    sel = select_attempts(course, a1, granted=granted)
    assert not sel.chosen["ben"].late.late and sel.chosen["ben"].due == granted[("ben", "a1")]


def test_inbox_problems_are_reported_not_fatal(tmp_path: Path, modules: dict) -> None:
    make_course(tmp_path)
    box = tmp_path / "inbox"
    good = submit(tmp_path, "ada", at(20, 10), modules)
    (box / "ada" / "broken.zip").write_bytes(b"not a zip")
    (box / "ada" / ".incoming-x.zip").write_bytes(b"half written")
    os.symlink(good, box / "ada" / "link.zip")
    (box / "mallory").mkdir()
    with zipfile.ZipFile(box / "ben.zip", "w"):
        pass  # a file at the top level of the inbox is not a student folder
    found, problems = inbox_attempts(box, {"ada", "ben"})
    assert [a.archive for a in found["ada"]] == [good]
    assert any("broken.zip: not a readable submission archive" in p for p in problems)
    assert any("link.zip: not a regular file" in p for p in problems)
    assert any("not on the roster" in p and "mallory" in p for p in problems)


def test_a_manifest_much_older_than_its_file_is_flagged(tmp_path: Path, modules: dict) -> None:
    make_course(tmp_path)
    archive = submit(tmp_path, "ada", at(27, 23), modules)
    written = at(28, 12).timestamp()
    os.utime(archive, (written, written))
    found, _ = inbox_attempts(tmp_path / "inbox")
    assert any("check the student's clock" in n for n in found["ada"][0].notes)


def test_staged_hand_ins_are_what_the_grader_reads(tmp_path: Path, modules: dict) -> None:
    make_course(tmp_path)
    submit(tmp_path, "ada", at(27, 10), modules)
    submit(tmp_path, "ben", at(27, 11), modules)
    course = load_course(tmp_path)
    sel = select_attempts(course, course.assignment("a1"))
    staged = tmp_path / "staged"
    staged.mkdir()
    stage_selection(sel, staged)
    read = {s.student: s for s in discover(staged)}
    assert sorted(read) == ["ada", "ben"]
    assert read["ada"].error is None and sorted(read["ada"].sources) == sorted(module_names())
