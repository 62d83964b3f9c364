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
    Column("method", String(32)),
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

officers = Table(
    "officers",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
"""Console accounts (0004): Argon2 password hashes, never a password."""

officer_sessions = Table(
    "officer_sessions",
    metadata,
    Column("token_digest", LargeBinary(32), primary_key=True),
    Column("officer", String(100), ForeignKey("officers.name"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
)
"""Signed-in console sessions: the cookie's random token is stored only as its SHA-256."""

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("officer", String(100)),
    Column("client", String(64), nullable=False),
)
"""Failed sign-ins, for throttling: the account only when it exists, else None."""

officer_log = Table(
    "officer_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("objection_id", Integer),
    Column("export_id", String(32)),
    Column("reason", Text),
    Column("detail", Text),
)
"""Append-only journal of what officers did (sign-ins, reveals, exports, reports). Never an
address."""

mailbox_tokens = Table(
    "mailbox_tokens",
    metadata,
    Column("token_digest", LargeBinary(32), primary_key=True),
    Column("objection_id", Integer, ForeignKey("objections.id"), nullable=False),
    Column("issued_by", String(200), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)
"""One-time mailbox verification links: stored only as the SHA-256 of the random token."""
