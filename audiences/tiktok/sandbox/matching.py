"""The sandbox's stand-in for TikTok's matching: deterministic, so re-runs agree.

A hash "matches a TikTok user" when its first four bytes, read as a number,
modulo 10 are below 7: about 70 % of random hashes match, and the same hash
always gives the same answer. A lookalike's size is a share of a nominal
population per location.
"""

from __future__ import annotations

import re

MIN_LOOKALIKE_SOURCE = 100
"""TikTok: a lookalike's source audience needs at least 100 matched users."""
USERS_PER_LOCATION = 5_000_000
"""Every location has this many TikTok users in the sandbox."""
LOOKALIKE_SHARES = {"NARROW": 0.01, "BALANCED": 0.03, "BROAD": 0.05}
"""The share of a location's users that each lookalike size reaches."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_valid_hash(line: str) -> bool:
    """Whether a file line is a SHA-256 digest: 64 lowercase hex characters."""
    return _SHA256_HEX.fullmatch(line) is not None


def matches(sha256_hex: str) -> bool:
    """Whether the sandbox pretends this hash belongs to a TikTok user."""
    return int.from_bytes(bytes.fromhex(sha256_hex[:8]), "big") % 10 < 7


def lookalike_size(audience_size: str, locations: int, source_size: int, include: bool) -> int:
    """How many users a lookalike reaches; the source's own when it includes them."""
    reached = round(USERS_PER_LOCATION * LOOKALIKE_SHARES[audience_size] * locations)
    return reached + (source_size if include else 0)
