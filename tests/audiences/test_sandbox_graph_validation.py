"""Every validation of the sandbox, through the real SDK, with Graph's error code asserted.

Most go through ``MetaDestination`` (the translated error keeps code and
subcode); requests the destination would never send go through the bare SDK.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

from audiences.destination import LookalikeSize
from audiences.errors import DestinationError, ErrorKind
from audiences.meta.client import MetaDestination
from tests.audiences.helpers import hashes_of, raw_api, wait_for
from tests.fixtures.sandbox import RunningSandbox, sandbox_meta_config
from tests.fixtures.sandbox import graph_error as wire_error


@pytest.fixture
def api(sandbox: RunningSandbox) -> FacebookAdsApi:
    return raw_api(sandbox.url, sandbox.access_token, sandbox.app_secret)


@pytest.fixture
def seed_id(meta_destination: MetaDestination) -> str:
    return meta_destination.create_seed(name="validation", description="")


def graph_error(api: FacebookAdsApi, method: str, path: tuple[str, ...], params: Any) -> Any:
    """The Graph error body the SDK raised for this call."""
    with pytest.raises(FacebookRequestError) as raised:
        api.call(method, path, params=params)
    return raised.value


def destination_error(call: Any) -> DestinationError:
    with pytest.raises(DestinationError) as raised:
        call()
    return raised.value


# Creating audiences.


@pytest.mark.parametrize(
    "params",
    [
        {"subtype": "CUSTOM", "customer_file_source": "USER_PROVIDED_ONLY"},
        {"subtype": "CUSTOM", "name": "x"},
        {"subtype": "CUSTOM", "name": "x", "customer_file_source": "FROM_A_HAT"},
        {"subtype": "WEBSITE", "name": "x"},
        {"subtype": "LOOKALIKE", "name": "x", "lookalike_spec": '{"country": "FR"'},
    ],
    ids=["no-name", "no-file-source", "bad-file-source", "bad-subtype", "malformed-json"],
)
def test_create_refuses_bad_parameters(
    api: FacebookAdsApi, sandbox: RunningSandbox, params: dict[str, str]
) -> None:
    error = graph_error(api, "POST", (f"act_{sandbox.ad_account}", "customaudiences"), params)
    assert error.api_error_code() == 100
    assert error.http_status() == 400


@pytest.mark.parametrize(
    ("country", "ratio"),
    [("XX", 0.01), ("FRA", 0.01), ("FR", 0.0), ("FR", 0.21), ("FR", 0.015)],
)
def test_lookalike_spec_is_validated(
    meta_destination: MetaDestination, seed_id: str, country: str, ratio: float
) -> None:
    error = destination_error(
        lambda: meta_destination.create_lookalike(
            seed_id=seed_id, name="lal", country=country, size=LookalikeSize(ratio=ratio)
        )
    )
    assert (error.code, error.kind) == (100, ErrorKind.INVALID_REQUEST)


def test_lookalike_type_is_validated(api: FacebookAdsApi, sandbox: RunningSandbox) -> None:
    spec = {"country": "FR", "ratio": 0.02, "type": "sameness"}
    params = {
        "subtype": "LOOKALIKE",
        "name": "x",
        "origin_audience_id": "1",
        "lookalike_spec": spec,
    }
    error = graph_error(api, "POST", (f"act_{sandbox.ad_account}", "customaudiences"), params)
    assert error.api_error_code() == 100


def test_lookalike_of_unknown_seed_is_refused(meta_destination: MetaDestination) -> None:
    error = destination_error(
        lambda: meta_destination.create_lookalike(
            seed_id="42", name="lal", country="FR", size=LookalikeSize(ratio=0.01)
        )
    )
    assert error.code == 100


def test_seed_with_fewer_than_100_matched_cannot_seed_a_lookalike(
    sandbox: RunningSandbox, meta_destination: MetaDestination, seed_id: str
) -> None:
    session = meta_destination.start_session(estimated_total=100)
    meta_destination.upload_batch(
        seed_id, hashes_of("small", 100), session=session, batch_seq=1, last_batch=True
    )
    wait_for(lambda: meta_destination.match_status(seed_id), lambda s: s.state == "ready")
    error = destination_error(
        lambda: meta_destination.create_lookalike(
            seed_id=seed_id, name="lal", country="FR", size=LookalikeSize(ratio=0.01)
        )
    )
    assert (error.code, error.kind) == (2654, ErrorKind.INVALID_REQUEST)
    spec = '{"country": "FR", "ratio": 0.01}'
    form = {"name": "raw", "subtype": "LOOKALIKE", "origin_audience_id": seed_id}
    raw = sandbox.graph(
        "POST", f"act_{sandbox.ad_account}/customaudiences", form | {"lookalike_spec": spec}
    )
    assert "100 matched" in str(wire_error(raw)["message"])


# Uploading users.


def users(payload: Any, session: Any = None) -> dict[str, Any]:
    params = {"payload": payload}
    return params if session is None else params | {"session": session}


INVALID_USERS_REQUESTS: dict[str, dict[str, Any]] = {
    "unsupported-schema": users({"schema": "PHONE_SHA256", "data": []}),
    "data-not-a-list": users({"schema": "EMAIL_SHA256", "data": "abc"}),
    "multikey-rows-not-lists": users({"schema": ["EMAIL"], "data": ["abc"]}),
    "malformed-payload-json": users('{"schema": "EMAIL_SHA256", "data": ['),
    "no-schema": users({"data": []}),
    "malformed-session-json": {
        "payload": json.dumps({"schema": "EMAIL_SHA256", "data": []}),
        "session": "{oops",
    },
    "batch-seq-0": users({"schema": "EMAIL_SHA256", "data": []}, {"session_id": 7, "batch_seq": 0}),
    "first-batch-not-1": users(
        {"schema": "EMAIL_SHA256", "data": []}, {"session_id": 7, "batch_seq": 2}
    ),
    "no-session-id": users({"schema": "EMAIL_SHA256", "data": []}, {"batch_seq": 1}),
    "no-payload": {},
}


@pytest.mark.parametrize("case", sorted(INVALID_USERS_REQUESTS))
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_users_requests_are_validated(
    api: FacebookAdsApi, seed_id: str, case: str, method: str
) -> None:
    error = graph_error(api, method, (seed_id, "users"), INVALID_USERS_REQUESTS[case])
    assert error.api_error_code() == 100


def test_more_than_10000_entries_are_refused_by_the_sdk_upload(
    api: FacebookAdsApi, seed_id: str
) -> None:
    params = users({"schema": "EMAIL_SHA256", "data": hashes_of("big", 10_001)})
    assert graph_error(api, "POST", (seed_id, "users"), params).api_error_code() == 100


def test_more_than_10000_entries_in_a_json_delete_body_are_refused(
    sandbox: RunningSandbox, seed_id: str
) -> None:
    answer = requests.delete(
        f"{sandbox.url}/v26.0/{seed_id}/users",
        params={"access_token": sandbox.access_token, "appsecret_proof": sandbox.appsecret_proof},
        json={"payload": {"schema": "EMAIL_SHA256", "data": hashes_of("big", 10_001)}},
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100


def test_multikey_email_schema_and_json_body_are_accepted(
    api: FacebookAdsApi, sandbox: RunningSandbox, seed_id: str
) -> None:
    people = hashes_of("multikey", 3)
    answer = api.call(
        "POST",
        (seed_id, "users"),
        params=users({"schema": ["EMAIL"], "data": [[h] for h in people]}),
    ).json()
    assert answer["num_received"] == 3
    assert answer["num_invalid_entries"] == 0
    assert set(answer) >= {"audience_id", "session_id", "invalid_entry_samples"}
    assert sandbox.received(seed_id)["added"] == people


def test_a_batch_after_the_last_one_of_its_session_is_refused(
    meta_destination: MetaDestination, seed_id: str
) -> None:
    session = meta_destination.start_session(estimated_total=2)
    people = hashes_of("session", 2)
    meta_destination.upload_batch(
        seed_id, people[:1], session=session, batch_seq=1, last_batch=True
    )
    error = destination_error(
        lambda: meta_destination.upload_batch(
            seed_id, people[1:], session=session, batch_seq=2, last_batch=True
        )
    )
    assert (error.code, error.kind) == (100, ErrorKind.INVALID_REQUEST)
    # A new session on the same seed is fine.
    other = meta_destination.start_session(estimated_total=1)
    meta_destination.upload_batch(seed_id, people[1:], session=other, batch_seq=1, last_batch=True)


# Reading an audience.


def test_only_requested_fields_are_returned_plus_id(api: FacebookAdsApi, seed_id: str) -> None:
    answer = api.call("GET", (seed_id,), params={"fields": "name,operation_status"}).json()
    assert set(answer) == {"id", "name", "operation_status"}
    assert answer["operation_status"]["code"] == 300


def test_all_documented_fields(api: FacebookAdsApi, meta_destination: MetaDestination) -> None:
    seed_id = meta_destination.create_seed(name="fields", description="all of them")
    fields = (
        "id,name,subtype,description,approximate_count_lower_bound,"
        "approximate_count_upper_bound,operation_status,delivery_status,time_created,time_updated"
    )
    answer = api.call("GET", (seed_id,), params={"fields": fields}).json()
    assert answer["subtype"] == "CUSTOM"
    assert answer["description"] == "all of them"
    assert answer["approximate_count_lower_bound"] == -1
    assert set(answer["delivery_status"]) == {"code", "description"}
    assert isinstance(answer["time_created"], int)


def test_unknown_field_is_refused(api: FacebookAdsApi, seed_id: str) -> None:
    assert graph_error(api, "GET", (seed_id,), {"fields": "email_list"}).api_error_code() == 100


def test_any_api_version_prefix_is_accepted(sandbox: RunningSandbox) -> None:
    destination = MetaDestination(sandbox_meta_config(sandbox, api_version="v25.0"))
    assert destination.create_seed(name="older", description="")


# Deletion.


def test_deleted_audience_answers_100_33_everywhere(api: FacebookAdsApi, seed_id: str) -> None:
    assert api.call("DELETE", (seed_id,)).json() == {"success": True}
    for method, path, params in [
        ("GET", (seed_id,), {"fields": "name"}),
        ("DELETE", (seed_id,), {}),
        ("POST", (seed_id, "users"), users({"schema": "EMAIL_SHA256", "data": []})),
        ("DELETE", (seed_id, "users"), users({"schema": "EMAIL_SHA256", "data": []})),
    ]:
        error = graph_error(api, method, path, params)
        assert (error.api_error_code(), error.api_error_subcode()) == (100, 33)


# Who may call.


@pytest.mark.parametrize("token", ["not-the-token", ""])
def test_bad_or_missing_token_is_190(sandbox: RunningSandbox, token: str) -> None:
    api = raw_api(sandbox.url, token, None)
    error = graph_error(api, "GET", (f"act_{sandbox.ad_account}", "customaudiences"), {})
    assert error.api_error_code() == 190
    assert error.api_error_type() == "OAuthException"


def test_bad_token_is_an_authentication_error(sandbox: RunningSandbox) -> None:
    destination = MetaDestination(sandbox_meta_config(sandbox, access_token="stale"))
    error = destination_error(lambda: destination.create_seed(name="x", description=""))
    assert (error.code, error.kind) == (190, ErrorKind.AUTHENTICATION)
    assert "meta.access_token" in error.message


def test_wrong_app_secret_is_refused_with_100(sandbox: RunningSandbox) -> None:
    destination = MetaDestination(sandbox_meta_config(sandbox, app_secret="another-secret"))
    error = destination_error(destination.list_audiences)
    assert (error.code, error.kind) == (100, ErrorKind.AUTHENTICATION)
    assert "meta.app_secret" in error.message


def test_missing_appsecret_proof_is_refused_with_100(sandbox: RunningSandbox) -> None:
    api = raw_api(sandbox.url, sandbox.access_token, None)
    error = graph_error(api, "GET", (f"act_{sandbox.ad_account}", "customaudiences"), {})
    assert error.api_error_code() == 100
    assert "appsecret_proof" in error.api_error_message()
