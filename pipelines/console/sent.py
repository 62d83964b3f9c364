"""An export's sent index (recorded while it uploads) and the lookup "was this address sent?".

Each batch the platform accepted is recorded as blind-index digests of its
canonical mailbox keys under the register's current index key — the same
keyed digest suppression computes, never a plain hash. A lookup digests the
address under every index key the register holds; digests recorded under a key
that a rotation retired can no longer be searched (the lookup says how many
exports that leaves out; the rotation's backup key file keeps them readable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from audiences.ledger import ExportRecord, Ledger
from objections.register import Register
from pipelines.prepare import UploadBatch


def sent_recorder(
    ledger: Ledger, register: Register, export_id: str, *, retention_days: int
) -> Callable[[UploadBatch], None]:
    """The ``on_sent`` of :func:`pipelines.upload.upload_seed`: records each accepted batch.

    Purges the sent index of exports older than ``retention_days`` first.
    """
    index = ledger.sent_index()
    index.purge(datetime.now(UTC) - timedelta(days=retention_days))

    def record(batch: UploadBatch) -> None:
        blind = register.blind_index()
        index.record(export_id, blind.key_id, blind.digest_many(batch.canonical_keys))

    return record


@dataclass(frozen=True)
class SentAnswer:
    """Which exports uploaded a mailbox, and what the lookup could not search."""

    exports: list[ExportRecord]
    unsearchable_exports: int
    """Exports whose digests are under an index key this register no longer holds."""
    retention_days: int


def lookup_sent(
    register: Register, ledger: Ledger, address: str, *, retention_days: int
) -> SentAnswer:
    """The exports (newest first) that uploaded ``address``'s mailbox, within the retention.

    Raises :class:`~objections.canonical.InvalidAddress` when the address has no key.
    """
    digests = register.digests(address)
    index = ledger.sent_index()
    index.purge(datetime.now(UTC) - timedelta(days=retention_days))
    found = [ledger.get(export_id) for export_id in index.exports_with(digests)]
    retired = sum(count for key_id, count in index.key_ids().items() if key_id not in digests)
    found.sort(key=lambda record: record.created_at, reverse=True)
    return SentAnswer(found, retired, retention_days)
