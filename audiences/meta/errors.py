"""Meta's errors, translated at the boundary into :class:`~audiences.errors.DestinationError`.

``FacebookRequestError`` carries the request params in its text — a whole
batch of hashes for an upload — so it never leaves this package: only its
code, subcode, transient flag, HTTP status and the waiting time Meta announces
survive, with a message written in the product's own words. Meta's own text
(``message``, ``error_user_title``, ``error_user_msg``) is read to classify a
few code-100 causes but never repeated: it can quote the request. ``RULES.md``
lists the same table with its sources; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from facebook_business.exceptions import FacebookRequestError

from audiences.errors import DestinationError, ErrorKind
from audiences.meta.usage import regain_access_seconds

HTTP_REQUEST_TIMEOUT = 408
HTTP_URI_TOO_LONG = 414
HTTP_TOO_MANY_REQUESTS = 429
HTTP_CLIENT_ERRORS = range(400, 500)
BUSINESS_USE_CASE_CODES = range(80000, 80015)
"""Meta's business use case rate limits, one code per use case (80003: custom audiences)."""


@dataclass(frozen=True)
class ErrorRule:
    """How one Graph error code (and subcode) is classified and explained."""

    code: int
    subcode: int | None
    kind: ErrorKind
    message: str
    message_contains: str | None = None
    """Only when Meta's own message contains this, any case (code 100 covers many causes)."""


TERMS = (
    "the ad account has not accepted Meta's Custom Audience terms: an admin must accept them "
    "in Ads Manager (Audiences) before any export"
)
BUSINESS_TERMS = (
    "the business that owns the ad account has not accepted Meta's Custom Audience terms: a "
    "Business Manager admin must accept them before any export"
)
_BUSINESS_USE_CASES = {
    80003: "too many custom audience calls on this ad account (business use case limit)",
    80004: "too many ads management calls on this ad account (business use case limit)",
}

ERROR_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(1, None, ErrorKind.TRANSIENT, "Meta had a temporary, unknown problem"),
    ErrorRule(2, None, ErrorKind.TRANSIENT, "Meta's service is temporarily unavailable"),
    ErrorRule(
        4, None, ErrorKind.RATE_LIMITED, "the Meta app made too many calls (application limit)"
    ),
    ErrorRule(
        17, None, ErrorKind.RATE_LIMITED, "too many calls for this ad account (user request limit)"
    ),
    ErrorRule(
        17,
        2446079,
        ErrorKind.RATE_LIMITED,
        "too many calls for this ad account (ad account request limit)",
    ),
    ErrorRule(32, None, ErrorKind.RATE_LIMITED, "too many calls for a page (page request limit)"),
    ErrorRule(341, None, ErrorKind.RATE_LIMITED, "the Meta app hit a temporary usage limit"),
    ErrorRule(613, None, ErrorKind.RATE_LIMITED, "calls to this Meta API exceeded the rate limit"),
    *(
        ErrorRule(
            code,
            None,
            ErrorKind.RATE_LIMITED,
            _BUSINESS_USE_CASES.get(code, f"too many calls of one kind (business use case {code})"),
        )
        for code in BUSINESS_USE_CASE_CODES
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
    ErrorRule(200, 1870034, ErrorKind.TERMS_NOT_ACCEPTED, TERMS),
    ErrorRule(200, 1870090, ErrorKind.TERMS_NOT_ACCEPTED, TERMS),
    ErrorRule(2655, None, ErrorKind.TERMS_NOT_ACCEPTED, TERMS),
    ErrorRule(2663, None, ErrorKind.TERMS_NOT_ACCEPTED, TERMS),
    ErrorRule(2664, None, ErrorKind.TERMS_NOT_ACCEPTED, BUSINESS_TERMS),
    ErrorRule(
        200,
        1870047,
        ErrorKind.REMOVAL_REFUSED,
        "Meta refused to remove people from the audience: it would fall below Meta's minimum "
        "audience size",
    ),
    ErrorRule(
        2656,
        None,
        ErrorKind.DELETION_REFUSED,
        "Meta refused to delete the audience because lookalike audiences built from it still "
        "exist: delete those lookalikes first, or empty the audience",
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
        100,
        None,
        ErrorKind.SESSION_ENDED,
        "the upload session has ended before its last batch (Meta ends an unclosed session "
        "about 90 minutes after its first batch): continue in a new session",
        message_contains="upload session has ended",
    ),
    ErrorRule(
        100,
        None,
        ErrorKind.INVALID_REQUEST,
        "the upload session id is already used by another audience of this ad account: "
        "start a new session",
        message_contains="session id already used",
    ),
    ErrorRule(
        2654,
        None,
        ErrorKind.INVALID_REQUEST,
        "Meta could not create the audience (its subcode tells why: for a lookalike, a seed "
        "with too few matched people or a duplicate lookalike; see RULES.md)",
    ),
    ErrorRule(
        2654,
        1713007,
        ErrorKind.INVALID_REQUEST,
        "a lookalike with the same seed, country and size already exists on this ad account",
    ),
)


def classify(code: int | None, subcode: int | None, platform_message: str = "") -> ErrorRule | None:
    """The most specific rule: exact subcode before any subcode, message test before none."""
    said = platform_message.lower()
    for wanted in (subcode, None):
        fitting = [
            rule
            for rule in ERROR_RULES
            if rule.code == code
            and rule.subcode == wanted
            and (rule.message_contains is None or rule.message_contains in said)
        ]
        if fitting:
            return min(fitting, key=lambda rule: rule.message_contains is None)
    return None


def translate_request_error(error: FacebookRequestError, what: str) -> DestinationError:
    """The project error for a failed Graph call; nothing of the request or Meta's text survives."""
    code = _as_int(error.api_error_code())
    subcode = _as_int(error.api_error_subcode())
    status = _as_int(error.http_status())
    rule = classify(code, subcode, str(error.api_error_message() or ""))
    if rule is not None:
        kind, explanation = rule.kind, rule.message
    elif error.api_transient_error() or (status is not None and status >= 500):
        kind, explanation = ErrorKind.TRANSIENT, "Meta had a temporary problem"
    else:
        kind, explanation = ErrorKind.UNEXPECTED, "Meta answered with an unexpected error"
    return DestinationError(
        f"{what} failed: {explanation}",
        kind=kind,
        code=code,
        subcode=subcode,
        http_status=status,
        retry_after_seconds=regain_access_seconds(error.http_headers())
        if kind is ErrorKind.RATE_LIMITED
        else None,
    )


def translate_gateway_fault(http_status: int, what: str) -> DestinationError:
    """An answer that was not Graph JSON: transient unless a 4xx says the request is bad."""
    if http_status == HTTP_URI_TOO_LONG:
        kind = ErrorKind.INVALID_REQUEST
        explanation = "the request was longer than Meta's gateway accepts"
    elif http_status in HTTP_CLIENT_ERRORS and http_status not in (
        HTTP_REQUEST_TIMEOUT,
        HTTP_TOO_MANY_REQUESTS,
    ):
        kind = ErrorKind.INVALID_REQUEST
        explanation = "Meta's gateway refused the request without a Graph API answer"
    else:
        kind = ErrorKind.TRANSIENT
        explanation = "Meta's gateway answered with a page instead of a Graph API answer"
    return DestinationError(f"{what} failed: {explanation}", kind=kind, http_status=http_status)


def translate_unreadable_answer(error: Exception, what: str) -> DestinationError:
    """A Graph answer without the fields the call needs; only the exception's class is kept."""
    return DestinationError(
        f"{what} failed: Meta's answer did not have the expected shape ({type(error).__name__})",
        kind=ErrorKind.UNEXPECTED,
    )


def translate_transport_error(error: requests.RequestException, what: str) -> DestinationError:
    """A network failure; its text (the URL) is dropped."""
    return DestinationError(
        f"{what} failed: could not reach Meta's Graph API ({type(error).__name__})",
        kind=ErrorKind.TRANSIENT,
    )


def _as_int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None
