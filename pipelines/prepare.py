"""Turn source batches into upload batches: validate, suppress, hash, deduplicate.

Everything here works on whole Arrow batches and keeps plaintext in memory
only, inside the generator that reads it. What leaves this module is hashed
upload batches (to the destination, never to a log) and :class:`PreparationCounts`.

Suppression is checked twice: once when a source batch is prepared, and again
by :class:`SuppressionGate` right before each upload batch is sent, so an
objection recorded while the export runs is honoured.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from audiences.identity import (
    Digests,
    NormalisationProfile,
    hex_digests,
    invalid_reasons,
    unwrap_addresses,
)
from objections.canonical import canonical_keys
from objections.crypto import BlindIndex
from objections.suppression import Suppression, prefixes
from pipelines.dedup import SeenPrefixes
from pipelines.sources.prefetch import read_ahead

UNCHECKABLE = "uncheckable"
"""Valid for the platform, but no canonical key: it cannot be checked against
the register, so it is never uploaded."""


PREPARATION_THREADS = 2
"""Worker threads analysing source batches; two use both cores of the reference machine
(see BENCHMARKS.md)."""


READ_AHEAD = 1
"""Source batches read ahead, in a thread of their own, of the one being prepared: reading
is faster than analysing, so one is enough, and a second cost about 4 MB (BENCHMARKS.md)."""


def return_arrow_memory_promptly() -> None:
    """Make Arrow allocate from jemalloc and give freed pages back at once.

    Process-wide, and meant for it: preparation is what allocates Arrow memory
    in an export. Arrow's default pool (mimalloc) keeps freed pages in every
    thread's heap; with the reader and two workers that held about 50 MB more
    at 5 M rows (BENCHMARKS.md). A build of Arrow without jemalloc keeps its pool.
    """
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - every wheel we install has jemalloc
        return
    pa.jemalloc_set_decay_ms(0)
    pa.set_memory_pool(pool)


class SuppressionSource(Protocol):
    """The part of the objection register the pipeline needs."""

    def version(self) -> str:
        """Changes whenever the set of suppressed addresses may have changed."""
        ...

    def suppression(self, platform: str) -> Suppression:
        """Everything suppressed for one platform, as of now."""
        ...


@dataclass
class PreparationCounts:
    """What happened to the rows of one export; counts only, never identifiers."""

    eligible: int = 0
    invalid: Counter[str] = field(default_factory=Counter)
    suppressed: int = 0
    suppressed_late: int = 0
    duplicates: int = 0
    prepared: int = 0
    not_utf8: int = 0
    """E-mails the source could not decode as UTF-8 (each also counted invalid: undecodable)."""

    def as_dict(self) -> dict[str, int]:
        """Flat counts for the ledger and the run summary."""
        flat = {
            "eligible": self.eligible,
            "invalid": sum(self.invalid.values()),
            "suppressed": self.suppressed + self.suppressed_late,
            "duplicates": self.duplicates,
            "prepared": self.prepared,
            "not_utf8": self.not_utf8,
        }
        flat.update({f"invalid_{reason}": count for reason, count in sorted(self.invalid.items())})
        return flat


NO_DIGESTS: Digests = np.empty((0, 32), np.uint8)


@dataclass(frozen=True)
class UploadBatch:
    """Hashes ready for the platform, with the canonical keys they came from.

    The keys stay beside the hashes (in memory) so that the batch can be
    checked against the register once more right before it is sent; their
    blind-index digests under the index key ``index_key_id`` come along
    (packed, one row of 32 bytes per hash), so that check costs no HMAC
    unless the index key changed meanwhile.
    """

    canonical_keys: list[str]
    hashes: list[str]
    index_digests: Digests = field(default_factory=lambda: NO_DIGESTS, repr=False)
    index_key_id: str | None = None

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def has_digests(self) -> bool:
        return self.index_key_id is not None and len(self.index_digests) == len(self.hashes)

    def followed_by(self, other: UploadBatch) -> UploadBatch:
        """This batch's rows, then ``other``'s."""
        if not len(self):
            return other
        keep = self.has_digests and other.has_digests and self.index_key_id == other.index_key_id
        return UploadBatch(
            self.canonical_keys + other.canonical_keys,
            self.hashes + other.hashes,
            np.concatenate((self.index_digests, other.index_digests)) if keep else NO_DIGESTS,
            self.index_key_id if keep else None,
        )

    def split(self, at: int) -> tuple[UploadBatch, UploadBatch]:
        """The rows before ``at`` and the rows from ``at`` on."""
        return self._rows(slice(None, at)), self._rows(slice(at, None))

    def without(self, drop: Sequence[bool] | npt.NDArray[np.bool_]) -> UploadBatch:
        """The batch minus the rows flagged in ``drop``."""
        kept = [index for index, flagged in enumerate(drop) if not flagged]
        return UploadBatch(
            canonical_keys=[self.canonical_keys[index] for index in kept],
            hashes=[self.hashes[index] for index in kept],
            index_digests=self.index_digests[kept] if self.has_digests else NO_DIGESTS,
            index_key_id=self.index_key_id if self.has_digests else None,
        )

    def _rows(self, rows: slice) -> UploadBatch:
        digests = self.index_digests[rows] if self.has_digests else NO_DIGESTS
        return UploadBatch(self.canonical_keys[rows], self.hashes[rows], digests, self.index_key_id)


@dataclass(frozen=True)
class _Analysis:
    """What a worker thread computed for one source batch: no register state, no dedup."""

    eligible: int
    invalid: Counter[str]
    keys: pa.StringArray
    index_digests: Digests
    index_key_id: str
    hashes: Digests
    """The platform's SHA-256 of each row of ``keys``, packed."""


def analyse(emails: pa.Array, profile: NormalisationProfile, index: BlindIndex) -> _Analysis:
    """Validate, key, blind-index and hash one source batch (runs in a worker thread).

    Everything here is a pure function of the batch: Arrow's kernels let go
    of the interpreter lock, so two batches are analysed at once.
    """
    addresses = unwrap_addresses(emails)
    reasons = invalid_reasons(addresses)
    invalid: Counter[str] = Counter()
    for entry in pc.value_counts(reasons.drop_null()).to_pylist():
        invalid[entry["values"]] += entry["counts"]
    addresses = addresses.filter(pc.is_null(reasons))
    keys = canonical_keys(addresses)
    if keys.null_count:
        invalid[UNCHECKABLE] += keys.null_count
        checkable = pc.is_valid(keys)
        addresses, keys = addresses.filter(checkable), keys.filter(checkable)
    return _Analysis(
        eligible=len(emails),
        invalid=invalid,
        keys=keys,
        index_digests=np.frombuffer(index.digest_packed(keys), np.uint8).reshape(-1, 32),
        index_key_id=index.key_id,
        hashes=profile.digest_addresses(addresses),
    )


class Preparer:
    """Streams source batches into deduplicated upload batches of a fixed size.

    A thread of its own reads the source :data:`READ_AHEAD` batches ahead;
    ``threads`` worker threads analyse source batches (:func:`analyse`) while
    the caller's thread, in source order, suppresses and deduplicates; at most
    ``threads + READ_AHEAD + 2`` source batches are held at once.
    """

    def __init__(
        self,
        *,
        profile: NormalisationProfile,
        gate: SuppressionGate,
        batch_size: int,
        counts: PreparationCounts,
        threads: int = PREPARATION_THREADS,
    ) -> None:
        self._profile = profile
        self._gate = gate
        self._batch_size = batch_size
        self._threads = threads
        self._seen = SeenPrefixes()
        self.counts = counts
        return_arrow_memory_promptly()

    def batches(self, source: Iterable[pa.RecordBatch]) -> Iterator[UploadBatch]:
        """Upload batches of exactly ``batch_size`` rows, the last one possibly smaller."""
        size = self._batch_size
        pending = UploadBatch(canonical_keys=[], hashes=[])
        for fresh in self._prepared(source):
            pending = pending.followed_by(fresh)
            full = len(pending) - len(pending) % size
            for start in range(0, full, size):
                yield pending._rows(slice(start, start + size))
            pending = pending._rows(slice(full, None))
        if len(pending):
            yield pending

    def _prepared(self, source: Iterable[pa.RecordBatch]) -> Iterator[UploadBatch]:
        in_flight: deque[Future[_Analysis]] = deque()
        with (
            ThreadPoolExecutor(self._threads, thread_name_prefix="prepare") as pool,
            closing(read_ahead(source, READ_AHEAD)) as read,
        ):
            try:
                for record_batch in read:
                    in_flight.append(
                        pool.submit(
                            analyse, record_batch.column("email"), self._profile, self._gate.index
                        )
                    )
                    if len(in_flight) > self._threads:
                        yield self._finish(in_flight.popleft().result())
                while in_flight:
                    yield self._finish(in_flight.popleft().result())
            finally:
                for pending in in_flight:
                    pending.cancel()

    def _finish(self, analysis: _Analysis) -> UploadBatch:
        """Count, suppress against the register as of now, and drop hashes already prepared."""
        counts = self.counts
        counts.eligible += analysis.eligible
        counts.invalid.update(analysis.invalid)
        suppressed = self._gate.suppressed(
            analysis.keys, analysis.index_digests, analysis.index_key_id
        )
        counts.suppressed += int(suppressed.sum())
        admitted = np.flatnonzero(~suppressed)
        first = self._seen.first_seen(prefixes(analysis.hashes[admitted]))
        kept = admitted[first]
        counts.duplicates += len(admitted) - len(kept)
        counts.prepared += len(kept)
        return UploadBatch(
            canonical_keys=analysis.keys.take(kept).to_pylist(),
            hashes=hex_digests(analysis.hashes[kept]).to_pylist(),
            index_digests=analysis.index_digests[kept],
            index_key_id=analysis.index_key_id,
        )


class SuppressionGate:
    """The register as of now: checked when rows are prepared, and again right
    before each upload batch is sent.

    The register's version is read at every check (one small query); the
    suppression set is reloaded only when that version changed.
    """

    def __init__(
        self, register: SuppressionSource, platform: str, counts: PreparationCounts
    ) -> None:
        self._register = register
        self._platform = platform
        self._suppression = register.suppression(platform)
        self.counts = counts

    @property
    def version(self) -> str:
        """The register version of the last check, for the ledger."""
        return self._suppression.version

    @property
    def index(self) -> BlindIndex:
        """The blind index of the last check (no query)."""
        return self._suppression.index

    def current(self) -> Suppression:
        """The suppression set, reloaded if the register changed since the last check."""
        if self._register.version() != self._suppression.version:
            self._suppression = self._register.suppression(self._platform)
        return self._suppression

    def suppressed(
        self,
        keys: Sequence[str] | pa.StringArray,
        index_digests: Digests,
        index_key_id: str | None,
    ) -> npt.NDArray[np.bool_]:
        """For each canonical key, suppressed as of now? ``index_digests`` are the keys'
        blind-index digests under ``index_key_id``; they are computed again only if the
        register's index key is another one by now.

        The digests are looked up in the packed, sorted suppression set
        (:meth:`~objections.suppression.Suppression.flags`): no Python object per row.
        """
        suppression = self.current()
        if index_key_id != suppression.index.key_id or len(index_digests) != len(keys):
            listed = keys.to_pylist() if isinstance(keys, pa.Array) else keys
            return np.array(suppression.suppressed(listed), dtype=bool)
        return suppression.flags(index_digests)

    def admit(self, batch: UploadBatch) -> UploadBatch:
        """The batch minus anyone who objected since it was prepared."""
        late = self.suppressed(batch.canonical_keys, batch.index_digests, batch.index_key_id)
        dropped = int(late.sum())
        if not dropped:
            return batch
        self.counts.suppressed_late += dropped
        self.counts.prepared -= dropped
        return batch.without(late)
