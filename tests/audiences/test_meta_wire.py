"""What the Meta client puts on the wire, and how it reads answers that are not Graph JSON.

Every test runs the real client over real HTTP against the sandbox and reads
the sandbox's request log: the canary test proves that no token, proof or hash
ever rides in a URL.
"""

from __future__ import annotations

import hashlib
import hmac
import traceback

import pytest

from audiences.destination import LookalikeSize, LookalikeState, MatchState
from audiences.errors import DestinationError, ErrorKind
from audiences.meta.client import MetaDestination
from tests.audiences.helpers import hashes_of, wait_for
from tests.fixtures.sandbox import RunningSandbox, sandbox_meta_config


def secrets_of(sandbox: RunningSandbox) -> set[str]:
    """The token and the proof: neither may appear in a request line."""
    proof = hmac.new(
        sandbox.app_secret.encode(), sandbox.access_token.encode(), hashlib.sha256
    ).hexdigest()
    return {sandbox.access_token, proof}


def test_no_token_proof_or_hash_in_any_url(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    people = hashes_of("wire-canary", 300)
    seed_id = meta_destination.create_seed(name="wire", description="")
    session = meta_destination.start_session(estimated_total=len(people))
    meta_destination.upload_batch(seed_id, people, session=session, batch_seq=1, last_batch=True)
    meta_destination.remove_batch(seed_id, people[:20])
    wait_for(lambda: meta_destination.match_status(seed_id), lambda s: s.state is MatchState.READY)
    lookalike_id = meta_destination.create_lookalike(
        seed_id=seed_id, name="wire-lookalike", country="FR", size=LookalikeSize(ratio=0.01)
    )
    wait_for(
        lambda: meta_destination.lookalike_status(lookalike_id),
        lambda s: s.state is LookalikeState.READY,
    )
    meta_destination.list_audiences()
    meta_destination.delete_audience(seed_id)
    assert meta_destination.verify_deleted(seed_id).verified

    requests = sandbox.requests()
    canaries = secrets_of(sandbox) | set(people)
    lines = [f"{request['path']}?{request['query']}" for request in requests]
    assert [line for line in lines if any(canary in line for canary in canaries)] == []
    assert {request["query"] for request in requests} == {""}
    assert {request["authorization_scheme"] for request in requests} == {"OAuth"}
    reads = [request for request in requests if request["method_override"] == "GET"]
    assert reads, "reads travel as POST with method=get"
    assert {request["method"] for request in reads} == {"POST"}
    removal = next(
        request
        for request in requests
        if request["path"].endswith("/users") and request["method"] == "DELETE"
    )
    assert removal["has_body"]
    assert sandbox.received(seed_id)["removed"] == people[:20]


def test_a_full_removal_batch_travels_in_one_request(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    people = hashes_of("big-removal", 10_000)
    seed_id = meta_destination.create_seed(name="big-removal", description="")
    receipt = meta_destination.remove_batch(seed_id, people)
    assert (receipt.num_received, receipt.num_invalid_entries) == (10_000, 0)
    removals = [request for request in sandbox.requests() if request["path"].endswith("/users")]
    assert len(removals) == 1
    assert sandbox.received(seed_id)["removed"] == people


@pytest.mark.parametrize("html_200", [False, True])
def test_gateway_pages_are_transient_and_end_in_a_clean_error(
    sandbox: RunningSandbox, html_200: bool
) -> None:
    waits: list[float] = []
    destination = MetaDestination(sandbox_meta_config(sandbox, max_attempts=3), sleep=waits.append)
    sandbox.set_faults(html_fault_rate=1.0, html_fault_200=html_200)
    with pytest.raises(DestinationError) as raised:
        destination.list_audiences()
    error = raised.value
    assert error.kind is ErrorKind.TRANSIENT
    assert error.http_status in ({200} if html_200 else {502, 504})
    assert len(sandbox.requests()) == 3
    assert len(waits) == 2
    assert error.__cause__ is None
    assert error.__context__ is None
    assert "TypeError" not in "".join(traceback.format_exception(error))


def test_an_upload_goes_through_gateway_pages_and_each_hash_arrives_once(
    sandbox: RunningSandbox,
) -> None:
    destination = MetaDestination(sandbox_meta_config(sandbox, max_attempts=12))
    people = hashes_of("html-faults", 600)
    seed_id = destination.create_seed(name="html-faults", description="")
    sandbox.set_faults(html_fault_rate=0.3)
    session = destination.start_session(estimated_total=len(people))
    batches = [people[start : start + 100] for start in range(0, len(people), 100)]
    for number, batch in enumerate(batches, start=1):
        destination.upload_batch(
            seed_id, batch, session=session, batch_seq=number, last_batch=number == len(batches)
        )
    statuses = {request["status"] for request in sandbox.requests()}
    assert statuses - {200}, "the sandbox should have answered some gateway pages"
    assert sandbox.received(seed_id)["added"] == people


def test_a_request_line_too_long_is_permanent(sandbox: RunningSandbox) -> None:
    destination = MetaDestination(sandbox_meta_config(sandbox))
    sandbox.set_faults(max_url_bytes=256)
    with pytest.raises(DestinationError) as raised:
        destination.match_status("1" * 300)
    assert (raised.value.kind, raised.value.http_status) == (ErrorKind.INVALID_REQUEST, 414)
    assert len(sandbox.requests()) == 1
