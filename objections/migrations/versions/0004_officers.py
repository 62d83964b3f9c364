"""Officers' console: accounts, sessions, failed sign-ins, the officer log, mailbox links.

Adds the verification method to the objection history. Additive only.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from objections.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objection_history") as table:
        table.add_column(sa.Column("method", sa.String(32)))
    op.create_table(
        "officers",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "officer_sessions",
        sa.Column("token_digest", sa.LargeBinary(32), primary_key=True),
        sa.Column("officer", sa.String(100), sa.ForeignKey("officers.name"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_seen", UtcDateTime, nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("officer", sa.String(100)),
        sa.Column("client", sa.String(64), nullable=False),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_table(
        "officer_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("objection_id", sa.Integer),
        sa.Column("export_id", sa.String(32)),
        sa.Column("reason", sa.Text),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_officer_log_at", "officer_log", ["at"])
    op.create_table(
        "mailbox_tokens",
        sa.Column("token_digest", sa.LargeBinary(32), primary_key=True),
        sa.Column("objection_id", sa.Integer, sa.ForeignKey("objections.id"), nullable=False),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_at", UtcDateTime),
    )


def downgrade() -> None:
    for name in ("mailbox_tokens", "officer_log", "login_failures", "officer_sessions", "officers"):
        op.drop_table(name)
    with op.batch_alter_table("objection_history") as table:
        table.drop_column("method")
