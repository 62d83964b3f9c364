"""RULES.md and the code agree; error classification and configuration checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from facebook_business.api import FacebookAdsApi
from facebook_business.session import FacebookSession
from pydantic import SecretStr

from audiences.errors import ErrorKind
from audiences.meta.client import MetaDestination
from audiences.meta.config import MetaConfig
from audiences.meta.errors import ERROR_RULES, classify, redact, regain_access_seconds

RULES = Path(__file__).parents[2] / "audiences" / "meta" / "RULES.md"


def documented_error_table() -> set[tuple[int, int | None, str, bool]]:
    text = RULES.read_text(encoding="utf-8")
    table = text.split("<!-- error-table:start -->")[1].split("<!-- error-table:end -->")[0]
    rows = set()
    for line in table.strip().splitlines()[2:]:
        code, subcode, kind = (cell.strip() for cell in line.strip("|").split("|")[:3])
        rows.add(
            (
                int(code),
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
        (190, 463, "", ErrorKind.AUTHENTICATION),
        (190, 460, "", ErrorKind.AUTHENTICATION),
        (200, 1870034, "", ErrorKind.TERMS_NOT_ACCEPTED),
        (200, None, "", ErrorKind.PERMISSION),
        (17, None, "", ErrorKind.RATE_LIMITED),
        (80003, 2446079, "", ErrorKind.RATE_LIMITED),
        (2, None, "", ErrorKind.TRANSIENT),
    ],
)
def test_classification(code: int, subcode: int | None, message: str, kind: ErrorKind) -> None:
    rule = classify(code, subcode, message)
    assert rule is not None
    assert rule.kind is kind


def test_unknown_codes_are_not_classified() -> None:
    assert classify(31337, None) is None
    assert classify(None, None) is None


def test_usage_header_is_read_in_minutes() -> None:
    header = '{"123": [{"type": "custom_audience", "estimated_time_to_regain_access": 2}]}'
    assert regain_access_seconds({"X-Business-Use-Case-Usage": header}) == 120
    assert regain_access_seconds({}) is None
    assert regain_access_seconds({"X-Business-Use-Case-Usage": "not json"}) is None


def test_redaction_removes_hashes_and_addresses() -> None:
    text = "bad entry " + "a" * 64 + " from jane.doe@example.org, id 23850000000000001"
    assert redact(text) == "bad entry [redacted] from [redacted] id 23850000000000001"


@pytest.mark.parametrize(
    ("missing", "setting"),
    [("access_token", "meta.access_token"), ("ad_account", "meta.ad_account")],
)
def test_missing_settings_are_named_before_any_call(missing: str, setting: str) -> None:
    values = {"access_token": SecretStr("t"), "ad_account": "123"}
    del values[missing]
    with pytest.raises(ValueError, match=setting):
        MetaDestination(MetaConfig.model_validate(values))


def test_each_destination_has_its_own_api_and_graph_url() -> None:
    config = MetaConfig(graph_url="http://127.0.0.1:9", access_token=SecretStr("t"), ad_account="1")
    MetaDestination(config)
    assert FacebookSession.GRAPH == "https://graph.facebook.com"
    assert FacebookAdsApi.get_default_api() is None
