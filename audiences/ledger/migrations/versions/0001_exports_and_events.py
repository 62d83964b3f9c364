"""Create the exports and their append-only events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from audiences.ledger.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("export_id", sa.String(32), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("destination", sa.String(100), nullable=False),
        sa.Column("ad_account", sa.String(100), nullable=False),
        sa.Column("country", sa.String(100), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("max_seed_age_seconds", sa.Integer(), nullable=False),
        sa.Column("seed_name", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(64)),
    )
    op.create_table(
        "export_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("export_id", sa.String(32), sa.ForeignKey("exports.export_id"), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("seed_audience_id", sa.String(100)),
        sa.Column("lookalike_audience_id", sa.String(100)),
        sa.Column("upload_session_id", sa.BigInteger()),
        sa.Column("register_version", sa.String(100)),
        sa.Column("counts", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("platform_answer", sa.Text()),
    )
    op.create_index("ix_export_events_export_id", "export_events", ["export_id"])


def downgrade() -> None:
    op.drop_index("ix_export_events_export_id", "export_events")
    op.drop_table("export_events")
    op.drop_table("exports")
