"""Writing to the gradebook: gradings, overrides and extensions, each in one transaction.

Nothing is ever updated or deleted. Recording a grading of an attempt
first compares it with the current grading of that student and
assignment:

* the same attempt, the same results (what the grade depends on: scores,
  statuses and feedback of every test, grader version, seed, rubric) and
  the same figures: nothing is written (a rerun, a resumed batch);
* otherwise a new row is added, linked to the one it follows, with why:
  ``first``, ``new_attempt`` (a newer hand-in), ``regrade`` (the same
  hand-in, different results: a new grader, seed or rubric, or a fixed
  hidden test) or ``rescore`` (the same results, a different score: an
  extension, a new late policy, new points). The reason says what
  changed, followed by the person's own words when given.

A process killed at any moment leaves either the whole row with all its
tests or nothing (one transaction), so a rerun records exactly what is
missing. Two graders recording the same hand-in at once is also safe: the
attempt row is inserted under a savepoint and looked up again if the
other one won.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nngrade.course.attempts import Attempt
from nngrade.course.config import Assignment
from nngrade.course.late import LateOutcome, LatePolicy, apply_late_policy
from nngrade.gradebook.database import Gradebook, GradebookError
from nngrade.gradebook.figures import Figures, number, test_tags
from nngrade.gradebook.models import AttemptRow, ExtensionRow, GradedTest, GradingRow, OverrideRow

__all__ = [
    "Recorded",
    "current_by",
    "grant_extension",
    "record_grading",
    "rescore",
    "results_digest",
    "set_override",
]

USER_ENV = "NNGRADE_USER"


@dataclass(frozen=True)
class Recorded:
    student: str
    assignment: str
    grading_id: int
    kind: str  # first | new_attempt | regrade | rescore | unchanged
    reason: str

    @property
    def changed(self) -> bool:
        return self.kind != "unchanged"


def current_by() -> str:
    """Who is recording: $NNGRADE_USER, else the login name."""
    name = os.environ.get(USER_ENV, "").strip()
    if name:
        return name[:100]
    try:
        return getpass.getuser()[:100]
    except (KeyError, OSError):  # no passwd entry in a container
        return "unknown"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _what_counts(results: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a results document that a grade depends on (no times, paths or machine)."""
    info = results.get("nngrade") if isinstance(results.get("nngrade"), Mapping) else {}
    assert isinstance(info, Mapping)
    tests = []
    for test in results.get("tests") or []:
        if not isinstance(test, Mapping):
            continue
        extra = test.get("extra_data") if isinstance(test.get("extra_data"), Mapping) else {}
        assert isinstance(extra, Mapping)
        tests.append({
            "name": test.get("name"), "score": test.get("score"),
            "max_score": test.get("max_score"), "status": test.get("status"),
            "output": test.get("output"), "tags": test.get("tags"),
            "extra": {k: v for k, v in extra.items() if k not in ("seconds", "internal")},
        })
    return {
        "score": results.get("score"), "max_score": results.get("max_score"), "tests": tests,
        "grader_version": info.get("grader_version"), "seed": info.get("seed"),
        "rubric_sha256": info.get("rubric_sha256"), "content_sha256": info.get("content_sha256"),
        "modules": info.get("modules"), "error": info.get("error"),
    }


def results_digest(results: Mapping[str, Any]) -> str:
    text = json.dumps(_what_counts(results), sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _attempt_row(session: Session, student: str, assignment: str, attempt: Attempt,
                 now: dt.datetime) -> AttemptRow:
    query = select(AttemptRow).where(AttemptRow.student == student,
                                     AttemptRow.assignment == assignment,
                                     AttemptRow.digest == attempt.digest)
    row = session.scalars(query).first()
    if row is not None:
        return row
    row = AttemptRow(student=student, assignment=assignment, digest=attempt.digest,
                     received_at=attempt.received_at, reported_late=attempt.reported_late,
                     source_kind=attempt.source_kind, source_path=attempt.source_path[:4000],
                     first_seen_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another grader recorded the same hand-in a moment ago
        found = session.scalars(query).first()
        if found is None:
            raise
        return found
    return row


def _serialise(session: Session, student: str, assignment: str) -> None:
    """On a server, one recording of a (student, assignment) at a time, across machines.

    Two TAs grading the same assignment then see each other's rows instead
    of both recording a "first" grading. (SQLite transactions already
    start with BEGIN IMMEDIATE, which serialises every writer.)
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"{student}\0{assignment}".encode()).digest()[:8],
                         "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def latest_grading(session: Session, student: str, assignment: str) -> GradingRow | None:
    return session.scalars(
        select(GradingRow).where(GradingRow.student == student,
                                 GradingRow.assignment == assignment)
        .order_by(GradingRow.id.desc()).limit(1)).first()


def _same_figures(row: GradingRow, figures: Figures, due: dt.datetime) -> bool:
    return (row.status == figures.status and row.points == figures.points
            and row.score_before_late == figures.score_before_late
            and row.penalty_points == figures.penalty_points
            and row.score_after_late == figures.score_after_late
            and row.due_at == due)


def _why(previous: GradingRow | None, attempt_row: AttemptRow, results: Mapping[str, Any],
         figures: Figures, digest: str, due: dt.datetime,
         previous_attempt: AttemptRow | None = None) -> tuple[str, str]:
    """(kind, what changed) of a new grading against the previous one."""
    if previous is None:
        return "first", "first grading"
    if previous.attempt_id != attempt_row.id:
        when = attempt_row.received_at
        stamp = f" received {when.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC" if when else ""
        before = previous_attempt.received_at if previous_attempt is not None else None
        which = "another" if when is not None and before is not None and when < before \
            else "newer"
        return "new_attempt", f"{which} hand-in{stamp} ({attempt_row.digest[:12]})"
    info = results.get("nngrade") if isinstance(results.get("nngrade"), Mapping) else {}
    assert isinstance(info, Mapping)
    if previous.results_digest != digest:
        parts = []
        version = str(info.get("grader_version", ""))
        if version != previous.grader_version:
            parts.append(f"grader {previous.grader_version} -> {version}")
        seed = info.get("seed")
        if seed != previous.seed:
            parts.append(f"seed {previous.seed} -> {seed}")
        if str(info.get("rubric_sha256", "")) != previous.rubric_sha256:
            parts.append("rubric changed")
        if not parts:
            parts.append("hidden test results changed")
        return "regrade", "; ".join(parts)
    parts = []
    if due != previous.due_at:
        parts.append(f"due date {previous.due_at:%Y-%m-%d %H:%M} -> {due:%Y-%m-%d %H:%M} UTC")
    if figures.points != previous.points:
        parts.append(f"points {previous.points:g} -> {figures.points:g}")
    if figures.penalty_points != previous.penalty_points and due == previous.due_at:
        parts.append("late policy changed")
    if figures.status != previous.status and not parts:
        parts.append(f"status {previous.status} -> {figures.status}")
    return "rescore", "; ".join(parts) or "score worked out again"


def _tests(grading_id: int, results: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for position, test in enumerate(results.get("tests") or []):
        if not isinstance(test, Mapping):
            continue
        module, name = test_tags(test)
        extra = test.get("extra_data") if isinstance(test.get("extra_data"), Mapping) else {}
        assert isinstance(extra, Mapping)
        rows.append({
            "grading_id": grading_id, "position": position,
            "name": str(test.get("name", ""))[:2000], "module": module[:64],
            "contract_name": name[:64], "score": number(test.get("score")),
            "max_score": number(test.get("max_score")),
            "status": str(test.get("status", ""))[:16], "kind": str(extra.get("kind", ""))[:24]})
    return rows


def _add_tests(session: Session, rows: list[dict[str, Any]]) -> None:
    """All of a grading's tests in one statement (they are never read back as objects here)."""
    if rows:
        session.execute(insert(GradedTest), rows)


def record_grading(gb: Gradebook, *, student: str, assignment: Assignment, attempt: Attempt,
                   results: Mapping[str, Any], figures: Figures, due: dt.datetime,
                   reason: str | None = None, by: str | None = None,
                   now: dt.datetime | None = None) -> Recorded:
    """Record one graded attempt (see the module doc); one transaction."""
    now = now or _now()
    by = by or current_by()
    digest = results_digest(results)
    info = results.get("nngrade") if isinstance(results.get("nngrade"), Mapping) else {}
    assert isinstance(info, Mapping)
    seed = info.get("seed")
    with gb.transaction() as session:
        _serialise(session, student, assignment.name)
        attempt_row = _attempt_row(session, student, assignment.name, attempt, now)
        previous = latest_grading(session, student, assignment.name)
        if (previous is not None and previous.attempt_id == attempt_row.id
                and previous.results_digest == digest and _same_figures(previous, figures, due)):
            return Recorded(student, assignment.name, previous.id, "unchanged", previous.reason)
        previous_attempt = session.get(AttemptRow, previous.attempt_id) if previous else None
        kind, what = _why(previous, attempt_row, results, figures, digest, due, previous_attempt)
        text = f"{what}; {reason.strip()}" if reason and reason.strip() else what
        row = GradingRow(
            attempt_id=attempt_row.id, previous_id=previous.id if previous else None,
            student=student, assignment=assignment.name, kind=kind, reason=text,
            recorded_at=now, recorded_by=by[:100],
            grader_version=str(info.get("grader_version", ""))[:32],
            seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
            rubric_sha256=str(info.get("rubric_sha256", ""))[:64], results_digest=digest,
            results_json=json.dumps(results, ensure_ascii=False, sort_keys=False),
            status=figures.status, raw_score=figures.raw_score, raw_max=figures.raw_max,
            points=figures.points, score_before_late=figures.score_before_late, due_at=due,
            late_seconds=figures.late.late_seconds, late_days=figures.late.days_charged,
            penalty_percent=figures.late.penalty_percent, penalty_points=figures.penalty_points,
            score_after_late=figures.score_after_late)
        session.add(row)
        session.flush()
        _add_tests(session, _tests(row.id, results))
        return Recorded(student, assignment.name, row.id, kind, text)


def rescore(gb: Gradebook, *, student: str, assignment: Assignment, due: dt.datetime,
            policy: LatePolicy, reason: str, by: str | None = None,
            now: dt.datetime | None = None) -> Recorded | None:
    """Work the current grading's score out again for a new due date (same results).

    Returns None when the student has no grading yet for the assignment.
    """
    now = now or _now()
    by = by or current_by()
    with gb.transaction() as session:
        _serialise(session, student, assignment.name)
        previous = latest_grading(session, student, assignment.name)
        if previous is None:
            return None
        attempt_row = session.get(AttemptRow, previous.attempt_id)
        assert attempt_row is not None
        late = apply_late_policy(policy, due, attempt_row.received_at,
                                 reported_late=attempt_row.reported_late)
        figures = _refigure(previous, late)
        if _same_figures(previous, figures, due):
            return Recorded(student, assignment.name, previous.id, "unchanged", previous.reason)
        _, what = _why(previous, attempt_row, {"nngrade": {}}, figures, previous.results_digest,
                       due)
        text = f"{what}; {reason.strip()}" if reason.strip() else what
        row = GradingRow(
            attempt_id=previous.attempt_id, previous_id=previous.id, student=student,
            assignment=assignment.name, kind="rescore", reason=text, recorded_at=now,
            recorded_by=by[:100], grader_version=previous.grader_version, seed=previous.seed,
            rubric_sha256=previous.rubric_sha256, results_digest=previous.results_digest,
            results_json=previous.results_json, status=figures.status,
            raw_score=figures.raw_score, raw_max=figures.raw_max, points=figures.points,
            score_before_late=figures.score_before_late, due_at=due,
            late_seconds=late.late_seconds, late_days=late.days_charged,
            penalty_percent=late.penalty_percent, penalty_points=figures.penalty_points,
            score_after_late=figures.score_after_late)
        session.add(row)
        session.flush()
        old_tests = session.scalars(select(GradedTest).where(GradedTest.grading_id == previous.id)
                                    .order_by(GradedTest.position)).all()
        _add_tests(session, [{"grading_id": row.id, "position": t.position, "name": t.name,
                              "module": t.module, "contract_name": t.contract_name,
                              "score": t.score, "max_score": t.max_score, "status": t.status,
                              "kind": t.kind} for t in old_tests])
        return Recorded(student, assignment.name, row.id, "rescore", text)


def _refigure(previous: GradingRow, late: LateOutcome) -> Figures:
    before = previous.score_before_late
    status = previous.status
    if status == "not_accepted" and late.accepted:
        status = "ungradeable" if json.loads(previous.results_json).get(
            "nngrade", {}).get("error") else "graded"
    elif not late.accepted:
        status = "not_accepted"
    penalty = round(late.penalty_points(before, previous.points) + 0.0, 4)
    return Figures(status, previous.raw_score, previous.raw_max, previous.points, before, late,
                   penalty, round(max(0.0, before - penalty) + 0.0, 4))


def set_override(gb: Gradebook, *, student: str, assignment: str, points: float | None,
                 reason: str, by: str | None = None,
                 now: dt.datetime | None = None) -> OverrideRow:
    """Record an override (``points=None`` withdraws the standing one); reasons are required."""
    if not reason or not reason.strip():
        raise GradebookError("an override needs a reason (--reason TEXT): it is shown to the "
                             "student and kept for good")
    if points is not None and (not isinstance(points, (int, float)) or points < 0
                               or points != points):
        raise GradebookError(f"override points must be a number >= 0, not {points!r}")
    row = OverrideRow(student=student, assignment=assignment, points=points,
                      reason=reason.strip(), created_by=(by or current_by())[:100],
                      created_at=now or _now())
    with gb.transaction() as session:
        session.add(row)
    return row


def grant_extension(gb: Gradebook, *, student: str, assignment: str, due: dt.datetime,
                    reason: str, by: str | None = None,
                    now: dt.datetime | None = None) -> ExtensionRow:
    """Record an extension of ``student``'s due date for ``assignment``."""
    if due.tzinfo is None:
        raise GradebookError("an extension's due date needs a time zone")
    row = ExtensionRow(student=student, assignment=assignment, due=due,
                       reason=(reason or "").strip(), created_by=(by or current_by())[:100],
                       created_at=now or _now())
    with gb.transaction() as session:
        session.add(row)
    return row
