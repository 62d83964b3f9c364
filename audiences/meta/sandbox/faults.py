"""Trouble on demand: latency, transient faults and a rolling-window rate limiter.

All three can be changed while the sandbox runs; the random generator is
seeded from the options so that a faulty run can be replayed.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from audiences.meta.sandbox.graph import GraphError
from audiences.meta.sandbox.options import SandboxOptions
from audiences.meta.sandbox.wire import Request

RATE_LIMIT_CODE = 80003
"""Meta's business-use-case rate limit code for custom audiences."""


USAGE_HEADER = "X-Business-Use-Case-Usage"


@dataclass(frozen=True)
class RequestRecord:
    """One Graph request as it arrived: when, what, and how it was answered."""

    arrived_at: float
    method: str
    path: str
    status: int
    code: int | None = None
    """The Graph error code of the answer; ``None`` when it succeeded."""
    regain_access_seconds: float | None = None
    """For a rate-limit refusal: the wait its usage header announced, in seconds."""
    query: str = ""
    """The raw query string as it arrived: tests check that no secret or hash rides in it."""
    has_body: bool = False
    method_override: str | None = None
    """The ``method`` field of a POST (Graph's method override), upper-case."""
    authorization_scheme: str | None = None
    """``OAuth`` or ``Bearer`` when the token came in the ``Authorization`` header."""


class Faults:
    """Decides, per Graph request, whether to delay, fail or throttle it."""

    def __init__(self, options: SandboxOptions, clock: Callable[[], float] = time.time) -> None:
        self._options = options
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to the options the sandbox started with; forget every request."""
        with self._lock:
            self.latency_ms = self._options.latency_ms
            self.fault_rate = self._options.fault_rate
            self.rate_limit = self._options.rate_limit
            self.rate_window_seconds = self._options.rate_window_seconds
            self._random = random.Random(self._options.random_seed)  # noqa: S311 - not crypto
            self._admitted: deque[float] = deque()
            self.requests: list[RequestRecord] = []

    def configure(
        self,
        *,
        latency_ms: float,
        fault_rate: float,
        rate_limit: int | None,
        rate_window_seconds: float,
    ) -> None:
        """Replace the four settings (validated by the caller); the rate window restarts."""
        with self._lock:
            self.latency_ms = latency_ms
            self.fault_rate = fault_rate
            self.rate_limit = rate_limit
            self.rate_window_seconds = rate_window_seconds
            self._admitted.clear()

    def delay(self) -> None:
        """Sleep for the configured latency."""
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)

    def admit(self) -> None:
        """Raise the error this request gets, if any: rate limit first, then a fault."""
        with self._lock:
            now = self._clock()
            window = self.rate_window_seconds
            while self._admitted and self._admitted[0] <= now - window:
                self._admitted.popleft()
            if self.rate_limit is not None and len(self._admitted) >= self.rate_limit:
                raise _throttled(self._admitted[0] + window - now)
            self._admitted.append(now)
            if self.fault_rate > 0 and self._random.random() < self.fault_rate:
                raise GraphError(
                    "An unexpected error has occurred. Please retry your request later.",
                    2,
                    http_status=self._random.choice((500, 503)),
                    is_transient=True,
                )

    def record(
        self,
        arrived_at: float,
        request: Request,
        status: int,
        error: GraphError | None,
        method_override: str | None,
    ) -> None:
        """Keep one answered request for ``GET /_sandbox/requests``."""
        answered = RequestRecord(
            arrived_at,
            request.method,
            request.path,
            status,
            code=error.code if error is not None else None,
            regain_access_seconds=_announced_wait(error.headers) if error is not None else None,
            query=request.query,
            has_body=bool(request.body),
            method_override=method_override,
            authorization_scheme=request.authorization_scheme,
        )
        with self._lock:
            self.requests.append(answered)


def _throttled(seconds_left: float) -> GraphError:
    """Meta's custom-audience rate limit answer, with its usage header (minutes)."""
    usage = {
        "sandbox": [
            {
                "type": "custom_audience",
                "call_count": 100,
                "total_cputime": 0,
                "total_time": 0,
                "estimated_time_to_regain_access": _minutes_rounded_up(seconds_left),
            }
        ]
    }
    return GraphError(
        "There have been too many calls from this ad-account. Please wait a bit and try again.",
        RATE_LIMIT_CODE,
        type="OAuthException",
        is_transient=True,
        headers={USAGE_HEADER: json.dumps(usage)},
    )


def _announced_wait(headers: dict[str, str]) -> float | None:
    """The ``estimated_time_to_regain_access`` of a usage header we sent, in seconds."""
    raw = headers.get(USAGE_HEADER)
    if raw is None:
        return None
    minutes = max(
        entry["estimated_time_to_regain_access"]
        for entries in json.loads(raw).values()
        for entry in entries
    )
    return float(minutes) * 60


def _minutes_rounded_up(seconds: float) -> float:
    """Minutes, Meta's unit; fractional here since test windows are short.

    Rounded up, so a client that waits exactly this long is never early.
    """
    return math.ceil(max(seconds, 0.0) / 60 * 10_000) / 10_000
