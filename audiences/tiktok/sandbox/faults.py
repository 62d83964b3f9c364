"""Trouble on demand: latency, gateway pages, transient faults and a rolling-window rate limit.

Every setting can be changed while the sandbox runs; the random generator is
seeded from the options so that a faulty run can be replayed. The log of
answered requests keeps no query string and no body: only where
``advertiser_id`` and the token rode.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from audiences.tiktok.sandbox.envelope import (
    HTML_CONTENT_TYPE,
    SERVICE_BUSY,
    SYSTEM_ERROR,
    TOO_MANY_REQUESTS,
    Response,
    TikTokError,
)
from audiences.tiktok.sandbox.options import TikTokSandboxOptions, settings_of

GATEWAY_TIMEOUT = 504
_GATEWAY_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>504 Gateway Time-out</title></head>\n"
    "<body><h1>504 Gateway Time-out</h1>\n"
    "<p>The upstream server did not answer in time. Please try again later.</p>\n"
    "</body></html>\n"
)
_FAULTS = {
    SYSTEM_ERROR: "System error. Please try again later.",
    SERVICE_BUSY: "Service is busy. Please try again later.",
}


@dataclass(frozen=True)
class FaultSettings:
    """The trouble in force; see the matching fields of :class:`TikTokSandboxOptions`."""

    latency_ms: float
    fault_rate: float
    html_fault_rate: float
    lost_answer_rate: float
    rate_limit: int | None
    rate_window_seconds: float


@dataclass(frozen=True)
class RequestRecord:
    """One API request as it arrived, and how it was answered."""

    arrived_at: float
    method: str
    path: str
    status: int
    code: int | None
    """The envelope's code; ``None`` for an HTML page."""
    access_token_header: bool
    """Whether an ``Access-Token`` header came with it."""
    advertiser_id_in: str | None
    """``query``, ``body`` (JSON), ``form`` (multipart) or ``None``."""


class Faults:
    """Decides, per API request, whether to delay, drop at the gateway, throttle or fail it."""

    def __init__(
        self, options: TikTokSandboxOptions, clock: Callable[[], float] = time.time
    ) -> None:
        self._options = options
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to the options the sandbox started with; forget every request."""
        with self._lock:
            self.settings = settings_of(FaultSettings, self._options)
            self._random = random.Random(self._options.random_seed)  # noqa: S311 - not crypto
            self._admitted: deque[float] = deque()
            self._records: list[RequestRecord] = []

    def configure(self, settings: FaultSettings) -> None:
        """Replace the settings (validated by the caller); the rate window restarts."""
        with self._lock:
            self.settings = settings
            self._admitted.clear()

    def delay(self) -> None:
        """Sleep for the configured latency."""
        latency_ms = self.settings.latency_ms
        if latency_ms > 0:
            time.sleep(latency_ms / 1000)

    def gateway_page(self) -> Response | None:
        """A 504 HTML page in place of the API's answer, or ``None`` to let the call through."""
        with self._lock:
            rate = self.settings.html_fault_rate
            if rate > 0 and self._random.random() < rate:
                return Response(GATEWAY_TIMEOUT, _GATEWAY_PAGE, HTML_CONTENT_TYPE)
        return None

    def lost_answer(self, answered: Response) -> Response:
        """The answer of a call carried out, or the 504 page that lost it on the way back."""
        with self._lock:
            rate = self.settings.lost_answer_rate
            if rate > 0 and self._random.random() < rate:
                return Response(GATEWAY_TIMEOUT, _GATEWAY_PAGE, HTML_CONTENT_TYPE)
        return answered

    def admit(self) -> None:
        """Raise the refusal this call gets, if any: the rate limit first, then a fault."""
        with self._lock:
            now, settings = self._clock(), self.settings
            while self._admitted and self._admitted[0] <= now - settings.rate_window_seconds:
                self._admitted.popleft()
            if settings.rate_limit is not None and len(self._admitted) >= settings.rate_limit:
                raise TikTokError(TOO_MANY_REQUESTS, "Too many requests. Please retry later.")
            self._admitted.append(now)
            if settings.fault_rate > 0 and self._random.random() < settings.fault_rate:
                code = self._random.choice(sorted(_FAULTS))
                raise TikTokError(code, _FAULTS[code])

    def record(self, record: RequestRecord) -> None:
        """Keep one answered request for ``GET /_sandbox/requests``."""
        with self._lock:
            self._records.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every API request answered since the last reset, oldest first."""
        with self._lock:
            return list(self._records)
