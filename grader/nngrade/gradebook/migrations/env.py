"""Alembic's entry point for the gradebook's migrations (run by ``nngrade.gradebook.database``).

The caller hands over a connection that is already inside a transaction
(``config.attributes["connection"]``), so an upgrade is all or nothing on
PostgreSQL and on SQLite alike, and is serialised by the caller's lock.
"""

from __future__ import annotations

from alembic import context

from nngrade.gradebook.database import VERSION_TABLE
from nngrade.gradebook.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through the alembic CLI
    raise RuntimeError("run gradebook migrations through nngrade.gradebook.database.upgrade")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite can only change a table by copying it
    transactional_ddl=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
