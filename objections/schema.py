"""The register's tables (SQLAlchemy Core). Alembic revisions in ``migrations/`` create them.

No column holds an address or an unkeyed hash of one: ``address_sealed`` is
AES-GCM ciphertext, ``blind_index`` is HMAC-SHA-256 under the index key.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, also on SQLite (which stores naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("register times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

objections = Table(
    "objections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("evidence", String(200)),
    Column("notes", Text),
    Column("reviewer", String(200)),
    Column("reviewed_at", UtcDateTime),
    Column("address_sealed", LargeBinary, nullable=False),
    Column("blind_index", LargeBinary(32), nullable=False, index=True),
    Column("key_id", String(16), nullable=False),
)

history = Table(
    "objection_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("objection_id", Integer, ForeignKey("objections.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("note", Text),
)

register_state = Table(
    "objection_register_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("identity", String(36)),
)
"""One row, written by ``init``: the version counter (bumped whenever suppression may change),
the current key (the key check) and the register's random identity."""
