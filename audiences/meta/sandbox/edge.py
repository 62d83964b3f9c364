"""Meta's edge in front of the Graph API: over-long request lines and gateway pages.

These answers come before the Graph application sees a request: HTML, not
JSON, and the request is never processed. Both can be changed while the
sandbox runs; the random generator is seeded from the options so that a
faulty run can be replayed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from audiences.meta.sandbox.options import SandboxOptions
from audiences.meta.sandbox.wire import Response

URI_TOO_LONG = 414
GATEWAY_STATUSES = (502, 504)
_TITLES = {
    200: "Sorry, something went wrong",
    414: "414 Request-URI Too Long",
    502: "502 Bad Gateway",
    504: "504 Gateway Time-out",
}


@dataclass(frozen=True)
class EdgeSettings:
    """What the edge refuses; see the matching fields of :class:`SandboxOptions`."""

    html_fault_rate: float
    html_fault_200: bool
    max_url_bytes: int


class Edge:
    """Decides, per Graph request, whether the edge answers it with an HTML page."""

    def __init__(self, options: SandboxOptions) -> None:
        self._options = options
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to the options the sandbox started with."""
        with self._lock:
            self.settings = EdgeSettings(
                html_fault_rate=self._options.html_fault_rate,
                html_fault_200=self._options.html_fault_200,
                max_url_bytes=self._options.max_url_bytes,
            )
            self._random = random.Random(self._options.random_seed)  # noqa: S311 - not crypto

    def configure(self, settings: EdgeSettings) -> None:
        """Replace the settings (validated by the caller)."""
        with self._lock:
            self.settings = settings

    def refusal(self, request_line_bytes: int) -> Response | None:
        """The HTML page answering this request, or ``None`` to let it through."""
        with self._lock:
            settings = self.settings
            if request_line_bytes > settings.max_url_bytes:
                return html_page(URI_TOO_LONG)
            if settings.html_fault_rate > 0 and self._random.random() < settings.html_fault_rate:
                return html_page(
                    200 if settings.html_fault_200 else self._random.choice(GATEWAY_STATUSES)
                )
        return None


def html_page(status: int) -> Response:
    """A gateway page like the ones a CDN or load balancer sends: no JSON at all."""
    title = _TITLES[status]
    body = (
        "<!DOCTYPE html>\n<html><head><title>"
        f"{title}</title></head>\n<body><h1>{title}</h1>\n"
        "<p>The server could not answer your request. Please try again later.</p>\n"
        "</body></html>\n"
    )
    return Response(status, body)
