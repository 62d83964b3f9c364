"""How one TikTok sandbox behaves: credentials, delays, platform rules and injected trouble."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    Settings = TypeVar("Settings", bound=DataclassInstance)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_ACCESS_TOKEN = "sandbox-token"  # noqa: S105 - a well-known fake, printed on start
DEFAULT_ADVERTISER_ID = "7000000000000000001"
DEFAULT_CORE_USER_ID = "7100000000000000001"
DEFAULT_RATE_WINDOW_SECONDS = 60.0
DEFAULT_MIN_UPDATE_SIZE = 1000
"""TikTok refuses an update leaving an audience under 1000 people."""
DEFAULT_MAX_FILE_LINES = 50_000


@dataclass(frozen=True)
class TikTokSandboxOptions:
    """Everything ``audience-export sandbox --platform tiktok`` takes on its command line."""

    host: str = DEFAULT_HOST
    port: int = 0
    """0 picks a free port (tests); the CLI defaults to 8766."""
    access_token: str = DEFAULT_ACCESS_TOKEN
    advertiser_id: str = DEFAULT_ADVERTISER_ID
    """The one advertiser the token may act for; any other answers 40001."""
    core_user_id: str = DEFAULT_CORE_USER_ID
    """Who the token belongs to (``GET /user/info/``)."""
    match_delay_seconds: float = 1.0
    """How long a customer-file audience stays invalid (processing) after create or update."""
    lookalike_delay_seconds: float = 1.0
    """How long a lookalike takes to populate."""
    latency_ms: float = 0.0
    """Added before every API answer."""
    fault_rate: float = 0.0
    """Share of API calls answered 50000/50002 in a 200 envelope, never processed."""
    html_fault_rate: float = 0.0
    lost_answer_rate: float = 0.0
    """Share of API calls carried out, whose answer is then lost: a 504 page instead."""
    """Share of API calls answered by a 504 HTML gateway page, never processed."""
    rate_limit: int | None = None
    """Most API calls per rolling window (more: code 40100); ``None`` for no limit."""
    rate_window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS
    random_seed: int | None = None
    """Seeds the fault injector, so that a faulty run can be replayed."""
    min_update_size: int = DEFAULT_MIN_UPDATE_SIZE
    """An update leaving fewer distinct valid hashes than this answers 40002."""
    max_file_lines: int = DEFAULT_MAX_FILE_LINES
    """A longer uploaded file answers 40907."""

    def __post_init__(self) -> None:
        problems = [
            message
            for holds, message in (
                (0.0 <= self.fault_rate <= 1.0, "fault_rate must be between 0 and 1"),
                (0.0 <= self.html_fault_rate <= 1.0, "html_fault_rate must be between 0 and 1"),
                (0.0 <= self.lost_answer_rate <= 1.0, "lost_answer_rate must be between 0 and 1"),
                (self.rate_limit is None or self.rate_limit >= 1, "rate_limit must be at least 1"),
                (self.rate_window_seconds > 0, "rate_window_seconds must be positive"),
                (self.match_delay_seconds >= 0, "match_delay_seconds must not be negative"),
                (self.lookalike_delay_seconds >= 0, "lookalike_delay_seconds must not be negative"),
                (self.latency_ms >= 0, "latency_ms must not be negative"),
                (self.min_update_size >= 0, "min_update_size must not be negative"),
                (self.max_file_lines >= 1, "max_file_lines must be at least 1"),
                (self.advertiser_id.isdigit(), "advertiser_id must be digits"),
                (self.core_user_id.isdigit(), "core_user_id must be digits"),
                (bool(self.access_token), "access_token must not be empty"),
            )
            if not holds
        ]
        if problems:
            raise ValueError(problems[0])


def settings_of(kind: type[Settings], options: TikTokSandboxOptions) -> Settings:
    """A group of settings (a dataclass named field for field like the options) from ``options``."""
    return kind(**{field.name: getattr(options, field.name) for field in fields(kind)})
