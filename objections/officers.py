"""Console accounts: Argon2 passwords, roles, server-side sessions, sign-in throttling.

A session cookie carries a random token; the database keeps only its SHA-256,
with the session's CSRF token and when it was last used (the idle timeout).
Failed sign-ins are counted per account and client address: past the limit
within the window, even the right password is refused until the window passes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from objections.errors import RegisterError
from objections.journal import Clock, Deed, utc_now, write
from objections.schema import login_failures, officer_sessions, officers

MIN_PASSWORD = 12
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("audience-export: no such account")


class Role(StrEnum):
    """Viewer reads the ledger and counts; reviewer and officer act on objections;
    only an officer reveals addresses and exports the register."""

    OFFICER = "officer"
    REVIEWER = "reviewer"
    VIEWER = "viewer"

    @property
    def acts(self) -> bool:
        return self is not Role.VIEWER

    @property
    def reveals(self) -> bool:
        return self is Role.OFFICER


class SignInRefused(RegisterError):
    """Wrong name or password, or too many failures: the message never says which name exists."""


@dataclass(frozen=True)
class Session:
    """A signed-in officer; ``token`` is set only when the session was just created."""

    officer: str
    role: Role
    csrf_token: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Throttle:
    failures: int = 5
    window: timedelta = timedelta(minutes=15)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Accounts:
    """The console's accounts and sessions, in the register's database."""

    def __init__(
        self,
        engine: Engine,
        *,
        idle: timedelta,
        throttle: Throttle | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._engine = engine
        self._idle = idle
        self._throttle = throttle or Throttle()
        self._clock = clock

    def add(self, name: str, role: Role, password: str, *, by: str) -> None:
        """Create an account; refused for a taken or malformed name or a short password."""
        if not _NAME.fullmatch(name):
            raise RegisterError(
                "an account name is 1-100 letters, digits, dots, dashes or underscores"
            )
        if len(password) < MIN_PASSWORD:
            raise RegisterError(f"a password needs at least {MIN_PASSWORD} characters")
        with self._engine.begin() as connection:
            if connection.scalar(select(officers.c.name).where(officers.c.name == name)):
                raise RegisterError(f"the account {name} exists already")
            connection.execute(
                insert(officers).values(
                    name=name,
                    role=role.value,
                    password_hash=_HASHER.hash(password),
                    created_at=self._clock(),
                )
            )
            write(connection, by, Deed.ACCOUNT_CREATED, detail=f"{name} as {role.value}")

    def roles(self) -> dict[str, Role]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(officers.c.name, officers.c.role))
            return {row.name: Role(row.role) for row in rows}

    def sign_in(self, name: str, password: str, *, client: str) -> Session:
        """A new session, or :class:`SignInRefused` (journaled either way)."""
        now = self._clock()
        with self._engine.begin() as connection:
            row = connection.execute(select(officers).where(officers.c.name == name)).first()
            account = row.name if row is not None else None
            failures = connection.scalar(
                select(func.count())
                .select_from(login_failures)
                .where(
                    login_failures.c.at >= now - self._throttle.window,
                    login_failures.c.client == client[:64],
                    login_failures.c.officer.is_(None)
                    if account is None
                    else login_failures.c.officer == account,
                )
            )
            if (failures or 0) >= self._throttle.failures:
                write(
                    connection,
                    account or "(unknown account)",
                    Deed.SIGN_IN_THROTTLED,
                    detail=f"from {client}",
                )
                refusal = (
                    "too many failed sign-ins from this address: try again in "
                    f"{int(self._throttle.window.total_seconds() // 60)} minutes"
                )
            elif not _verified(_DUMMY_HASH if row is None else row.password_hash, password):
                connection.execute(
                    insert(login_failures).values(at=now, officer=account, client=client[:64])
                )
                write(
                    connection,
                    account or "(unknown account)",
                    Deed.SIGN_IN_FAILED,
                    detail=f"from {client}",
                )
                refusal = "wrong account name or password"
            elif row is not None:
                return self._open_session(connection, row.name, Role(row.role), client, now)
            else:  # pragma: no cover - the dummy hash never verifies
                refusal = "wrong account name or password"
        raise SignInRefused(refusal)

    def _open_session(
        self, connection: Connection, name: str, role: Role, client: str, now: datetime
    ) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        connection.execute(
            insert(officer_sessions).values(
                token_digest=_digest(token),
                officer=name,
                csrf_token=csrf,
                created_at=now,
                last_seen=now,
            )
        )
        write(connection, name, Deed.SIGNED_IN, detail=f"from {client}")
        return Session(name, role, csrf, token)

    def session(self, token: str) -> Session | None:
        """The live session of ``token``, its idle clock restarted; None when unknown or idle."""
        now = self._clock()
        digest = _digest(token)
        with self._engine.begin() as connection:
            row = connection.execute(
                select(officer_sessions, officers.c.role)
                .join(officers, officers.c.name == officer_sessions.c.officer)
                .where(officer_sessions.c.token_digest == digest)
            ).first()
            if row is None:
                return None
            if row.last_seen + self._idle < now:
                connection.execute(
                    delete(officer_sessions).where(officer_sessions.c.token_digest == digest)
                )
                return None
            connection.execute(
                update(officer_sessions)
                .where(officer_sessions.c.token_digest == digest)
                .values(last_seen=now)
            )
            return Session(row.officer, Role(row.role), row.csrf_token)

    def sign_out(self, token: str) -> None:
        with self._engine.begin() as connection:
            officer = connection.scalar(
                select(officer_sessions.c.officer).where(
                    officer_sessions.c.token_digest == _digest(token)
                )
            )
            connection.execute(
                delete(officer_sessions).where(officer_sessions.c.token_digest == _digest(token))
            )
            if officer is not None:
                write(connection, officer, Deed.SIGNED_OUT)


def _verified(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
