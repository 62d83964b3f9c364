"""The set of hashes an export already prepared: 8 bytes per distinct address, in sorted blocks.

The one structure that grows with the export rather than with the batch. A
Python set of 16-byte prefixes cost about 100 bytes per address (1 GB at
10 M); here every distinct hash keeps the first 8 bytes of its SHA-256 as an
unsigned 64-bit integer in a few sorted ``numpy`` blocks, merged like a binary
counter (a block is merged into the one before it while that one is not
larger), so a lookup is a binary search per block — at most log2(rows / batch)
of them — and memory stays at 8 bytes per address, 16 for an instant while
two blocks merge.

Two different addresses share a 64-bit prefix with odds of about n² / 2^65
(3 in a million at 10 M distinct addresses); the later one would then be
counted a duplicate and not uploaded — one address fewer in the seed, never a
duplicate sent.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Prefixes = npt.NDArray[np.uint64]


def prefixes(digests: npt.NDArray[np.uint8]) -> Prefixes:
    """The first 8 bytes of each 32-byte digest row, as one unsigned integer each."""
    return np.ascontiguousarray(digests[:, :8]).view(np.uint64).reshape(-1)


def contains(sorted_block: Prefixes, values: Prefixes) -> npt.NDArray[np.bool_]:
    """For each value: is it in ``sorted_block`` (sorted ascending)? A binary search each."""
    if not len(sorted_block):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_block, values).clip(max=len(sorted_block) - 1)
    return np.asarray(sorted_block[at] == values)


class SeenPrefixes:
    """Which hash prefixes were already seen, kept in sorted ``uint64`` blocks."""

    def __init__(self) -> None:
        self._blocks: list[Prefixes] = []

    def __len__(self) -> int:
        return sum(len(block) for block in self._blocks)

    @property
    def nbytes(self) -> int:
        """Memory held by the blocks."""
        return sum(block.nbytes for block in self._blocks)

    def first_seen(self, values: Prefixes) -> npt.NDArray[np.bool_]:
        """For each value: is this its first occurrence, here and in every earlier call?

        The values flagged true are remembered.
        """
        unique, first = np.unique(values, return_index=True)
        fresh = np.ones(len(unique), dtype=bool)
        for block in self._blocks:
            fresh &= ~contains(block, unique)
        self._add(unique[fresh])
        flags = np.zeros(len(values), dtype=bool)
        flags[first[fresh]] = True
        return flags

    def _add(self, sorted_values: Prefixes) -> None:
        if not len(sorted_values):
            return
        self._blocks.append(sorted_values)
        while len(self._blocks) > 1 and len(self._blocks[-2]) <= len(self._blocks[-1]):
            merged = np.concatenate(self._blocks[-2:])
            del self._blocks[-2:]
            merged.sort()
            self._blocks.append(merged)
