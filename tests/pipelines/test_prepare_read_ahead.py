"""Reading ahead in a thread keeps the order, raises where the source failed, and stops early."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pipelines.sources.prefetch import read_ahead


def test_every_item_arrives_in_order() -> None:
    assert list(read_ahead(range(1000), 2)) == list(range(1000))
    assert list(read_ahead([], 1)) == []


def test_the_source_is_read_in_another_thread_and_its_error_raised_here() -> None:
    readers: set[str] = set()

    def failing() -> Iterator[int]:
        readers.add(threading.current_thread().name)
        yield 1
        raise OSError("the stream broke")

    stream = read_ahead(failing(), 1)
    assert next(stream) == 1
    with pytest.raises(OSError, match="the stream broke"):
        next(stream)
    assert readers == {"read-ahead"}


def test_leaving_early_stops_the_reader_and_closes_the_source() -> None:
    closed = threading.Event()
    produced: list[int] = []

    def endless() -> Iterator[int]:
        try:
            number = 0
            while True:
                produced.append(number)
                yield number
                number += 1
        finally:
            closed.set()

    stream = read_ahead(endless(), 2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert closed.is_set()
    assert len(produced) <= 3 + 2 + 1  # what was taken, the queue, the item being offered


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        list(read_ahead(range(3), 0))
