"""The suppression set handed to the pipeline: blind-index digests and the register version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from objections.crypto import BlindIndex


@dataclass(frozen=True)
class Suppression:
    """Everyone who must not be uploaded to one platform, as of one register version.

    ``digests`` are blind-index digests under the index key named by
    ``index.key_id``; :meth:`suppressed` hashes with that same key, so a key
    rotation during an export can never compare digests of two keys.
    """

    version: str
    platform: str
    digests: frozenset[bytes] = field(repr=False)
    index: BlindIndex = field(repr=False)

    def suppressed(self, canonical_keys: Sequence[str]) -> list[bool]:
        """For each canonical key (:func:`~objections.canonical.canonical_key`): suppressed?"""
        digests = self.digests
        return [digest in digests for digest in self.index.digest_many(canonical_keys)]

    def __len__(self) -> int:
        return len(self.digests)
