"""Record each export's legal basis; follow late objections per export.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exports") as table:
        table.add_column(sa.Column("legal_basis", sa.String(40)))
        table.add_column(sa.Column("assessment_reference", sa.String(200)))
        table.add_column(sa.Column("notice_version", sa.String(100)))
    op.create_table(
        "late_objections",
        sa.Column("export_id", sa.String(32), sa.ForeignKey("exports.export_id"), primary_key=True),
        sa.Column("checked_up_to", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("late_objections")
    with op.batch_alter_table("exports") as table:
        for column in ("notice_version", "assessment_reference", "legal_basis"):
            table.drop_column(column)
