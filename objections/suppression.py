"""The suppression set handed to the pipeline: blind-index digests and the register version.

The digests are kept packed, 32 bytes a row in one ``numpy`` array sorted by
their first 8 bytes, so that a whole batch is checked with one binary search
per row and one full comparison per candidate, without a Python object per
digest (a ``frozenset`` of 100 000 digests took 10 MB and a loop to query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from objections.crypto import BlindIndex

DIGEST_BYTES = 32

_TABLE_SPARSITY_BITS = 4
"""The occupancy table has about 16 slots per digest: 1 row in 16 needs a binary search."""
_MAX_TABLE_BITS = 24
"""At most 16 MB of table, whatever the register's size."""

Packed = npt.NDArray[np.uint8]
"""Digests, one row of :data:`DIGEST_BYTES` bytes each."""


def prefixes(packed: Packed) -> npt.NDArray[np.uint64]:
    """The first 8 bytes of each digest row, as one unsigned integer each."""
    return np.ascontiguousarray(packed[:, :8]).view(np.uint64).reshape(-1)


def pack(digests: Sequence[bytes]) -> Packed:
    """Digests of :data:`DIGEST_BYTES` bytes each, as one ``(rows, 32)`` array."""
    packed = np.frombuffer(b"".join(digests), np.uint8)
    if len(packed) != DIGEST_BYTES * len(digests):
        raise ValueError("every blind-index digest is 32 bytes")
    return packed.reshape(-1, DIGEST_BYTES)


@dataclass(frozen=True, eq=False)
class Suppression:
    """Everyone who must not be uploaded to one platform, as of one register version.

    ``packed`` holds the blind-index digests (any order, duplicates allowed)
    under the index key named by ``index.key_id``; :meth:`suppressed` hashes
    with that same key, so a key rotation during an export can never compare
    digests of two keys. They are sorted once, here, for :meth:`flags`.
    Compared by identity: two loads of one version are two sets.
    """

    version: str
    platform: str
    packed: Packed = field(repr=False)
    index: BlindIndex = field(repr=False)
    sorted_prefixes: npt.NDArray[np.uint64] = field(init=False, repr=False)
    unique_prefixes: bool = field(init=False, repr=False)
    occupied: npt.NDArray[np.bool_] = field(init=False, repr=False)
    """Indexed by the top :attr:`occupied_bits` bits of a prefix: does any digest start so?"""
    occupied_bits: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        keys = prefixes(self.packed)
        order = np.argsort(keys, kind="stable")
        ranked = keys[order]
        bits = min(_MAX_TABLE_BITS, max(1, len(ranked)).bit_length() + _TABLE_SPARSITY_BITS)
        occupied = np.zeros(1 << bits, dtype=bool)
        occupied[ranked >> np.uint64(64 - bits)] = True
        derived = {
            "packed": self.packed[order],
            "sorted_prefixes": ranked,
            "unique_prefixes": bool(len(ranked) < 2 or np.all(ranked[1:] != ranked[:-1])),
            "occupied": occupied,
            "occupied_bits": bits,
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)  # frozen: set once, while being built

    @cached_property
    def digests(self) -> frozenset[bytes]:
        """The digests as ``bytes`` (built on first use; the pipeline uses :meth:`flags`)."""
        return frozenset(row.tobytes() for row in self.packed)

    def flags(self, digests: Packed) -> npt.NDArray[np.bool_]:
        """For each digest row (under ``index.key_id``): is it in the set?

        A table lookup on the top bits of the first 8 bytes rules most rows out
        (a random binary search per row cost 0.15 µs); the rest get a binary
        search on the first 8 bytes, then a full comparison. Two suppressed
        digests sharing their first 8 bytes (odds about n² / 2^65) send the
        candidates to the ``frozenset`` instead, so the answer is always exact.
        """
        found = np.zeros(len(digests), dtype=bool)
        if not len(self.packed) or not len(digests):
            return found
        wanted = prefixes(digests)
        rows = np.flatnonzero(self.occupied[wanted >> np.uint64(64 - self.occupied_bits)])
        at = np.searchsorted(self.sorted_prefixes, wanted[rows]).clip(max=len(self.packed) - 1)
        hit = self.sorted_prefixes[at] == wanted[rows]
        candidates, at = rows[hit], at[hit]
        if self.unique_prefixes:
            same = np.all(self.packed[at] == digests[candidates], axis=1)
            found[candidates[same]] = True
        else:
            members = self.digests
            found[candidates] = [digests[row].tobytes() in members for row in candidates]
        return found

    def suppressed(self, canonical_keys: Sequence[str]) -> list[bool]:
        """For each canonical key (:func:`~objections.canonical.canonical_key`): suppressed?"""
        digests = self.index.digest_many(canonical_keys)
        flagged: list[bool] = self.flags(pack(digests)).tolist()
        return flagged

    def __len__(self) -> int:
        return len(self.packed)
