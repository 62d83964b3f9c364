"""The one error type that crosses a destination's boundary.

A platform SDK's own exceptions carry the request that failed — for an upload,
a whole batch of hashed identifiers. They never leave the destination module:
each destination translates them into :class:`DestinationError`, which holds
only machine-readable codes and a message a marketer can act on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorKind(StrEnum):
    """How a caller should react to a failed platform call."""

    TRANSIENT = "transient"
    """Retry after a short backoff (platform hiccup, network error)."""
    RATE_LIMITED = "rate_limited"
    """Retry once the platform's announced waiting time has passed."""
    AUTHENTICATION = "authentication"
    """Token expired, revoked or wrong; app secret proof rejected."""
    PERMISSION = "permission"
    """The token may not act on this ad account or object."""
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    """The ad account has not accepted the custom audience terms."""
    FLAGGED = "flagged"
    """The platform's integrity rules flagged the audience."""
    NOT_FOUND = "not_found"
    """The object does not exist (any more)."""
    INVALID_REQUEST = "invalid_request"
    """The request itself is wrong: parameters, limits, session rules."""
    REMOVAL_REFUSED = "removal_refused"
    """The platform refused to remove people: the audience would fall below its floor."""
    DELETION_REFUSED = "deletion_refused"
    """The platform refused to delete an audience (e.g. lookalikes were built from it)."""
    SESSION_ENDED = "session_ended"
    """The upload session ended before its last batch: start a new session and go on."""
    UNEXPECTED = "unexpected"
    """Anything the destination cannot classify."""


RETRYABLE_KINDS = frozenset({ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED})


class DestinationError(Exception):
    """A platform call failed (``identifier_free``: its message is the product's words only).

    The message is written for people; callers branch on ``kind``, ``code`` and
    ``subcode``. By contract it never contains identifiers, hashed or not.
    """

    identifier_free: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.retry_after_seconds = retry_after_seconds

    @property
    def transient(self) -> bool:
        """Whether retrying the same call later may succeed."""
        return self.kind in RETRYABLE_KINDS

    def __str__(self) -> str:
        codes = ", ".join(
            f"{label} {value}"
            for label, value in (
                ("code", self.code),
                ("subcode", self.subcode),
                ("HTTP", self.http_status),
            )
            if value is not None
        )
        return f"{self.message} ({self.kind}{', ' + codes if codes else ''})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to survive pickling (Prefect and
        # multiprocessing pickle exceptions).
        return (
            _rebuild,
            (
                self.message,
                self.kind,
                self.code,
                self.subcode,
                self.http_status,
                self.retry_after_seconds,
            ),
        )


def _rebuild(
    message: str,
    kind: ErrorKind,
    code: int | None,
    subcode: int | None,
    http_status: int | None,
    retry_after_seconds: float | None,
) -> DestinationError:
    return DestinationError(
        message,
        kind=kind,
        code=code,
        subcode=subcode,
        http_status=http_status,
        retry_after_seconds=retry_after_seconds,
    )
