"""The TikTok sandbox's Business API over real HTTP, called raw as the wire contract says."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import requests

from audiences.tiktok.sandbox.control_client import TikTokSandboxControl
from audiences.tiktok.sandbox.options import TikTokSandboxOptions
from audiences.tiktok.sandbox.server import TikTokSandboxServer
from tests.audiences.helpers import hashes_of, wait_for

TOKEN = "tiktok-test-token"
ADVERTISER = "7000000000000000042"
DELAY = 0.05
API = "/open_api/v1.3"


class Api:
    """Raw calls to a running sandbox: ``Access-Token`` header, fields where the contract says."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.control = TikTokSandboxControl(url)
        self.token = TOKEN

    def call(
        self,
        method: str,
        route: str,
        fields: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """GET fields go in the query (lists JSON-encoded), POST fields in a JSON body."""
        given = {"advertiser_id": ADVERTISER, **(fields or {})}
        sent_headers = {"Access-Token": self.token, **(headers or {})}
        if method == "GET":
            query = {k: json.dumps(v) if isinstance(v, list) else v for k, v in given.items()}
            return requests.get(f"{self.url}{API}{route}", params=query, headers=sent_headers)
        return requests.post(f"{self.url}{API}{route}", json=given, headers=sent_headers)

    def answer(self, method: str, route: str, fields: Mapping[str, Any] | None = None) -> Any:
        """The envelope of a call; HTTP 200 and a JSON envelope whatever the outcome."""
        response = self.call(method, route, fields)
        assert response.status_code == 200
        envelope = response.json()
        assert set(envelope) == {"code", "message", "request_id", "data"}
        return envelope

    def data(self, method: str, route: str, fields: Mapping[str, Any] | None = None) -> Any:
        """The ``data`` of a call that must succeed."""
        envelope = self.answer(method, route, fields)
        assert (envelope["code"], envelope["message"]) == (0, "OK")
        return envelope["data"]

    def upload_raw(
        self,
        content: bytes,
        *,
        signature: str | None = None,
        filename: str = "hashes.txt",
        calculate_type: str = "EMAIL_SHA256",
    ) -> Any:
        """The envelope of ``/file/upload/`` (multipart), signed with the content's MD5."""
        response = requests.post(
            f"{self.url}{API}/dmp/custom_audience/file/upload/",
            headers={"Access-Token": self.token},
            data={
                "advertiser_id": ADVERTISER,
                "calculate_type": calculate_type,
                "file_signature": signature or hashlib.md5(content).hexdigest(),
            },
            files={"file": (filename, content, "text/plain")},
        )
        assert response.status_code == 200
        return response.json()

    def upload(self, lines: list[str], calculate_type: str = "EMAIL_SHA256") -> str:
        """The path of an accepted file of these lines."""
        envelope = self.upload_raw(
            "".join(f"{line}\n" for line in lines).encode(), calculate_type=calculate_type
        )
        assert envelope["code"] == 0
        return str(envelope["data"]["file_path"])

    def seed(self, lines: list[str], name: str = "seed") -> str:
        """A customer-file audience of these lines; its id."""
        fields = {
            "custom_audience_name": name,
            "calculate_type": "EMAIL_SHA256",
            "file_paths": [self.upload(lines)],
        }
        return str(self.data("POST", "/dmp/custom_audience/create/", fields)["custom_audience_id"])

    def details(self, audience_id: str) -> dict[str, Any]:
        """``audience_details`` of one audience."""
        found = self.data(
            "GET", "/dmp/custom_audience/get/", {"custom_audience_ids": [audience_id]}
        )
        details: dict[str, Any] = found["list"][0]["audience_details"]
        return details

    def valid(self, audience_id: str) -> dict[str, Any]:
        """``audience_details`` once TikTok (the sandbox) finished building the audience."""
        return wait_for(lambda: self.details(audience_id), lambda found: found["is_valid"])

    def lookalike(self, source: str, **spec: Any) -> Any:
        """The envelope of ``/lookalike/create/`` with a valid spec, changed by ``spec``."""
        fields = {
            "custom_audience_name": "lookalike",
            "lookalike_spec": {
                "source_audience_id": source,
                "include_source": False,
                "mobile_os": "ALL",
                "placements": ["TIKTOK"],
                "location_ids": ["6252001"],
                "audience_size": "BALANCED",
            }
            | spec,
        }
        return self.answer("POST", "/dmp/custom_audience/lookalike/create/", fields)


@pytest.fixture(scope="module")
def server() -> Iterator[TikTokSandboxServer]:
    options = TikTokSandboxOptions(
        access_token=TOKEN,
        advertiser_id=ADVERTISER,
        match_delay_seconds=DELAY,
        lookalike_delay_seconds=DELAY,
        random_seed=7,
    )
    with TikTokSandboxServer(options) as running:
        yield running


@pytest.fixture
def api(server: TikTokSandboxServer) -> Api:
    running = Api(server.url)
    running.control.reset()
    return running


def code_of(envelope: Any) -> int:
    assert envelope["data"] == {}
    code: int = envelope["code"]
    return code


# Envelope, tokens, advertiser.


def test_answers_are_envelopes_with_status_200_errors_too(api: Api) -> None:
    info = api.answer("GET", "/user/info/")
    assert info["code"] == 0
    assert info["data"]["core_user_id"] == "7100000000000000001"
    assert info["request_id"]
    refused = api.answer("GET", "/dmp/custom_audience/get/", {"custom_audience_ids": ["1"]})
    assert code_of(refused) == 40007
    assert refused["message"] == "Custom audience 1 does not exist."
    assert refused["request_id"] != info["request_id"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [({"Access-Token": ""}, 40104), ({"Access-Token": "nope"}, 40105), ({}, 40104)],
)
def test_token_refusals(api: Api, headers: dict[str, str], code: int) -> None:
    url = f"{api.url}{API}/user/info/"
    sent = requests.get(url, headers=headers)
    assert sent.status_code == 200
    assert code_of(sent.json()) == code


def test_a_replaced_token_answers_expired_and_the_new_one_works(
    api: Api, server: TikTokSandboxServer
) -> None:
    api.control.replace_token("fresh-token")
    assert code_of(api.answer("GET", "/user/info/")) == 40102
    assert server.access_token == "fresh-token"
    api.token = "fresh-token"
    assert api.data("GET", "/user/info/")["core_user_id"]
    api.control.reset()
    assert server.access_token == TOKEN


def test_advertiser_must_be_the_sandboxs_and_present(api: Api) -> None:
    other = {"advertiser_id": "7000000000000000099", "custom_audience_ids": ["1"]}
    assert code_of(api.answer("GET", "/dmp/custom_audience/list/", other)) == 40001
    missing = {"advertiser_id": ""}
    assert code_of(api.answer("GET", "/dmp/custom_audience/list/", missing)) == 40002


def test_advertiser_id_in_the_query_of_a_post_is_not_seen(api: Api) -> None:
    sent = requests.post(
        f"{api.url}{API}/dmp/custom_audience/delete/",
        params={"advertiser_id": ADVERTISER},
        json={"custom_audience_ids": ["1"]},
        headers={"Access-Token": TOKEN},
    )
    assert code_of(sent.json()) == 40002
    assert api.control.requests()[-1]["advertiser_id_in"] == "query"


@pytest.mark.parametrize(
    ("route", "fields"),
    [
        ("/dmp/custom_audience/create/", {"custom_audience_name": "x" * 129}),
        ("/dmp/custom_audience/create/", {"custom_audience_name": "x", "calculate_type": "MD5"}),
        (
            "/dmp/custom_audience/create/",
            {"custom_audience_name": "x", "calculate_type": "EMAIL_SHA256", "file_paths": ["nope"]},
        ),
        ("/dmp/custom_audience/update/", {"custom_audience_id": "1", "action": "MERGE"}),
        ("/dmp/custom_audience/delete/", {"custom_audience_ids": []}),
        ("/dmp/custom_audience/delete/", {"custom_audience_ids": [str(n) for n in range(101)]}),
        ("/dmp/custom_audience/lookalike/create/", {"custom_audience_name": "x"}),
    ],
)
def test_invalid_fields_are_parameter_errors(api: Api, route: str, fields: dict[str, Any]) -> None:
    envelope = api.answer("POST", route, fields)
    assert code_of(envelope) == 40002
    assert envelope["message"].startswith("Parameter error: ")


def test_malformed_get_ids_and_json_bodies_are_parameter_errors(api: Api) -> None:
    bad_ids = requests.get(
        f"{api.url}{API}/dmp/custom_audience/get/",
        params={"advertiser_id": ADVERTISER, "custom_audience_ids": "[1,"},
        headers={"Access-Token": TOKEN},
    )
    assert code_of(bad_ids.json()) == 40002
    bad_body = requests.post(
        f"{api.url}{API}/dmp/custom_audience/delete/",
        data=b"{not json",
        headers={"Access-Token": TOKEN, "Content-Type": "application/json"},
    )
    assert code_of(bad_body.json()) == 40002


def test_unknown_paths_are_404_envelopes(api: Api) -> None:
    sent = api.call("GET", "/dmp/custom_audience/nothing/")
    assert sent.status_code == 404
    assert sent.json()["code"] == 40002


# Files.


def test_upload_keeps_the_lines_and_checks_the_exact_bytes(api: Api) -> None:
    hashes = hashes_of("upload", 3)
    content = "\r\n".join(hashes).encode()  # CRLF and no final line end: MD5 of these bytes
    envelope = api.upload_raw(content, filename="hashes.csv")
    assert envelope["code"] == 0
    path = envelope["data"]["file_path"]
    assert api.control.uploads() == {
        "files": [{"file_path": path, "lines": 3, "attached_to": []}],
        "hashes": hashes,
    }


@pytest.mark.parametrize(
    ("content", "signature", "code"),
    [
        (b"a\nb\n", hashlib.md5(b"a\nb").hexdigest(), 40900),
        (b"\n\n", None, 40906),
        (b"1\n2\n3\n4\n5\n6\n", None, 40907),
    ],
)
def test_file_refusals(api: Api, content: bytes, signature: str | None, code: int) -> None:
    api.control.set_options(max_file_lines=5)
    refused = api.upload_raw(content, signature=signature)
    assert code_of(refused) == code
    uploads = api.control.uploads()
    assert uploads["files"] == []
    # A refused file still crossed the wire: the privacy wiretap sees its lines.
    assert uploads["hashes"] == [line for line in content.decode().split("\n") if line]


def test_upload_needs_a_text_file_and_its_fields(api: Api) -> None:
    assert code_of(api.upload_raw(b"a\n", filename="hashes.xlsx")) == 40002
    assert code_of(api.upload_raw(b"a\n", calculate_type="EMAIL")) == 40002
    no_file = requests.post(
        f"{api.url}{API}/dmp/custom_audience/file/upload/",
        headers={"Access-Token": TOKEN},
        files={"advertiser_id": (None, ADVERTISER), "calculate_type": (None, "EMAIL_SHA256")},
    )
    assert code_of(no_file.json()) == 40002


def test_create_needs_files_of_its_calculate_type(api: Api) -> None:
    phone_file = api.upload(hashes_of("phone", 2), calculate_type="PHONE_SHA256")
    fields: dict[str, Any] = {
        "custom_audience_name": "mixed",
        "calculate_type": "EMAIL_SHA256",
        "file_paths": [phone_file],
    }
    assert code_of(api.answer("POST", "/dmp/custom_audience/create/", fields)) == 40002
    fields["retention_in_days"] = 366
    fields["calculate_type"] = "PHONE_SHA256"
    assert code_of(api.answer("POST", "/dmp/custom_audience/create/", fields)) == 40002


# Matching and updates.


def test_an_audience_processes_then_counts_distinct_valid_matching_hashes(api: Api) -> None:
    hashes = hashes_of("match", 200)
    api.control.set_delays(match_delay_seconds=60)  # no race with a slow machine
    audience_id = api.seed([*hashes, *hashes[:50], "NOT-A-HASH", hashes[0].upper()])
    first = api.details(audience_id)
    assert (first["is_valid"], first["cover_num"]) == (False, 0)
    assert first["audience_type"] == "Customer File Audience"
    assert first["calculate_type"] == "EMAIL_SHA256"
    assert (first["error_msg"], first["is_expiring"], first["is_creator"]) == ("", False, True)
    api.control.set_delays(match_delay_seconds=DELAY)
    done = api.valid(audience_id)
    matched = sum(1 for h in hashes if int(h[:8], 16) % 10 < 7)
    assert done["cover_num"] == matched
    assert 100 < matched < 180
    assert len(api.control.received(audience_id)["added"]) == 252


def test_updates_append_remove_replace_above_the_floor(api: Api) -> None:
    base, extra = hashes_of("floor", 1200), hashes_of("extra", 300)
    audience_id = api.seed(base)
    api.valid(audience_id)
    api.control.set_delays(match_delay_seconds=60)
    update = "/dmp/custom_audience/update/"
    append = {"custom_audience_id": audience_id, "action": "APPEND"}
    api.data("POST", update, append | {"file_paths": [api.upload(extra)]})
    assert api.details(audience_id)["is_valid"] is False  # processing again
    api.control.set_delays(match_delay_seconds=DELAY)
    remove = {"custom_audience_id": audience_id, "action": "REMOVE"}
    api.data("POST", update, remove | {"file_paths": [api.upload(base[:500])]})
    too_small = api.answer("POST", update, remove | {"file_paths": [api.upload(base[500:800])]})
    assert code_of(too_small) == 40002
    assert "audience size would fall under 1000" in too_small["message"]
    replace = {"custom_audience_id": audience_id, "file_paths": [api.upload(extra)]}
    assert code_of(api.answer("POST", update, replace)) == 40002  # REPLACE by default
    assert api.control.audience(audience_id)["members"] == 1000
    received = api.control.received(audience_id)
    assert received == {"added": base + extra, "removed": base[:500]}
    api.control.set_options(min_update_size=10)
    api.data("POST", update, replace)
    assert api.control.audience(audience_id)["members"] == 300


def test_update_of_unknown_or_lookalike_audiences_is_refused(api: Api) -> None:
    update = "/dmp/custom_audience/update/"
    path = api.upload(hashes_of("u", 2))
    unknown = {"custom_audience_id": "123", "action": "APPEND", "file_paths": [path]}
    assert code_of(api.answer("POST", update, unknown)) == 40007
    seed = api.seed(hashes_of("source", 300))
    api.valid(seed)
    lookalike_id = api.lookalike(seed)["data"]["custom_audience_id"]
    on_lookalike = unknown | {"custom_audience_id": lookalike_id}
    assert code_of(api.answer("POST", update, on_lookalike)) == 40002


# Lookalikes.


def test_lookalike_populates_after_its_delay(api: Api) -> None:
    seed = api.seed(hashes_of("source", 300))
    api.valid(seed)
    api.control.set_delays(lookalike_delay_seconds=60)
    created = api.lookalike(seed, audience_size="NARROW", location_ids=["6252001", "2635167"])
    lookalike_id = created["data"]["custom_audience_id"]
    assert api.details(lookalike_id)["is_valid"] is False
    api.control.set_delays(lookalike_delay_seconds=DELAY)
    details = api.valid(lookalike_id)
    assert details["audience_type"] == "Lookalike Audience"
    assert details["cover_num"] > 0
    state = api.control.audience(lookalike_id)
    assert state["subtype"] == "LOOKALIKE"
    assert state["source_audience_id"] == seed
    assert state["audience_size"] == "NARROW"
    assert state["location_ids"] == ["6252001", "2635167"]


def test_lookalike_refusals(api: Api) -> None:
    assert code_of(api.lookalike("999")) == 40007
    small = api.seed(hashes_of("small", 99))
    api.valid(small)
    refused = api.lookalike(small)
    assert code_of(refused) == 40002
    assert "100" in refused["message"]
    api.control.set_delays(match_delay_seconds=60)
    processing = api.seed(hashes_of("slow", 300))
    assert "not ready" in api.lookalike(processing)["message"]
    api.control.set_delays(match_delay_seconds=DELAY)
    api.valid(processing)
    lookalike_id = api.lookalike(processing)["data"]["custom_audience_id"]
    api.valid(lookalike_id)
    assert "lookalike" in api.lookalike(lookalike_id)["message"]
    specs: list[dict[str, Any]] = [
        {"audience_size": "HUGE"},
        {"location_ids": []},
        {"placements": ["ELSEWHERE"]},
        {"include_source": "yes"},
        {"mobile_os": None},
    ]
    for spec in specs:
        assert code_of(api.lookalike(processing, **spec)) == 40002


def test_a_failed_audience_reports_its_error_and_is_no_source(api: Api) -> None:
    seed = api.seed(hashes_of("failing", 300))
    api.valid(seed)
    api.control.fail_audience(seed, "The audience could not be built.")
    details = api.details(seed)
    assert (details["is_valid"], details["error_msg"]) == (
        False,
        "The audience could not be built.",
    )
    assert code_of(api.lookalike(seed)) == 40002


# Get, list, delete.


def test_get_and_list_after_delete(api: Api) -> None:
    kept, deleted = api.seed(hashes_of("kept", 5)), api.seed(hashes_of("gone", 5))
    api.data("POST", "/dmp/custom_audience/delete/", {"custom_audience_ids": [deleted]})
    both = api.answer("GET", "/dmp/custom_audience/get/", {"custom_audience_ids": [kept, deleted]})
    assert code_of(both) == 40007
    assert both["message"] == f"Custom audience {deleted} does not exist."
    listed = api.data("GET", "/dmp/custom_audience/list/", {"custom_audience_ids": [deleted]})
    assert listed["list"] == []
    every = api.data("GET", "/dmp/custom_audience/list/")
    assert [entry["audience_id"] for entry in every["list"]] == [kept]
    again = api.answer("POST", "/dmp/custom_audience/delete/", {"custom_audience_ids": [deleted]})
    assert code_of(again) == 40007
    (state,) = (entry for entry in api.control.state() if entry["id"] == deleted)
    assert state["deleted"] is True
    assert state["deleted_at"] >= state["created_at"]
    assert api.control.received(deleted)["added"] == hashes_of("gone", 5)


def test_deleting_a_seed_keeps_its_lookalike_valid(api: Api) -> None:
    seed = api.seed(hashes_of("seed", 300))
    api.valid(seed)
    lookalike_id = api.lookalike(seed, include_source=True)["data"]["custom_audience_id"]
    cover = api.valid(lookalike_id)["cover_num"]
    api.data("POST", "/dmp/custom_audience/delete/", {"custom_audience_ids": [seed]})
    assert api.details(lookalike_id)["is_valid"] is True
    assert api.details(lookalike_id)["cover_num"] == cover


def test_list_pages(api: Api) -> None:
    ids = [api.seed(hashes_of(f"page{n}", 2), name=f"a{n}") for n in range(3)]
    first = api.data("GET", "/dmp/custom_audience/list/", {"page_size": 2})
    assert [entry["audience_id"] for entry in first["list"]] == ids[:2]
    assert first["page_info"] == {"page": 1, "page_size": 2, "total_number": 3, "total_page": 2}
    second = api.data("GET", "/dmp/custom_audience/list/", {"page_size": 2, "page": 2})
    assert [entry["audience_id"] for entry in second["list"]] == ids[2:]
    assert set(second["list"][0]) == {
        "audience_id",
        "name",
        "audience_type",
        "cover_num",
        "is_valid",
        "is_expiring",
        "create_time",
    }
    default = api.data("GET", "/dmp/custom_audience/list/")
    assert default["page_info"]["page_size"] == 10
    too_big = api.answer("GET", "/dmp/custom_audience/list/", {"page_size": 101})
    assert code_of(too_big) == 40002
