"""Advance an export along the ledger's state machine, one idempotent step at a time.

Both flows use this: the export flow right after its upload, and the
reconciler for every export still unfinished. Each step reads the state the
ledger recorded, asks the platform, and records the next state *before* any
call that creates or deletes something on the platform.

Privacy wins over marketing: a seed is deleted whatever failed, and at the
latest ``max_seed_age`` after it was created, lookalike or not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from audiences.destination import (
    Destination,
    LookalikeState,
    LookalikeStatus,
    MatchState,
    MatchStatus,
)
from audiences.errors import DestinationError, ErrorKind
from audiences.ledger import AudienceState, ExportRecord, IllegalTransition, Ledger

logger = logging.getLogger(__name__)

SEED_ON_PLATFORM = frozenset(
    {
        AudienceState.UPLOADED,
        AudienceState.MATCHED,
        AudienceState.LOOKALIKE_REQUESTED,
        AudienceState.LOOKALIKE_READY,
    }
)
RUNNING = frozenset({AudienceState.PLANNED, AudienceState.CREATED, AudienceState.UPLOADING})


def lookalike_name(record: ExportRecord) -> str:
    """The lookalike's name on the platform: found again by it after a crash."""
    return f"audience-export lookalike {record.export_id}"


@dataclass(frozen=True)
class Lifecycle:
    """The steps after the upload, for one destination."""

    ledger: Ledger
    destination: Destination
    stale_after: timedelta
    """An export in PLANNED/CREATED/UPLOADING without progress for this long
    is taken to have crashed: its seed is deleted."""
    clock: Callable[[], datetime]
    on_stopped_run: Callable[[ExportRecord], None] | None = None
    """Told about an export taken to have crashed (to close its orchestrator run)."""

    def advance_until_blocked(self, record: ExportRecord) -> ExportRecord:
        """Take steps until the export is finished or waits on the platform."""
        while not record.is_terminal:
            following = self.step(record)
            if following.state == record.state:
                # Waiting on the platform, or a step failed and was recorded.
                return following
            record = following
        return record

    def step(self, record: ExportRecord) -> ExportRecord:
        """One step; returns the record unchanged when the platform is not ready yet."""
        try:
            return self._step(record)
        except IllegalTransition:
            # Another runner (the export flow, or the reconciler) took this
            # step first: carry on from what it recorded.
            return self.ledger.get(record.export_id)
        except DestinationError as error:
            if error.transient or record.state in {
                AudienceState.SEED_DELETE_PENDING,
                AudienceState.SEED_DELETE_REQUESTED,
            }:
                return self._deletion_failed(record, error)
            return self.abandon(record, f"{describe_state(record.state)} failed: {error}")

    def _step(self, record: ExportRecord) -> ExportRecord:
        state = record.state
        now = self.clock()
        if (state in RUNNING or state in SEED_ON_PLATFORM) and self._seed_too_old(record, now):
            # Also mid-upload: an upload that outlives the seed's maximum age
            # (crashed, or configured with a tiny age) does not extend it.
            return self.abandon(
                record,
                f"the seed reached its maximum age of {describe_duration(record.max_seed_age)} "
                f"while {describe_state(state)}; deleted before the lookalike was ready",
            )
        if state in RUNNING:
            if now - record.state_since > self.stale_after:
                if self.on_stopped_run is not None:
                    self.on_stopped_run(record)
                return self.abandon(
                    record,
                    f"the export stopped while {describe_state(state)} "
                    f"(no progress since {record.state_since:%Y-%m-%d %H:%M:%S} UTC)",
                )
            return record
        handler = self._handlers().get(state)
        return handler(record) if handler else record

    def _handlers(self) -> dict[AudienceState, Callable[[ExportRecord], ExportRecord]]:
        return {
            AudienceState.UPLOADED: self._check_match,
            AudienceState.MATCHED: self._request_lookalike,
            AudienceState.LOOKALIKE_REQUESTED: self._check_lookalike,
            AudienceState.LOOKALIKE_READY: self._delete_seed,
            AudienceState.SEED_DELETE_PENDING: self._delete_seed,
            AudienceState.SEED_DELETE_REQUESTED: self._delete_seed,
        }

    def _seed_too_old(self, record: ExportRecord, now: datetime) -> bool:
        created = record.seed_created_at or record.created_at
        return now - created > record.max_seed_age

    def _check_match(self, record: ExportRecord) -> ExportRecord:
        status = self.destination.match_status(self._seed_id(record))
        if status.state is MatchState.FLAGGED:
            return self.abandon(
                record,
                f"the platform flagged the seed ({status.operation_code}: {status.description})",
            )
        if status.state is MatchState.PROCESSING:
            return record
        return self._record_size(record, AudienceState.MATCHED, "matched", status)

    def _request_lookalike(self, record: ExportRecord) -> ExportRecord:
        name = lookalike_name(record)
        # Created before a crash, but not recorded? Then it is not created twice.
        lookalike_id = self._audience_named(name) or self.destination.create_lookalike(
            seed_id=self._seed_id(record),
            name=name,
            country=record.country,
            ratio=record.ratio,
        )
        return self.ledger.record(
            record.export_id,
            AudienceState.LOOKALIKE_REQUESTED,
            lookalike_audience_id=lookalike_id,
        )

    def _check_lookalike(self, record: ExportRecord) -> ExportRecord:
        assert record.lookalike_audience_id is not None  # recorded with the request
        status = self.destination.lookalike_status(record.lookalike_audience_id)
        if status.state is LookalikeState.POPULATING:
            return record
        return self._record_size(record, AudienceState.LOOKALIKE_READY, "lookalike", status)

    def _delete_seed(self, record: ExportRecord) -> ExportRecord:
        seed_id = record.seed_audience_id or self._find_orphan(record)
        if seed_id is None:
            return self.ledger.record(
                record.export_id,
                AudienceState.FAILED,
                reason="no seed was ever created on the platform",
            )
        if record.state is not AudienceState.SEED_DELETE_REQUESTED:
            record = self.ledger.record(
                record.export_id, AudienceState.SEED_DELETE_REQUESTED, seed_audience_id=seed_id
            )
        try:
            self.destination.delete_audience(seed_id)
        except DestinationError as error:
            if error.kind is not ErrorKind.NOT_FOUND:
                raise
        check = self.destination.verify_deleted(seed_id)
        if not check.verified:
            return self.ledger.record(
                record.export_id,
                AudienceState.SEED_DELETE_PENDING,
                reason="the platform still returns the seed after its deletion",
                platform_answer=check.platform_answer,
            )
        return self.ledger.record(
            record.export_id,
            AudienceState.SEED_DELETION_VERIFIED,
            platform_answer=check.platform_answer,
        )

    def _find_orphan(self, record: ExportRecord) -> str | None:
        """A seed created just before a crash, before its id reached the ledger."""
        return self._audience_named(record.seed_name)

    def _audience_named(self, name: str) -> str | None:
        for ref in self.destination.list_audiences():
            if ref.name == name:
                return ref.audience_id
        return None

    def _record_size(
        self,
        record: ExportRecord,
        state: AudienceState,
        prefix: str,
        status: MatchStatus | LookalikeStatus,
    ) -> ExportRecord:
        """Record ``state`` with the platform's approximate audience size."""
        bounds = {
            f"{prefix}_lower_bound": status.approximate_count_lower_bound,
            f"{prefix}_upper_bound": status.approximate_count_upper_bound,
        }
        counts = {key: value for key, value in bounds.items() if value is not None}
        return self.ledger.record(record.export_id, state, counts=counts)

    def abandon(self, record: ExportRecord, reason: str) -> ExportRecord:
        """Stop the marketing part and delete the seed (or leave it pending deletion)."""
        logger.warning("export %s: %s", record.export_id, reason)
        pending = self.ledger.record(
            record.export_id, AudienceState.SEED_DELETE_PENDING, reason=reason
        )
        return self.step(pending)

    def _deletion_failed(self, record: ExportRecord, error: DestinationError) -> ExportRecord:
        logger.warning(
            "export %s: %s failed: %s", record.export_id, describe_state(record.state), error
        )
        if record.state in RUNNING or record.state in SEED_ON_PLATFORM:
            return record
        return self.ledger.record(
            record.export_id,
            AudienceState.SEED_DELETE_PENDING,
            reason=f"deleting the seed failed: {error}",
        )

    @staticmethod
    def _seed_id(record: ExportRecord) -> str:
        assert record.seed_audience_id is not None  # recorded at CREATED
        return record.seed_audience_id


def describe_duration(duration: timedelta) -> str:
    """A duration in words for the ledger: "48 hours", "90 minutes", "3.6 seconds"."""
    seconds = duration.total_seconds()
    count, unit = seconds, "second"
    for unit_name, length in (("hour", 3600), ("minute", 60)):
        if (seconds >= length and (seconds / length).is_integer()) or seconds >= 10 * length:
            count, unit = seconds / length, unit_name
            break
    return f"{count:g} {unit}{'' if count == 1 else 's'}"


def describe_state(state: AudienceState) -> str:
    """What the export was doing in a state, in words for the ledger and logs."""
    return {
        AudienceState.PLANNED: "planning the seed",
        AudienceState.CREATED: "opening the upload",
        AudienceState.UPLOADING: "uploading",
        AudienceState.UPLOADED: "waiting for matching",
        AudienceState.MATCHED: "requesting the lookalike",
        AudienceState.LOOKALIKE_REQUESTED: "waiting for the lookalike",
        AudienceState.LOOKALIKE_READY: "deleting the seed",
        AudienceState.SEED_DELETE_PENDING: "deleting the seed",
        AudienceState.SEED_DELETE_REQUESTED: "verifying the seed's deletion",
    }.get(state, str(state))
