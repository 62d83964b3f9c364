"""Alembic environment: migrate the connection handed over by ``migrate.upgrade``."""

from __future__ import annotations

from alembic import context

from audiences.ledger.schema import VERSION_TABLE, metadata

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
