"""Deduplication remembers every hash prefix it saw, at 8 bytes each (16 while merging)."""

from __future__ import annotations

import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.dedup import SeenPrefixes

BATCH = 10_000


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=12))
def test_first_occurrences_as_a_set_would_find_them(batches: list[list[int]]) -> None:
    seen = SeenPrefixes()
    oracle: set[int] = set()
    for batch in batches:
        flags = seen.first_seen(np.array(batch, dtype=np.uint64)).tolist()
        expected = []
        for value in batch:
            expected.append(value not in oracle)
            oracle.add(value)
        assert flags == expected
    assert len(seen) == len(oracle)


def test_memory_grows_by_at_most_20_bytes_per_distinct_address() -> None:
    distinct = 1_000_000
    values = np.random.default_rng(1).integers(0, 2**64, size=distinct, dtype=np.uint64)
    seen = SeenPrefixes()
    tracemalloc.start()
    try:
        for start in range(0, distinct, BATCH):
            assert seen.first_seen(values[start : start + BATCH]).all()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen.nbytes == 8 * distinct
    assert held <= 9 * distinct
    assert peak <= 20 * distinct
    assert not seen.first_seen(values[:BATCH]).any()
