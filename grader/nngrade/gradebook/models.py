"""The gradebook's tables: facts that are only ever added, never changed or deleted.

* ``attempts``: a hand-in of a student for an assignment, identified by the
  digest of what was handed in (one row per distinct hand-in).
* ``gradings``: one row each time an attempt was graded or its score was
  worked out again (a regrade, an extension, a new late policy). It keeps
  the whole results.json document, the grader version, seed and rubric
  hash it came from, the score before and after the late policy, and why
  it was recorded. The newest grading of a (student, assignment) is the
  current one; the older ones are its history.
* ``graded_tests``: the per-test results of a grading, as rows, so that a
  regrade can be compared test by test with a query.
* ``overrides`` and ``extensions``: what a person decided, with who, when
  and why. The newest override of a (student, assignment) stands (an
  override with no points withdraws the previous one), whatever regrades
  come after; extensions move the student's due date.

Times are stored as UTC and read back timezone-aware, on SQLite (which has
no time zones) as on PostgreSQL. Changing these classes needs a migration
in ``nngrade/gradebook/migrations/versions`` (``tests/test_gradebook_db.py``
fails when the two disagree).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = ["AttemptRow", "Base", "ExtensionRow", "GradedTest", "GradingRow", "OverrideRow",
           "UTCDateTime"]

# Constraint names are spelled out so that migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as naive UTC (so SQLite and PostgreSQL agree)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the gradebook stores timezone-aware times only")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AttemptRow(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("student", "assignment", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student: Mapped[str] = mapped_column(String(100))
    assignment: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the archive / the files
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_late: Mapped[bool] = mapped_column(Boolean, default=False)
    source_kind: Mapped[str] = mapped_column(String(16))  # inbox | canvas | moodle | folder
    source_path: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class GradingRow(Base):
    __tablename__ = "gradings"
    __table_args__ = (Index("ix_gradings_student_assignment", "student", "assignment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("gradings.id"))
    student: Mapped[str] = mapped_column(String(100))
    assignment: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # first | new_attempt | regrade | rescore
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    grader_version: Mapped[str] = mapped_column(String(32))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    rubric_sha256: Mapped[str] = mapped_column(String(64))
    results_digest: Mapped[str] = mapped_column(String(64))  # of what the grade depends on
    results_json: Mapped[str] = mapped_column(Text)  # the results.json document, as written
    status: Mapped[str] = mapped_column(String(24))  # graded | ungradeable | not_accepted
    raw_score: Mapped[float] = mapped_column(Float)
    raw_max: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float)
    score_before_late: Mapped[float] = mapped_column(Float)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    late_seconds: Mapped[float | None] = mapped_column(Float)
    late_days: Mapped[float] = mapped_column(Float)
    penalty_percent: Mapped[float] = mapped_column(Float)
    penalty_points: Mapped[float] = mapped_column(Float)
    score_after_late: Mapped[float] = mapped_column(Float)


class GradedTest(Base):
    __tablename__ = "graded_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grading_id: Mapped[int] = mapped_column(ForeignKey("gradings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    module: Mapped[str] = mapped_column(String(64))
    contract_name: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))


class OverrideRow(Base):
    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_student_assignment", "student", "assignment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student: Mapped[str] = mapped_column(String(100))
    assignment: Mapped[str] = mapped_column(String(64))
    points: Mapped[float | None] = mapped_column(Float)  # None: the previous one is withdrawn
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ExtensionRow(Base):
    __tablename__ = "extensions"
    __table_args__ = (Index("ix_extensions_student_assignment", "student", "assignment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student: Mapped[str] = mapped_column(String(100))
    assignment: Mapped[str] = mapped_column(String(64))
    due: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
