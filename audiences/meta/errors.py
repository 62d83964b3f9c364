"""Meta's errors, translated at the boundary into :class:`~audiences.errors.DestinationError`.

``FacebookRequestError`` carries the request params in its text — a whole
batch of hashes for an upload — so it never leaves this package: only its
code, subcode, transient flag, HTTP status and the waiting time Meta announces
survive, with a message a marketer can act on. ``RULES.md`` lists the same
table with its sources; a test keeps the two in step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import requests
from facebook_business.exceptions import FacebookRequestError

from audiences.errors import DestinationError, ErrorKind

USAGE_HEADER = "X-Business-Use-Case-Usage"


@dataclass(frozen=True)
class ErrorRule:
    """How one Graph error code (and subcode) is classified and explained."""

    code: int
    subcode: int | None
    kind: ErrorKind
    message: str
    message_contains: str | None = None
    """Only when Meta's own message contains this (code 100 covers many causes)."""


ERROR_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(1, None, ErrorKind.TRANSIENT, "Meta had a temporary, unknown problem"),
    ErrorRule(2, None, ErrorKind.TRANSIENT, "Meta's service is temporarily unavailable"),
    ErrorRule(
        4, None, ErrorKind.RATE_LIMITED, "the Meta app made too many calls (application limit)"
    ),
    ErrorRule(
        17, None, ErrorKind.RATE_LIMITED, "too many calls for this ad account (user request limit)"
    ),
    ErrorRule(613, None, ErrorKind.RATE_LIMITED, "calls to this Meta API exceeded the rate limit"),
    ErrorRule(
        80003,
        None,
        ErrorKind.RATE_LIMITED,
        "too many custom audience calls on this ad account (business use case limit)",
    ),
    ErrorRule(
        102,
        None,
        ErrorKind.AUTHENTICATION,
        "the Meta session is no longer valid: issue a new access token",
    ),
    ErrorRule(
        190,
        None,
        ErrorKind.AUTHENTICATION,
        "the Meta access token is invalid or revoked: ask the Business Manager admin for a new "
        "system-user token and update meta.access_token",
    ),
    ErrorRule(
        190,
        463,
        ErrorKind.AUTHENTICATION,
        "the Meta access token has expired: ask the Business Manager admin for a new "
        "system-user token and update meta.access_token",
    ),
    ErrorRule(
        100,
        None,
        ErrorKind.AUTHENTICATION,
        "Meta rejected the app secret proof: meta.app_secret does not belong to the app "
        "that issued meta.access_token",
        message_contains="appsecret_proof",
    ),
    ErrorRule(
        10,
        None,
        ErrorKind.PERMISSION,
        "the Meta app lacks a permission for this action (ads_management)",
    ),
    ErrorRule(
        200,
        None,
        ErrorKind.PERMISSION,
        "the access token may not act on this ad account: add the system user to the ad "
        "account in Business Settings",
    ),
    ErrorRule(
        200,
        1870034,
        ErrorKind.TERMS_NOT_ACCEPTED,
        "the ad account has not accepted Meta's Custom Audience terms: an admin must accept "
        "them in Ads Manager (Audiences) before any export",
    ),
    ErrorRule(
        100,
        33,
        ErrorKind.NOT_FOUND,
        "the audience does not exist on Meta (deleted, or not visible to this token)",
    ),
    ErrorRule(
        100,
        1713230,
        ErrorKind.FLAGGED,
        "Meta's integrity rules flagged this audience (operation status 471) and block "
        "uploads: review it in Audience Manager, or export to a new audience",
    ),
    ErrorRule(100, None, ErrorKind.INVALID_REQUEST, "Meta refused a parameter of the request"),
    ErrorRule(
        2654,
        None,
        ErrorKind.INVALID_REQUEST,
        "Meta could not create the audience (a lookalike needs a seed with at least 100 "
        "matched people)",
    ),
)

_REDACT = re.compile(r"[0-9a-fA-F]{32,}|[^\s@'\"]+@[^\s@'\"]+")


def classify(code: int | None, subcode: int | None, platform_message: str = "") -> ErrorRule | None:
    """The most specific rule: exact subcode before any subcode, message test before none."""
    for wanted in (subcode, None):
        fitting = [
            rule
            for rule in ERROR_RULES
            if rule.code == code
            and rule.subcode == wanted
            and (rule.message_contains is None or rule.message_contains in platform_message)
        ]
        if fitting:
            return min(fitting, key=lambda rule: rule.message_contains is None)
    return None


def redact(text: str) -> str:
    """Remove anything shaped like a hash or an e-mail address from platform text."""
    return _REDACT.sub("[redacted]", text)


def regain_access_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The longest ``estimated_time_to_regain_access`` (minutes) in the usage header, in seconds."""
    raw = (headers or {}).get(USAGE_HEADER)
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        float(entry["estimated_time_to_regain_access"])
        for entries in (usage.values() if isinstance(usage, dict) else [])
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("estimated_time_to_regain_access"), int | float)
    ]
    return max(minutes) * 60 if minutes else None


def translate_request_error(error: FacebookRequestError, what: str) -> DestinationError:
    """The project error for a failed Graph call; nothing of the request survives."""
    code = _as_int(error.api_error_code())
    subcode = _as_int(error.api_error_subcode())
    status = _as_int(error.http_status())
    platform_message = str(error.api_error_message() or "")
    rule = classify(code, subcode, platform_message)
    if rule is not None:
        kind, explanation = rule.kind, rule.message
    elif error.api_transient_error() or (status is not None and status >= 500):
        kind, explanation = ErrorKind.TRANSIENT, "Meta had a temporary problem"
    else:
        kind, explanation = ErrorKind.UNEXPECTED, "Meta answered with an unexpected error"
    message = f"{what} failed: {explanation}"
    if platform_message:
        message += f" (Meta says: {redact(platform_message)})"
    return DestinationError(
        message,
        kind=kind,
        code=code,
        subcode=subcode,
        http_status=status,
        retry_after_seconds=regain_access_seconds(error.http_headers())
        if kind is ErrorKind.RATE_LIMITED
        else None,
    )


def translate_transport_error(error: requests.RequestException, what: str) -> DestinationError:
    """A network failure; its text (the URL, with token and params) is dropped."""
    return DestinationError(
        f"{what} failed: could not reach Meta's Graph API ({type(error).__name__})",
        kind=ErrorKind.TRANSIENT,
    )


def _as_int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None
