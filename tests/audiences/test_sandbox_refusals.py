"""Meta's refusals, opt-in: seed deletion (2656), removal floor (1870047), upload sessions.

Each switch is off by default (the first test of each group shows the lenient
answer) and set at run time through ``POST /_sandbox/options``; every refusal
is checked on the wire: HTTP status, JSON body, code and subcode.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.audiences.helpers import hashes_of
from tests.fixtures.sandbox import RunningSandbox, graph_error

OTHER_ACCOUNT = "1000000000000002"


# Refused seed deletion (2656).


def test_by_default_a_seed_with_a_lookalike_is_deleted(sandbox: RunningSandbox) -> None:
    seed_id = sandbox.matched_seed()
    lookalike_id = sandbox.create_lookalike(seed_id)
    assert sandbox.graph("DELETE", seed_id).json() == {"success": True}
    assert sandbox.read(lookalike_id, "id").status_code == 200


def test_a_seed_with_a_live_lookalike_is_refused_with_2656(sandbox: RunningSandbox) -> None:
    sandbox.set_options(refuse_seed_delete_with_lookalikes=True)
    seed_id = sandbox.matched_seed()
    lookalike_id = sandbox.create_lookalike(seed_id)

    error = graph_error(sandbox.graph("DELETE", seed_id))
    assert (error["code"], error["type"]) == (2656, "OAuthException")
    assert "error_subcode" not in error
    assert "lookalike" in str(error["message"])
    assert "fbtrace_id" in error
    assert graph_error(sandbox.graph("POST", seed_id, {"method": "delete"}))["code"] == 2656
    assert sandbox.read(seed_id, "id").status_code == 200, "the seed is still there"
    assert sandbox.audience(seed_id)["members"] == 300

    # Deleting the lookalike as Ads Manager would frees the seed.
    sandbox.delete_audience(lookalike_id)
    assert sandbox.audience(lookalike_id)["deleted"]
    assert sandbox.graph("DELETE", seed_id).json() == {"success": True}
    gone = graph_error(sandbox.read(seed_id, "id"))
    assert (gone["code"], gone["error_subcode"]) == (100, 33)


def test_a_seed_without_lookalike_is_deleted_under_the_switch(sandbox: RunningSandbox) -> None:
    sandbox.set_options(refuse_seed_delete_with_lookalikes=True)
    seed_id = sandbox.create_seed("alone")
    assert sandbox.graph("DELETE", seed_id).json() == {"success": True}


def test_the_control_delete_follows_the_same_rule(sandbox: RunningSandbox) -> None:
    sandbox.set_options(refuse_seed_delete_with_lookalikes=True)
    seed_id = sandbox.matched_seed()
    sandbox.create_lookalike(seed_id)
    answer = requests.post(f"{sandbox.url}/_sandbox/audiences/{seed_id}/delete", timeout=10)
    assert graph_error(answer)["code"] == 2656
    assert not sandbox.audience(seed_id)["deleted"]


def test_the_control_delete_needs_no_token_and_answers_100_33_twice(
    sandbox: RunningSandbox,
) -> None:
    seed_id = sandbox.create_seed("ads manager")
    sandbox.delete_audience(seed_id)
    assert sandbox.audience(seed_id)["deleted"]
    again = requests.post(f"{sandbox.url}/_sandbox/audiences/{seed_id}/delete", timeout=10)
    error = graph_error(again)
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert len(sandbox.requests()) == 1, "only the creation was a Graph request"


# Removal floor (200/1870047).


def test_without_a_floor_a_seed_can_be_emptied(sandbox: RunningSandbox) -> None:
    seed_id = sandbox.create_seed("emptied")
    people = hashes_of("emptied", 20)
    sandbox.users("POST", seed_id, people)
    assert sandbox.users("DELETE", seed_id, people).status_code == 200
    assert sandbox.audience(seed_id)["members"] == 0


def test_a_removal_below_the_floor_is_refused_with_1870047(sandbox: RunningSandbox) -> None:
    sandbox.set_options(removal_floor=50)
    seed_id = sandbox.create_seed("floored")
    people = hashes_of("floored", 60)
    sandbox.users("POST", seed_id, people)
    assert sandbox.users("DELETE", seed_id, people[:10]).status_code == 200
    # The floor counts current members: removing the same people again leaves 50.
    assert sandbox.users("DELETE", seed_id, people[:10]).status_code == 200

    error = graph_error(sandbox.users("DELETE", seed_id, people[10:11]))
    assert (error["code"], error["error_subcode"]) == (200, 1870047)
    assert "audience size too low" in str(error["message"]).lower()
    assert sandbox.audience(seed_id)["members"] == 50
    assert sandbox.received(seed_id)["removed"] == people[:10] * 2, "refused: not processed"
    # Adding people is never refused, and makes room for removals.
    sandbox.users("POST", seed_id, hashes_of("more", 1))
    assert sandbox.users("DELETE", seed_id, people[10:11]).status_code == 200


# Upload sessions, per ad account.


def test_a_session_id_reused_by_another_audience_is_refused(sandbox: RunningSandbox) -> None:
    first, second = sandbox.create_seed("first"), sandbox.create_seed("second")
    session = {"session_id": 77, "batch_seq": 1, "last_batch_flag": True}
    assert sandbox.users("POST", first, hashes_of("a", 2), session).status_code == 200
    error = graph_error(sandbox.users("POST", second, hashes_of("b", 2), session))
    assert error["code"] == 100
    assert "error_subcode" not in error
    assert "session id already used" in str(error["message"])
    assert sandbox.received(second)["added"] == []
    elsewhere = sandbox.create_seed("elsewhere", ad_account=OTHER_ACCOUNT)
    assert sandbox.users("POST", elsewhere, hashes_of("c", 2), session).status_code == 200


def test_by_default_an_open_session_never_ends(sandbox: RunningSandbox) -> None:
    seed_id = sandbox.create_seed("patient")
    for batch_seq in (1, 2):
        session = {"session_id": 5, "batch_seq": batch_seq}
        assert sandbox.users("POST", seed_id, hashes_of(f"b{batch_seq}", 2), session).ok
    (session_seen,) = sandbox.sessions(seed_id)
    assert session_seen["batch_seqs"] == [1, 2]
    assert (session_seen["last_batch_flag"], session_seen["ended"]) == (False, False)


def test_an_unflagged_session_ends_after_the_timeout(sandbox: RunningSandbox) -> None:
    sandbox.set_options(session_timeout_seconds=0.3)
    seed_id = sandbox.create_seed("slow")
    people = hashes_of("slow", 4)
    first = {"session_id": 9, "batch_seq": 1, "estimated_num_total": 4}
    assert sandbox.users("POST", seed_id, people[:2], first).status_code == 200
    time.sleep(0.35)

    late = {"session_id": 9, "batch_seq": 2, "last_batch_flag": True}
    error = graph_error(sandbox.users("POST", seed_id, people[2:], late))
    assert error["code"] == 100
    assert "error_subcode" not in error
    assert "upload session has ended" in str(error["message"])
    assert sandbox.received(seed_id)["added"] == people[:2]
    (ended,) = sandbox.sessions(seed_id)
    assert (ended["batch_seqs"], ended["ended"], ended["last_batch_flag"]) == ([1], True, False)

    # A new session carries on.
    fresh = {"session_id": 10, "batch_seq": 1, "last_batch_flag": True}
    assert sandbox.users("POST", seed_id, people[2:], fresh).status_code == 200
    assert sandbox.received(seed_id)["added"] == people


def test_a_flagged_session_does_not_end(sandbox: RunningSandbox) -> None:
    sandbox.set_options(session_timeout_seconds=0.1)
    seed_id = sandbox.create_seed("closed")
    session = {"session_id": 3, "batch_seq": 1, "last_batch_flag": True}
    sandbox.users("POST", seed_id, hashes_of("closed", 2), session)
    time.sleep(0.15)
    (closed,) = sandbox.sessions(seed_id)
    assert (closed["last_batch_flag"], closed["ended"]) == (True, False)


# Settings.


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"removal_floor": -1}, "removal_floor"),
        ({"removal_floor": 1.5}, "removal_floor must be an integer"),
        ({"session_timeout_seconds": 0}, "session_timeout_seconds"),
        ({"refuse_seed_delete_with_lookalikes": "yes"}, "true or false"),
        ({"html_fault_rate": 0.1}, "unknown setting html_fault_rate"),
    ],
)
def test_bad_options_are_refused(
    sandbox: RunningSandbox, body: dict[str, object], words: str
) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/options", json=body, timeout=5)
    assert words in str(graph_error(answer)["message"])


def test_options_read_back_and_reset(sandbox: RunningSandbox) -> None:
    sandbox.set_options(
        refuse_seed_delete_with_lookalikes=True, removal_floor=7, session_timeout_seconds=30
    )
    options = sandbox.options()
    assert options["refuse_seed_delete_with_lookalikes"] is True
    assert (options["removal_floor"], options["session_timeout_seconds"]) == (7, 30)
    sandbox.set_options(session_timeout_seconds=None)
    assert sandbox.options()["session_timeout_seconds"] is None
    sandbox.reset()
    assert sandbox.options()["removal_floor"] == 0
    assert sandbox.options()["refuse_seed_delete_with_lookalikes"] is False
