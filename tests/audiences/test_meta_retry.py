"""Retries: backoff policy, injected faults, latency and the rate limit, over real HTTP."""

from __future__ import annotations

import time

import pytest

from audiences.errors import DestinationError, ErrorKind
from audiences.meta.client import MetaDestination
from audiences.retry import BackoffPolicy
from tests.fixtures.sandbox import RunningSandbox, sandbox_meta_config

POLICY = BackoffPolicy(max_attempts=5, base_seconds=1.0, max_seconds=5.0)


def error(kind: ErrorKind, retry_after: float | None = None) -> DestinationError:
    return DestinationError("x", kind=kind, retry_after_seconds=retry_after)


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    transient = error(ErrorKind.TRANSIENT)
    lowest = [POLICY.wait_before_retry(transient, attempt, 0.0) for attempt in (1, 2, 3, 4)]
    highest = [POLICY.wait_before_retry(transient, attempt, 0.999) for attempt in (1, 2, 3, 4)]
    assert lowest == [0.5, 1.0, 2.0, 2.5]
    assert highest == pytest.approx([1.0, 2.0, 4.0, 5.0], abs=0.01)
    assert POLICY.wait_before_retry(transient, 5, 0.5) is None


def test_permanent_errors_are_not_retried() -> None:
    for kind in set(ErrorKind) - {ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED}:
        assert POLICY.wait_before_retry(error(kind), 1, 0.5) is None


def test_rate_limit_waits_exactly_the_announced_time_or_gives_up() -> None:
    assert POLICY.wait_before_retry(error(ErrorKind.RATE_LIMITED, 3.0), 1, 0.9) == 3.0
    assert POLICY.wait_before_retry(error(ErrorKind.RATE_LIMITED, 60.0), 1, 0.9) is None


def test_transient_faults_are_retried_until_attempts_run_out(sandbox: RunningSandbox) -> None:
    waits: list[float] = []
    destination = MetaDestination(
        sandbox_meta_config(sandbox, max_attempts=3, backoff_seconds=0.01), sleep=waits.append
    )
    sandbox.set_faults(fault_rate=1.0)
    with pytest.raises(DestinationError) as raised:
        destination.list_audiences()
    assert (raised.value.code, raised.value.kind) == (2, ErrorKind.TRANSIENT)
    assert raised.value.http_status in {500, 503}
    statuses = [request["status"] for request in sandbox.requests()]
    assert len(statuses) == 3
    assert set(statuses) <= {500, 503}
    assert len(waits) == 2
    assert 0.005 <= waits[0] <= 0.01 <= waits[1] <= 0.02


def test_a_run_succeeds_through_random_faults(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    sandbox.set_faults(fault_rate=0.4)
    for number in range(8):
        meta_destination.create_seed(name=f"faulty-{number}", description="")
    statuses = [request["status"] for request in sandbox.requests()]
    assert statuses.count(200) == 16, "8 terms checks and 8 creations"
    assert set(statuses) - {200}, "the seeded fault injector should have failed some calls"
    assert len(meta_destination.list_audiences()) == 8


def test_latency_slows_every_call(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    sandbox.set_faults(latency_ms=150)
    started = time.monotonic()
    meta_destination.list_audiences()
    assert time.monotonic() - started >= 0.15


def test_rate_limit_is_waited_out_and_nothing_is_sent_while_blocked(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    window = 0.4
    sandbox.set_faults(rate_limit=3, rate_window_seconds=window)
    for _ in range(5):
        meta_destination.list_audiences()

    requests = sandbox.requests()
    refused = [i for i, request in enumerate(requests) if request["status"] != 200]
    assert len(refused) == 1, "one refusal, then the client waited long enough"
    blocked_at = refused[0]
    window_start = requests[blocked_at - 3]["arrived_at"]
    after = requests[blocked_at + 1]["arrived_at"]
    assert after >= window_start + window - 0.005
    assert len(requests) == 6


def test_rate_limit_longer_than_allowed_fails_at_once(sandbox: RunningSandbox) -> None:
    destination = MetaDestination(sandbox_meta_config(sandbox, max_backoff_seconds=0.5))
    sandbox.set_faults(rate_limit=1, rate_window_seconds=30)
    destination.list_audiences()
    with pytest.raises(DestinationError) as raised:
        destination.list_audiences()
    assert (raised.value.code, raised.value.kind) == (80003, ErrorKind.RATE_LIMITED)
    assert raised.value.retry_after_seconds == pytest.approx(30, abs=0.5)
    assert len(sandbox.requests()) == 2
