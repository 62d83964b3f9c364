"""What the sandbox platform holds: audiences, upload sessions, ad account terms.

One lock guards everything; every public method takes it, so the threaded
HTTP server can call in from any request thread.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from audiences.meta.sandbox.graph import GraphError, does_not_exist, invalid_parameter
from audiences.meta.sandbox.matching import (
    MIN_LOOKALIKE_SEED,
    NOMINAL_COUNTRY_POPULATION,
    UNKNOWN_COUNT,
    approximate_bounds,
    is_match,
    is_sha256_hex,
)
from audiences.meta.sandbox.options import SandboxOptions
from audiences.meta.sandbox.sessions import Batch, UploadSessions
from audiences.meta.sandbox.status import FLAGGED, delivery_status, operation_status

CUSTOM = "CUSTOM"
LOOKALIKE = "LOOKALIKE"
FIRST_AUDIENCE_ID = 23_850_000_000_000_001
"""Sandbox ids look like Meta's: 17-digit numbers."""
ACCOUNT_FIELDS = frozenset({"id", "account_id", "tos_accepted"})
CUSTOM_AUDIENCE_TOS = "custom_audience_tos"


@dataclass(frozen=True)
class PlatformRules:
    """How strict the platform is; see the matching fields of :class:`SandboxOptions`."""

    match_delay_seconds: float
    lookalike_delay_seconds: float
    refuse_seed_delete_with_lookalikes: bool
    removal_floor: int
    session_timeout_seconds: float | None

    @classmethod
    def of(cls, options: SandboxOptions) -> PlatformRules:
        """The rules the sandbox starts with."""
        return cls(
            match_delay_seconds=options.match_delay_seconds,
            lookalike_delay_seconds=options.lookalike_delay_seconds,
            refuse_seed_delete_with_lookalikes=options.refuse_seed_delete_with_lookalikes,
            removal_floor=options.removal_floor,
            session_timeout_seconds=options.session_timeout_seconds,
        )


@dataclass(frozen=True)
class UploadSpec:
    """One validated ``/users`` request."""

    entries: Sequence[str]
    batch: Batch | None = None
    """Its place in an upload session; ``None`` when it names no session."""


@dataclass
class Audience:
    """One custom or lookalike audience, deleted or not."""

    id: str
    account_id: str
    name: str
    subtype: str
    description: str
    created_at: float
    updated_at: float
    customer_file_source: str | None = None
    origin_audience_id: str | None = None
    lookalike_spec: dict[str, Any] | None = None
    members: set[str] = field(default_factory=set)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    deleted_at: float | None = None
    flagged: bool = False
    forced_status: int | None = None
    """An ``operation_status`` code set through the control API."""

    @property
    def matched(self) -> int:
        """People in the seed that the sandbox pretends to find on Meta."""
        return sum(1 for member in self.members if is_match(member))


class SandboxState:
    """The platform's memory. Time comes from ``clock`` (seconds, like ``time.time``)."""

    def __init__(self, options: SandboxOptions, clock: Callable[[], float] = time.time) -> None:
        self._initial_rules = PlatformRules.of(options)
        self._clock = clock
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every audience, session and terms refusal; back to the starting rules."""
        with self._lock:
            self.rules = self._initial_rules
            self._audiences: dict[str, Audience] = {}
            self._sessions = UploadSessions()
            self._terms_refused: set[str] = set()
            self._ids = itertools.count(FIRST_AUDIENCE_ID)

    def configure(self, rules: PlatformRules) -> None:
        """Change the rules (validated by the caller); existing audiences follow them."""
        with self._lock:
            self.rules = rules

    # Ad account level.

    def set_terms_accepted(self, account_id: str, accepted: bool) -> None:
        """Accept or withdraw the custom audience terms of an ad account."""
        with self._lock:
            if accepted:
                self._terms_refused.discard(account_id)
            else:
                self._terms_refused.add(account_id)

    def describe_account(self, account_id: str, fields: Sequence[str]) -> dict[str, Any]:
        """``GET /act_{id}``: the terms the account accepted (``tos_accepted``), and its ids."""
        unknown = [name for name in fields if name not in ACCOUNT_FIELDS]
        if unknown:
            raise invalid_parameter(
                f"Tried accessing nonexisting field ({unknown[0]}) on node type (AdAccount)"
            )
        with self._lock:
            accepted = account_id not in self._terms_refused
        values = {
            "id": f"act_{account_id}",
            "account_id": account_id,
            "tos_accepted": {CUSTOM_AUDIENCE_TOS: 1} if accepted else {},
        }
        return {"id": values["id"]} | {name: values[name] for name in fields}

    def _require_terms(self, account_id: str) -> None:
        if account_id in self._terms_refused:
            raise GraphError(
                "Custom Audience Terms Not Accepted: You'll need to agree to the Custom "
                "Audience terms before you can create or edit an audience.",
                200,
                1870034,
            )

    def create_custom(
        self, account_id: str, *, name: str, description: str, customer_file_source: str
    ) -> Audience:
        """A new, empty customer-list audience."""
        with self._lock:
            self._require_terms(account_id)
            return self._add(
                account_id,
                name=name,
                subtype=CUSTOM,
                description=description,
                customer_file_source=customer_file_source,
            )

    def create_lookalike(
        self, account_id: str, *, name: str, origin_id: str, spec: dict[str, Any]
    ) -> Audience:
        """A lookalike of a matched seed holding at least 100 matched people."""
        with self._lock:
            self._require_terms(account_id)
            origin = self._audiences.get(origin_id)
            if origin is None or origin.deleted_at is not None or origin.subtype != CUSTOM:
                raise invalid_parameter("origin_audience_id is not a custom audience")
            matched = origin.matched if self._matching_done(origin) else 0
            if matched < MIN_LOOKALIKE_SEED:
                raise GraphError(
                    "(#2654) Failed to create custom audience: the source audience must "
                    f"have at least {MIN_LOOKALIKE_SEED} matched people",
                    2654,
                    type="GraphMethodException",
                )
            return self._add(
                account_id,
                name=name,
                subtype=LOOKALIKE,
                description="",
                origin_audience_id=origin_id,
                lookalike_spec=spec,
            )

    def _add(self, account_id: str, **values: Any) -> Audience:
        now = self._clock()
        audience = Audience(
            id=str(next(self._ids)),
            account_id=account_id,
            created_at=now,
            updated_at=now,
            **values,
        )
        self._audiences[audience.id] = audience
        return audience

    def list_audiences(self, account_id: str) -> list[Audience]:
        """The ad account's audiences that are not deleted, oldest first."""
        with self._lock:
            return [
                audience
                for audience in self._audiences.values()
                if audience.account_id == account_id and audience.deleted_at is None
            ]

    # One audience.

    def get(self, audience_id: str, method: str = "GET") -> Audience:
        """The live audience, else code 100 / subcode 33."""
        with self._lock:
            audience = self._audiences.get(audience_id)
            if audience is None or audience.deleted_at is not None:
                raise does_not_exist(audience_id, method)
            return audience

    def delete(self, audience_id: str) -> None:
        """Delete an audience; its lookalikes survive it, unless the rules refuse (2656)."""
        with self._lock:
            audience = self.get(audience_id, "DELETE")
            if self.rules.refuse_seed_delete_with_lookalikes and self._live_lookalikes(audience):
                raise GraphError(
                    "(#2656) This custom audience cannot be deleted: lookalike audiences were "
                    "created from it. Delete the lookalike audiences first.",
                    2656,
                )
            audience.deleted_at = self._clock()
            audience.members.clear()

    def _live_lookalikes(self, origin: Audience) -> list[Audience]:
        return [
            audience
            for audience in self._audiences.values()
            if audience.origin_audience_id == origin.id and audience.deleted_at is None
        ]

    def flag(self, audience_id: str) -> None:
        """Make the integrity rules flag an audience (operation status 471)."""
        with self._lock:
            self.get(audience_id).flagged = True

    def set_operation_status(self, audience_id: str, code: int) -> None:
        """Force an ``operation_status`` code; 471 flags the audience (uploads blocked)."""
        with self._lock:
            audience = self.get(audience_id)
            if code == FLAGGED:
                audience.flagged = True
            else:
                audience.forced_status = code

    def change_users(self, audience_id: str, upload: UploadSpec, *, remove: bool) -> Audience:
        """Add or remove the valid entries of one ``/users`` request."""
        method = "DELETE" if remove else "POST"
        with self._lock:
            audience = self.get(audience_id, method)
            self._require_terms(audience.account_id)
            if audience.subtype != CUSTOM:
                raise invalid_parameter("users can only be changed on a customer-list audience")
            if audience.flagged:
                raise GraphError(
                    "Audience Upload Blocked: before updating user memberships, you must "
                    "resolve integrity restrictions on this audience.",
                    100,
                    1713230,
                    type="GraphMethodException",
                )
            valid = {entry for entry in upload.entries if is_sha256_hex(entry)}
            if remove:
                self._require_floor(audience, len(audience.members - valid))
            now = self._clock()
            if upload.batch is not None:
                timeout = self.rules.session_timeout_seconds
                self._sessions.check(audience.account_id, audience_id, upload.batch, now, timeout)
                self._sessions.record(audience.account_id, audience_id, upload.batch, now)
            (audience.removed if remove else audience.added).extend(upload.entries)
            if remove:
                audience.members -= valid
            else:
                audience.members |= valid
            audience.updated_at = now
            return audience

    def _require_floor(self, audience: Audience, members_left: int) -> None:
        """Refuse a removal that would leave fewer members than the floor (200/1870047)."""
        if members_left < self.rules.removal_floor:
            raise GraphError(
                "(#200) Audience size too low: removing these people would leave the "
                "audience with fewer people than it needs.",
                200,
                1870047,
            )

    def sessions(self, audience_id: str) -> list[dict[str, Any]]:
        """The upload sessions an audience used (for tests), deleted audiences included."""
        with self._lock:
            if audience_id not in self._audiences:
                raise does_not_exist(audience_id, "GET")
            timeout = self.rules.session_timeout_seconds
            return self._sessions.of_audience(audience_id, self._clock(), timeout)

    # What the platform reports.

    def _matching_done(self, audience: Audience) -> bool:
        delay = (
            self.rules.match_delay_seconds
            if audience.subtype == CUSTOM
            else self.rules.lookalike_delay_seconds
        )
        return self._clock() >= audience.updated_at + delay

    def _size(self, audience: Audience) -> int:
        if audience.subtype == CUSTOM:
            return audience.matched
        ratio = float((audience.lookalike_spec or {}).get("ratio", 0.01))
        return round(NOMINAL_COUNTRY_POPULATION * ratio)

    def describe(self, audience_id: str, fields: Sequence[str]) -> dict[str, Any]:
        """The Graph fields of an audience that the caller asked for, plus ``id``."""
        with self._lock:
            audience = self.get(audience_id)
            values = self._fields(audience)
            unknown = [name for name in fields if name not in values]
            if unknown:
                raise invalid_parameter(
                    f"Tried accessing nonexisting field ({unknown[0]}) on node type "
                    "(CustomAudience)"
                )
            return {"id": audience.id} | {name: values[name] for name in fields}

    def _fields(self, audience: Audience) -> dict[str, Any]:
        done = self._matching_done(audience)
        size = self._size(audience) if done else 0
        lower, upper = approximate_bounds(size) if done else (UNKNOWN_COUNT,) * 2
        operation = operation_status(
            lookalike=audience.subtype == LOOKALIKE,
            done=done,
            flagged=audience.flagged,
            forced=audience.forced_status,
        )
        values: dict[str, Any] = {
            "id": audience.id,
            "name": audience.name,
            "subtype": audience.subtype,
            "description": audience.description,
            "approximate_count_lower_bound": lower,
            "approximate_count_upper_bound": upper,
            "operation_status": operation,
            "delivery_status": delivery_status(operation["code"], size),
            "time_created": int(audience.created_at),
            "time_updated": int(audience.updated_at),
        }
        if audience.subtype == CUSTOM:
            values["customer_file_source"] = audience.customer_file_source
        else:
            values["lookalike_spec"] = audience.lookalike_spec
            values["origin_audience_id"] = audience.origin_audience_id
        return values

    # Introspection for tests and the demo (never served on a Graph path).

    def snapshot(self) -> list[dict[str, Any]]:
        """Every audience ever created, deleted ones included; counts, never hashes."""
        with self._lock:
            return [
                {
                    "id": audience.id,
                    "account_id": audience.account_id,
                    "name": audience.name,
                    "subtype": audience.subtype,
                    "state": self._fields(audience)["operation_status"]["code"],
                    "members": len(audience.members),
                    "matched": audience.matched,
                    "received": len(audience.added),
                    "removed": len(audience.removed),
                    "flagged": audience.flagged,
                    "deleted": audience.deleted_at is not None,
                    "origin_audience_id": audience.origin_audience_id,
                    "time_created": audience.created_at,
                    "time_updated": audience.updated_at,
                    "time_deleted": audience.deleted_at,
                }
                for audience in self._audiences.values()
            ]

    def received(self, audience_id: str) -> dict[str, list[str]]:
        """Every entry an audience was ever sent, kept after deletion (the wiretap)."""
        with self._lock:
            audience = self._audiences.get(audience_id)
            if audience is None:
                raise does_not_exist(audience_id, "GET")
            return {"added": list(audience.added), "removed": list(audience.removed)}
