"""The ledger's tables (SQLAlchemy Core); Alembic migrations create them.

Times are stored in UTC and come back timezone-aware on every database.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

VERSION_TABLE = "ledger_alembic_version"
"""Alembic's version table for the ledger, apart from the register's in a shared database."""


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always UTC: refused when naive, aware when read back."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the ledger stores timezone-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

exports = sa.Table(
    "exports",
    metadata,
    sa.Column("export_id", sa.String(32), primary_key=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("destination", sa.String(100), nullable=False),
    sa.Column("ad_account", sa.String(100), nullable=False),
    sa.Column("country", sa.String(100), nullable=False),
    # A lookalike's size: a ratio, or a word on platforms that size by word (0006);
    # the ratio of an export sized by a word is 0 and never read.
    sa.Column("ratio", sa.Float(), nullable=False),
    sa.Column("lookalike_size", sa.String(20)),
    sa.Column("dry_run", sa.Boolean(), nullable=False),
    sa.Column("max_seed_age_seconds", sa.Integer(), nullable=False),
    sa.Column("seed_name", sa.String(200), nullable=False),
    sa.Column("run_id", sa.String(64)),
    # The endpoint the export is bound to (0002); "unknown" for older exports.
    sa.Column("environment", sa.String(20), nullable=False, server_default="unknown"),
    sa.Column("endpoint_url", sa.String(300)),
    sa.Column("credential_identity", sa.String(200)),
    sa.Column("register_identity", sa.String(100)),
    # Why the export was lawful (0003).
    sa.Column("legal_basis", sa.String(40)),
    sa.Column("assessment_reference", sa.String(200)),
    sa.Column("notice_version", sa.String(100)),
)

late_objections = sa.Table(
    "late_objections",
    metadata,
    sa.Column("export_id", sa.String(32), sa.ForeignKey("exports.export_id"), primary_key=True),
    sa.Column("checked_up_to", sa.BigInteger(), nullable=False),
)
"""Per export, the newest objection whose identifiers were taken out of its live seed."""

export_leases = sa.Table(
    "export_leases",
    metadata,
    sa.Column("export_id", sa.String(32), sa.ForeignKey("exports.export_id"), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)
"""Who is running an export right now: renewed by a heartbeat, expired when it stops."""

export_notes = sa.Table(
    "export_notes",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("export_id", sa.String(32), index=True),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("detail", sa.Text(), nullable=False),
)
"""Append-only facts that change no state: refusals, sweeps, shredded spools."""

spool_keys = sa.Table(
    "spool_keys",
    metadata,
    sa.Column("export_id", sa.String(32), sa.ForeignKey("exports.export_id"), primary_key=True),
    sa.Column("data_key", sa.LargeBinary(), nullable=False),
)
"""Per-export keys of the encrypted spools; deleting a row shreds its spool."""

export_events = sa.Table(
    "export_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column(
        "export_id", sa.String(32), sa.ForeignKey("exports.export_id"), nullable=False, index=True
    ),
    sa.Column("state", sa.String(40), nullable=False),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Column("seed_audience_id", sa.String(100)),
    sa.Column("lookalike_audience_id", sa.String(100)),
    sa.Column("upload_session_id", sa.String(100)),
    sa.Column("register_version", sa.String(100)),
    sa.Column("counts", sa.Text()),
    sa.Column("reason", sa.Text()),
    sa.Column("platform_answer", sa.Text()),
)

sent_index = sa.Table(
    "sent_index",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column(
        "export_id", sa.String(32), sa.ForeignKey("exports.export_id"), nullable=False, index=True
    ),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("digest", sa.LargeBinary(32), nullable=False, index=True),
)
"""What each export uploaded, as keyed digests of canonical mailbox keys (0004): the register's
blind index (HMAC-SHA-256 under its index key ``key_id``), never an address or a plain hash.
Purged after the retention the console settings give."""
