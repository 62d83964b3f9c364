"""Bring a ledger database to the latest schema; safe to run on every open."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

_SCRIPTS = "audiences.ledger:migrations"
_MIGRATION_LOCK = 0x1ED6E7
"""PostgreSQL advisory lock key: two processes opening a new ledger migrate one after the other."""


def upgrade(engine: sa.Engine) -> None:
    """Apply every migration not yet recorded in the ledger's own version table."""
    config = Config()
    config.set_main_option("script_location", _SCRIPTS)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
