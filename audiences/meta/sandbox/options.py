"""How one sandbox behaves: credentials, delays, platform rules and injected trouble."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ACCESS_TOKEN = "sandbox-token"  # noqa: S105 - a well-known fake, printed on start
DEFAULT_RATE_WINDOW_SECONDS = 60.0
DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_URL_BYTES = 16_384
"""Longest request line answered normally (wire.md; Meta's real limit is unverified)."""
HTTP_SERVER_MAX_URL_BYTES = 65_536
"""The stdlib HTTP server answers its own 414 above this; the sandbox's limit cannot exceed it."""
MIN_URL_BYTES = 256
"""Below this even a status read would not fit in the request line."""


@dataclass(frozen=True)
class SandboxOptions:
    """Everything ``audience-export sandbox`` takes on its command line.

    Every field after ``random_seed`` is opt-in: its default keeps the sandbox
    as lenient as it was before Meta's harsher behaviours were modelled.
    """

    host: str = DEFAULT_HOST
    port: int = 0
    """0 picks a free port (tests, the embedded sandbox); the CLI defaults to 8765."""
    access_token: str = DEFAULT_ACCESS_TOKEN
    app_secret: str | None = None
    """When set, every Graph call must carry a matching ``appsecret_proof``."""
    match_delay_seconds: float = 1.0
    """How long a seed reports "processing" after its last upload."""
    lookalike_delay_seconds: float = 1.0
    """How long a lookalike takes to populate."""
    latency_ms: float = 0.0
    """Added before every Graph answer."""
    fault_rate: float = 0.0
    """Share of Graph calls answered with a transient error (code 2)."""
    rate_limit: int | None = None
    """Most Graph calls per rolling window; ``None`` for no limit."""
    rate_window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS
    random_seed: int | None = None
    """Seeds the fault injector, so a faulty run can be replayed."""
    refuse_seed_delete_with_lookalikes: bool = False
    """``DELETE`` of a seed that a live lookalike was built from answers error 2656."""
    removal_floor: int = 0
    """A removal leaving fewer members than this answers 200/1870047; 0 turns it off."""
    html_fault_rate: float = 0.0
    """Share of Graph calls answered by a gateway HTML page (502/504), never processed."""
    html_fault_200: bool = False
    """Gateway pages come with status 200 instead of 502/504."""
    session_timeout_seconds: float | None = None
    """An upload session without ``last_batch_flag`` ends this long after its first batch."""
    max_url_bytes: int = DEFAULT_MAX_URL_BYTES
    """A longer request line is answered 414 with an HTML page."""

    def __post_init__(self) -> None:
        for name in ("fault_rate", "html_fault_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1 (got {getattr(self, name)})")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError(f"rate limit must be at least 1 request (got {self.rate_limit})")
        for name in ("match_delay_seconds", "lookalike_delay_seconds", "latency_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_window_seconds <= 0:
            raise ValueError("rate_window_seconds must be positive")
        if self.removal_floor < 0:
            raise ValueError("removal_floor must not be negative")
        if self.session_timeout_seconds is not None and self.session_timeout_seconds <= 0:
            raise ValueError("session_timeout_seconds must be positive")
        if not MIN_URL_BYTES <= self.max_url_bytes <= HTTP_SERVER_MAX_URL_BYTES:
            raise ValueError(
                f"max_url_bytes must be between {MIN_URL_BYTES} and {HTTP_SERVER_MAX_URL_BYTES}"
            )
