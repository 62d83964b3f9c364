"""RULES.md and the code agree; error classification, usage headers, status maps, configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from facebook_business.api import FacebookAdsApi
from facebook_business.session import FacebookSession
from pydantic import SecretStr

from audiences.destination import LookalikeState, MatchState
from audiences.errors import ErrorKind
from audiences.meta.client import MetaDestination
from audiences.meta.config import MetaConfig
from audiences.meta.errors import ERROR_RULES, classify, translate_gateway_fault
from audiences.meta.status import lookalike_status, match_status
from audiences.meta.usage import read_usage, regain_access_seconds

RULES = Path(__file__).parents[2] / "audiences" / "meta" / "RULES.md"


def documented_error_table() -> set[tuple[int, int | None, str, bool]]:
    text = RULES.read_text(encoding="utf-8")
    table = text.split("<!-- error-table:start -->")[1].split("<!-- error-table:end -->")[0]
    rows = set()
    for line in table.strip().splitlines()[2:]:
        codes, subcode, kind = (cell.strip() for cell in line.strip("|").split("|")[:3])
        first, _, last = codes.partition("–")
        for code in range(int(first), int(last or first) + 1):
            rows.add(
                (
                    code,
                    None if subcode.startswith("any") else int(subcode),
                    kind,
                    "message names" in subcode,
                )
            )
    return rows


def test_rules_table_matches_the_classification_table() -> None:
    in_code = {
        (rule.code, rule.subcode, str(rule.kind), rule.message_contains is not None)
        for rule in ERROR_RULES
    }
    assert documented_error_table() == in_code


@pytest.mark.parametrize(
    ("code", "subcode", "message", "kind"),
    [
        (100, 33, "", ErrorKind.NOT_FOUND),
        (100, 1713230, "", ErrorKind.FLAGGED),
        (100, 12345, "", ErrorKind.INVALID_REQUEST),
        (
            100,
            None,
            "Invalid appsecret_proof provided in the API argument",
            ErrorKind.AUTHENTICATION,
        ),
        (100, None, "(#100) This upload session has ended.", ErrorKind.SESSION_ENDED),
        (100, None, "Upload Session Has Ended", ErrorKind.SESSION_ENDED),
        (100, None, "(#100) The session id already used by audience 1", ErrorKind.INVALID_REQUEST),
        (190, 463, "", ErrorKind.AUTHENTICATION),
        (190, 460, "", ErrorKind.AUTHENTICATION),
        (200, 1870034, "", ErrorKind.TERMS_NOT_ACCEPTED),
        (200, 1870090, "", ErrorKind.TERMS_NOT_ACCEPTED),
        (2655, None, "", ErrorKind.TERMS_NOT_ACCEPTED),
        (2663, None, "", ErrorKind.TERMS_NOT_ACCEPTED),
        (2664, None, "", ErrorKind.TERMS_NOT_ACCEPTED),
        (200, 1870047, "", ErrorKind.REMOVAL_REFUSED),
        (2656, None, "", ErrorKind.DELETION_REFUSED),
        (200, None, "", ErrorKind.PERMISSION),
        (4, None, "", ErrorKind.RATE_LIMITED),
        (17, None, "", ErrorKind.RATE_LIMITED),
        (17, 2446079, "", ErrorKind.RATE_LIMITED),
        (32, None, "", ErrorKind.RATE_LIMITED),
        (341, None, "", ErrorKind.RATE_LIMITED),
        (613, None, "", ErrorKind.RATE_LIMITED),
        *((code, None, "", ErrorKind.RATE_LIMITED) for code in range(80000, 80015)),
        (80003, 2446079, "", ErrorKind.RATE_LIMITED),
        (1, None, "", ErrorKind.TRANSIENT),
        (2, None, "", ErrorKind.TRANSIENT),
        (2654, None, "", ErrorKind.INVALID_REQUEST),
        (2654, 1713007, "", ErrorKind.INVALID_REQUEST),
    ],
)
def test_classification(code: int, subcode: int | None, message: str, kind: ErrorKind) -> None:
    rule = classify(code, subcode, message)
    assert rule is not None
    assert rule.kind is kind


def test_unknown_codes_are_not_classified() -> None:
    assert classify(31337, None) is None
    assert classify(None, None) is None


def test_only_the_too_small_reasons_say_too_small() -> None:
    generic, duplicate = classify(2654, None), classify(2654, 1713007)
    assert generic is not None
    assert duplicate is not None
    assert "already exists" in duplicate.message
    assert {"too small" in generic.message, "too small" in duplicate.message} == {False}


def test_messages_are_the_products_own_words() -> None:
    for rule in ERROR_RULES:
        assert "Meta says" not in rule.message
        assert "(#" not in rule.message


def test_usage_header_is_read_in_minutes() -> None:
    header = '{"123": [{"type": "custom_audience", "estimated_time_to_regain_access": 2}]}'
    assert regain_access_seconds({"X-Business-Use-Case-Usage": header}) == 120
    assert regain_access_seconds({}) is None
    assert regain_access_seconds({"X-Business-Use-Case-Usage": "not json"}) is None


def test_zero_minutes_falls_back_to_the_normal_backoff() -> None:
    header = '{"123": [{"type": "ads_management", "estimated_time_to_regain_access": 0}]}'
    assert regain_access_seconds({"X-Business-Use-Case-Usage": header}) is None


def test_ad_account_and_app_usage_headers_are_read() -> None:
    usage = read_usage(
        {
            "X-Ad-Account-Usage": '{"acc_id_util_pct": 100, "reset_time_duration": 45,'
            ' "ads_api_access_tier": "development_access"}',
            "X-App-Usage": '{"call_count": 12, "total_time": 101, "total_cputime": 7}',
            "X-Business-Use-Case-Usage": '{"1": [{"estimated_time_to_regain_access": 0}]}',
        }
    )
    assert usage.regain_access_seconds == 45
    assert (usage.ad_account_util_pct, usage.access_tier) == (100, "development_access")
    assert usage.app_usage_pct == 101
    both = '{"1": [{"estimated_time_to_regain_access": 1}]}'
    longest = {
        "X-Business-Use-Case-Usage": both,
        "X-Ad-Account-Usage": '{"reset_time_duration": 5}',
    }
    assert regain_access_seconds(longest) == 60


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (502, ErrorKind.TRANSIENT),
        (504, ErrorKind.TRANSIENT),
        (200, ErrorKind.TRANSIENT),
        (429, ErrorKind.TRANSIENT),
        (414, ErrorKind.INVALID_REQUEST),
        (403, ErrorKind.INVALID_REQUEST),
    ],
)
def test_answers_without_graph_json(status: int, kind: ErrorKind) -> None:
    error = translate_gateway_fault(status, "Reading")
    assert (error.kind, error.http_status, error.code) == (kind, status, None)


def status_answer(code: int | None, delivery: int | None = None) -> dict[str, object]:
    answer: dict[str, object] = {
        "approximate_count_lower_bound": -1,
        "approximate_count_upper_bound": -1,
    }
    if code is not None:
        answer["operation_status"] = {"code": code, "description": "text"}
    if delivery is not None:
        answer["delivery_status"] = {"code": delivery, "description": "text"}
    return answer


@pytest.mark.parametrize(
    ("code", "state", "unknown"),
    [
        (200, MatchState.READY, False),
        (300, MatchState.PROCESSING, False),
        (None, MatchState.PROCESSING, False),
        (410, MatchState.FAILED, False),
        (411, MatchState.FAILED, False),
        (412, MatchState.FAILED, False),
        (471, MatchState.FLAGGED, False),
        (450, MatchState.PROCESSING, True),
    ],
)
def test_seed_status_map(code: int | None, state: MatchState, unknown: bool) -> None:
    status = match_status(status_answer(code))
    assert (status.state, status.unknown_code) == (state, unknown)
    assert status.platform_code == str(code or 0)


@pytest.mark.parametrize(
    ("code", "state", "unknown"),
    [
        (200, LookalikeState.READY, False),
        (441, LookalikeState.POPULATING, False),
        (431, LookalikeState.FAILED, False),
        (432, LookalikeState.FAILED, False),
        (433, LookalikeState.FAILED, False),
        (434, LookalikeState.FAILED, False),
        (471, LookalikeState.FLAGGED, False),
        (300, LookalikeState.POPULATING, True),
    ],
)
def test_lookalike_status_map(code: int, state: LookalikeState, unknown: bool) -> None:
    status = lookalike_status(status_answer(code))
    assert (status.state, status.unknown_code, status.platform_code) == (state, unknown, str(code))


def test_delivery_status_is_read_with_metas_meaning() -> None:
    active = match_status(status_answer(200, delivery=200)).delivery
    too_small = lookalike_status(status_answer(200, delivery=300)).delivery
    assert active is not None
    assert too_small is not None
    assert (active.active, active.code) == (True, 200)
    assert (too_small.active, too_small.code) == (False, 300)
    assert match_status(status_answer(200)).delivery is None


@pytest.mark.parametrize(
    ("missing", "setting"),
    [("access_token", "meta.access_token"), ("ad_account", "meta.ad_account")],
)
def test_missing_settings_are_named_before_any_call(missing: str, setting: str) -> None:
    values = {"access_token": SecretStr("t"), "ad_account": "123"}
    del values[missing]
    with pytest.raises(ValueError, match=setting):
        MetaDestination(MetaConfig.model_validate(values))


def test_session_window_is_metas_90_minutes_unless_configured() -> None:
    values = {"access_token": SecretStr("t"), "ad_account": "1"}
    assert MetaDestination(MetaConfig.model_validate(values)).session_window_seconds == 5400
    shorter = MetaConfig.model_validate(values | {"session_window_seconds": 4})
    assert MetaDestination(shorter).session_window_seconds == 4


def test_each_destination_has_its_own_api_and_graph_url() -> None:
    config = MetaConfig(graph_url="http://127.0.0.1:9", access_token=SecretStr("t"), ad_account="1")
    MetaDestination(config)
    assert FacebookSession.GRAPH == "https://graph.facebook.com"
    assert FacebookAdsApi.get_default_api() is None
