"""Read a source in a thread of its own, a few batches ahead of its consumer.

Reading SQLite through ADBC costs about 0.5 µs a row, and the reader lets go of
the interpreter lock while the driver works: in a thread of its own it runs
beside the preparation instead of before it (BENCHMARKS.md).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import TypeVar, cast

Item = TypeVar("Item")

_POLL_SECONDS = 0.1
"""How often a reader blocked on a full queue checks whether its consumer left."""


@dataclass(frozen=True)
class _Failed:
    """What the reader raised, handed to the consumer to raise in its own thread."""

    error: BaseException


_DONE = object()


def read_ahead(items: Iterable[Item], depth: int) -> Generator[Item, None, None]:
    """``items``, in order, iterated in another thread up to ``depth`` items ahead.

    The iterable is iterated (and closed) only by that thread, so a database
    cursor is never used by two threads at once. An exception it raises is
    raised here, at the point of the stream where it happened. Leaving early
    (``close()``, an exception in the consumer) stops the reader after the item
    it is reading, and waits for it.
    """
    if depth < 1:
        raise ValueError("depth must be positive")
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    leaving = threading.Event()

    def offer(item: object) -> bool:
        while not leaving.is_set():
            try:
                handoff.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def read() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not offer(item):
                    break
            else:
                offer(_DONE)
        except BaseException as error:  # handed over, raised by the consumer
            offer(_Failed(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield cast(Item, item)
    finally:
        leaving.set()
        reader.join()
