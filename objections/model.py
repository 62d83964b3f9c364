"""What an objection is: channels, statuses, scope, the record and its history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from objections.errors import UnknownScopeError


class Channel(StrEnum):
    """How the objection reached the company."""

    EMAIL = "email"
    PHONE = "phone"
    LETTER = "letter"
    WEB_FORM = "web_form"
    ACCOUNT_SETTINGS = "account_settings"
    SUPPORT_TICKET = "support_ticket"


class Status(StrEnum):
    """Review state. Every status but ``withdrawn`` suppresses (GDPR Art. 21(3))."""

    RECEIVED = "received"
    VERIFIED = "verified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def suppresses(self) -> bool:
        return self is not Status.WITHDRAWN


_PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,31}")
ALL_PLATFORMS = "all"


@dataclass(frozen=True)
class Scope:
    """The advertising platforms an objection covers: all of them, or the named ones."""

    platforms: frozenset[str] = frozenset()
    """Empty means every platform, present and future."""

    @classmethod
    def chosen(cls, text: str, platforms: frozenset[str]) -> Scope:
        """A scope as the officer gives it: ``all`` or some of ``platforms``, else refused."""
        try:
            scope = cls.parse(text)
        except ValueError:
            raise UnknownScopeError(text, platforms) from None
        return scope.within(platforms)

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``all`` or platform names separated by commas (syntax only: stored scopes)."""
        names = {name.strip().lower() for name in text.split(",") if name.strip()}
        if not names or names == {ALL_PLATFORMS}:
            return cls()
        bad = sorted(name for name in names if not _PLATFORM.fullmatch(name))
        if bad or ALL_PLATFORMS in names:
            raise ValueError(f"scope must be 'all' or platform names such as 'meta' (got {text!r})")
        return cls(frozenset(names))

    def within(self, platforms: frozenset[str]) -> Scope:
        """This scope, or :class:`UnknownScopeError` if it names a platform not in ``platforms``."""
        if self.platforms - platforms:
            raise UnknownScopeError(str(self), platforms)
        return self

    def covers(self, platform: str) -> bool:
        return not self.platforms or platform.lower() in self.platforms

    def includes(self, other: Scope) -> bool:
        """Whether every platform ``other`` covers is covered here too."""
        return not self.platforms or (bool(other.platforms) and other.platforms <= self.platforms)

    def __str__(self) -> str:
        return ",".join(sorted(self.platforms)) or ALL_PLATFORMS


@dataclass(frozen=True)
class NewObjection:
    """An objection as the privacy officer records it."""

    address: str = field(repr=False)
    channel: Channel
    received_at: datetime | None = None
    """UTC; None means now."""
    evidence: str | None = None
    note: str | None = None
    scope: Scope = field(default_factory=Scope)


@dataclass(frozen=True)
class Objection:
    """A stored objection; ``address`` is None unless it was decrypted on request."""

    id: int
    received_at: datetime
    channel: Channel
    scope: Scope
    status: Status
    evidence: str | None
    notes: str | None
    reviewer: str | None
    reviewed_at: datetime | None
    address: str | None = field(default=None, repr=False)


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Action(StrEnum):
    """What a history entry records."""

    RECORDED = "recorded"
    VERIFIED = "verified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    KEYS_ROTATED = "keys_rotated"
    SCOPE_WIDENED = "scope_widened"
    """A migration widened a scope that named no known platform to ``all``."""
    REMOVED_FROM_SEEDS = "removed_from_seeds"
    """The objector's identifiers were taken out of seed audiences already uploaded."""
    REPEAT_REQUEST = "repeat_request"
    """The same person objected again (another channel, another day): nothing new is added."""
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    """First of the four eyes: the objection keeps suppressing until another reviewer confirms."""
    VERIFICATION_SENT = "verification_sent"
    """A one-time mailbox verification link was mailed to the objection's address."""


class VerificationMethod(StrEnum):
    """How the person's identity was verified; every method but mailbox control needs a note."""

    MAILBOX_CONTROL = "mailbox_control"
    """The person opened a one-time link mailed to the address (set by the console only)."""
    IN_PERSON = "in_person"
    ID_DOCUMENT = "id_document"
    PHONE_CALLBACK = "phone_callback"
    SIGNED_LETTER = "signed_letter"
    ACCOUNT_SESSION = "account_session"
    """Made while signed in to the person's own customer account."""


@dataclass(frozen=True)
class HistoryEntry:
    """One change of an objection: who, when, what. Never the address."""

    at: datetime
    actor: str
    action: Action
    from_status: Status | None
    to_status: Status
    note: str | None
    method: VerificationMethod | None = None
    """How identity was verified, for ``verified`` entries."""


@dataclass(frozen=True)
class Added:
    """The outcome of recording one objection."""

    objection_id: int
    duplicate: bool
    """True when an objection covering it already existed; nothing was added."""
