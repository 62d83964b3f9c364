"""Meta's refusals and status codes as the client reports them, over real HTTP to the sandbox.

Terms preflight, refused seed deletion (2656), refused removal (1870047),
ended and reused upload sessions, and every operation status the pipeline
branches on.
"""

from __future__ import annotations

import time

import pytest

from audiences.destination import LookalikeSize, LookalikeState, MatchState
from audiences.errors import DestinationError, ErrorKind
from audiences.meta.client import MetaDestination
from tests.audiences.helpers import hashes_of, wait_for
from tests.fixtures.sandbox import RunningSandbox


def matched_seed(destination: MetaDestination, name: str, people: list[str]) -> str:
    seed_id = destination.create_seed(name=name, description="")
    session = destination.start_session(estimated_total=len(people))
    destination.upload_batch(seed_id, people, session=session, batch_seq=1, last_batch=True)
    wait_for(lambda: destination.match_status(seed_id), lambda s: s.state is MatchState.READY)
    return seed_id


def refused(call: object) -> DestinationError:
    assert callable(call)
    with pytest.raises(DestinationError) as raised:
        call()
    return raised.value


def test_refused_terms_stop_before_any_seed_exists(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    sandbox.set_terms_accepted(sandbox.ad_account, False)
    error = refused(lambda: meta_destination.create_seed(name="no-terms", description=""))
    assert error.kind is ErrorKind.TERMS_NOT_ACCEPTED
    assert "Ads Manager" in error.message
    assert sandbox.state() == []
    [preflight] = sandbox.requests()
    assert preflight["path"].rstrip("/").endswith(f"/act_{sandbox.ad_account}")
    assert (preflight["method_override"], preflight["status"]) == ("GET", 200)
    sandbox.set_terms_accepted(sandbox.ad_account, True)
    meta_destination.check_terms()


def test_a_seed_with_a_lookalike_cannot_be_deleted_until_the_lookalike_is_gone(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    sandbox.set_options(refuse_seed_delete_with_lookalikes=True)
    seed_id = matched_seed(meta_destination, "seed-2656", hashes_of("2656", 300))
    lookalike_id = meta_destination.create_lookalike(
        seed_id=seed_id, name="lookalike-2656", country="FR", size=LookalikeSize(ratio=0.01)
    )
    error = refused(lambda: meta_destination.delete_audience(seed_id))
    assert (error.kind, error.code) == (ErrorKind.DELETION_REFUSED, 2656)
    assert "lookalike" in error.message
    assert not meta_destination.verify_deleted(seed_id).verified

    meta_destination.delete_audience(lookalike_id)
    meta_destination.delete_audience(seed_id)
    assert meta_destination.verify_deleted(seed_id).verified


def test_a_removal_below_the_floor_is_refused(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    sandbox.set_options(removal_floor=100)
    people = hashes_of("floor", 300)
    seed_id = matched_seed(meta_destination, "seed-floor", people)
    error = refused(lambda: meta_destination.remove_batch(seed_id, people))
    assert (error.kind, error.code, error.subcode) == (ErrorKind.REMOVAL_REFUSED, 200, 1870047)
    assert not error.transient


def test_a_batch_after_the_session_window_is_session_ended(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    sandbox.set_options(session_timeout_seconds=0.3)
    people = hashes_of("late-batch", 20)
    seed_id = meta_destination.create_seed(name="seed-window", description="")
    session = meta_destination.start_session(estimated_total=len(people))
    meta_destination.upload_batch(
        seed_id, people[:10], session=session, batch_seq=1, last_batch=False
    )
    time.sleep(0.5)
    error = refused(
        lambda: meta_destination.upload_batch(
            seed_id, people[10:], session=session, batch_seq=2, last_batch=True
        )
    )
    assert (error.kind, error.code) == (ErrorKind.SESSION_ENDED, 100)
    assert sandbox.received(seed_id)["added"] == people[:10]

    fresh = meta_destination.start_session(estimated_total=10)
    meta_destination.upload_batch(seed_id, people[10:], session=fresh, batch_seq=1, last_batch=True)
    assert sandbox.received(seed_id)["added"] == people


def test_a_session_id_is_unique_per_ad_account(meta_destination: MetaDestination) -> None:
    first = meta_destination.create_seed(name="seed-a", description="")
    second = meta_destination.create_seed(name="seed-b", description="")
    session = meta_destination.start_session(estimated_total=2)
    batch = hashes_of("shared-session", 1)
    meta_destination.upload_batch(first, batch, session=session, batch_seq=1, last_batch=False)
    error = refused(
        lambda: meta_destination.upload_batch(
            second, batch, session=session, batch_seq=1, last_batch=True
        )
    )
    assert (error.kind, error.code) == (ErrorKind.INVALID_REQUEST, 100)
    assert "already used" in error.message


UNKNOWN_CODE = 499


@pytest.mark.parametrize(
    ("code", "state"),
    [
        *((failed, MatchState.FAILED) for failed in (410, 411, 412)),
        (471, MatchState.FLAGGED),
        (UNKNOWN_CODE, MatchState.PROCESSING),
    ],
)
def test_seed_operation_status_codes(
    sandbox: RunningSandbox, meta_destination: MetaDestination, code: int, state: MatchState
) -> None:
    seed_id = meta_destination.create_seed(name=f"seed-{code}", description="")
    sandbox.set_operation_status(seed_id, code)
    status = meta_destination.match_status(seed_id)
    assert (status.state, status.platform_code) == (state, str(code))
    assert status.unknown_code is (code == UNKNOWN_CODE)
    assert status.delivery is not None
    assert not status.delivery.active


@pytest.mark.parametrize(
    ("code", "state"),
    [
        (431, LookalikeState.FAILED),
        (434, LookalikeState.FAILED),
        (471, LookalikeState.FLAGGED),
    ],
)
def test_lookalike_operation_status_codes(
    sandbox: RunningSandbox, meta_destination: MetaDestination, code: int, state: LookalikeState
) -> None:
    seed_id = matched_seed(meta_destination, f"seed-lookalike-{code}", hashes_of(str(code), 300))
    sandbox.set_delays(lookalike_delay_seconds=60)
    lookalike_id = meta_destination.create_lookalike(
        seed_id=seed_id, name=f"lookalike-{code}", country="FR", size=LookalikeSize(ratio=0.01)
    )
    populating = meta_destination.lookalike_status(lookalike_id)
    assert (populating.state, populating.platform_code) == (LookalikeState.POPULATING, "441")
    assert not populating.unknown_code
    sandbox.set_operation_status(lookalike_id, code)
    status = meta_destination.lookalike_status(lookalike_id)
    assert (status.state, status.platform_code, status.unknown_code) == (state, str(code), False)


def test_a_ready_lookalike_reports_an_active_delivery_status(
    meta_destination: MetaDestination,
) -> None:
    seed_id = matched_seed(meta_destination, "seed-delivery", hashes_of("delivery", 300))
    lookalike_id = meta_destination.create_lookalike(
        seed_id=seed_id, name="lookalike-delivery", country="FR", size=LookalikeSize(ratio=0.01)
    )
    ready = wait_for(
        lambda: meta_destination.lookalike_status(lookalike_id),
        lambda s: s.state is LookalikeState.READY,
    )
    assert ready.delivery is not None
    assert (ready.delivery.active, ready.delivery.code) == (True, 200)


def test_meta_says_a_deleted_audience_does_not_exist_with_100_33(
    meta_destination: MetaDestination,
) -> None:
    seed_id = meta_destination.create_seed(name="export-100-33", description="")
    meta_destination.delete_audience(seed_id)
    check = meta_destination.verify_deleted(seed_id)
    assert check.verified
    assert "code 100, subcode 33" in check.platform_answer


def test_meta_session_ids_are_positive_63_bit_integers(meta_destination: MetaDestination) -> None:
    ids = [meta_destination.start_session(estimated_total=1).session_id for _ in range(50)]
    assert all(0 < int(session_id) < 2**63 for session_id in ids)
