"""Every register gets a random identity; registers made before it get one now.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("objection_register_state", sa.Column("identity", sa.String(36)))
    state = sa.table("objection_register_state", sa.column("id"), sa.column("identity"))
    op.execute(state.update().where(state.c.identity.is_(None)).values(identity=str(uuid.uuid4())))


def downgrade() -> None:
    op.drop_column("objection_register_state", "identity")
