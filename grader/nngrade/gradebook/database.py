"""Opening a gradebook: a SQLite file in the course folder, or a PostgreSQL server by URL.

``open_gradebook(url)`` connects, brings the schema up to date in place
(Alembic migrations shipped in this package, recorded in the
``nngrade_schema`` table so they never collide with another tool's, e.g.
nbgrader's own Alembic history), and refuses a gradebook written by a
newer nngrade rather than guessing at it.

Every write is one transaction:

* SQLite runs in WAL mode with ``synchronous=FULL`` (a committed grade
  survives a power cut) and every transaction starts with ``BEGIN
  IMMEDIATE``, so two processes writing at once wait for each other
  (``busy_timeout``) instead of failing half-way. Python's sqlite3 module
  would otherwise decide by itself when transactions start; SQLAlchemy's
  documented recipe for taking that back is used.
* PostgreSQL gets ``READ COMMITTED`` transactions; schema upgrades are
  serialised across TAs' machines with an advisory lock (on SQLite, with
  an exclusive lock file beside the database).
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["VERSION_TABLE", "Gradebook", "GradebookError", "normalize_url", "open_gradebook",
           "schema_head"]

VERSION_TABLE = "nngrade_schema"
MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_KEY = 0x6E6E_6772_6164_6562 & 0x7FFF_FFFF_FFFF_FFFF  # "nngradeb": the upgrade lock
BUSY_SECONDS = 60


class GradebookError(Exception):
    """The gradebook cannot be opened or used; the message says what to do."""


def normalize_url(url: str) -> str:
    """A SQLAlchemy URL; ``postgresql://`` is sent to psycopg 3 (the driver nngrade installs)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise GradebookError(f"{url!r} is not a database URL ({exc})") from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise GradebookError(f"{parsed.get_backend_name()} is not supported: the gradebook is a "
                             "SQLite file or a PostgreSQL database")
    return parsed.render_as_string(hide_password=False)


def _alembic_config(connection: Connection | None = None,
                    script_location: Path = MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    return config


def schema_head(script_location: Path = MIGRATIONS) -> str:
    head = ScriptDirectory.from_config(_alembic_config(None, script_location)).get_current_head()
    assert head is not None
    return head


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we say when transactions begin
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextlib.contextmanager
def _upgrade_lock(engine: Engine, connection: Connection) -> Iterator[None]:
    """One upgrade at a time, across processes and machines."""
    if engine.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        yield
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_revision(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(engine: Engine, script_location: Path = MIGRATIONS) -> tuple[str | None, str]:
    """Bring the schema to the newest revision in place; returns (before, after)."""
    from alembic import command

    script = ScriptDirectory.from_config(_alembic_config(None, script_location))
    head = script.get_current_head()
    assert head is not None
    known = {rev.revision for rev in script.walk_revisions()}
    with engine.connect() as probe:
        before = current_revision(probe)
        probe.rollback()
    if before == head:
        return before, head
    if before is not None and before not in known:
        raise GradebookError(
            f"this gradebook has schema {before}, which this nngrade does not know: it was "
            "written by a newer nngrade. Upgrade nngrade (pip install -U nngrade) to use it.")
    with engine.begin() as connection, _upgrade_lock(engine, connection):
        now = current_revision(connection)  # another process may have upgraded meanwhile
        if now != head:
            command.upgrade(_alembic_config(connection, script_location), "head")
    return before, head


@dataclass
class Gradebook:
    """An open gradebook: ``with gb.transaction() as session: ...`` is one transaction."""

    engine: Engine
    url: str

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reading; closing it ends its transaction and keeps what was loaded."""
        with self._sessions() as session:
            yield session

    @property
    def location(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_gradebook(url: str, *, create: bool = True,
                   script_location: Path = MIGRATIONS) -> Gradebook:
    """Open (and create or upgrade in place) the gradebook at ``url``."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            path = Path(database)
            if not path.exists() and not create:
                raise GradebookError(f"there is no gradebook at {path} yet: grade an "
                                     "assignment first")
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = _sqlite_engine(url)
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise GradebookError("a PostgreSQL gradebook needs the psycopg driver: "
                                 "pip install 'nngrade[postgresql]'") from exc
        engine = create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
    try:
        upgrade(engine, script_location)
    except OperationalError as exc:
        engine.dispose()
        where = parsed.render_as_string(hide_password=True)
        raise GradebookError(f"cannot open the gradebook at {where}: "
                             f"{str(exc.orig).strip() or exc}") from exc
    except BaseException:
        engine.dispose()
        raise
    return Gradebook(engine, url)
