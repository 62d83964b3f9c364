"""Identity by mailbox control: one-time verification links for an objection's address.

The link's token is random (256 bits) and stored only as its SHA-256, with its
expiry; it verifies its objection once, "by mailbox control", and never again.
Mailing it is the caller's job (the console's SMTP settings).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import insert, select, update

from objections.errors import TransitionRefusedError
from objections.journal import Clock, utc_now
from objections.model import Action, Objection, Status, VerificationMethod
from objections.register import Register
from objections.schema import mailbox_tokens
from objections.store import append_history

SUBJECT = "the person (mailbox link)"
"""Who the history names when the link is opened."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def issue_link_token(register: Register, objection_id: int, *, by: str, lifetime: timedelta) -> str:
    """A new one-time token for ``objection_id``, recorded in its history (not its value)."""
    item = register.get(objection_id)
    if item.status is not Status.RECEIVED:
        raise TransitionRefusedError(
            f"objection {objection_id} is {item.status.value}: only a received objection "
            "can be verified"
        )
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with register.engine.begin() as connection:
        connection.execute(
            insert(mailbox_tokens).values(
                token_digest=_digest(token),
                objection_id=objection_id,
                issued_by=by,
                issued_at=now,
                expires_at=now + lifetime,
            )
        )
        append_history(
            connection,
            objection_id,
            at=now,
            actor=by,
            action=Action.VERIFICATION_SENT,
            from_status=item.status,
            to_status=item.status,
            note=f"one-time link valid until {(now + lifetime).isoformat(timespec='minutes')}",
        )
    return token


def redeem_link_token(
    register: Register, token: str, *, clock: Clock = utc_now
) -> Objection | None:
    """Verify the token's objection by mailbox control; None for an unknown, used or
    expired token (the caller shows one answer for all three)."""
    now = clock()
    digest = _digest(token)
    with register.engine.begin() as connection:
        objection_id = connection.scalar(
            select(mailbox_tokens.c.objection_id).where(
                mailbox_tokens.c.token_digest == digest,
                mailbox_tokens.c.used_at.is_(None),
                mailbox_tokens.c.expires_at > now,
            )
        )
        if objection_id is None:
            return None
        used = connection.execute(
            update(mailbox_tokens)
            .where(mailbox_tokens.c.token_digest == digest, mailbox_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        if used.rowcount != 1:
            return None
    try:
        return register.verify(
            objection_id,
            by=SUBJECT,
            method=VerificationMethod.MAILBOX_CONTROL,
            note=f"link opened at {now.isoformat(timespec='seconds')}",
        )
    except TransitionRefusedError:
        return register.get(objection_id)
