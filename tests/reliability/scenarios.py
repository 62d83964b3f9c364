"""Scenarios shared by the reliability tests.

Shared here: a small demo world uploaded in several batches, a progress
reporter that changes the platform after a given batch, so that a mid-run
event (token expiry, flagging) happens at a known point of the upload, and
what Prefect shows of a run (its flow runs' states, its events).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.schemas.events import ReceivedEvent

from audiences.ledger import Ledger, LedgerEvent
from audiences.meta.sandbox.control_client import SandboxControl
from pipelines.progress import install_reporter
from pipelines.settings import Settings
from tests.fixtures.exports import DemoWorld, build_world, configure_export
from tests.fixtures.sandbox import RunningSandbox

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


def configure_small_world(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, home: Path, **overrides: str
) -> DemoWorld:
    """:func:`small_world` in ``home``, wired to the sandbox, uploaded in batches of
    :data:`BATCH_SIZE`; ``overrides`` are further settings (see ``configure_export``)."""
    overrides = {"EXPORT_UPLOAD_BATCH_SIZE": str(BATCH_SIZE)} | overrides
    return small_world(configure_export(monkeypatch, sandbox, home, **overrides))


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


def newest_flow_run_state(flow_name: str) -> StateType | None:
    """The state type of the newest run of the flow named ``flow_name`` (Prefect's view)."""
    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )
    return run.state.type if run.state else None


def events_about(export_id: str, name: str, *, timeout: float = 15.0) -> list[ReceivedEvent]:
    """The Prefect events ``name`` about one export, read back from the server.

    Events reach the server asynchronously: wait up to ``timeout`` for the first.
    """
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            # Built anew each time: the filter's window ends when it is built.
            wanted = EventFilter(
                event=EventNameFilter(name=[name]),
                resource=EventResourceFilter(id=[f"audience-export.export.{export_id}"]),
            )
            found = client.read_events(filter=wanted, limit=50).events
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


def effective_requests(sandbox: SandboxControl, since: int = 0) -> list[tuple[str, str]]:
    """(method, path) of the Graph requests the sandbox answered after the first ``since``,
    method overrides applied."""
    return [
        ((request["method_override"] or request["method"]).upper(), request["path"])
        for request in sandbox.requests()[since:]
    ]


def touching(requests: list[tuple[str, str]], audience_id: str) -> list[tuple[str, str]]:
    """The requests about one audience, or writing anything at all."""
    return [(method, path) for method, path in requests if audience_id in path or method != "GET"]
