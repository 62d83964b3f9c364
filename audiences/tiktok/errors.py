"""TikTok's answers translated into :class:`DestinationError` (the table is ``RULES.md``'s).

TikTok answers errors with HTTP 200 and a non-zero ``code`` in its envelope;
a gateway may answer 502/504 with an HTML page. Messages are the product's
own words and TikTok's code: never TikTok's ``message`` text, never a body.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from audiences.errors import DestinationError, ErrorKind


@dataclass(frozen=True)
class CodeRule:
    """How one TikTok code is handled: its kind and what it means, in our words."""

    kind: ErrorKind
    meaning: str


# error-table:start
CODES: dict[int, CodeRule] = {
    40000: CodeRule(ErrorKind.INVALID_REQUEST, "the parameters were refused"),
    40001: CodeRule(ErrorKind.PERMISSION, "the token may not act on this advertiser"),
    40002: CodeRule(ErrorKind.INVALID_REQUEST, "a parameter was refused"),
    40006: CodeRule(ErrorKind.INVALID_REQUEST, "the API version does not fit the parameters"),
    40007: CodeRule(ErrorKind.NOT_FOUND, "the audience does not exist"),
    40011: CodeRule(ErrorKind.INVALID_REQUEST, "too many ids in one request"),
    40016: CodeRule(ErrorKind.RATE_LIMITED, "requests too frequent"),
    40100: CodeRule(ErrorKind.RATE_LIMITED, "rate limit reached"),
    40102: CodeRule(ErrorKind.AUTHENTICATION, "the access token has expired"),
    40104: CodeRule(ErrorKind.AUTHENTICATION, "no access token was sent"),
    40105: CodeRule(ErrorKind.AUTHENTICATION, "the access token is not valid"),
    40132: CodeRule(ErrorKind.RATE_LIMITED, "request frequency limited"),
    40133: CodeRule(ErrorKind.RATE_LIMITED, "the advertiser's request rate limit was reached"),
    40202: CodeRule(ErrorKind.TRANSIENT, "write conflict"),
    40300: CodeRule(ErrorKind.PERMISSION, "the advertiser does not exist"),
    40301: CodeRule(ErrorKind.PERMISSION, "the advertiser cannot be matched"),
    40900: CodeRule(ErrorKind.INVALID_REQUEST, "the file signature does not match the file"),
    40905: CodeRule(ErrorKind.INVALID_REQUEST, "the uploaded file does not exist"),
    40906: CodeRule(ErrorKind.INVALID_REQUEST, "the uploaded file is empty"),
    40907: CodeRule(ErrorKind.INVALID_REQUEST, "the uploaded file is too large"),
    40908: CodeRule(ErrorKind.INVALID_REQUEST, "the file type is not supported"),
    40909: CodeRule(ErrorKind.INVALID_REQUEST, "the calculate type is not supported"),
    40910: CodeRule(ErrorKind.INVALID_REQUEST, "the uploaded file has expired"),
    50000: CodeRule(ErrorKind.TRANSIENT, "TikTok system error"),
    50002: CodeRule(ErrorKind.TRANSIENT, "TikTok could not process the request in time"),
    60001: CodeRule(ErrorKind.TRANSIENT, "TikTok is under maintenance"),
}
"""Every code the product handles by name; the ranges below are handled by :func:`rule_for`."""
# error-table:end

FILE_ERRORS = range(40900, 40916)
"""409xx: the uploaded file was refused; never retried as is."""


def rule_for(code: int) -> CodeRule:
    """The rule of a TikTok code; undocumented ones are unexpected and never retried."""
    if code in CODES:
        return CODES[code]
    if 51000 <= code <= 51099:
        return CodeRule(ErrorKind.TRANSIENT, "TikTok server error")
    if code in FILE_ERRORS:
        return CodeRule(ErrorKind.INVALID_REQUEST, "the uploaded file was refused")
    if 40101 <= code <= 40131:
        return CodeRule(ErrorKind.AUTHENTICATION, "the credentials were refused")
    return CodeRule(ErrorKind.UNEXPECTED, "an undocumented error code")


def translate_code(what: str, code: int) -> DestinationError:
    """An error answer (HTTP 200, ``code`` not 0) as a :class:`DestinationError`."""
    rule = rule_for(code)
    return DestinationError(
        f"{what} failed: TikTok answered {rule.meaning}", kind=rule.kind, code=code
    )


def translate_gateway(what: str, http_status: int) -> DestinationError:
    """An answer that is not TikTok's JSON envelope (a gateway page, a bare status).

    5xx: the gateway's trouble, transient; 429: a rate limit; anything else unexpected.
    """
    if http_status == httpx.codes.TOO_MANY_REQUESTS:
        kind = ErrorKind.RATE_LIMITED
    elif http_status >= httpx.codes.INTERNAL_SERVER_ERROR:
        kind = ErrorKind.TRANSIENT
    else:
        kind = ErrorKind.UNEXPECTED
    return DestinationError(
        f"{what} failed: HTTP {http_status} without a TikTok API answer",
        kind=kind,
        http_status=http_status,
    )


def translate_network(what: str, error_class: str) -> DestinationError:
    """A network failure (timeout, refused connection): transient."""
    return DestinationError(
        f"{what} failed: the network failed ({error_class})", kind=ErrorKind.TRANSIENT
    )


def translate_shape(what: str, missing: str) -> DestinationError:
    """A success answer without the field the call needs."""
    return DestinationError(
        f"{what} failed: TikTok's answer has no {missing}", kind=ErrorKind.UNEXPECTED
    )
