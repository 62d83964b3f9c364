"""The sent index: which exports uploaded a mailbox, as keyed digests only.

Each digest is the objection register's blind index of a canonical mailbox key
(HMAC-SHA-256 under an index key named by ``key_id``); the ledger never sees
the key, an address or a plain hash. Rows are purged once their export is
older than the retention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from audiences.ledger.schema import exports, sent_index

_CHUNK = 5_000


@dataclass(frozen=True)
class SentIndex:
    """The sent index in the ledger's database."""

    engine: sa.Engine

    def record(self, export_id: str, key_id: str, digests: Sequence[bytes]) -> None:
        """Add what one batch of ``export_id`` uploaded."""
        rows = [{"export_id": export_id, "key_id": key_id, "digest": digest} for digest in digests]
        with self.engine.begin() as connection:
            for start in range(0, len(rows), _CHUNK):
                connection.execute(sent_index.insert(), rows[start : start + _CHUNK])

    def exports_with(self, digests: Mapping[str, bytes]) -> list[str]:
        """Ids of the exports that uploaded the mailbox whose digest per key id is given."""
        if not digests:
            return []
        wanted = sa.or_(
            *(
                sa.and_(sent_index.c.key_id == key_id, sent_index.c.digest == digest)
                for key_id, digest in digests.items()
            )
        )
        query = sa.select(sent_index.c.export_id).where(wanted).distinct()
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def key_ids(self) -> dict[str, int]:
        """Per index key id, how many exports recorded digests under it."""
        query = sa.select(
            sent_index.c.key_id, sa.func.count(sa.distinct(sent_index.c.export_id))
        ).group_by(sent_index.c.key_id)
        with self.engine.connect() as connection:
            return {key_id: count for key_id, count in connection.execute(query)}

    def purge(self, created_before: datetime) -> int:
        """Delete the digests of exports created before ``created_before``; rows deleted."""
        old = sa.select(exports.c.export_id).where(exports.c.created_at < created_before)
        with self.engine.begin() as connection:
            deleted = connection.execute(sent_index.delete().where(sent_index.c.export_id.in_(old)))
            return deleted.rowcount
