"""The TikTok sandbox's injected trouble, wiretap and control routes, over real HTTP."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from audiences.tiktok.sandbox.control_client import TikTokSandboxControl
from audiences.tiktok.sandbox.options import TikTokSandboxOptions
from audiences.tiktok.sandbox.server import TikTokSandboxServer
from tests.audiences.helpers import hashes_of, wait_for
from tests.audiences.tiktok import test_sandbox_api as raw
from tests.audiences.tiktok.test_sandbox_api import API, Api, code_of

server = raw.server
api = raw.api


# Trouble: nothing of it is processed.


def test_faults_answer_50000_or_50002_and_process_nothing(api: Api) -> None:
    api.control.set_faults(fault_rate=1)
    codes = set()
    for _ in range(12):
        envelope = api.upload_raw(b"a\n")
        codes.add(code_of(envelope))
        created = api.answer("POST", "/dmp/custom_audience/create/", {"custom_audience_name": "x"})
        codes.add(code_of(created))
    assert codes == {50000, 50002}
    assert api.control.state() == []
    assert api.control.uploads() == {"files": [], "hashes": []}


def test_gateway_pages_are_504_html_and_process_nothing(api: Api) -> None:
    api.control.set_faults(html_fault_rate=1)
    answer = api.call("POST", "/dmp/custom_audience/create/", {"custom_audience_name": "x"})
    assert answer.status_code == 504
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "504 Gateway Time-out" in answer.text
    assert api.control.state() == []
    (record,) = api.control.requests()
    assert (record["status"], record["code"]) == (504, None)


def test_rate_limit_answers_40100_until_lifted(api: Api) -> None:
    api.control.set_faults(rate_limit=2, rate_window_seconds=60)
    codes = [api.answer("GET", "/user/info/")["code"] for _ in range(3)]
    assert codes == [0, 0, 40100]
    api.control.set_faults(rate_limit=None)
    assert api.answer("GET", "/user/info/")["code"] == 0


def test_rate_window_rolls(api: Api) -> None:
    api.control.set_faults(rate_limit=1, rate_window_seconds=0.5)
    assert api.answer("GET", "/user/info/")["code"] == 0
    assert api.answer("GET", "/user/info/")["code"] == 40100
    wait_for(lambda: api.answer("GET", "/user/info/")["code"], lambda code: code == 0)


def test_latency_delays_api_answers(api: Api) -> None:
    api.control.set_faults(latency_ms=150)
    answer = api.call("GET", "/user/info/")
    assert answer.elapsed.total_seconds() >= 0.15


# The wiretap.


def test_requests_record_where_token_and_advertiser_rode(api: Api) -> None:
    path = api.upload(hashes_of("rode", 2))
    fields = {"custom_audience_name": "r", "calculate_type": "EMAIL_SHA256", "file_paths": [path]}
    audience_id = api.data("POST", "/dmp/custom_audience/create/", fields)["custom_audience_id"]
    api.data("GET", "/dmp/custom_audience/get/", {"custom_audience_ids": [audience_id]})
    requests.get(f"{api.url}{API}/user/info/")
    records = api.control.requests()
    assert [(r["method"], r["path"].removeprefix(API)) for r in records] == [
        ("POST", "/dmp/custom_audience/file/upload/"),
        ("POST", "/dmp/custom_audience/create/"),
        ("GET", "/dmp/custom_audience/get/"),
        ("GET", "/user/info/"),
    ]
    assert [r["advertiser_id_in"] for r in records] == ["form", "body", "query", None]
    assert [r["access_token_header"] for r in records] == [True, True, True, False]
    assert [(r["status"], r["code"]) for r in records] == [(200, 0)] * 3 + [(200, 40104)]
    assert set(records[0]) == {
        "arrived_at",
        "method",
        "path",
        "status",
        "code",
        "access_token_header",
        "advertiser_id_in",
    }


def test_uploads_show_every_file_and_where_it_went(api: Api) -> None:
    shared, unused = api.upload(hashes_of("shared", 3)), api.upload(hashes_of("unused", 2))
    fields = {"calculate_type": "EMAIL_SHA256", "file_paths": [shared]}
    first = api.data("POST", "/dmp/custom_audience/create/", fields | {"custom_audience_name": "a"})
    second = api.data(
        "POST", "/dmp/custom_audience/create/", fields | {"custom_audience_name": "b"}
    )
    uploads = api.control.uploads()
    assert uploads["files"] == [
        {
            "file_path": shared,
            "lines": 3,
            "attached_to": [first["custom_audience_id"], second["custom_audience_id"]],
        },
        {"file_path": unused, "lines": 2, "attached_to": []},
    ]
    assert uploads["hashes"] == hashes_of("shared", 3) + hashes_of("unused", 2)


def test_state_describes_every_audience(api: Api) -> None:
    seed = api.seed(hashes_of("described", 150))
    api.valid(seed)
    lookalike_id = api.lookalike(seed)["data"]["custom_audience_id"]
    custom, lookalike = api.control.state()
    assert set(custom) >= {
        "id",
        "name",
        "subtype",
        "deleted",
        "is_valid",
        "cover_num",
        "source_audience_id",
        "audience_size",
        "location_ids",
        "created_at",
        "deleted_at",
    }
    assert (custom["subtype"], custom["deleted"], custom["is_valid"]) == ("CUSTOM", False, True)
    assert custom["source_audience_id"] is None
    assert custom["cover_num"] == api.details(seed)["cover_num"]
    assert (lookalike["id"], lookalike["source_audience_id"]) == (lookalike_id, seed)
    assert lookalike["audience_size"] == "BALANCED"


# Control routes.


def test_delete_as_the_ui_would_and_unknown_ids(api: Api) -> None:
    seed = api.seed(hashes_of("ui", 2))
    api.control.delete_audience(seed)
    assert code_of(api.lookalike(seed)) == 40007
    with pytest.raises(requests.HTTPError) as refused:
        api.control.delete_audience(seed)
    assert refused.value.response.status_code == 404
    with pytest.raises(requests.HTTPError):
        api.control.received("42")


def test_options_and_faults_change_and_reset_restores_them(api: Api) -> None:
    api.control.set_options(min_update_size=5, max_file_lines=9, lookalike_delay_seconds=2)
    api.control.set_faults(latency_ms=1, rate_limit=50, html_fault_rate=0.5)
    options = api.control.options()
    assert (options["min_update_size"], options["max_file_lines"]) == (5, 9)
    assert (options["rate_limit"], options["html_fault_rate"]) == (50, 0.5)
    api.control.reset()
    assert api.control.options() == {
        "match_delay_seconds": raw.DELAY,
        "lookalike_delay_seconds": raw.DELAY,
        "min_update_size": 1000,
        "max_file_lines": 50_000,
        "latency_ms": 0,
        "fault_rate": 0,
        "html_fault_rate": 0,
        "lost_answer_rate": 0,
        "rate_limit": None,
        "rate_window_seconds": 60,
    }


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("faults", {"fault_rate": 2}),
        ("faults", {"rate_limit": 0}),
        ("faults", {"rate_limit": 1.5}),
        ("faults", {"surprise": 1}),
        ("options", {"min_update_size": True}),
        ("options", {"max_file_lines": 0}),
        ("tokens", {"access_token": 5}),
    ],
)
def test_bad_settings_are_400(api: Api, route: str, body: dict[str, object]) -> None:
    answer = requests.post(f"{api.url}/_sandbox/{route}", json=body)
    assert answer.status_code == 400
    assert answer.json()["code"] == 40002


def test_unknown_control_paths_are_404(api: Api) -> None:
    assert requests.get(f"{api.url}/_sandbox/nothing").status_code == 404
    assert requests.post(f"{api.url}/_sandbox/audiences/1/shout").status_code == 404
    assert requests.post(f"{api.url}/_sandbox/audiences/1/fail", json={}).status_code == 400


def test_reset_forgets_everything(api: Api) -> None:
    api.seed(hashes_of("forgotten", 2))
    api.control.reset()
    assert api.control.state() == []
    assert api.control.requests() == []
    assert api.control.uploads() == {"files": [], "hashes": []}


# The server itself.


def test_server_starts_stops_and_validates_its_options() -> None:
    with TikTokSandboxServer() as running:
        assert running.url.startswith("http://127.0.0.1:")
        assert running.options.advertiser_id == "7000000000000000001"
        assert TikTokSandboxControl(running.url).state() == []
        url = running.url
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_sandbox/state", timeout=1)
    with pytest.raises(RuntimeError):
        _ = running.url
    defaults = TikTokSandboxOptions()
    for change in (
        {"fault_rate": -0.1},
        {"rate_limit": 0},
        {"rate_window_seconds": 0},
        {"match_delay_seconds": -1},
        {"min_update_size": -1},
        {"max_file_lines": 0},
        {"advertiser_id": "act_1"},
        {"access_token": ""},
    ):
        with pytest.raises(ValueError, match=next(iter(change))):
            dataclasses.replace(defaults, **change)
