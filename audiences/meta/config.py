"""Typed configuration of the Meta destination (secrets stay ``SecretStr``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from audiences.destination import LookalikeSize
from audiences.platform import PlatformSettings

PRODUCTION_GRAPH_URL = "https://graph.facebook.com"
GRAPH_API_VERSION = "v26.0"
SESSION_WINDOW_SECONDS = 90 * 60
"""Meta ends a session without ``last_batch_flag`` about 90 minutes after its first batch."""


class MetaConfig(PlatformSettings):
    """Where and as whom the Meta destination talks to the Graph API (``[meta]``)."""

    url_field = "graph_url"
    token_field = "access_token"  # noqa: S105 - the name of the setting, not a secret
    account_field = "ad_account"

    graph_url: str = Field(
        default=PRODUCTION_GRAPH_URL,
        description="Base URL of the Graph API; the sandbox's URL in demos and tests.",
    )
    api_version: str = Field(default=GRAPH_API_VERSION, description="Graph API version.")
    access_token: SecretStr | None = Field(
        default=None, description="System-user access token with ads_management."
    )
    app_secret: SecretStr | None = Field(
        default=None, description="App secret; when set, every call carries appsecret_proof."
    )
    ad_account: str | None = Field(
        default=None, description="Ad account id, with or without the act_ prefix."
    )
    max_attempts: int = Field(
        default=6, ge=1, description="Attempts per call on transient errors and rate limits."
    )
    backoff_seconds: float = Field(
        default=1.0, ge=0, description="First backoff; doubled (with jitter) per attempt."
    )
    max_backoff_seconds: float = Field(
        default=600.0, ge=0, description="Longest single wait, rate limits included."
    )
    timeout_seconds: float = Field(default=60.0, gt=0, description="HTTP timeout per call.")
    session_window_seconds: float = Field(
        default=SESSION_WINDOW_SECONDS,
        gt=0,
        description="How long Meta keeps an unclosed upload session after its first batch.",
    )

    @field_validator("graph_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("ad_account")
    @classmethod
    def _account_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return check_account(value)


def check_account(value: str) -> str:
    """A Meta ad account id: digits, ``act_`` optional; ``ValueError`` naming the format."""
    digits = value.removeprefix("act_")
    if not digits.isdigit():
        raise ValueError(f"ad account must be digits, optionally prefixed by act_ (got {value!r})")
    return digits


def check_size(asked: LookalikeSize, default: LookalikeSize) -> LookalikeSize:
    """Meta's lookalike size: a ratio (``RULES.md``); a size word is refused, naming the rule."""
    if asked.word is not None:
        raise ValueError(
            f"Meta sizes a lookalike by a ratio of 0.01 to 0.20 of the country's population, "
            f"not by a word (got size {asked.word!r}): pass --ratio instead of --size"
        )
    ratio = asked.ratio if asked.ratio is not None else default.ratio
    if ratio is None:
        raise ValueError("no lookalike ratio: pass --ratio or set AUDIENCE_EXPORT_EXPORT_RATIO")
    return LookalikeSize(ratio=check_ratio(ratio))


def check_ratio(value: float) -> float:
    """A lookalike ratio between 0.01 and 0.20 in steps of 0.01 (``RULES.md``)."""
    if not 0.01 <= value <= 0.20 or abs(round(value * 100) - value * 100) > 1e-6:
        raise ValueError(f"ratio must be between 0.01 and 0.20 in steps of 0.01 (got {value!r})")
    return round(value, 2)
