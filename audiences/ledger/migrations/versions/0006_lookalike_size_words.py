"""A lookalike's size is a ratio (Meta) or a word (TikTok): the word's column.

``ratio`` stays NOT NULL (SQLite would have to copy ``exports``, which its
events reference): an export sized by a word stores 0 there, never read.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("exports", sa.Column("lookalike_size", sa.String(20)))


def downgrade() -> None:
    with op.batch_alter_table("exports") as table:
        table.drop_column("lookalike_size")
