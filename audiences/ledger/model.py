"""What the ledger records: the request, each event, and the record they add up to.

Everything here is ids, states, times and counts. Free text (``reason``,
``platform_answer``) is a translated error or status message written by the
pipeline, never an identifier; the ledger caps its length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from audiences.destination import LookalikeSize
from audiences.endpoint import Endpoint
from audiences.ledger.states import TERMINAL_STATES, AudienceState

SEED_NAME_PREFIX = "audience-export seed "
"""Seeds are named after their export, so an unrecorded seed can be found by listing."""


def seed_name(export_id: str) -> str:
    """The name of the seed audience an export creates on the platform."""
    return f"{SEED_NAME_PREFIX}{export_id}"


@dataclass(frozen=True)
class ExportRequest:
    """What was asked for: one seed and its lookalike on one ad account."""

    destination: str
    ad_account: str
    country: str
    size: LookalikeSize
    dry_run: bool
    max_seed_age: timedelta
    """A seed older than this is deleted even if its lookalike is not ready."""


@dataclass(frozen=True)
class LedgerEvent:
    """One transition, as stored: an append-only row of ``export_events``."""

    event_id: int
    export_id: str
    state: AudienceState
    recorded_at: datetime
    seed_audience_id: str | None = None
    lookalike_audience_id: str | None = None
    upload_session_id: str | None = None
    register_version: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    reason: str | None = None
    platform_answer: str | None = None


@dataclass(frozen=True)
class Lease:
    """Who runs an export now, and until when unless renewed (owner id, host, pid)."""

    owner: str
    host: str
    pid: int
    expires_at: datetime

    def is_live(self, now: datetime) -> bool:
        """Whether the lease still protects its export from the reconciler."""
        return now < self.expires_at

    def describe(self) -> str:
        """Where the export runs, for messages: ``host:pid``."""
        return f"{self.host} pid {self.pid}"


@dataclass(frozen=True)
class LegalRecord:
    """Why an export was lawful: the basis, its assessment and the notice version in force."""

    basis: str
    assessment_reference: str
    notice_version: str

    def describe(self) -> str:
        """One line for summaries and reports."""
        return (
            f"{self.basis.replace('_', ' ')} (assessment {self.assessment_reference}, "
            f"notice {self.notice_version})"
        )


@dataclass(frozen=True)
class Note:
    """An append-only fact about an export that changes no state (a refusal, a sweep)."""

    recorded_at: datetime
    kind: str
    detail: str
    export_id: str | None = None


@dataclass(frozen=True)
class ExportRecord(ExportRequest):
    """An export as its events add up: its request, latest state and everything learnt so far."""

    export_id: str
    seed_name: str
    created_at: datetime
    state: AudienceState
    state_since: datetime
    seed_audience_id: str | None
    lookalike_audience_id: str | None
    upload_session_id: str | None
    register_version: str | None
    counts: Mapping[str, int]
    """Every count reported so far; a later event overrides a key it repeats."""
    failure_reason: str | None
    """The reason given when the export first went wrong (pending deletion or failed)."""
    latest_reason: str | None
    """The reason of the newest event that gave one (what is wrong now)."""
    seed_created_at: datetime | None
    seed_deleted_at: datetime | None
    """When the platform confirmed the seed no longer exists."""
    deletion_answer: str | None
    """The platform's own answer that confirmed the deletion."""
    run_id: str | None = None
    """The orchestrator's run (Prefect flow run id) that planned the export, if any."""
    endpoint: Endpoint | None = None
    """The endpoint the export is bound to; its environment is unknown for old exports."""
    register_identity: str | None = None
    """The identity of the objection register the export was checked against."""
    lease: Lease | None = None
    """The running export's lease; ``None`` once released (or never taken)."""
    legal: LegalRecord | None = None
    """The legal basis recorded when the export was planned (none for a refused run)."""

    def endpoint_differences(self, configured: Endpoint) -> list[str]:
        """The endpoint fields that differ from the export's own (every one when unbound)."""
        if self.endpoint is None:
            return ["environment"]
        return self.endpoint.differences(configured)

    @property
    def is_terminal(self) -> bool:
        """Whether nothing more will happen to this export."""
        return self.state in TERMINAL_STATES

    @property
    def seed_expires_at(self) -> datetime | None:
        """When the seed must be deleted at the latest (privacy wins over marketing)."""
        if self.seed_created_at is None:
            return None
        return self.seed_created_at + self.max_seed_age


_T = TypeVar("_T")

_GOES_WRONG = frozenset({AudienceState.SEED_DELETE_PENDING, AudienceState.FAILED})


def accumulate(
    export_id: str,
    request: ExportRequest,
    created_at: datetime,
    events: Sequence[LedgerEvent],
    run_id: str | None = None,
    endpoint: Endpoint | None = None,
    register_identity: str | None = None,
    lease: Lease | None = None,
    legal: LegalRecord | None = None,
) -> ExportRecord:
    """Fold an export's events, oldest first, into its current record."""
    if not events:
        raise ValueError(f"export {export_id} has no events")
    counts: dict[str, int] = {}
    for event in events:
        counts.update(event.counts)
    went_wrong = _first(events, lambda event: event.state in _GOES_WRONG)
    created = _first(events, lambda event: event.state is AudienceState.CREATED)
    verified = _first(events, lambda event: event.state is AudienceState.SEED_DELETION_VERIFIED)
    last = events[-1]
    return ExportRecord(
        destination=request.destination,
        ad_account=request.ad_account,
        country=request.country,
        size=request.size,
        dry_run=request.dry_run,
        max_seed_age=request.max_seed_age,
        export_id=export_id,
        seed_name=seed_name(export_id),
        created_at=created_at,
        state=last.state,
        state_since=last.recorded_at,
        seed_audience_id=_latest(events, lambda event: event.seed_audience_id),
        lookalike_audience_id=_latest(events, lambda event: event.lookalike_audience_id),
        upload_session_id=_latest(events, lambda event: event.upload_session_id),
        register_version=_latest(events, lambda event: event.register_version),
        counts=counts,
        failure_reason=went_wrong.reason if went_wrong else None,
        latest_reason=_latest(events, lambda event: event.reason),
        seed_created_at=created.recorded_at if created else None,
        seed_deleted_at=verified.recorded_at if verified else None,
        deletion_answer=verified.platform_answer if verified else None,
        run_id=run_id,
        endpoint=endpoint,
        register_identity=register_identity,
        lease=lease,
        legal=legal,
    )


def _first(
    events: Sequence[LedgerEvent], wanted: Callable[[LedgerEvent], bool]
) -> LedgerEvent | None:
    return next((event for event in events if wanted(event)), None)


def _latest(events: Sequence[LedgerEvent], pick: Callable[[LedgerEvent], _T | None]) -> _T | None:
    return next((value for value in map(pick, reversed(events)) if value is not None), None)
