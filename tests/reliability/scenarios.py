"""Scenarios shared by the reliability tests.

Shared here: a small demo world uploaded in several batches, and a progress
reporter that changes the platform after a given batch, so that a mid-run
event (token expiry, flagging) happens at a known point of the upload.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from audiences.ledger import Ledger, LedgerEvent
from pipelines.progress import install_reporter
from pipelines.settings import Settings
from tests.fixtures.exports import DemoWorld, build_world

BATCH_SIZE = 200
"""Hashes per upload request in these tests: the small world takes several batches."""
SMALL_WORLD_ROWS = 1_500
SMALL_WORLD_OBJECTORS = 60
HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def small_world(settings: Settings) -> DemoWorld:
    """1 500 demo accounts (about a thousand to upload, so 5+ batches of 200)."""
    world = build_world(settings, rows=SMALL_WORLD_ROWS, objectors=SMALL_WORLD_OBJECTORS)
    assert len(world.expected) > 4 * BATCH_SIZE, "the small world no longer spans 5 batches"
    return world


class AfterBatch:
    """A progress reporter that runs ``event`` once, right after upload batch ``batch``
    (``None``: after the last batch, once the upload is complete)."""

    def __init__(self, batch: int | None, event: Callable[[], None]) -> None:
        self._batch = batch
        self._event = event
        self.batches = 0

    def start(self, *, total: int) -> None:
        self.batches = 0

    def advance(self, count: int) -> None:
        self.batches += 1
        if self.batches == self._batch:
            self._event()

    def finish(self) -> None:
        if self._batch is None:
            self._event()


@contextmanager
def event_after_batch(batch: int | None, event: Callable[[], None]) -> Iterator[AfterBatch]:
    """Install :class:`AfterBatch` for the flows run inside; always uninstalled after."""
    reporter = AfterBatch(batch, event)
    install_reporter(reporter)
    try:
        yield reporter
    finally:
        install_reporter(None)


def history(settings: Settings, export_id: str) -> list[LedgerEvent]:
    """Every ledger event of one export, oldest first."""
    with Ledger.open(settings.ledger_url) as ledger:
        return ledger.history(export_id)
