"""The gradebook database on a real SQLite file and a real PostgreSQL server.

Schema: the migrations build exactly the tables the code declares, the
schema version is recorded, a populated gradebook is upgraded in place,
and a gradebook from a newer nngrade is refused.

Recording: nothing is overwritten, a rerun records nothing, regrades,
newer hand-ins and extensions add rows with their reasons, overrides
survive regrades.

Failures: a process killed at every single statement of a regrade leaves
the gradebook consistent, and a rerun completes it; two TAs recording
different assignments (and the same one) at once on the server both land.
"""

# ruff: noqa: F811 - fixtures imported from gradebook_fixtures are used as arguments
from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from gradebook_fixtures import (  # noqa: F401 - fixtures
    PostgresCluster,
    gradebook_url,
    make_course,
    pg_url,
    postgres,
    results_doc,
)
from sqlalchemy import create_engine, func, select, text

from nngrade.course.attempts import Attempt
from nngrade.course.config import load_course
from nngrade.course.late import LateOutcome, apply_late_policy
from nngrade.gradebook.database import (
    MIGRATIONS,
    VERSION_TABLE,
    GradebookError,
    normalize_url,
    open_gradebook,
    schema_head,
)
from nngrade.gradebook.diff import gradebook_diff
from nngrade.gradebook.figures import assignment_figures
from nngrade.gradebook.models import AttemptRow, Base, GradedTest, GradingRow
from nngrade.gradebook.record import grant_extension, record_grading, rescore, set_override
from nngrade.gradebook.state import course_state, history
from nngrade.rubric import load_rubric

UTC = dt.timezone.utc
ON_TIME = LateOutcome(False, 0.0, 0.0, 0.0, True)


def attempt(student: str, digest: str = "d1", when: dt.datetime | None = None) -> Attempt:
    return Attempt(student, digest * (64 // len(digest)), when or dt.datetime(2026, 9, 27, 12,
                   tzinfo=UTC), "inbox", f"inbox/{student}/{digest}.zip")


@pytest.fixture
def course(tmp_path: Path):
    return load_course(make_course(tmp_path / "course"))


def record(gb, course, student: str, doc: dict, *, digest: str = "d1", late=ON_TIME,
           reason: str | None = None, due: dt.datetime | None = None,
           when: dt.datetime | None = None):
    a1 = course.assignment("a1")
    figures = assignment_figures(doc, a1, load_rubric(), late)
    return record_grading(gb, student=student, assignment=a1, attempt=attempt(student, digest,
                          when), results=doc, figures=figures, due=due or a1.due, reason=reason,
                          by="ta-wang")


# ------------------------------------------------------------------ schema


def test_migrations_build_exactly_the_declared_tables(gradebook_url: str) -> None:
    gb = open_gradebook(gradebook_url)
    try:
        with gb.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE,
                                                             "compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == \
                schema_head()
    finally:
        gb.close()
    open_gradebook(gradebook_url).close()  # opening again changes nothing


EXTRA_REVISION = '''
"""A later schema: a note on each graded test.

Revision ID: 9001
Revises: {head}
"""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("graded_tests") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.execute("UPDATE graded_tests SET note = 'kept'")
'''


def test_a_populated_gradebook_is_upgraded_in_place(gradebook_url: str, course,
                                                     tmp_path: Path) -> None:
    gb = open_gradebook(gradebook_url)
    record(gb, course, "ada", results_doc("ada"))
    record(gb, course, "ben", results_doc("ben", passed={"activations.sigmoid": False}))
    gb.close()
    later = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, later)
    (later / "versions" / "9001_note.py").write_text(EXTRA_REVISION.format(head=schema_head()))
    gb = open_gradebook(gradebook_url, script_location=later)
    try:
        with gb.engine.connect() as conn:
            assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == \
                "9001"
            notes = conn.execute(text("SELECT DISTINCT note FROM graded_tests")).scalars().all()
            assert notes == ["kept"]
        state = course_state(gb, course)
        assert state.cell("ada", "a1").final == 22.0
        assert state.cell("ben", "a1").final == 20.0
    finally:
        gb.close()


def test_a_gradebook_from_a_newer_nngrade_is_refused(gradebook_url: str) -> None:
    open_gradebook(gradebook_url).close()
    engine = create_engine(normalize_url(gradebook_url))
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'fe11e'"))
    engine.dispose()
    with pytest.raises(GradebookError, match="written by a newer nngrade"):
        open_gradebook(gradebook_url)


def test_sqlite_is_durable_and_serialised(tmp_path: Path) -> None:
    gb = open_gradebook(f"sqlite:///{tmp_path / 'g.sqlite'}")
    with gb.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    gb.close()


def test_a_missing_gradebook_is_not_created_by_a_reader(tmp_path: Path) -> None:
    with pytest.raises(GradebookError, match="grade an assignment first"):
        open_gradebook(f"sqlite:///{tmp_path / 'none.sqlite'}", create=False)
    assert not (tmp_path / "none.sqlite").exists()


# ------------------------------------------------------------------ recording


def counts(gb) -> tuple[int, int, int]:
    with gb.reading() as session:
        return (session.scalar(select(func.count()).select_from(AttemptRow)),
                session.scalar(select(func.count()).select_from(GradingRow)),
                session.scalar(select(func.count()).select_from(GradedTest)))


def test_nothing_is_overwritten_and_every_change_has_a_reason(gradebook_url: str,
                                                               course) -> None:
    gb = open_gradebook(gradebook_url)
    try:
        first = record(gb, course, "ada", results_doc("ada", passed={"perceptron.xor": False}))
        assert first.kind == "first"
        n_tests = len(results_doc("ada")["tests"])
        assert counts(gb) == (1, 1, n_tests)

        again = record(gb, course, "ada", results_doc("ada", passed={"perceptron.xor": False}))
        assert again.kind == "unchanged" and counts(gb) == (1, 1, n_tests)

        doc = results_doc("ada", passed={"perceptron.xor": False})
        doc["execution_time"] = 9.9  # times and paths do not make a regrade
        doc["nngrade"]["graded_at"] = "2026-12-01T00:00:00Z"
        doc["nngrade"]["source"] = {"path": "/elsewhere/ada.zip"}
        assert record(gb, course, "ada", doc).kind == "unchanged"

        regrade = record(gb, course, "ada", results_doc("ada", seed=2),
                         reason="hidden test of xor fixed")
        assert regrade.kind == "regrade"
        assert regrade.reason == "seed 1 -> 2; hidden test of xor fixed"
        fixed = record(gb, course, "ada", results_doc("ada", seed=2, version="0.2.0",
                                                      passed={"activations.tanh": False}))
        assert fixed.reason == "grader 0.1.0 -> 0.2.0"
        same_key = record(gb, course, "ada", results_doc("ada", seed=2, version="0.2.0"))
        assert same_key.reason == "hidden test results changed"

        newer = record(gb, course, "ada", results_doc("ada", seed=2, version="0.2.0"),
                       digest="d2", when=dt.datetime(2026, 9, 27, 20, tzinfo=UTC))
        assert newer.kind == "new_attempt"
        assert newer.reason.startswith("newer hand-in received 2026-09-27 20:00 UTC")
        assert counts(gb)[:2] == (2, 5)

        gradings, _, _ = history(gb, "ada", "a1")
        assert [g.kind for g in gradings] == ["first", "regrade", "regrade", "regrade",
                                              "new_attempt"]
        assert [g.previous_id for g in gradings] == [None, *[g.id for g in gradings[:-1]]]
        assert [g.score_after_late for g in gradings] == [19.0, 22.0, 21.0, 22.0, 22.0]
        assert all(g.recorded_by == "ta-wang" for g in gradings)
        assert json.loads(gradings[0].results_json)["nngrade"]["seed"] == 1
    finally:
        gb.close()


def test_late_policy_and_ungradeable_figures(gradebook_url: str, course) -> None:
    gb = open_gradebook(gradebook_url)
    try:
        a1 = course.assignment("a1")
        late = apply_late_policy(a1.late_policy, a1.due, a1.due + dt.timedelta(days=1, hours=2))
        record(gb, course, "ben", results_doc("ben"), late=late)
        record(gb, course, "chen", results_doc("chen", error="the hand-in is empty"))
        state = course_state(gb, course)
        ben = state.cell("ben", "a1").grading
        assert (ben.score_before_late, ben.penalty_percent, ben.penalty_points,
                ben.score_after_late, ben.late_days) == (22.0, 20.0, 4.4, 17.6, 2.0)
        chen = state.cell("chen", "a1").grading
        assert (chen.status, chen.score_after_late, chen.raw_max) == ("ungradeable", 0.0, 17.6)
        assert state.cell("ben", "a1").marks() == ["late"]
    finally:
        gb.close()


def test_names_assignment_adds_up_tagged_tests_and_scales_to_its_points(course) -> None:
    a2 = course.assignment("a2")  # mse (2.4) + softmax (3.2) + cross_entropy (3.2), 10 points
    doc = results_doc("ada", passed={"losses.softmax": False, "losses.one_hot": False})
    figures = assignment_figures(doc, a2, load_rubric(), ON_TIME)
    assert (figures.raw_score, figures.raw_max, figures.points) == (5.6, 8.8, 10.0)
    assert figures.score_before_late == round(5.6 / 8.8 * 10.0, 4)


def test_overrides_and_extensions_survive_regrades(gradebook_url: str, course) -> None:
    gb = open_gradebook(gradebook_url)
    try:
        a1 = course.assignment("a1")
        handed_in = a1.due + dt.timedelta(hours=30)  # two started days late
        late = apply_late_policy(a1.late_policy, a1.due, handed_in)
        record(gb, course, "ada", results_doc("ada", passed={"perceptron.xor": False}),
               late=late, when=handed_in)
        assert course_state(gb, course).cell("ada", "a1").final == 14.6  # 19 - 20% of 22

        set_override(gb, student="ada", assignment="a1", points=21.0,
                     reason="xor test misread a correct answer", by="prof-li")
        record(gb, course, "ada", results_doc("ada", seed=3), late=late, when=handed_in)
        cell = course_state(gb, course).cell("ada", "a1")
        assert cell.final == 21.0 and cell.automatic == 17.6
        assert cell.override.created_by == "prof-li"
        assert set(cell.marks()) == {"late", "override", "regraded"}

        new_due = a1.due + dt.timedelta(days=2)
        grant_extension(gb, student="ada", assignment="a1", due=new_due, reason="illness",
                        by="prof-li")
        done = rescore(gb, student="ada", assignment=a1, due=new_due, policy=a1.late_policy,
                       reason="extension: illness", by="prof-li")
        assert done.kind == "rescore" and "due date" in done.reason and "illness" in done.reason
        cell = course_state(gb, course).cell("ada", "a1")
        assert cell.automatic == 22.0 and cell.final == 21.0 and cell.extended
        assert rescore(gb, student="ada", assignment=a1, due=new_due, policy=a1.late_policy,
                       reason="again").kind == "unchanged"

        set_override(gb, student="ada", assignment="a1", points=None, reason="withdrawn")
        assert course_state(gb, course).cell("ada", "a1").final == 22.0
        gradings, overrides, extensions = history(gb, "ada", "a1")
        assert len(gradings) == 3 and len(overrides) == 2 and len(extensions) == 1
        with pytest.raises(GradebookError, match="needs a reason"):
            set_override(gb, student="ada", assignment="a1", points=1.0, reason="  ")
    finally:
        gb.close()


def test_diff_is_test_by_test(gradebook_url: str, course) -> None:
    gb = open_gradebook(gradebook_url)
    try:
        record(gb, course, "ada", results_doc("ada", passed={"activations.tanh": False}))
        record(gb, course, "ben", results_doc("ben"))
        record(gb, course, "chen", results_doc("chen"))
        moment = dt.datetime.now(UTC)
        time.sleep(0.01)
        record(gb, course, "ada", results_doc("ada", seed=2, passed={"perceptron.xor": False}))
        record(gb, course, "ben", results_doc("ben", seed=2))  # same scores, new seed
        diffs = gradebook_diff(gb, assignment="a1")
        assert [(d.student, d.delta) for d in diffs] == [("ada", -2.0)]
        changes = {c.name: (c.old_score, c.new_score, c.new_status) for c in diffs[0].tests}
        # the tests' own (rubric) points; the delta above is in the assignment's 22 points
        assert changes == {"activations.tanh: matches the reference": (0.0, 0.8, "passed"),
                           "perceptron.xor: matches the reference": (2.4, 0.0, "failed")}
        assert [d.student for d in gradebook_diff(gb, since=moment)] == ["ada"]
        assert gradebook_diff(gb, student="chen") == []
    finally:
        gb.close()


# ------------------------------------------------------------------ killed at every statement

CHILD = textwrap.dedent('''
    import json, os, signal, sys, datetime as dt
    from sqlalchemy import event
    from nngrade.course.attempts import Attempt
    from nngrade.course.config import load_course
    from nngrade.course.late import LateOutcome
    from nngrade.gradebook.database import open_gradebook
    from nngrade.gradebook.figures import assignment_figures
    from nngrade.gradebook.record import record_grading
    from nngrade.rubric import load_rubric

    url, course_file, doc_file, kill_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    course = load_course(course_file)
    a1 = course.assignment("a1")
    doc = json.load(open(doc_file))
    gb = open_gradebook(url)
    statements = [0]

    @event.listens_for(gb.engine, "before_cursor_execute")
    def count(*args):
        statements[0] += 1
        if statements[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    attempt = Attempt("ada", "e" * 64, dt.datetime(2026, 9, 27, 20, tzinfo=dt.timezone.utc),
                      "inbox", "inbox/ada/2.zip")
    figures = assignment_figures(doc, a1, load_rubric(), LateOutcome(False, 0.0, 0.0, 0.0, True))
    done = record_grading(gb, student="ada", assignment=a1, attempt=attempt, results=doc,
                          figures=figures, due=a1.due, reason="regrade", by="child")
    print(json.dumps({"statements": statements[0], "kind": done.kind}))
''')


def consistent(url: str) -> tuple[int, int]:
    """Check the gradebook's invariants; return (attempts, gradings)."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            gradings = conn.execute(text("SELECT id, attempt_id, results_json FROM gradings")).all()
            for gid, _, results in gradings:
                n = conn.execute(text("SELECT count(*) FROM graded_tests WHERE grading_id = :g"),
                                 {"g": gid}).scalar()
                assert n == len(json.loads(results)["tests"]), f"grading {gid} is incomplete"
            attempts = conn.execute(text("SELECT id FROM attempts")).scalars().all()
            graded = {a for _, a, _ in gradings}
            assert set(attempts) == graded, "an attempt without its grading"
            return len(attempts), len(gradings)
    finally:
        engine.dispose()


def run_child(tmp_path: Path, url: str, course_file: Path, kill_at: int
              ) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps(results_doc("ada", seed=2, passed={"perceptron.xor": False})))
    return subprocess.run([sys.executable, str(script), url, str(course_file), str(doc),
                           str(kill_at)], capture_output=True, text=True, timeout=120)


def test_a_regrade_killed_at_any_statement_leaves_the_gradebook_consistent(
        tmp_path: Path, request: pytest.FixtureRequest, backend: str) -> None:
    course_file = make_course(tmp_path / "course")
    course = load_course(course_file)
    if backend == "sqlite":
        base = tmp_path / "base.sqlite"
        base_url = f"sqlite:///{base}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        base_name = cluster.create_database()
        base_url = cluster.url(base_name)
    gb = open_gradebook(base_url)
    record(gb, course, "ada", results_doc("ada"))
    gb.close()

    def fresh(n: int) -> str:
        if backend == "sqlite":
            copy = tmp_path / f"case{n}.sqlite"
            shutil.copyfile(base, copy)
            return f"sqlite:///{copy}"
        import psycopg

        name = f"{base_name}_k{n}"
        with psycopg.connect(f"host={cluster.socket_dir} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base_name}"')
        return cluster.url(name)

    clean = run_child(tmp_path, fresh(0), course_file, 0)
    assert clean.returncode == 0, clean.stderr
    total = json.loads(clean.stdout.splitlines()[-1])["statements"]
    assert total >= 5  # version check, lock/begin, attempt, grading, tests...
    outcomes = set()
    for n in range(1, total + 1):
        url = fresh(n)
        killed = run_child(tmp_path, url, course_file, n)
        assert killed.returncode == -signal.SIGKILL, (n, killed.stdout, killed.stderr)
        outcomes.add(consistent(url))
        rerun = run_child(tmp_path, url, course_file, 0)
        assert rerun.returncode == 0, rerun.stderr
        assert consistent(url) == (2, 2), f"killed at statement {n}: the rerun did not complete"
        assert json.loads(rerun.stdout.splitlines()[-1])["kind"] in ("new_attempt", "unchanged")
    assert outcomes == {(1, 1)}, "a killed transaction must leave nothing of itself"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ------------------------------------------------------------------ two TAs at once

TA = textwrap.dedent('''
    import json, sys, time, datetime as dt
    from nngrade.course.attempts import Attempt
    from nngrade.course.config import load_course
    from nngrade.course.late import LateOutcome
    from nngrade.gradebook.database import open_gradebook
    from nngrade.gradebook.figures import assignment_figures
    from nngrade.gradebook.record import record_grading
    from nngrade.rubric import load_rubric

    url, course_file, assignment, docs_file, start = sys.argv[1:6]
    course = load_course(course_file)
    target = course.assignment(assignment)
    docs = json.load(open(docs_file))
    gb = open_gradebook(url)
    while time.time() < float(start):
        time.sleep(0.005)
    kinds = []
    for student, doc in docs.items():
        attempt = Attempt(student, (student * 64)[:64], None, "inbox", student)
        figures = assignment_figures(doc, target, load_rubric(),
                                     LateOutcome(False, 0.0, 0.0, 0.0, True))
        kinds.append(record_grading(gb, student=student, assignment=target, attempt=attempt,
                                    results=doc, figures=figures, due=target.due,
                                    by=assignment).kind)
    print(json.dumps(kinds))
''')


def test_two_tas_grading_at_once_on_the_server_both_land(tmp_path: Path, pg_url: str) -> None:
    course_file = make_course(tmp_path / "course", gradebook=pg_url)
    open_gradebook(pg_url).close()
    students = [f"s{i:03d}" for i in range(40)]
    docs = {s: results_doc(s, passed={"activations.relu": i % 2 == 0, "losses.mse": i % 3 == 0})
            for i, s in enumerate(students)}
    (tmp_path / "docs.json").write_text(json.dumps(docs))
    (tmp_path / "ta.py").write_text(TA)
    start = str(time.time() + 3.0)

    def ta(assignment: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, str(tmp_path / "ta.py"), pg_url,
                                 str(course_file), assignment, str(tmp_path / "docs.json"),
                                 start], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    tas = [ta("a1"), ta("a2"), ta("a1")]  # two on different assignments, a third racing one
    outputs = [p.communicate(timeout=240) for p in tas]
    for proc, (_, err) in zip(tas, outputs, strict=True):
        assert proc.returncode == 0, err
    first_a1, a2, second_a1 = (json.loads(out.splitlines()[-1]) for out, _ in outputs)
    assert a2 == ["first"] * 40
    assert sorted(first_a1 + second_a1) == ["first"] * 40 + ["unchanged"] * 40
    gb = open_gradebook(pg_url)
    try:
        assert counts(gb)[:2] == (80, 80)
        with gb.reading() as session:
            by = dict(session.execute(select(GradingRow.assignment, func.count())
                                      .group_by(GradingRow.assignment)).all())
        assert by == {"a1": 40, "a2": 40}
    finally:
        gb.close()
    assert consistent(pg_url) == (80, 80)


def test_sqlite_writers_wait_for_each_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    course_file = make_course(tmp_path / "course", gradebook=str(tmp_path / "g.sqlite"))
    open_gradebook(url).close()
    docs = {f"s{i:03d}": results_doc(f"s{i:03d}") for i in range(15)}
    (tmp_path / "docs.json").write_text(json.dumps(docs))
    (tmp_path / "ta.py").write_text(TA)
    start = str(time.time() + 2.0)
    tas = [subprocess.Popen([sys.executable, str(tmp_path / "ta.py"), url, str(course_file), a,
                             str(tmp_path / "docs.json"), start], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True) for a in ("a1", "a2")]
    for p in tas:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    assert consistent(url) == (30, 30)



def test_late_marks_follow_what_was_charged_or_reported(gradebook_url: str, course) -> None:
    gb = open_gradebook(gradebook_url)
    try:
        a1 = course.assignment("a1")
        in_grace = a1.due + dt.timedelta(minutes=10)
        record(gb, course, "ada", results_doc("ada"),
               late=apply_late_policy(a1.late_policy, a1.due, in_grace), when=in_grace)
        figures = assignment_figures(results_doc("ben"), a1, load_rubric(),
                                     apply_late_policy(a1.late_policy, a1.due, None,
                                                       reported_late=True))
        record_grading(gb, student="ben", assignment=a1,
                       attempt=Attempt("ben", "f" * 64, None, "canvas", "canvas (user 41002)",
                                       reported_late=True),
                       results=results_doc("ben"), figures=figures, due=a1.due)
        state = course_state(gb, course)
        assert state.cell("ada", "a1").marks() == []  # within the grace period
        assert state.cell("ben", "a1").marks() == ["late"]  # Canvas said LATE, no time known
        assert state.cell("ben", "a1").final == 22.0  # ...and nothing was deducted
    finally:
        gb.close()
