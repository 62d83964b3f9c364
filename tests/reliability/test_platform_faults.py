"""Transient faults and rate limits: the export completes, nothing is sent twice or too early."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from audiences.ledger import AudienceState, ExportRecord
from tests.fixtures.exports import DemoWorld, configure_export, run_export
from tests.fixtures.sandbox import RunningSandbox
from tests.reliability.scenarios import BATCH_SIZE, small_world

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

MAX_ATTEMPTS = 10
"""Attempts per Graph call. With a fault rate of 0.2, one call fails all ten
attempts with probability 0.2**10 ≈ 1.0e-7; an export makes fewer than 100
calls (asserted below), so the transient test fails by bad luck less than once
in 100 000 runs. (The sandbox's fault injector is seeded, so in practice every
run sees the same faults.)"""
FAULT_RATE = 0.2
RATE_LIMIT = 4
RATE_WINDOW_SECONDS = 0.5
RETRY_SLACK_SECONDS = 1.0
"""How late a retry after a rate limit may be: the client waits the announced
time, not a backoff of its own on top."""


@pytest.fixture
def world(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoWorld:
    """The small demo world, batches of 200, enough attempts per call."""
    settings = configure_export(
        monkeypatch,
        sandbox,
        tmp_path / "home",
        EXPORT_UPLOAD_BATCH_SIZE=str(BATCH_SIZE),
        META_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
    )
    return small_world(settings)


def graph_requests(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """Every Graph request the sandbox answered, in the order they arrived."""
    return sorted(sandbox.requests(), key=lambda request: request["arrived_at"])


def assert_uploaded_exactly_once(
    world: DemoWorld, sandbox: RunningSandbox, record: ExportRecord
) -> None:
    """Every expected hash reached the seed once, and the ledger's counts agree."""
    assert record.state is AudienceState.SEED_DELETION_VERIFIED
    assert record.seed_audience_id is not None
    received = sandbox.received(record.seed_audience_id)["added"]
    twice = [digest for digest, times in Counter(received).items() if times > 1]
    assert twice == [], f"{len(twice)} hashes were received more than once"
    assert set(received) == world.expected
    assert record.counts["uploaded"] == len(received)
    assert record.counts["received"] == len(received)
    uploads = [r for r in sandbox.requests() if r["path"].endswith("/users") and r["status"] == 200]
    assert record.counts["batches_sent"] == len(uploads)


def test_transient_faults_are_retried_without_duplicates(
    world: DemoWorld, sandbox: RunningSandbox
) -> None:
    sandbox.set_faults(fault_rate=FAULT_RATE)

    record = run_export(country="FR", ratio=0.02)

    assert_uploaded_exactly_once(world, sandbox, record)
    requests = graph_requests(sandbox)
    assert len(requests) < 100
    faulted = [r for r in requests if r["code"] == 2]
    assert faulted, "the fault injector failed no call"
    assert any(r["path"].endswith("/users") for r in faulted), "no upload was faulted"
    assert {r["status"] for r in faulted} <= {500, 503}


def test_rate_limit_is_waited_out_and_nothing_is_sent_while_blocked(
    world: DemoWorld, sandbox: RunningSandbox
) -> None:
    sandbox.set_faults(rate_limit=RATE_LIMIT, rate_window_seconds=RATE_WINDOW_SECONDS)

    record = run_export(country="FR", ratio=0.02)

    assert_uploaded_exactly_once(world, sandbox, record)
    requests = graph_requests(sandbox)
    refusals = [i for i, r in enumerate(requests) if r["code"] == 80003]
    assert refusals, "the rate limit never refused a call"
    assert any(requests[i]["path"].endswith("/users") for i in refusals), "no upload was refused"
    for index in refusals:
        refused, following = requests[index], requests[index + 1]
        regained_at = refused["arrived_at"] + refused["regain_access_seconds"]
        assert refused["regain_access_seconds"] <= RATE_WINDOW_SECONDS + 0.01
        assert following["arrived_at"] >= regained_at, "a request was sent while blocked"
        assert (following["method"], following["path"]) == (refused["method"], refused["path"])
        assert following["arrived_at"] <= regained_at + RETRY_SLACK_SECONDS
