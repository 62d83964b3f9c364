"""Bind exports to their endpoint; leases, notes and spool keys.

Exports recorded before this revision get the environment ``unknown``: the
reconciler refuses them until they are re-bound explicitly.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from audiences.ledger.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exports") as table:
        table.add_column(
            sa.Column("environment", sa.String(20), nullable=False, server_default="unknown")
        )
        table.add_column(sa.Column("endpoint_url", sa.String(300)))
        table.add_column(sa.Column("credential_identity", sa.String(200)))
        table.add_column(sa.Column("register_identity", sa.String(100)))
    op.create_table(
        "export_leases",
        sa.Column("export_id", sa.String(32), sa.ForeignKey("exports.export_id"), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "export_notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("export_id", sa.String(32)),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_export_notes_export_id", "export_notes", ["export_id"])
    op.create_table(
        "spool_keys",
        sa.Column("export_id", sa.String(32), sa.ForeignKey("exports.export_id"), primary_key=True),
        sa.Column("data_key", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("spool_keys")
    op.drop_index("ix_export_notes_export_id", "export_notes")
    op.drop_table("export_notes")
    op.drop_table("export_leases")
    with op.batch_alter_table("exports") as table:
        for column in ("register_identity", "credential_identity", "endpoint_url", "environment"):
            table.drop_column(column)
