"""The pool of grading processes (`nngrade.grade.pool`): no submission can stop the batch.

The grading process is replaced here by a stand-in that speaks the same
queue protocol (claim, done) and fails on purpose for chosen students: it
dies, hangs or cannot start. The real grading process is exercised end to
end by tests/test_batch.py and tests/test_attacks.py.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from nngrade.grade import pool
from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions
from nngrade.records import Submission
from nngrade.rubric import load_rubric


def _stand_in(tasks: Any, conn: Any, seed: int, limits: dict, rubric_path: str,
              cpu: int | None, replay: bool) -> None:
    """Grades everyone with 1 point, except: ``dies*`` kill the process, ``hangs`` never
    returns, ``flaky`` dies the first time only (a marker file says it happened)."""
    conn.send(("ready",))
    for submission in iter(tasks.get, None):
        if submission.student.startswith("dies"):
            os._exit(3)
        if submission.student == "hangs":
            time.sleep(600)
        if submission.student == "flaky":
            marker = submission.origin["marker"]
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(4)
        document = {"score": 1, "nngrade": {"student": submission.student, "seed": seed}}
        conn.send(("done", submission.student, json.dumps(document)))


def _cannot_start(tasks: Any, conn: Any, *args: Any) -> None:
    conn.send(("fatal", "Traceback: the sandbox cannot start"))
    raise SystemExit(1)


def _grade(students: list[Submission], **options: Any) -> dict[str, dict]:
    results = pool.grade_in_pool(students, seed=5, rubric=load_rubric(),
                                 options=BatchOptions(**options))
    return {r["nngrade"]["student"]: r for r in results}


def test_every_submission_comes_back_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_grading_process", _stand_in)
    got = _grade([Submission(f"s{i}") for i in range(7)], jobs=3)
    assert sorted(got) == [f"s{i}" for i in range(7)]
    assert all(r["score"] == 1 and r["nngrade"]["seed"] == 5 for r in got.values())


def test_a_process_that_dies_costs_one_retry(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Any) -> None:
    monkeypatch.setattr(pool, "_grading_process", _stand_in)
    flaky = Submission("flaky", origin={"marker": str(tmp_path / "died-once")})
    got = _grade([Submission("a"), flaky, Submission("b")], jobs=2)
    assert got["flaky"]["score"] == 1  # graded in a fresh process the second time
    assert got["a"]["score"] == got["b"]["score"] == 1


def test_a_submission_that_kills_its_process_twice_is_ungradeable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_grading_process", _stand_in)
    got = _grade([Submission("a"), Submission("dies", content_sha256="abc"), Submission("b")],
                 jobs=2)
    assert got["a"]["score"] == got["b"]["score"] == 1
    dead = got["dies"]
    assert dead["score"] == 0 and dead["max_score"] == 100
    assert "failed on this submission twice" in dead["nngrade"]["error"]
    assert "exited with code 3" in dead["nngrade"]["error"]
    assert dead["nngrade"]["content_sha256"] == "abc"


def test_a_process_that_hangs_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_grading_process", _stand_in)
    monkeypatch.setattr(pool, "_HANG_GRACE", 0.5)
    started = time.monotonic()
    got = _grade([Submission("hangs"), Submission("a")], jobs=2, submission_timeout=0.5)
    assert time.monotonic() - started < 30
    assert got["a"]["score"] == 1
    assert "no verdict after 1 s" in got["hangs"]["nngrade"]["error"]


def test_processes_that_cannot_start_stop_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_grading_process", _cannot_start)
    with pytest.raises(GraderError, match="could not start") as info:
        _grade([Submission("a"), Submission("b")], jobs=2)
    assert "the sandbox cannot start" in str(info.value)


def test_suites_that_do_not_collect_stop_the_batch_with_their_problems_only(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """An instructor's broken suite: the rule it breaks, once, not a traceback per process."""
    from nngrade.hidden import suite

    def refused(*_args: object, **_kwargs: object) -> list:
        raise suite.SuiteError("test_x.py:3: a bare assert; use an expectation")

    monkeypatch.setattr(suite, "collect", refused)
    with pytest.raises(GraderError, match="could not start") as info:
        _grade([Submission("a"), Submission("b")], jobs=2)
    assert "test_x.py:3: a bare assert" in str(info.value)
    assert "Traceback" not in str(info.value) and "Traceback" not in capfd.readouterr().err


def test_nothing_to_grade_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_grading_process", _cannot_start)
    assert _grade([], jobs=2) == {}
