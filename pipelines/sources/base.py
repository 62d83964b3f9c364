"""What every source offers: bounded batches of ``(account_id, email)`` and a row count."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Self

import pyarrow as pa

from pipelines.sources.arrow import conform, reslice


class Source(ABC):
    """An open source of eligible accounts; close it (or use ``with``) when done.

    Opening a source checks it: the database is reachable and the eligibility
    query runs and returns ``account_id`` and ``email`` — so a bad query fails
    before the first batch, never in the middle of an export.
    """

    def __init__(self, batch_rows: int) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be positive")
        self.batch_rows = batch_rows
        self.undecodable_emails = 0
        """E-mails read so far that were not valid UTF-8 (decoded with U+FFFD)."""
        self.batches_read = 0
        self.rows_read = 0
        """Batches and rows the source delivered so far, to say where a failure happened."""

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The eligible accounts, in batches of at most ``batch_rows`` rows.

        Each batch has exactly two ``string`` columns, ``account_id`` and
        ``email`` (nullable); memory holds about one batch at a time.
        """
        for account_id, email in self._read():
            batch, undecodable = conform(account_id, email)
            self.undecodable_emails += undecodable
            self.batches_read += 1
            self.rows_read += batch.num_rows
            yield from reslice(batch, self.batch_rows)

    def position(self) -> str:
        """Where the stream is, in words: the batch being read and the rows before it."""
        return f" in batch {self.batches_read + 1} (after {self.rows_read} eligible rows)"

    @abstractmethod
    def estimate_rows(self) -> int:
        """How many rows :meth:`batches` will yield (a count, run now)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and files."""

    @abstractmethod
    def _read(self) -> Iterator[tuple[pa.Array, pa.Array]]:
        """The raw ``account_id`` and ``email`` columns, batch by batch."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
