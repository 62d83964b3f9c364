"""The sandbox's control endpoints, seen through the Meta destination where it matters."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from audiences.destination import LookalikeSize
from audiences.errors import DestinationError, ErrorKind
from audiences.meta.client import LIST_PAGE_SIZE, MetaDestination
from tests.audiences.helpers import hashes_of, wait_for
from tests.fixtures.sandbox import RunningSandbox, graph_error


def assert_refused(call: Callable[[], object], expected: tuple[int, int, ErrorKind, str]) -> None:
    """``call`` fails with this code, subcode and kind, and a message saying ``words``."""
    code, subcode, kind, words = expected
    with pytest.raises(DestinationError) as raised:
        call()
    assert (raised.value.code, raised.value.subcode, raised.value.kind) == (code, subcode, kind)
    assert words in raised.value.message


def test_state_lists_every_audience_with_counts_and_deleted_flag(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    seed_id = meta_destination.create_seed(name="stateful", description="")
    meta_destination.upload_batch(
        seed_id,
        hashes_of("state", 10),
        session=meta_destination.start_session(estimated_total=10),
        batch_seq=1,
        last_batch=True,
    )
    meta_destination.delete_audience(seed_id)
    (audience,) = sandbox.state()
    assert audience["id"] == seed_id
    assert audience["subtype"] == "CUSTOM"
    assert audience["deleted"] is True
    assert audience["received"] == 10
    assert audience["members"] == 0
    assert audience["time_deleted"] >= audience["time_created"]
    # The wiretap outlives the audience.
    assert sandbox.received(seed_id)["added"] == hashes_of("state", 10)


def test_reset_forgets_everything(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    meta_destination.create_seed(name="forgotten", description="")
    sandbox.reset()
    assert sandbox.state() == []
    assert sandbox.requests() == []


def test_listing_follows_cursor_pages(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    names = [f"export-{number:04d}" for number in range(LIST_PAGE_SIZE + 5)]
    for name in names:
        meta_destination.create_seed(name=name, description="")
    assert [ref.name for ref in meta_destination.list_audiences()] == names
    list_calls = [r for r in sandbox.requests() if r["path"].endswith("/customaudiences")]
    list_calls = list_calls[len(names) :]  # after the creations
    assert len(list_calls) == 2


def test_replaced_token_expires_mid_run(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    meta_destination.create_seed(name="before", description="")
    sandbox.replace_token("a-fresh-token")
    assert_refused(
        lambda: meta_destination.create_seed(name="after", description=""),
        (190, 463, ErrorKind.AUTHENTICATION, "expired"),
    )


def test_flagged_audience_reports_471_and_blocks_uploads(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    seed_id = meta_destination.create_seed(name="flagged", description="")
    sandbox.flag(seed_id)
    assert meta_destination.match_status(seed_id).state == "flagged"
    assert meta_destination.match_status(seed_id).platform_code == "471"
    session = meta_destination.start_session(estimated_total=2)
    assert_refused(
        lambda: meta_destination.upload_batch(
            seed_id, hashes_of("flagged", 2), session=session, batch_seq=1, last_batch=True
        ),
        (100, 1713230, ErrorKind.FLAGGED, "Audience Manager"),
    )


def test_terms_not_accepted_stop_the_export_at_once(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    sandbox.set_terms_accepted(sandbox.ad_account, accepted=False)
    with pytest.raises(DestinationError) as raised:
        meta_destination.create_seed(name="no-terms", description="")
    assert raised.value.kind is ErrorKind.TERMS_NOT_ACCEPTED
    assert sandbox.state() == [], "no seed is created"
    refused = sandbox.graph(
        "POST",
        f"act_{sandbox.ad_account}/customaudiences",
        {"name": "raw", "subtype": "CUSTOM", "customer_file_source": "USER_PROVIDED_ONLY"},
    )
    error = graph_error(refused)
    assert (error["code"], error["error_subcode"]) == (200, 1870034)
    assert "Custom Audience Terms" in str(error["message"])
    sandbox.set_terms_accepted(sandbox.ad_account, accepted=True)
    assert meta_destination.create_seed(name="terms", description="")


def test_unknown_control_path_is_404(sandbox: RunningSandbox) -> None:
    assert requests.get(f"{sandbox.url}/_sandbox/nothing", timeout=5).status_code == 404


def test_delays_change_while_running_and_reset_restores_them(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    seed_id = meta_destination.create_seed(name="slow", description="")
    sandbox.set_delays(match_delay_seconds=3600)
    assert meta_destination.match_status(seed_id).state == "processing"
    sandbox.set_delays(match_delay_seconds=0)
    assert meta_destination.match_status(seed_id).state == "ready"

    sandbox.set_delays(lookalike_delay_seconds=3600)
    sandbox.reset()
    seed_id = meta_destination.create_seed(name="after reset", description="")
    meta_destination.upload_batch(
        seed_id,
        hashes_of("matched", 400),
        session=meta_destination.start_session(estimated_total=400),
        batch_seq=1,
        last_batch=True,
    )
    wait_for(lambda: meta_destination.match_status(seed_id).state, lambda s: s == "ready")
    lookalike_id = meta_destination.create_lookalike(
        seed_id=seed_id, name="lookalike", country="FR", size=LookalikeSize(ratio=0.01)
    )
    # Back to the sandbox's starting delay (0.1 s), not the hour set before the reset.
    wait_for(lambda: meta_destination.lookalike_status(lookalike_id).state, lambda s: s == "ready")


@pytest.mark.parametrize(
    "body",
    [{"match_delay_seconds": -1}, {"lookalike_delay_seconds": "soon"}, {"match_delay": 1}],
)
def test_bad_delays_are_refused(sandbox: RunningSandbox, body: dict[str, object]) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/options", json=body, timeout=5)
    assert answer.status_code == 400
    assert "delay" in answer.json()["error"]["message"]


def test_requests_record_the_error_code_and_the_announced_wait(
    sandbox: RunningSandbox, meta_destination: MetaDestination
) -> None:
    sandbox.set_faults(rate_limit=1, rate_window_seconds=0.3)
    meta_destination.list_audiences()
    meta_destination.list_audiences()
    first, refused, retried = sandbox.requests()
    assert (first["code"], first["regain_access_seconds"]) == (None, None)
    assert refused["code"] == 80003
    assert 0 < refused["regain_access_seconds"] <= 0.3 + 0.006
    assert retried["code"] is None
    assert retried["arrived_at"] >= refused["arrived_at"] + refused["regain_access_seconds"]
