"""How one sandbox behaves: credentials, delays and injected trouble."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ACCESS_TOKEN = "sandbox-token"  # noqa: S105 - a well-known fake, printed on start
DEFAULT_RATE_WINDOW_SECONDS = 60.0
DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class SandboxOptions:
    """Everything ``audience-export sandbox`` takes on its command line."""

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

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1 (got {self.fault_rate})")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError(f"rate limit must be at least 1 request (got {self.rate_limit})")
        for name in ("match_delay_seconds", "lookalike_delay_seconds", "latency_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_window_seconds <= 0:
            raise ValueError("rate_window_seconds must be positive")
