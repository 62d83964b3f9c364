"""Alembic environment: runs on the connection the register passes in, never from a file."""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "objections_alembic_version"
"""Our own version table: the audience ledger may share the database."""

context.configure(
    connection=context.config.attributes["connection"],
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
