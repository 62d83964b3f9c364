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
from audiences.endpoint import Endpoint
from audiences.errors import DestinationError, ErrorKind
from audiences.ledger import AudienceState, ExportRecord, IllegalTransition, Ledger
from pipelines.errors import ProductError
from pipelines.spool import SpoolStore, SpoolUnavailable
from pipelines.summary import lookalike_name

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
DELETING = frozenset(
    {
        AudienceState.SEED_DELETE_PENDING,
        AudienceState.SEED_DELETE_REQUESTED,
        AudienceState.SEED_EMPTIED,
        AudienceState.SEED_DELETION_REFUSED,
    }
)
REFUSED = frozenset({AudienceState.SEED_EMPTIED, AudienceState.SEED_DELETION_REFUSED})
"""The platform refused the seed's deletion: retried at each reconcile, never in a loop."""


class EndpointMismatch(ProductError):
    """The configured endpoint is not the one the export is bound to; nothing was called."""

    def __init__(self, record: ExportRecord, configured: Endpoint, differences: list[str]) -> None:
        bound = record.endpoint
        super().__init__(
            f"export {record.export_id} is bound to "
            f"{bound.describe() if bound else 'an unknown endpoint'}, but this run is "
            f"configured for {configured.describe()} ({', '.join(differences)} differ); "
            "nothing was sent"
        )
        self.record = record
        self.differences = differences


@dataclass(frozen=True)
class Lifecycle:
    """The steps after the upload, for one destination."""

    ledger: Ledger
    destination: Destination
    endpoint: Endpoint
    """The configured endpoint: a step runs only on exports bound to this one."""
    clock: Callable[[], datetime]
    lease_owner: str | None = None
    """The runner holding the export's lease (the export flow); ``None`` for the
    reconciler, which leaves every export with a live lease alone."""
    on_stopped_run: Callable[[ExportRecord], None] | None = None
    """Told about an export taken to have crashed (to close its orchestrator run)."""
    seed_delete_refused: str = "empty"
    """What to do when the platform refuses to delete a seed with lookalikes:
    ``empty`` it of every uploaded member, or ``delete-lookalike`` first."""
    spools: SpoolStore | None = None
    """The encrypted spools, to empty a seed exactly; destroyed once the seed is gone."""

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
        """One step; returns the record unchanged when the platform is not ready yet.

        Raises :class:`EndpointMismatch` (after noting it in the ledger) when the
        export is bound to another endpoint: then nothing is sent anywhere.
        """
        if record.is_terminal or self._leased_elsewhere(record):
            return record
        self._check_endpoint(record)
        try:
            return self._step(record)
        except IllegalTransition:
            # Another runner (the export flow, or the reconciler) took this
            # step first: carry on from what it recorded.
            return self.ledger.get(record.export_id)
        except DestinationError as error:
            if error.transient or record.state in DELETING:
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
            if record.lease is not None and record.lease.owner == self.lease_owner:
                return record  # our own upload is under way
            if self.on_stopped_run is not None:
                self.on_stopped_run(record)
            return self.abandon(
                record, f"the export stopped while {describe_state(state)} ({_lapsed(record)})"
            )
        if state in REFUSED and self.lease_owner is not None:
            return record  # just refused: the reconciler retries, not the export run
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
            AudienceState.SEED_EMPTIED: self._delete_seed,
            AudienceState.SEED_DELETION_REFUSED: self._delete_seed,
        }

    def _leased_elsewhere(self, record: ExportRecord) -> bool:
        """Whether another runner's live lease protects the export from this one."""
        lease = record.lease
        return lease is not None and lease.owner != self.lease_owner and lease.is_live(self.clock())

    def _check_endpoint(self, record: ExportRecord) -> None:
        differences = record.endpoint_differences(self.endpoint)
        if not differences:
            return
        refusal = EndpointMismatch(record, self.endpoint, differences)
        self.ledger.note("endpoint_refused", str(refusal), export_id=record.export_id)
        raise refusal

    def _seed_too_old(self, record: ExportRecord, now: datetime) -> bool:
        created = record.seed_created_at or record.created_at
        return now - created > record.max_seed_age

    def _check_match(self, record: ExportRecord) -> ExportRecord:
        status = self.destination.match_status(self._seed_id(record))
        self._note_unknown_code(record, "seed", status.unknown_code, status.platform_code)
        if status.state is MatchState.FLAGGED:
            return self.abandon(
                record,
                f"the platform flagged the seed (operation status {status.platform_code}: "
                f"{status.description})",
            )
        if status.state is MatchState.FAILED:
            return self.abandon(
                record,
                f"the platform could not match the seed (operation status "
                f"{status.platform_code}: {status.description})",
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
            size=record.size,
        )
        return self.ledger.record(
            record.export_id,
            AudienceState.LOOKALIKE_REQUESTED,
            lookalike_audience_id=lookalike_id,
        )

    def _check_lookalike(self, record: ExportRecord) -> ExportRecord:
        assert record.lookalike_audience_id is not None  # recorded with the request
        status = self.destination.lookalike_status(record.lookalike_audience_id)
        self._note_unknown_code(record, "lookalike", status.unknown_code, status.platform_code)
        if status.state in (LookalikeState.FAILED, LookalikeState.FLAGGED):
            what = "flagged" if status.state is LookalikeState.FLAGGED else "could not build"
            return self.abandon(
                record,
                f"the platform {what} the lookalike (operation status "
                f"{status.platform_code}: {status.description})",
            )
        if status.state is LookalikeState.POPULATING:
            return record
        return self._record_size(record, AudienceState.LOOKALIKE_READY, "lookalike", status)

    def _delete_seed(self, record: ExportRecord) -> ExportRecord:
        seed_id = record.seed_audience_id or self._find_orphan(record)
        if seed_id is None:
            self._destroy_spool(record, "no seed was ever created")
            return self.ledger.record(
                record.export_id,
                AudienceState.FAILED,
                reason="no seed was ever created on the platform",
            )
        before = record.state
        if before is not AudienceState.SEED_DELETE_REQUESTED:
            record = self.ledger.record(
                record.export_id, AudienceState.SEED_DELETE_REQUESTED, seed_audience_id=seed_id
            )
        try:
            self.destination.delete_audience(seed_id)
        except DestinationError as error:
            if error.kind is ErrorKind.DELETION_REFUSED:
                return self._deletion_refused(record, seed_id, before, error)
            if error.kind is not ErrorKind.NOT_FOUND:
                raise
        return self._verify_deleted(record, seed_id)

    def _verify_deleted(self, record: ExportRecord, seed_id: str) -> ExportRecord:
        check = self.destination.verify_deleted(seed_id)
        if not check.verified:
            return self.ledger.record(
                record.export_id,
                AudienceState.SEED_DELETE_PENDING,
                reason="the platform still returns the seed after its deletion",
                platform_answer=check.platform_answer,
            )
        twin = self._delete_twins(record, seed_id)
        if twin is not None:
            return self.ledger.record(
                record.export_id,
                AudienceState.SEED_DELETE_PENDING,
                reason=(
                    f"audience {twin}, named like this export's seed (a creation retried after "
                    "its answer was lost), is still on the platform after its deletion"
                ),
            )
        verified = self.ledger.record(
            record.export_id,
            AudienceState.SEED_DELETION_VERIFIED,
            platform_answer=f"{check.platform_answer} (checked through {self.endpoint.describe()})",
        )
        self._destroy_spool(record, "the platform confirmed the seed is gone")
        return verified

    def _deletion_refused(
        self,
        record: ExportRecord,
        seed_id: str,
        before: AudienceState,
        error: DestinationError,
    ) -> ExportRecord:
        """The platform keeps the seed (it has lookalikes): apply the operator's policy."""
        if self.seed_delete_refused == "delete-lookalike" and record.lookalike_audience_id:
            self._delete_lookalike(record, record.lookalike_audience_id)
            self.destination.delete_audience(seed_id)
            return self._verify_deleted(record, seed_id)
        if before is AudienceState.SEED_EMPTIED:
            # Emptied already: the deletion is still refused; record the retry.
            return self._back_to(record, AudienceState.SEED_EMPTIED, error)
        return self._empty_seed(record, seed_id, error)

    def _back_to(
        self, record: ExportRecord, state: AudienceState, error: DestinationError
    ) -> ExportRecord:
        """Record the state an unchanged refusal leaves the seed in, after a retry."""
        return self.ledger.record(
            record.export_id,
            state,
            reason=f"deletion retried and refused again: {error}",
            platform_answer="the seed was emptied earlier and holds no uploaded member",
        )

    def _empty_seed(
        self, record: ExportRecord, seed_id: str, refusal: DestinationError
    ) -> ExportRecord:
        """Remove every member this export uploaded, then check the platform's count."""
        try:
            if self.spools is None:
                raise SpoolUnavailable("no spool store is configured for this run")
            removed = 0
            for chunk in self.spools.read(record.export_id):
                for start in range(0, len(chunk), self.destination.max_batch_size):
                    part = chunk[start : start + self.destination.max_batch_size]
                    removed += self.destination.remove_batch(seed_id, part).num_received
        except SpoolUnavailable as missing:
            return self._refused(record, refusal, f"it cannot be emptied either: {missing}")
        except DestinationError as error:
            if error.kind is not ErrorKind.REMOVAL_REFUSED:
                raise
            return self._refused(record, refusal, f"emptying it was refused too: {error}")
        status = self.destination.match_status(seed_id)
        return self.ledger.record(
            record.export_id,
            AudienceState.SEED_EMPTIED,
            counts={"removed_from_seed": removed},
            reason=f"the platform refused to delete the seed: {refusal}",
            platform_answer=(
                f"removed {removed} uploaded members; the platform now counts "
                f"{_bounds(status)} people in the seed"
            ),
        )

    def _refused(self, record: ExportRecord, refusal: DestinationError, why: str) -> ExportRecord:
        return self.ledger.record(
            record.export_id,
            AudienceState.SEED_DELETION_REFUSED,
            reason=(
                f"the platform refused to delete the seed ({refusal}), and {why}. Delete the "
                f"lookalike {record.lookalike_audience_id or '(see the platform)'} and then the "
                f"seed {record.seed_audience_id} in the platform's audience manager, or set "
                'export.seed_delete_refused = "delete-lookalike"; the next reconcile verifies'
            ),
        )

    def _delete_lookalike(self, record: ExportRecord, lookalike_id: str) -> None:
        self.destination.delete_audience(lookalike_id)
        check = self.destination.verify_deleted(lookalike_id)
        self.ledger.note(
            "lookalike_deleted" if check.verified else "lookalike_delete_unverified",
            f"lookalike {lookalike_id} deleted so that its seed can be: {check.platform_answer}",
            export_id=record.export_id,
        )

    def _destroy_spool(self, record: ExportRecord, why: str) -> None:
        if self.spools is not None:
            self.spools.destroy(record.export_id, why)

    def _note_unknown_code(self, record: ExportRecord, what: str, unknown: bool, code: str) -> None:
        """An undocumented status code is shown once per export (it keeps waiting)."""
        if not unknown:
            return
        detail = f"the platform reported an undocumented {what} operation status {code}"
        if all(note.detail != detail for note in self.ledger.notes(record.export_id)):
            logger.warning("export %s: %s", record.export_id, detail)
            self.ledger.note("unknown_status", detail, export_id=record.export_id)

    def _delete_twins(self, record: ExportRecord, seed_id: str) -> str | None:
        """Delete every other audience named like the seed; the first one still there, if any.

        A creation whose answer was lost (a gateway page, a timeout) may have
        been carried out before it was retried: the seed's name is the export's
        own, so any audience bearing it holds this export's people.
        """
        twins = [
            audience_id
            for audience_id in self._audiences_named(record.seed_name)
            if audience_id != seed_id
        ]
        for twin in twins:
            try:
                self.destination.delete_audience(twin)
            except DestinationError as error:
                if error.kind is not ErrorKind.NOT_FOUND:
                    raise
            if not self.destination.verify_deleted(twin).verified:
                return twin
        if twins:
            self.ledger.note(
                "twin_seed_deleted",
                f"deleted and verified {len(twins)} more audience(s) named like the seed: "
                f"{', '.join(twins)}",
                export_id=record.export_id,
            )
        return None

    def _find_orphan(self, record: ExportRecord) -> str | None:
        """A seed created just before a crash, before its id reached the ledger."""
        return self._audience_named(record.seed_name)

    def _audience_named(self, name: str) -> str | None:
        return next(iter(self._audiences_named(name)), None)

    def _audiences_named(self, name: str) -> list[str]:
        return [ref.audience_id for ref in self.destination.list_audiences() if ref.name == name]

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
        AudienceState.SEED_EMPTIED: "retrying the refused deletion of the emptied seed",
        AudienceState.SEED_DELETION_REFUSED: "retrying the refused deletion of the seed",
    }.get(state, str(state))


def _lapsed(record: ExportRecord) -> str:
    lease = record.lease
    if lease is None:
        return "it holds no lease"
    expired = f"{lease.expires_at:%Y-%m-%d %H:%M:%S} UTC"
    return f"its lease, held by {lease.describe()}, expired at {expired}"


def _bounds(status: MatchStatus) -> str:
    lower, upper = status.approximate_count_lower_bound, status.approximate_count_upper_bound
    if lower is None and upper is None:
        return "no"
    return f"{lower if lower is not None else '?'}–{upper if upper is not None else '?'}"
