"""The register's first schema: objections, their history, the register state.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evidence", sa.String(200)),
        sa.Column("notes", sa.Text),
        sa.Column("reviewer", sa.String(200)),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("address_sealed", sa.LargeBinary, nullable=False),
        sa.Column("blind_index", sa.LargeBinary(32), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
    )
    op.create_index("ix_objections_blind_index", "objections", ["blind_index"])
    op.create_table(
        "objection_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("objection_id", sa.Integer, sa.ForeignKey("objections.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_objection_history_objection_id", "objection_history", ["objection_id"])
    op.create_table(
        "objection_register_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("objection_register_state")
    op.drop_table("objection_history")
    op.drop_table("objections")
