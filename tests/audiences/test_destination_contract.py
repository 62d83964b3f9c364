"""The contract every destination passes: one parametrised suite, real platform calls.

It runs against every registered platform — Meta through the real SDK over real
HTTP to its sandbox, and the in-memory fake — and a deliberately broken fake
(deletion that does not delete) must fail it. A new platform adds a harness to
``HARNESSES``; platform-only facts (Meta's 100/33 answer, its session ids) are
tested beside the platform.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from audiences.destination import (
    AudienceKind,
    AudienceRef,
    BatchReceipt,
    Destination,
    LookalikeSize,
    LookalikeState,
    MatchState,
)
from audiences.errors import DestinationError, ErrorKind
from audiences.fake.client import FakeDestination, fake_account
from audiences.meta.client import MetaDestination
from audiences.tiktok.client import TikTokDestination
from tests.audiences.helpers import hashes_of, wait_for
from tests.fixtures.sandbox import sandbox_meta_config
from tests.fixtures.tiktok_sandbox import sandbox_tiktok_config

RATIO_ONE_PERCENT = LookalikeSize(ratio=0.01)


@dataclass(frozen=True)
class Harness:
    """A destination plus the platform-side view a test needs to check it."""

    destination: Destination
    received: Callable[[str], dict[str, list[str]]]
    """Every identifier the platform received for an audience: added and removed."""
    size: LookalikeSize = RATIO_ONE_PERCENT
    """A lookalike size the platform takes."""


def _meta_on_sandbox(request: pytest.FixtureRequest) -> Harness:
    sandbox = request.getfixturevalue("sandbox")
    return Harness(MetaDestination(sandbox_meta_config(sandbox)), sandbox.received)


def _tiktok_on_sandbox(request: pytest.FixtureRequest) -> Harness:
    sandbox = request.getfixturevalue("tiktok_sandbox")
    sandbox.set_options(min_update_size=0)  # the contract removes 10 of 300; the floor: RULES.md
    return Harness(
        TikTokDestination(sandbox_tiktok_config(sandbox)),
        sandbox.received,
        LookalikeSize(word="balanced"),
    )


def _fake(request: pytest.FixtureRequest) -> Harness:
    account = f"{next(_FAKE_ACCOUNTS):012d}"
    fake_account(account).knobs.match_seconds = 0.1
    return Harness(FakeDestination(account), _Wiretap(account).received)


_FAKE_ACCOUNTS = itertools.count(1)


class _Wiretap:
    """Every hash the fake platform was sent, per audience, in order (added and removed)."""

    def __init__(self, account: str) -> None:
        self._account = fake_account(account)

    def received(self, audience_id: str) -> dict[str, list[str]]:
        return self._account.wiretap.get(audience_id, {"added": [], "removed": []})


HARNESSES: dict[str, Callable[[pytest.FixtureRequest], Harness]] = {
    "meta-sandbox": _meta_on_sandbox,
    "tiktok-sandbox": _tiktok_on_sandbox,
    "fake": _fake,
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Harness:
    return HARNESSES[request.param](request)


def new_seed(
    destination: Destination, name: str, batches: list[list[str]]
) -> tuple[str, list[BatchReceipt]]:
    """A seed holding ``batches``, made the platform's way: created first, or by its upload."""
    seed_id = destination.create_seed(name=name, description="contract test seed")
    session = destination.start_session(estimated_total=sum(map(len, batches)), seed_name=name)
    receipts = []
    for number, batch in enumerate(batches, start=1):
        receipt = destination.upload_batch(
            seed_id, batch, session=session, batch_seq=number, last_batch=number == len(batches)
        )
        assert receipt.created_seed_id is None or seed_id is None, "a seed is created once"
        seed_id = receipt.created_seed_id or seed_id
        receipts.append(receipt)
    assert seed_id is not None, "the closing batch created the seed"
    return seed_id, receipts


def test_is_a_destination(harness: Harness) -> None:
    destination = harness.destination
    assert isinstance(destination, Destination)
    assert destination.name
    assert destination.max_batch_size >= 1
    assert destination.profile.platform == destination.name
    assert destination.session_window_seconds > 0
    destination.check_terms()


def test_whole_lifecycle_of_a_seed_and_its_lookalike(harness: Harness) -> None:
    destination = harness.destination
    people = hashes_of("contract", 300)
    batches = [people[:120], people[120:240], people[240:]]

    seed_id, receipts = new_seed(destination, "export-0001", batches)
    for batch, receipt in zip(batches, receipts, strict=True):
        assert (receipt.num_received, receipt.num_invalid_entries) == (len(batch), 0)
    assert AudienceRef(seed_id, "export-0001", AudienceKind.SEED) in destination.list_audiences()
    assert harness.received(seed_id)["added"] == people

    removed = destination.remove_batch(seed_id, people[:10])
    assert (removed.num_received, removed.num_invalid_entries) == (10, 0)
    assert harness.received(seed_id)["removed"] == people[:10]

    status = wait_for(
        lambda: destination.match_status(seed_id), lambda s: s.state is MatchState.READY
    )
    assert status.approximate_count_lower_bound is not None
    assert status.approximate_count_upper_bound is not None
    assert status.approximate_count_upper_bound >= 100
    assert status.approximate_count_lower_bound <= status.approximate_count_upper_bound

    lookalike_id = destination.create_lookalike(
        seed_id=seed_id, name="export-0001-lookalike", country="FR", size=harness.size
    )
    ready = wait_for(
        lambda: destination.lookalike_status(lookalike_id),
        lambda s: s.state is LookalikeState.READY,
    )
    assert ready.approximate_count_lower_bound

    assert not destination.verify_deleted(seed_id).verified
    destination.delete_audience(seed_id)
    check = destination.verify_deleted(seed_id)
    assert check.verified
    assert check.platform_answer

    # The lookalike survives its seed; the seed is gone from the account.
    survivor = destination.lookalike_status(lookalike_id)
    assert (survivor.state, survivor.unknown_code) == (LookalikeState.READY, False)
    assert seed_id not in {ref.audience_id for ref in destination.list_audiences()}


def test_seed_reports_processing_until_matched(harness: Harness) -> None:
    destination = harness.destination
    seed_id, _ = new_seed(destination, "export-0002", [hashes_of("processing", 150)])
    status = destination.match_status(seed_id)
    assert status.state is MatchState.PROCESSING
    assert status.approximate_count_lower_bound is None


def test_invalid_entries_are_counted_and_not_kept(harness: Harness) -> None:
    destination = harness.destination
    good = hashes_of("valid", 3)
    bad = ["not-a-hash", "g" * 64, good[1][:63]]
    _, (receipt,) = new_seed(destination, "export-0003", [good + bad])
    assert (receipt.num_received, receipt.num_invalid_entries) == (6, 3)


def test_deleting_twice_is_harmless_and_verified(harness: Harness) -> None:
    destination = harness.destination
    seed_id, _ = new_seed(destination, "export-0004", [hashes_of("twice", 120)])
    destination.delete_audience(seed_id)
    destination.delete_audience(seed_id)
    assert destination.verify_deleted(seed_id).verified


def test_every_call_on_a_deleted_seed_is_not_found(harness: Harness) -> None:
    destination = harness.destination
    seed_id, _ = new_seed(destination, "export-0005", [hashes_of("deleted", 120)])
    destination.delete_audience(seed_id)
    session = destination.start_session(estimated_total=1)
    calls: list[Callable[[], object]] = [
        lambda: destination.match_status(seed_id),
        lambda: destination.upload_batch(
            seed_id, hashes_of("late", 1), session=session, batch_seq=1, last_batch=True
        ),
        lambda: destination.remove_batch(seed_id, hashes_of("late", 1)),
    ]
    for call in calls:
        with pytest.raises(DestinationError) as raised:
            call()
        assert raised.value.kind is ErrorKind.NOT_FOUND


def test_sessions_get_distinct_ids(harness: Harness) -> None:
    ids = {harness.destination.start_session(estimated_total=1).session_id for _ in range(50)}
    assert len(ids) == 50
    assert all(isinstance(session_id, str) and session_id for session_id in ids)


class DeletionThatDoesNotDelete(FakeDestination):
    """A broken destination: it says it deleted, and keeps the audience."""

    def delete_audience(self, audience_id: str) -> None:
        pass


def test_a_destination_whose_deletion_does_not_delete_fails_the_contract() -> None:
    account = "999999999999"
    fake_account(account).knobs.match_seconds = 0.0
    broken = Harness(DeletionThatDoesNotDelete(account), _Wiretap(account).received)
    with pytest.raises(AssertionError):
        test_whole_lifecycle_of_a_seed_and_its_lookalike(broken)
    with pytest.raises(AssertionError):
        test_deleting_twice_is_harmless_and_verified(broken)
