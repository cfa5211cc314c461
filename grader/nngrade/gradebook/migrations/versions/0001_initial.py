"""The first gradebook schema: attempts, gradings and their tests, overrides, extensions.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student", sa.String(length=100), nullable=False),
        sa.Column("assignment", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("reported_late", sa.Boolean(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
        sa.UniqueConstraint("student", "assignment", "digest",
                            name=op.f("uq_attempts_student_assignment_digest")),
    )
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student", sa.String(length=100), nullable=False),
        sa.Column("assignment", sa.String(length=64), nullable=False),
        sa.Column("due", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extensions")),
    )
    op.create_index("ix_extensions_student_assignment", "extensions",
                    ["student", "assignment"], unique=False)
    op.create_table(
        "overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student", sa.String(length=100), nullable=False),
        sa.Column("assignment", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overrides")),
    )
    op.create_index("ix_overrides_student_assignment", "overrides",
                    ["student", "assignment"], unique=False)
    op.create_table(
        "gradings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("student", sa.String(length=100), nullable=False),
        sa.Column("assignment", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("grader_version", sa.String(length=32), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("rubric_sha256", sa.String(length=64), nullable=False),
        sa.Column("results_digest", sa.String(length=64), nullable=False),
        sa.Column("results_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("raw_score", sa.Float(), nullable=False),
        sa.Column("raw_max", sa.Float(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("score_before_late", sa.Float(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("late_seconds", sa.Float(), nullable=True),
        sa.Column("late_days", sa.Float(), nullable=False),
        sa.Column("penalty_percent", sa.Float(), nullable=False),
        sa.Column("penalty_points", sa.Float(), nullable=False),
        sa.Column("score_after_late", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"],
                                name=op.f("fk_gradings_attempt_id_attempts")),
        sa.ForeignKeyConstraint(["previous_id"], ["gradings.id"],
                                name=op.f("fk_gradings_previous_id_gradings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gradings")),
    )
    op.create_index("ix_gradings_student_assignment", "gradings",
                    ["student", "assignment"], unique=False)
    op.create_table(
        "graded_tests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grading_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("module", sa.String(length=64), nullable=False),
        sa.Column("contract_name", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["grading_id"], ["gradings.id"],
                                name=op.f("fk_graded_tests_grading_id_gradings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graded_tests")),
    )
    op.create_index(op.f("ix_graded_tests_grading_id"), "graded_tests", ["grading_id"],
                    unique=False)


def downgrade() -> None:
    raise NotImplementedError("the gradebook never goes back: restore a backup instead")
