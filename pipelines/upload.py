"""Stream one export's source into a seed audience, recording each step in the ledger.

This is the only place where plaintext addresses and their hashes meet the
platform. It runs inside one Prefect task; the addresses never leave it.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import TypeVar

from audiences.destination import Destination
from audiences.ledger import AudienceState, ExportRecord, IllegalTransition, Ledger
from pipelines.prepare import PreparationCounts, Preparer, SuppressionGate, SuppressionSource
from pipelines.progress import ProgressReporter
from pipelines.sources import Source

MIN_SEED_SIZE = 100
"""Meta needs at least 100 matched people from one country to build a lookalike."""

T = TypeVar("T")


class NothingToUpload(Exception):
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
) -> ExportRecord:
    """Create the seed and upload every admissible hash in one session.

    Moves the export from PLANNED to UPLOADED (or DRY_RUN, or FAILED when
    nothing is left to upload). Raises whatever the destination raises; the
    caller records the failure and has the seed deleted.
    """
    estimated_total = source.estimate_rows()
    counts = PreparationCounts()
    gate = SuppressionGate(register, destination.name, counts)
    preparer = Preparer(
        profile=destination.profile,
        gate=gate,
        batch_size=min(batch_size, destination.max_batch_size),
        counts=counts,
    )
    batches = with_last_flag(preparer.batches(source.batches()))

    if record.dry_run:
        for _batch, _last in batches:
            pass
        return ledger.record(
            record.export_id,
            AudienceState.DRY_RUN,
            counts=totals(counts, source),
            register_version=gate.version,
        )

    if estimated_total < MIN_SEED_SIZE:
        raise NothingToUpload(
            f"only {estimated_total} eligible accounts; a lookalike needs at least {MIN_SEED_SIZE}",
            totals(counts, source),
        )
    first = next(batches, None)
    if first is None:
        raise NothingToUpload(
            "no address is left to upload after validation and suppression",
            totals(counts, source),
        )

    seed_id = destination.create_seed(
        name=record.seed_name,
        description="Lookalike seed; deleted as soon as the lookalike is built.",
    )
    try:
        ledger.record(record.export_id, AudienceState.CREATED, seed_audience_id=seed_id)
    except IllegalTransition:
        # The reconciler gave this export up (no progress while the source was
        # read) before the seed existed: hand the new seed over for deletion.
        ledger.record(
            record.export_id,
            AudienceState.SEED_DELETE_PENDING,
            seed_audience_id=seed_id,
            reason="the seed was created after the export had been given up",
        )
        raise
    session = destination.start_session(estimated_total=estimated_total)
    ledger.record(
        record.export_id,
        AudienceState.UPLOADING,
        upload_session_id=session.session_id,
        register_version=gate.version,
    )
    progress.start(total=estimated_total)
    sent = {"batches_sent": 0, "uploaded": 0, "received": 0, "rejected_by_platform": 0}
    for batch, last in chain([first], batches):
        admitted = gate.admit(batch)
        if not len(admitted):
            continue
        sent["batches_sent"] += 1
        receipt = destination.upload_batch(
            seed_id,
            admitted.hashes,
            session=session,
            batch_seq=sent["batches_sent"],
            last_batch=last,
        )
        sent["uploaded"] += len(admitted)
        sent["received"] += receipt.num_received
        sent["rejected_by_platform"] += receipt.num_invalid_entries
        ledger.record(
            record.export_id,
            AudienceState.UPLOADING,
            counts=sent,
            register_version=gate.version,
        )
        progress.advance(len(admitted))
    progress.finish()
    return ledger.record(
        record.export_id,
        AudienceState.UPLOADED,
        counts=totals(counts, source) | sent,
        register_version=gate.version,
    )
