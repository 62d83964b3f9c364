"""The sandbox's stand-in for Meta's matching: deterministic, so re-runs agree.

A received hash "matches a Meta account" when the number formed by its first
eight hex digits, modulo 100, is below :data:`MATCH_PERCENT`: about 70 % of
random hashes match, and the same hash always gives the same answer.
"""

from __future__ import annotations

import re

MATCH_PERCENT = 70
MIN_LOOKALIKE_SEED = 100
"""Meta: a lookalike's source needs at least 100 people (from one country)."""
NOMINAL_COUNTRY_POPULATION = 10_000_000
"""Every country has this many Meta users in the sandbox; a lookalike is a ratio of it."""
UNKNOWN_COUNT = -1
"""What Meta reports as an approximate count while it does not know it yet."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_sha256_hex(entry: object) -> bool:
    """Whether an entry is 64 lowercase hex characters."""
    return isinstance(entry, str) and _SHA256_HEX.fullmatch(entry) is not None


def is_match(sha256_hex: str) -> bool:
    """Whether the sandbox pretends this hash belongs to a Meta account."""
    return int(sha256_hex[:8], 16) % 100 < MATCH_PERCENT


def approximate_bounds(count: int) -> tuple[int, int]:
    """Lower and upper bound of a bucket holding ``count``, as Meta reports ranges.

    Buckets are at least 100 wide and keep two significant digits above
    10 000: 42 → (0, 100), 1 234 → (1 200, 1 300), 70 512 → (70 000, 71 000).
    """
    step = max(100, 10 ** (len(str(count)) - 2))
    lower = count // step * step
    return lower, lower + step
