"""Shared fixtures of the semester tests: small courses, results documents, real databases.

Test modules import what they use (``from gradebook_fixtures import ...``);
pytest picks fixtures up from a module's names.

* ``make_course(folder, ...)`` writes a course folder (nngrade.toml and a
  roster) the way an instructor would.
* ``results_doc(student, passed=...)`` builds a results.json document in
  the documented schema (docs/architecture.md, "Results"), for the
  database tests that are about storing grades, not computing them; the
  end-to-end tests run the real grader instead.
* ``postgres`` starts a throw-away PostgreSQL cluster for the test session
  (initdb and pg_ctl in a temporary folder, listening only on a unix
  socket there; as root, the server runs as the ``postgres`` user), and
  ``gradebook_url`` gives each test a fresh database on SQLite and on
  PostgreSQL. Without PostgreSQL's binaries (scripts/install-postgresql.sh
  installs them) or the psycopg driver, the PostgreSQL cases are skipped
  and say why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import textwrap
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nngrade.contract import MODULES
from nngrade.rubric import load_rubric

REPO = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parent / "gradebook_samples"

ROSTER = """\
id,name,first_name,last_name,email,section,canvas_id,sis_user_id,sis_login_id,username
ada,Ada Lovelace,Ada,Lovelace,ada@example.edu,01,41001,2026010001,ada,ada
ben,Ben Carter,Ben,Carter,ben@example.edu,01,41002,2026010002,ben,ben
chen,陈晨,晨,陈,chen@example.edu,02,41003,2026010003,chen,chen
"""


# The test course's a1, as every gradebook test knows it (dates in UTC).
A1 = """
[[assignments]]
name = "a1"
title = "Perceptron and activations"
modules = ["perceptron", "activations"]
opens = 2026-09-07T08:00:00Z
due = 2026-09-27T23:59:00Z
"""

# a1 read from a folder of hand-ins (``hand_ins``, filled in with str.format), as a
# course's `downloads` do: the end-to-end tests of `nngrade grade/similarity --assignment`.
A1_FROM_FOLDER = A1 + """\
downloads = [{{ path = "{hand_ins}", format = "folder", received = 2026-09-27T20:00:00Z }}]
"""


def make_course(folder: Path, *, assignments: str | None = None, roster: str = ROSTER,
                course_extra: str = "", extra: str = "", gradebook: str | None = None
                ) -> Path:
    """A course folder: nngrade.toml (two assignments unless given) and roster.csv.

    The default a1 is worth 22 points although its modules carry 17.6 in the
    rubric, so every gradebook test also goes through the scaling of an
    assignment's share of the results to its points (1.25 here).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text(roster, encoding="utf-8")
    (folder / "inbox").mkdir(exist_ok=True)
    if assignments is None:
        assignments = A1 + """\
points = 22
lms = { canvas = 90101, blackboard = "1344236", moodle = "A1" }

[[assignments]]
name = "a2"
title = "Losses"
names = ["losses.mse", "losses.softmax", "losses.cross_entropy"]
opens = 2026-09-28T08:00:00Z
due = 2026-10-18T23:59:00Z
points = 10
lms = { canvas = 90102, blackboard = "1344237", moodle = "A2" }
"""
    db = gradebook or str(folder / "gradebook.sqlite")
    text = textwrap.dedent(f"""\
        [course]
        name = "Test course"
        language = "en"
        timezone = "UTC"
        roster = "roster.csv"
        inbox = "inbox"
        out = "build"
        gradebook = "{db}"
        {course_extra}

        [late_policy]
        percent_per_day = 10
        max_percent = 50
        grace_minutes = 15
        accept_days = 7
        """) + textwrap.dedent(assignments) + textwrap.dedent(extra)
    (folder / "nngrade.toml").write_text(text, encoding="utf-8")
    return folder / "nngrade.toml"


def results_doc(student: str, *, passed: Mapping[str, bool] | None = None, seed: int = 1,
                version: str = "0.1.0", error: str | None = None,
                content: str = "c0") -> dict[str, Any]:
    """A results.json document: one test per contract name, ``passed[module.name]`` (default
    True) deciding its score, the rubric's points split the way the grader splits them."""
    rubric = load_rubric()
    tests = []
    modules: dict[str, dict[str, Any]] = {}
    for module, names in MODULES.items():
        got = out_of = 0.0
        for name in names:
            points = rubric.of(module, name)
            ok = error is None and (passed or {}).get(f"{module}.{name}", True)
            tests.append({
                "name": f"{module}.{name}: matches the reference", "score": points if ok else 0.0,
                "max_score": points, "status": "passed" if ok else "failed",
                "output": "" if ok else f"{name} returned the wrong values",
                "tags": [module, name],
                "extra_data": {"kind": "passed" if ok else "mismatch", "seconds": 0.01},
            })
            got += points if ok else 0.0
            out_of += points
        modules[module] = {"score": got, "max_score": out_of,
                           "status": "ok" if error is None else "ungraded", "message": ""}
    if error is not None:
        tests = []
    total = sum(t["score"] for t in tests)
    return {
        "score": total, "max_score": rubric.total, "execution_time": 1.0, "output": "",
        "tests": tests,
        "nngrade": {"student": student, "grader_version": version, "seed": seed,
                    "content_sha256": content, "rubric_sha256": rubric.sha256,
                    "graded_at": "2026-11-27T23:59:00Z", "modules": modules, "protections": {},
                    "missing_protections": [], "limits_hit": [], "warnings": [],
                    "source": {"path": f"{student}.zip", "late": False}, "timing": {},
                    "error": error},
    }


# ------------------------------------------------------------------ PostgreSQL


def pg_bindir() -> Path | None:
    """The newest PostgreSQL server binaries Debian installed (or initdb on PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@dataclass
class PostgresCluster:
    bindir: Path
    root: Path
    socket_dir: Path
    user: str | None  # who runs the server (None: this process's user)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True,
                              text=True, check=check, timeout=120, cwd=self.root, **kwargs)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}"

    def create_database(self) -> str:
        import psycopg

        name = f"gb_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host={self.socket_dir} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of this test session, on a unix socket in a temporary folder."""
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed, so the server-database cases cannot run: "
                    "install it with `sh scripts/install-postgresql.sh` (as root; `make test` "
                    "does) or `sudo apt-get install postgresql`")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("the psycopg driver is missing: pip install -e '.[test]'")
    user = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        for candidate in ("postgres", "nobody"):
            try:
                pwd.getpwnam(candidate)
                user = candidate
                break
            except KeyError:
                continue
        if user is None:
            pytest.skip("running as root and no unprivileged user to run PostgreSQL as")
    root = Path(tempfile.mkdtemp(prefix="nngrade-pg-"))
    socket_dir = root / "socket"
    socket_dir.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (root, socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    cluster = PostgresCluster(bindir, root, socket_dir, user)
    try:
        cluster.run("initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-k {socket_dir} -c listen_addresses='' -c fsync=off "
                   "-c max_connections=60 -c shared_buffers=16MB")
        started = cluster.run("pg_ctl", "-D", str(root / "data"), "-o", options,
                              "-l", str(root / "server.log"), "-w", "-t", "60", "start",
                              check=False)
        if started.returncode != 0:
            log = (root / "server.log").read_text(errors="replace") \
                if (root / "server.log").exists() else ""
            pytest.fail(f"PostgreSQL did not start: {started.stderr}\n{log}", pytrace=False)
        yield cluster
    finally:
        if (root / "data" / "postmaster.pid").exists():
            cluster.run("pg_ctl", "-D", str(root / "data"), "-m", "fast", "-w", "stop",
                        check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: PostgresCluster) -> str:
    """A fresh, empty PostgreSQL database."""
    return postgres.url(postgres.create_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def gradebook_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh gradebook location: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gradebook.sqlite'}"
    return str(request.getfixturevalue("pg_url"))
