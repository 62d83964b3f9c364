"""The set of hashes an export already prepared: 8 bytes per distinct address, in sorted blocks.

The one structure that grows with the export rather than with the batch. A
Python set of 16-byte prefixes cost about 100 bytes per address (1 GB at
10 M); here every distinct hash keeps the first 8 bytes of its SHA-256 as an
unsigned 64-bit integer in a few sorted ``numpy`` blocks, merged like a binary
counter (a block is merged into the one before it while that one is not
larger, and while the result holds at most 600 000 prefixes), so a lookup is a
binary search per block — log2(rows / batch) of them, plus one per 600 000
prefixes — and memory stays at 8 bytes per address, plus at most 4.8 MB for an
instant while two blocks merge.

Most rows are new, and searching every block for them was most of the cost
(0.8 s of CPU at 5 M rows): a bit table of 4 to 8 bits per address, indexed by
a prefix's top bits, says "surely new" for 3 new rows in 4 at least (9 in 10
just after it grows), and only the others are searched. It adds half a byte to
a byte per address.

Two different addresses share a 64-bit prefix with odds of about n² / 2^65
(3 in a million at 10 M distinct addresses); the later one would then be
counted a duplicate and not uploaded — one address fewer in the seed, never a
duplicate sent.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Prefixes = npt.NDArray[np.uint64]

_BITS_PER_ADDRESS = 4
"""The bit table holds at least this many bits per remembered prefix (a quarter full at most)."""
_SMALLEST_TABLE_BITS = 16
_LARGEST_MERGE = 600_000
"""Blocks are not merged beyond this many prefixes (4.8 MB): merging the two halves of
a 5 M-row export's set took 17 MB more for an instant (the traced peak for 3.44 M
prefixes: 37 MB with merges up to 1.5 M, 32 MB up to 600 000, 28 MB held). The few
more blocks cost a binary search each, only for the rows the bit table does not rule
out: the same 0.95 s of CPU."""


def contains(sorted_block: Prefixes, values: Prefixes) -> npt.NDArray[np.bool_]:
    """For each value: is it in ``sorted_block`` (sorted ascending)? A binary search each."""
    if not len(sorted_block):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_block, values).clip(max=len(sorted_block) - 1)
    return np.asarray(sorted_block[at] == values)


def first_occurrences(values: Prefixes) -> tuple[Prefixes, npt.NDArray[np.intp]]:
    """The distinct values, sorted, and the index of each one's first occurrence.

    What ``np.unique(values, return_index=True)`` returns, with the faster
    unstable sort: the first index is the smallest of each run of equal values.
    """
    order = np.argsort(values)
    if not len(order):
        return values[order], order
    ranked = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    return ranked[starts], np.minimum.reduceat(order, starts)


class SeenPrefixes:
    """Which hash prefixes were already seen, kept in sorted ``uint64`` blocks."""

    def __init__(self) -> None:
        self._blocks: list[Prefixes] = []
        self._count = 0
        self._table_bits = _SMALLEST_TABLE_BITS
        self._table = np.zeros(1 << (_SMALLEST_TABLE_BITS - 3), dtype=np.uint8)

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        """Memory held by the blocks (the bit table aside)."""
        return sum(block.nbytes for block in self._blocks)

    def first_seen(self, values: Prefixes) -> npt.NDArray[np.bool_]:
        """For each value: is this its first occurrence, here and in every earlier call?

        The values flagged true are remembered.
        """
        unique, first = first_occurrences(values)
        fresh = np.ones(len(unique), dtype=bool)
        maybe = np.flatnonzero(self._marked(unique))
        if len(maybe):
            candidates = unique[maybe]
            seen = np.zeros(len(maybe), dtype=bool)
            for block in self._blocks:
                seen |= contains(block, candidates)
            fresh[maybe[seen]] = False
        self._add(unique[fresh])
        flags = np.zeros(len(values), dtype=bool)
        flags[first[fresh]] = True
        return flags

    def _slots(self, values: Prefixes) -> Prefixes:
        return values >> np.uint64(64 - self._table_bits)

    def _marked(self, values: Prefixes) -> npt.NDArray[np.bool_]:
        """False where no remembered prefix shares the value's top bits: surely new."""
        slots = self._slots(values)
        bytes_ = self._table[slots >> np.uint64(3)]
        return np.asarray((bytes_ >> (slots & np.uint64(7)).astype(np.uint8)) & 1, dtype=bool)

    def _mark(self, values: Prefixes) -> None:
        slots = self._slots(values)
        bits = np.left_shift(1, (slots & np.uint64(7)).astype(np.uint8)).astype(np.uint8)
        np.bitwise_or.at(self._table, slots >> np.uint64(3), bits)

    def _add(self, sorted_values: Prefixes) -> None:
        if not len(sorted_values):
            return
        self._count += len(sorted_values)
        self._blocks.append(sorted_values)
        while (
            len(self._blocks) > 1
            and len(self._blocks[-2]) <= len(self._blocks[-1])
            and len(self._blocks[-2]) + len(self._blocks[-1]) <= _LARGEST_MERGE
        ):
            merged = np.concatenate(self._blocks[-2:])
            del self._blocks[-2:]
            merged.sort(kind="stable")  # two sorted runs: timsort merges them in one pass
            self._blocks.append(merged)
        if self._count * _BITS_PER_ADDRESS > 1 << self._table_bits:
            self._grow()
        else:
            self._mark(sorted_values)

    def _grow(self) -> None:
        """A table twice as large (or more), marked again from every block."""
        while self._count * _BITS_PER_ADDRESS > 1 << self._table_bits:
            self._table_bits += 1
        self._table = np.zeros(1 << (self._table_bits - 3), dtype=np.uint8)
        for block in self._blocks:
            self._mark(block)
