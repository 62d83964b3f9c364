"""Gateway HTML pages from Meta's edge, and the status codes audiences report.

HTML faults are set through ``POST /_sandbox/faults``; status codes through
``POST /_sandbox/audiences/{id}/operation_status``. Raw HTTP throughout.
"""

from __future__ import annotations

import pytest
import requests

from tests.audiences.helpers import hashes_of
from tests.fixtures.sandbox import RunningSandbox, graph_error

JSON = "application/json"
HTML = "text/html"


def status_of(sandbox: RunningSandbox, audience_id: str) -> tuple[int, int]:
    """``operation_status.code`` and ``delivery_status.code`` of an audience."""
    answer = sandbox.read(audience_id, "operation_status,delivery_status").json()
    return answer["operation_status"]["code"], answer["delivery_status"]["code"]


# Gateway pages.


def test_html_faults_answer_502_or_504_pages_and_process_nothing(
    sandbox: RunningSandbox,
) -> None:
    seed_id = sandbox.create_seed("behind a gateway")
    sandbox.set_faults(html_fault_rate=1.0)
    statuses = set()
    for _ in range(12):
        answer = sandbox.users("POST", seed_id, hashes_of("lost", 3))
        assert answer.headers["Content-Type"].startswith(HTML)
        assert answer.text.lstrip().startswith("<!DOCTYPE html>")
        statuses.add(answer.status_code)
    assert statuses == {502, 504}
    assert sandbox.received(seed_id)["added"] == [], "a gateway page means not processed"
    deleted = sandbox.graph("DELETE", seed_id)
    assert deleted.status_code in {502, 504}
    assert not sandbox.audience(seed_id)["deleted"], "the control API is not behind the edge"


def test_html_fault_200_sends_the_page_with_status_200(sandbox: RunningSandbox) -> None:
    sandbox.set_faults(html_fault_rate=1.0, html_fault_200=True)
    answer = sandbox.graph("POST", f"act_{sandbox.ad_account}", {"method": "get"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(HTML)
    with pytest.raises(ValueError):  # noqa: PT011 - any JSON decoding error
        answer.json()
    assert sandbox.requests()[0]["status"] == 200


def test_a_share_of_calls_meets_the_gateway_and_a_retry_gets_through(
    sandbox: RunningSandbox,
) -> None:
    seed_id = sandbox.create_seed("flaky edge")
    sandbox.set_faults(html_fault_rate=0.5)
    people = hashes_of("retried", 40)
    for number, person in enumerate(people):
        session = {"session_id": 1, "batch_seq": number + 1}
        while (answer := sandbox.users("POST", seed_id, [person], session)).status_code != 200:
            assert answer.status_code in {502, 504}
        assert answer.headers["Content-Type"].startswith(JSON)
    assert sandbox.received(seed_id)["added"] == people, "each hash received exactly once"
    refused = [record for record in sandbox.requests() if record["status"] != 200]
    assert 5 < len(refused) < 100


def test_bad_fault_settings_are_refused(sandbox: RunningSandbox) -> None:
    for body in ({"html_fault_rate": 1.5}, {"max_url_bytes": 100}, {"html_fault_200": 1}):
        answer = requests.post(f"{sandbox.url}/_sandbox/faults", json=body, timeout=5)
        assert graph_error(answer)["code"] == 100


# Status codes.


def test_a_seed_reports_300_while_matching_then_200(sandbox: RunningSandbox) -> None:
    sandbox.set_delays(match_delay_seconds=3600)
    seed_id = sandbox.create_seed("matching")
    sandbox.users("POST", seed_id, hashes_of("matching", 300))
    assert status_of(sandbox, seed_id) == (300, 300)
    sandbox.set_delays(match_delay_seconds=0)
    assert status_of(sandbox, seed_id) == (200, 200)


def test_a_seed_too_small_to_deliver_has_delivery_status_300(sandbox: RunningSandbox) -> None:
    sandbox.set_delays(match_delay_seconds=0)
    seed_id = sandbox.create_seed("tiny")
    sandbox.users("POST", seed_id, hashes_of("tiny", 20))
    answer = sandbox.read(seed_id, "operation_status,delivery_status").json()
    assert answer["operation_status"]["code"] == 200
    assert answer["delivery_status"]["code"] == 300
    assert "too small" in answer["delivery_status"]["description"]


def test_a_lookalike_reports_441_while_populating_then_200(sandbox: RunningSandbox) -> None:
    seed_id = sandbox.matched_seed()
    sandbox.set_delays(lookalike_delay_seconds=3600)
    lookalike_id = sandbox.create_lookalike(seed_id)
    assert status_of(sandbox, lookalike_id) == (441, 300)
    assert sandbox.audience(lookalike_id)["state"] == 441
    sandbox.set_delays(lookalike_delay_seconds=0)
    assert status_of(sandbox, lookalike_id) == (200, 200)


@pytest.mark.parametrize("code", [410, 411, 412])
def test_seed_failure_codes_can_be_set(sandbox: RunningSandbox, code: int) -> None:
    seed_id = sandbox.matched_seed()
    sandbox.set_operation_status(seed_id, code)
    assert status_of(sandbox, seed_id) == (code, 300)
    description = sandbox.read(seed_id, "operation_status").json()["operation_status"]
    assert description["description"]


@pytest.mark.parametrize("code", [431, 432, 433, 434])
def test_lookalike_failure_codes_can_be_set(sandbox: RunningSandbox, code: int) -> None:
    lookalike_id = sandbox.create_lookalike(sandbox.matched_seed())
    sandbox.set_operation_status(lookalike_id, code)
    assert status_of(sandbox, lookalike_id) == (code, 300)


def test_471_set_on_a_seed_flags_it_and_blocks_uploads(sandbox: RunningSandbox) -> None:
    seed_id = sandbox.create_seed("flag me")
    sandbox.set_operation_status(seed_id, 471)
    assert status_of(sandbox, seed_id) == (471, 300)
    error = graph_error(sandbox.users("POST", seed_id, hashes_of("blocked", 2)))
    assert (error["code"], error["error_subcode"]) == (100, 1713230)


def test_471_on_a_lookalike(sandbox: RunningSandbox) -> None:
    lookalike_id = sandbox.create_lookalike(sandbox.matched_seed())
    sandbox.set_operation_status(lookalike_id, 471)
    assert status_of(sandbox, lookalike_id) == (471, 300)


@pytest.mark.parametrize("code", [99, 1000, "410", True])
def test_a_bad_status_code_is_refused(sandbox: RunningSandbox, code: object) -> None:
    seed_id = sandbox.create_seed("bad code")
    answer = requests.post(
        f"{sandbox.url}/_sandbox/audiences/{seed_id}/operation_status",
        json={"code": code},
        timeout=5,
    )
    assert graph_error(answer)["code"] == 100


def test_the_status_of_an_unknown_audience_is_100_33(sandbox: RunningSandbox) -> None:
    answer = requests.post(
        f"{sandbox.url}/_sandbox/audiences/42/operation_status", json={"code": 410}, timeout=5
    )
    error = graph_error(answer)
    assert (error["code"], error["error_subcode"]) == (100, 33)
