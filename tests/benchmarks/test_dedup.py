"""Deduplication remembers every hash prefix it saw, at 8 bytes each (16 while merging)."""

from __future__ import annotations

import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.dedup import SeenPrefixes, first_occurrences

BATCH = 10_000


def assert_first_occurrences_as_a_set_would_find_them(batches: list[list[int]]) -> None:
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


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=12))
def test_first_occurrences_as_a_set_would_find_them(batches: list[list[int]]) -> None:
    assert_first_occurrences_as_a_set_would_find_them(batches)


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


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=400),
    st.lists(st.lists(st.integers(0, 399), max_size=3000), max_size=8),
)
def test_first_occurrences_over_the_whole_range(pool: list[int], batches: list[list[int]]) -> None:
    # Values drawn over all 64 bits exercise the bit table's "surely new" answer.
    assert_first_occurrences_as_a_set_would_find_them(
        [[pool[pick % len(pool)] for pick in picks] for picks in batches]
    )


@given(st.lists(st.integers(0, 30), max_size=50))
def test_first_occurrences_is_numpy_unique_with_first_indices(values: list[int]) -> None:
    array = np.array(values, dtype=np.uint64)
    distinct, first = first_occurrences(array)
    expected_distinct, expected_first = np.unique(array, return_index=True)
    assert distinct.tolist() == expected_distinct.tolist()
    assert first.tolist() == expected_first.tolist()


def test_the_bit_table_grows_and_forgets_nothing() -> None:
    rng = np.random.default_rng(2)
    pool = rng.integers(0, 2**64, size=150_000, dtype=np.uint64)
    values = pool[rng.integers(0, len(pool), size=400_000)]
    _, first = np.unique(values, return_index=True)
    expected = np.zeros(len(values), dtype=bool)
    expected[first] = True
    seen = SeenPrefixes()
    flags = [
        seen.first_seen(values[start : start + BATCH]) for start in range(0, len(values), BATCH)
    ]
    assert (np.concatenate(flags) == expected).all()
    assert len(seen) == len(first)
