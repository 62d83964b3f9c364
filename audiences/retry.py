"""Retry a platform call on transient errors and rate limits: exponential backoff with jitter.

A rate limit that announces when access comes back is honoured exactly: the
caller waits that long and sends nothing before. When the announced wait is
longer than the policy allows, the error is raised at once instead of
knocking on a closed door.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from audiences.errors import DestinationError

T = TypeVar("T")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackoffPolicy:
    """How often and how long to wait between attempts."""

    max_attempts: int
    base_seconds: float
    max_seconds: float

    def wait_before_retry(
        self, error: DestinationError, attempt: int, jitter: float
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up.

        ``jitter`` is a uniform random number in [0, 1): the backoff of attempt
        *n* is ``base * 2**(n-1)``, scaled into its upper half ("equal jitter")
        so that retries from parallel runs spread out but never hammer.
        """
        if not error.transient or attempt >= self.max_attempts:
            return None
        if error.retry_after_seconds is not None:
            if error.retry_after_seconds > self.max_seconds:
                return None
            return error.retry_after_seconds
        backoff = min(self.max_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        return backoff * (0.5 + jitter / 2)


def call_with_retry(
    call: Callable[[], T],
    *,
    policy: BackoffPolicy,
    what: str,
    sleep: Callable[[float], None],
    jitter: Callable[[], float],
) -> T:
    """Run ``call`` until it succeeds, raises a permanent error, or attempts run out.

    ``call`` raises only :class:`DestinationError`; ``what`` names the call in
    log lines (never its arguments).
    """
    attempt = 1
    while True:
        try:
            return call()
        except DestinationError as error:
            wait = policy.wait_before_retry(error, attempt, jitter())
            if wait is None:
                raise
            logger.info(
                "%s failed (%s, code %s); retrying in %.2f s (attempt %d of %d)",
                what,
                error.kind,
                error.code,
                wait,
                attempt + 1,
                policy.max_attempts,
            )
        sleep(wait)
        attempt += 1
