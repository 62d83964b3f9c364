"""Turn source batches into upload batches: validate, suppress, hash, deduplicate.

Everything here works on whole Arrow batches and keeps plaintext in memory
only, inside the generator that reads it. What leaves this module is hashed
upload batches (to the destination, never to a log) and :class:`PreparationCounts`.

Suppression is checked twice: once when a source batch is prepared, and again
by :class:`SuppressionGate` right before each upload batch is sent, so an
objection recorded while the export runs is honoured.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from audiences.identity import NormalisationProfile, invalid_reasons, unwrap_addresses
from objections.canonical import canonical_keys
from objections.suppression import Suppression

UNCHECKABLE = "uncheckable"
"""Valid for the platform, but no canonical key: it cannot be checked against
the register, so it is never uploaded."""


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


@dataclass(frozen=True)
class UploadBatch:
    """Hashes ready for the platform, with the canonical keys they came from.

    The keys stay beside the hashes (in memory) so that the batch can be
    checked against the register once more right before it is sent.
    """

    canonical_keys: list[str]
    hashes: list[str]

    def __len__(self) -> int:
        return len(self.hashes)

    def followed_by(self, other: UploadBatch) -> UploadBatch:
        """This batch's rows, then ``other``'s."""
        return UploadBatch(self.canonical_keys + other.canonical_keys, self.hashes + other.hashes)

    def split(self, at: int) -> tuple[UploadBatch, UploadBatch]:
        """The rows before ``at`` and the rows from ``at`` on."""
        return (
            UploadBatch(self.canonical_keys[:at], self.hashes[:at]),
            UploadBatch(self.canonical_keys[at:], self.hashes[at:]),
        )

    def without(self, drop: Sequence[bool]) -> UploadBatch:
        """The batch minus the rows flagged in ``drop``."""
        kept = [index for index, flagged in enumerate(drop) if not flagged]
        return UploadBatch(
            canonical_keys=[self.canonical_keys[index] for index in kept],
            hashes=[self.hashes[index] for index in kept],
        )


class Preparer:
    """Streams source batches into deduplicated upload batches of a fixed size."""

    def __init__(
        self,
        *,
        profile: NormalisationProfile,
        gate: SuppressionGate,
        batch_size: int,
        counts: PreparationCounts,
    ) -> None:
        self._profile = profile
        self._gate = gate
        self._batch_size = batch_size
        self._seen: set[bytes] = set()
        self.counts = counts

    def batches(self, source: Iterable[pa.RecordBatch]) -> Iterator[UploadBatch]:
        """Upload batches of exactly ``batch_size`` rows, the last one possibly smaller."""
        pending = UploadBatch(canonical_keys=[], hashes=[])
        for record_batch in source:
            fresh = self._prepare(record_batch.column("email"))
            pending = UploadBatch(
                canonical_keys=pending.canonical_keys + fresh.canonical_keys,
                hashes=pending.hashes + fresh.hashes,
            )
            while len(pending) >= self._batch_size:
                size = self._batch_size
                yield UploadBatch(pending.canonical_keys[:size], pending.hashes[:size])
                pending = UploadBatch(pending.canonical_keys[size:], pending.hashes[size:])
        if len(pending):
            yield pending

    def _prepare(self, emails: pa.Array) -> UploadBatch:
        self.counts.eligible += len(emails)
        addresses = unwrap_addresses(emails)
        reasons = invalid_reasons(addresses)
        self._count_invalid(reasons)
        addresses = addresses.filter(pc.is_null(reasons))

        keys = canonical_keys(addresses)
        uncheckable = pc.is_null(keys)
        if unchecked := pc.sum(uncheckable).as_py():
            self.counts.invalid[UNCHECKABLE] += unchecked
        addresses = addresses.filter(pc.invert(uncheckable))
        key_list: list[str] = keys.filter(pc.invert(uncheckable)).to_pylist()

        suppressed = self._gate.current().suppressed(key_list)
        self.counts.suppressed += sum(suppressed)
        addresses = addresses.filter(pa.array([not flag for flag in suppressed], pa.bool_()))
        key_list = [key for key, flag in zip(key_list, suppressed, strict=True) if not flag]

        return self._deduplicate(key_list, self._profile.hash_addresses(addresses))

    def _count_invalid(self, reasons: pa.Array) -> None:
        for entry in pc.value_counts(reasons.drop_null()).to_pylist():
            self.counts.invalid[entry["values"]] += entry["counts"]

    def _deduplicate(self, keys: list[str], hashes: list[str]) -> UploadBatch:
        """Drop hashes already prepared in this export.

        The one structure that grows with the export rather than the batch: a
        set of the first 16 bytes of every distinct hash (about 80 bytes each
        in memory; two different addresses sharing them has odds of 2^-128).
        """
        seen = self._seen
        kept_keys: list[str] = []
        kept_hashes: list[str] = []
        fromhex = bytes.fromhex
        for key, digest in zip(keys, hashes, strict=True):
            prefix = fromhex(digest[:32])
            if prefix in seen:
                self.counts.duplicates += 1
                continue
            seen.add(prefix)
            kept_keys.append(key)
            kept_hashes.append(digest)
        self.counts.prepared += len(kept_hashes)
        return UploadBatch(kept_keys, kept_hashes)


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

    def current(self) -> Suppression:
        """The suppression set, reloaded if the register changed since the last check."""
        if self._register.version() != self._suppression.version:
            self._suppression = self._register.suppression(self._platform)
        return self._suppression

    def admit(self, batch: UploadBatch) -> UploadBatch:
        """The batch minus anyone who objected since it was prepared."""
        late = self.current().suppressed(batch.canonical_keys)
        dropped = sum(late)
        if not dropped:
            return batch
        self.counts.suppressed_late += dropped
        self.counts.prepared -= dropped
        return batch.without(late)
