"""The sent index: keyed digests of what each export uploaded, for "was my address sent?".

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_index",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("export_id", sa.String(32), sa.ForeignKey("exports.export_id"), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
    )
    op.create_index("ix_sent_index_export_id", "sent_index", ["export_id"])
    op.create_index("ix_sent_index_digest", "sent_index", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_sent_index_digest", "sent_index")
    op.drop_index("ix_sent_index_export_id", "sent_index")
    op.drop_table("sent_index")
