"""The officers' journal: an append-only record of who did what, when and why.

Sign-ins (and failed ones), address reveals, register exports, reports,
decisions taken in the console, key rotations. It never holds an address:
callers give ids, counts and the officer's own words (a reason).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, Engine, insert, select

from objections.schema import officer_log

MAX_TEXT = 1000

Clock = Callable[[], datetime]
"""What tells sessions and links the time (tests pass one they can move)."""


def utc_now() -> datetime:
    """The real clock, in UTC."""
    return datetime.now(UTC)


class Deed(StrEnum):
    """What a journal entry records."""

    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_THROTTLED = "sign_in_throttled"
    SIGNED_OUT = "signed_out"
    ACCOUNT_CREATED = "account_created"
    ADDRESS_REVEALED = "address_revealed"
    REGISTER_EXPORTED = "register_exported"
    OBJECTION_ADDED = "objection_added"
    OBJECTIONS_IMPORTED = "objections_imported"
    DECIDED = "decided"
    VERIFICATION_MAILED = "verification_mailed"
    MAILBOX_VERIFIED = "mailbox_verified"
    LOOKUP = "lookup"
    REPORT = "report"
    KEYS_ROTATED = "keys_rotated"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Entry:
    """One journal entry."""

    at: datetime
    actor: str
    deed: Deed
    objection_id: int | None = None
    export_id: str | None = None
    reason: str | None = None
    detail: str | None = None


def write(
    target: Engine | Connection,
    actor: str,
    deed: Deed,
    *,
    objection_id: int | None = None,
    export_id: str | None = None,
    reason: str | None = None,
    detail: str | None = None,
) -> Entry:
    """Append one entry (in ``target``'s transaction when it is a connection)."""
    entry = Entry(utc_now(), actor[:200], deed, objection_id, export_id, _cut(reason), _cut(detail))
    statement = insert(officer_log).values(
        at=entry.at,
        actor=entry.actor,
        action=deed.value,
        objection_id=objection_id,
        export_id=export_id,
        reason=entry.reason,
        detail=entry.detail,
    )
    if isinstance(target, Connection):
        target.execute(statement)
    else:
        with target.begin() as connection:
            connection.execute(statement)
    return entry


def read(
    engine: Engine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    deeds: frozenset[Deed] | None = None,
    objection_id: int | None = None,
) -> list[Entry]:
    """Entries oldest first, within ``[since, until)``, of some deeds or one objection."""
    query = select(officer_log).order_by(officer_log.c.id)
    if since is not None:
        query = query.where(officer_log.c.at >= since)
    if until is not None:
        query = query.where(officer_log.c.at < until)
    if deeds is not None:
        query = query.where(officer_log.c.action.in_([deed.value for deed in deeds]))
    if objection_id is not None:
        query = query.where(officer_log.c.objection_id == objection_id)
    with engine.connect() as connection:
        return [
            Entry(
                row.at,
                row.actor,
                Deed(row.action),
                row.objection_id,
                row.export_id,
                row.reason,
                row.detail,
            )
            for row in connection.execute(query)
        ]


def last(engine: Engine, deed: Deed) -> Entry | None:
    """The newest entry of one kind (e.g. when keys were last rotated)."""
    found = read(engine, deeds=frozenset({deed}))
    return found[-1] if found else None


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 1] + "…"
