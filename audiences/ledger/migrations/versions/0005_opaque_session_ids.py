"""Upload session ids are opaque text (each platform has its own form).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("export_events") as table:
        table.alter_column(
            "upload_session_id",
            type_=sa.String(100),
            existing_type=sa.BigInteger(),
            postgresql_using="upload_session_id::varchar",
        )


def downgrade() -> None:
    with op.batch_alter_table("export_events") as table:
        table.alter_column(
            "upload_session_id",
            type_=sa.BigInteger(),
            existing_type=sa.String(100),
            postgresql_using="upload_session_id::bigint",
        )
