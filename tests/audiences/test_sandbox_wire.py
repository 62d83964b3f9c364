"""The sandbox speaks the wire protocol of issue 9: header token, method override, bodies.

Raw HTTP (``requests``), so each assertion is about what Graph answers on the
wire: HTTP status, content type, error code and subcode.
"""

from __future__ import annotations

import pytest
import requests

from audiences.meta.config import GRAPH_API_VERSION
from tests.audiences.helpers import hashes_of
from tests.fixtures.sandbox import RunningSandbox, graph_error

JSON = "application/json"
HTML = "text/html"


# Authorization header.


@pytest.mark.parametrize("scheme", ["OAuth", "Bearer"])
def test_token_in_the_authorization_header_is_accepted(
    sandbox: RunningSandbox, scheme: str
) -> None:
    answer = sandbox.graph(
        "POST",
        f"act_{sandbox.ad_account}/customaudiences",
        {"name": "header", "subtype": "CUSTOM", "customer_file_source": "USER_PROVIDED_ONLY"},
        headers={"Authorization": f"{scheme} {sandbox.access_token}"},
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(JSON)
    (record,) = sandbox.requests()
    assert (record["query"], record["has_body"]) == ("", True)
    assert record["authorization_scheme"] == scheme


def test_token_and_proof_in_the_query_are_still_accepted(sandbox: RunningSandbox) -> None:
    answer = requests.get(
        f"{sandbox.url}/{GRAPH_API_VERSION}/act_{sandbox.ad_account}/customaudiences",
        params={"access_token": sandbox.access_token, "appsecret_proof": sandbox.appsecret_proof},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json() == {"data": []}
    (record,) = sandbox.requests()
    assert "access_token=" in record["query"]
    assert record["authorization_scheme"] is None


@pytest.mark.parametrize(
    "authorization", ["OAuth not-the-token", "Basic dXNlcjpwYXNz", "OAuth", ""]
)
def test_a_header_without_the_valid_token_is_190(
    sandbox: RunningSandbox, authorization: str
) -> None:
    answer = sandbox.graph(
        "POST",
        f"act_{sandbox.ad_account}",
        {"method": "get", "fields": "tos_accepted"},
        headers={"Authorization": authorization},
    )
    error = graph_error(answer)
    assert (error["code"], error["type"]) == (190, "OAuthException")
    assert "error_subcode" not in error


def test_the_header_token_still_needs_the_proof_in_the_body(sandbox: RunningSandbox) -> None:
    answer = requests.post(
        f"{sandbox.url}/{GRAPH_API_VERSION}/act_{sandbox.ad_account}",
        data={"method": "get", "fields": "tos_accepted"},
        headers={"Authorization": f"OAuth {sandbox.access_token}"},
        timeout=10,
    )
    error = graph_error(answer)
    assert error["code"] == 100
    assert "appsecret_proof" in str(error["message"])


# Method override.


def test_a_post_with_method_get_reads_like_a_get(sandbox: RunningSandbox) -> None:
    seed_id = sandbox.create_seed("override")
    fields = "name,subtype,operation_status"
    read = sandbox.read(seed_id, fields)
    plain = requests.get(
        f"{sandbox.url}/{GRAPH_API_VERSION}/{seed_id}",
        params={
            "fields": fields,
            "access_token": sandbox.access_token,
            "appsecret_proof": sandbox.appsecret_proof,
        },
        timeout=10,
    )
    assert read.status_code == plain.status_code == 200
    assert read.json() == plain.json()
    assert read.json()["name"] == "override"
    override = sandbox.requests()[1]
    assert (override["method"], override["method_override"]) == ("POST", "GET")
    assert (override["query"], override["has_body"]) == ("", True)


def test_a_post_with_method_delete_deletes(sandbox: RunningSandbox) -> None:
    seed_id = sandbox.create_seed("doomed")
    answer = sandbox.graph("POST", seed_id, {"method": "delete"})
    assert (answer.status_code, answer.json()) == (200, {"success": True})
    error = graph_error(sandbox.read(seed_id, "id"))
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_an_unknown_override_is_refused_with_100(sandbox: RunningSandbox) -> None:
    answer = sandbox.graph("POST", f"act_{sandbox.ad_account}", {"method": "patch"})
    assert graph_error(answer)["code"] == 100


# Removals in a body.


@pytest.mark.parametrize(
    ("method", "form"),
    [("DELETE", {}), ("POST", {"method": "delete"})],
    ids=["delete-with-form-body", "post-method-delete"],
)
def test_a_removal_travels_in_a_form_body(
    sandbox: RunningSandbox, method: str, form: dict[str, str]
) -> None:
    seed_id = sandbox.create_seed("removal")
    people = hashes_of("removal", 30)
    added = sandbox.users("POST", seed_id, people, {"session_id": 1, "batch_seq": 1})
    assert added.status_code == 200
    removal = sandbox.graph(
        method,
        f"{seed_id}/users",
        {"payload": f'{{"schema":"EMAIL_SHA256","data":["{people[0]}","{people[1]}"]}}', **form},
    )
    assert removal.status_code == 200
    assert removal.json()["num_received"] == 2
    assert sandbox.received(seed_id) == {"added": people, "removed": people[:2]}
    assert sandbox.audience(seed_id)["members"] == 28
    for record in sandbox.requests():
        assert record["query"] == ""
        assert people[0] not in record["path"]


def test_10000_hashes_fit_in_one_removal_body(sandbox: RunningSandbox) -> None:
    seed_id = sandbox.create_seed("big removal")
    people = hashes_of("big", 10_000)
    assert sandbox.users("POST", seed_id, people).status_code == 200
    answer = sandbox.users("DELETE", seed_id, people)
    assert answer.status_code == 200
    assert answer.json()["num_received"] == 10_000
    assert sandbox.audience(seed_id)["members"] == 0
    too_many = sandbox.users("DELETE", seed_id, hashes_of("big", 10_001))
    assert graph_error(too_many)["code"] == 100


# Request lines too long for the edge.


def test_a_request_line_over_the_default_limit_is_an_html_414(sandbox: RunningSandbox) -> None:
    url = f"{sandbox.url}/{GRAPH_API_VERSION}/act_{sandbox.ad_account}/customaudiences"
    assert sandbox.options()["max_url_bytes"] == 16_384
    answer = requests.get(url, params={"fields": "x" * 16_384}, timeout=10)
    assert answer.status_code == 414
    assert answer.headers["Content-Type"].startswith(HTML)
    assert answer.text.startswith("<!DOCTYPE html>")
    within = requests.get(url, params={"fields": "x" * 16_000}, timeout=10)
    assert graph_error(within)["code"] == 190, "under the limit, the Graph app answers"
    assert [record["status"] for record in sandbox.requests()] == [414, 400]


def test_the_url_limit_can_be_lowered_while_running(sandbox: RunningSandbox) -> None:
    sandbox.set_faults(max_url_bytes=1024)
    overhead = len(f"GET /{GRAPH_API_VERSION}/ HTTP/1.1")
    base = f"{sandbox.url}/{GRAPH_API_VERSION}/"
    at_limit = requests.get(base + "1" * (1024 - overhead), timeout=10)
    over = requests.get(base + "1" * (1025 - overhead), timeout=10)
    assert graph_error(at_limit)["code"] == 190
    assert over.status_code == 414
    assert over.headers["Content-Type"].startswith(HTML)
    sandbox.reset()
    assert sandbox.options()["max_url_bytes"] == 16_384


# Terms preflight.


def test_terms_preflight_reads_tos_accepted(sandbox: RunningSandbox) -> None:
    account = f"act_{sandbox.ad_account}"
    answer = sandbox.read(account, "tos_accepted")
    assert answer.status_code == 200
    assert answer.json() == {"id": account, "tos_accepted": {"custom_audience_tos": 1}}
    sandbox.set_terms_accepted(sandbox.ad_account, accepted=False)
    assert sandbox.read(account, "tos_accepted").json() == {"id": account, "tos_accepted": {}}
    assert graph_error(sandbox.read(account, "balance"))["code"] == 100
