"""Scopes are a closed set: a stored scope naming an unknown platform is widened to ``all``.

The migration cannot know the configured platforms, so it keeps only the
platforms the product could export to when it was written (``meta``): any
scope with another word becomes ``all``, the safe direction (the objection then
suppresses everywhere). Each widened objection gets a history entry naming its
old scope, and the migration tells the officer how many it widened.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

from objections.migrations import MIGRATION_NOTES
from objections.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KNOWN_PLATFORMS = frozenset({"meta"})
"""The platforms of the product when this revision was written."""
ACTOR = "audience-export migration 0003"

_objections = sa.table("objections", sa.column("id"), sa.column("scope"), sa.column("status"))
_history = sa.table(
    "objection_history",
    sa.column("objection_id"),
    sa.column("at", UtcDateTime),
    sa.column("actor"),
    sa.column("action"),
    sa.column("from_status"),
    sa.column("to_status"),
    sa.column("note"),
)


def names_unknown_platform(scope: str) -> bool:
    names = {name.strip().lower() for name in scope.split(",") if name.strip()}
    return names not in (set(), {"all"}) and not names <= KNOWN_PLATFORMS


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_objections)).all()
    widened = [row for row in rows if names_unknown_platform(row.scope)]
    if not widened:
        return
    now = datetime.now(UTC)
    for row in widened:
        connection.execute(
            _objections.update().where(_objections.c.id == row.id).values(scope="all")
        )
        connection.execute(
            _history.insert().values(
                objection_id=row.id,
                at=now,
                actor=ACTOR,
                action="scope_widened",
                from_status=row.status,
                to_status=row.status,
                note=f"scope {row.scope!r} named no platform the product exports to; now 'all'",
            )
        )
    context.config.attributes.setdefault(MIGRATION_NOTES, []).append(
        f"widened the scope of {len(widened)} objection(s) naming no known platform to 'all' "
        "(see their history)"
    )


def downgrade() -> None:
    """Widening is not undone: the old scopes stay in the objections' history."""
