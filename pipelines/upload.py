"""Stream one export's source into a seed audience, recording each step in the ledger.

This is the only place where plaintext addresses and their hashes meet the
platform. It runs inside one Prefect task; the addresses never leave it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import TypeVar

from audiences.destination import BatchReceipt, Destination, UploadSession
from audiences.errors import DestinationError, ErrorKind
from audiences.ledger import AudienceState, ExportRecord, IllegalTransition, Ledger
from pipelines.errors import ProductError
from pipelines.prepare import (
    PreparationCounts,
    Preparer,
    SuppressionGate,
    SuppressionSource,
    UploadBatch,
)
from pipelines.progress import ProgressReporter
from pipelines.sources import Source
from pipelines.spool import SpoolWriter

SESSION_WINDOW_SHARE = 0.8
"""A batch starting after this share of the platform's session window closes the session."""

T = TypeVar("T")


class NothingToUpload(ProductError):
    """The export has too few addresses left to seed a lookalike."""

    def __init__(self, message: str, counts: dict[str, int]) -> None:
        super().__init__(message)
        self.counts = counts
        """What happened to the rows read so far, for the ledger (counts only)."""


def with_last_flag(items: Iterator[T]) -> Iterator[tuple[T, bool]]:
    """Each item with whether it is the last one (reads one item ahead)."""
    try:
        previous = next(items)
    except StopIteration:
        return
    for item in items:
        yield previous, False
        previous = item
    yield previous, True


def totals(counts: PreparationCounts, source: Source) -> dict[str, int]:
    """The preparation counts so far, with the source's count of undecodable e-mails."""
    counts.not_utf8 = source.undecodable_emails
    return counts.as_dict()


def upload_seed(
    record: ExportRecord,
    *,
    ledger: Ledger,
    destination: Destination,
    source: Source,
    register: SuppressionSource,
    progress: ProgressReporter,
    batch_size: int,
    min_seed_size: int,
    spool: Callable[[], SpoolWriter] | None = None,
    left_out: Mapping[str, int] | None = None,
    on_sent: Callable[[UploadBatch], None] | None = None,
) -> ExportRecord:
    """Create the seed and upload every admissible hash, in as few sessions as possible.

    ``spool`` opens the export's encrypted spool (after the seed exists), which
    keeps what the seed received while the seed exists. ``left_out`` are counts
    of accounts the source query itself left out (e.g. ``no_consent``), for the
    ledger. ``on_sent`` is told of each batch the platform accepted (to record
    the export's sent index).

    Moves the export from PLANNED to UPLOADED (or DRY_RUN, or FAILED when
    nothing is left to upload). Raises whatever the destination raises; the
    caller records the failure and has the seed deleted.
    """
    estimated_total = source.estimate_rows()
    counts = PreparationCounts()

    def counted() -> dict[str, int]:
        return totals(counts, source) | dict(left_out or {})

    gate = SuppressionGate(register, destination.name, counts)
    preparer = Preparer(
        profile=destination.profile,
        gate=gate,
        batch_size=min(batch_size, destination.max_batch_size),
        counts=counts,
    )
    batches = preparer.batches(source.batches())

    if record.dry_run:
        for _batch in batches:
            pass
        return ledger.record(
            record.export_id,
            AudienceState.DRY_RUN,
            counts=counted(),
            register_version=gate.version,
        )

    if estimated_total < min_seed_size:
        raise NothingToUpload(
            f"only {estimated_total} eligible accounts; a lookalike needs at least {min_seed_size}",
            counted(),
        )
    first = next(batches, None)
    if first is None:
        raise NothingToUpload(
            "no address is left to upload after validation and suppression",
            counted(),
        )

    seed_id = destination.create_seed(
        name=record.seed_name,
        description="Lookalike seed; deleted as soon as the lookalike is built.",
    )
    if seed_id is not None:
        record_created(ledger, record.export_id, seed_id)
    spool_writer = spool() if spool is not None else None
    sender = SessionSender(
        ledger=ledger,
        export_id=record.export_id,
        destination=destination,
        seed_id=seed_id,
        seed_name=record.seed_name,
        estimated_total=estimated_total,
        spool=spool_writer,
        on_sent=on_sent,
    )
    sender.open_session(register_version=gate.version)
    progress.start(total=estimated_total)
    for admitted, last in flagged_batches(
        chain([first], batches), gate, destination.max_batch_size
    ):
        sender.send(admitted, last=last, register_version=gate.version)
        progress.advance(len(admitted))
    if sender.seed_id is None:
        raise NothingToUpload(
            "every address of the closing batch objected before it was sent, so the platform "
            "never created the seed; the files already sent were not attached to any audience",
            counted() | sender.sent,
        )
    if not sender.closed:
        ledger.note(
            "session_left_open",
            "every address of the last batch objected before it was sent: the upload "
            "session ends by itself when the platform's session window passes",
            export_id=record.export_id,
        )
    progress.finish()
    return ledger.record(
        record.export_id,
        AudienceState.UPLOADED,
        counts=counted() | sender.sent,
        register_version=gate.version,
    )


def record_created(ledger: Ledger, export_id: str, seed_id: str) -> None:
    """Record the new seed; hand it over for deletion if the export was given up meanwhile."""
    try:
        ledger.record(export_id, AudienceState.CREATED, seed_audience_id=seed_id)
    except IllegalTransition:
        # The reconciler gave this export up (no progress while the source was
        # read) before the seed existed: hand the new seed over for deletion.
        ledger.record(
            export_id,
            AudienceState.SEED_DELETE_PENDING,
            seed_audience_id=seed_id,
            reason="the seed was created after the export had been given up",
        )
        raise


def flagged_batches(
    batches: Iterator[UploadBatch], gate: SuppressionGate, max_size: int
) -> Iterator[tuple[UploadBatch, bool]]:
    """Admitted batches, the very last one flagged, each checked against the register last.

    One row of every batch is held back and sent with the next, so that the
    final request always has something to carry ``last_batch_flag`` even when
    late objections empty the last prepared batch. Rows are admitted (checked
    against the register) in the request that sends them; a request never holds
    more than ``max_size`` rows.
    """
    reserve: UploadBatch | None = None
    for batch, last in with_last_flag(batches):
        admitted = gate.admit(batch if reserve is None else reserve.followed_by(batch))
        if not last:
            admitted, reserve = admitted.split(len(admitted) - 1)
            if len(admitted):
                yield admitted, False
            elif not len(reserve):
                reserve = None
            continue
        head, tail = admitted.split(max(0, len(admitted) - max_size))
        if len(head):
            yield head, False
        if len(tail):
            yield tail, True


@dataclass
class SessionSender:
    """Sends admitted batches in upload sessions, opening a new one when a session ends.

    A platform ends an unflagged session some time after its first batch
    (``Destination.session_window_seconds``). A batch that would start after most of that window is
    sent as the session's last; a batch the platform refuses because the session
    ended is sent again as the first of a new session (it was not received).
    Each batch is written to the encrypted spool before it is sent.

    On a platform that creates the seed from uploaded data, ``seed_id`` is
    ``None`` until the closing batch created it; the ledger records the seed,
    the session and the counts then.
    """

    ledger: Ledger
    export_id: str
    destination: Destination
    seed_id: str | None
    seed_name: str
    estimated_total: int
    spool: SpoolWriter | None
    on_sent: Callable[[UploadBatch], None] | None = None
    """Told of each batch the platform accepted (the export's sent index)."""
    clock: Callable[[], float] = time.monotonic
    sent: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("batches_sent", "uploaded", "received", "rejected_by_platform", "sessions"), 0
        )
    )
    closed: bool = False
    _session: UploadSession | None = None
    _batch_seq: int = 0
    _started: float = 0.0

    def open_session(self, *, register_version: str, reason: str | None = None) -> None:
        """Start a new upload session and record it."""
        self._session = self.destination.start_session(
            estimated_total=self.estimated_total, seed_name=self.seed_name
        )
        self._batch_seq = 0
        self._started = self.clock()
        self.closed = False
        self.sent["sessions"] += 1
        self._record_progress(register_version, session=True)
        if reason is not None:
            self.ledger.note("session_restarted", reason, export_id=self.export_id)

    def send(self, batch: UploadBatch, *, last: bool, register_version: str) -> None:
        """Send one admitted batch (flagged when ``last`` or the session is nearly over)."""
        if self.spool is not None:
            self.spool.append(batch.hashes, batch.canonical_keys)
        if self.closed:
            self.open_session(
                register_version=register_version,
                reason="the previous session was closed before the platform's window ended",
            )
        closing = last or self._window_nearly_over()
        try:
            receipt = self._upload(batch, closing)
        except DestinationError as error:
            if error.kind is not ErrorKind.SESSION_ENDED:
                raise
            self.open_session(
                register_version=register_version,
                reason=f"the platform ended the upload session: {error}",
            )
            receipt = self._upload(batch, closing)
        self.closed = closing
        if receipt.created_seed_id is not None:  # first of all: the seed's id is on record
            self.seed_id = receipt.created_seed_id
            record_created(self.ledger, self.export_id, self.seed_id)
        if self.on_sent is not None:
            self.on_sent(batch)
        self.sent["batches_sent"] += 1
        self.sent["uploaded"] += len(batch)
        self.sent["received"] += receipt.num_received
        self.sent["rejected_by_platform"] += receipt.num_invalid_entries
        self._record_progress(register_version, session=receipt.created_seed_id is not None)

    def _record_progress(self, register_version: str, *, session: bool = False) -> None:
        """Record the counts (and the session, when it is new) once the seed exists."""
        if self.seed_id is None:
            return  # PLANNED until the platform creates the seed; the lease shows progress
        assert self._session is not None  # opened first
        self.ledger.record(
            self.export_id,
            AudienceState.UPLOADING,
            upload_session_id=self._session.session_id if session else None,
            register_version=register_version,
            counts=self.sent,
        )

    def _upload(self, batch: UploadBatch, last: bool) -> BatchReceipt:
        assert self._session is not None  # opened first
        self._batch_seq += 1
        return self.destination.upload_batch(
            self.seed_id,
            batch.hashes,
            session=self._session,
            batch_seq=self._batch_seq,
            last_batch=last,
        )

    def _window_nearly_over(self) -> bool:
        window = self.destination.session_window_seconds
        return self.clock() - self._started > window * SESSION_WINDOW_SHARE
