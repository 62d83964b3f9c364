"""Typed configuration of the TikTok destination (``[tiktok]``; secrets stay ``SecretStr``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from audiences.platform import PlatformSettings

PRODUCTION_BASE_URL = "https://business-api.tiktok.com"
API_VERSION = "v1.3"
MAX_FILE_LINES = 50_000
"""Hashes per uploaded file (TikTok documents files under 1 GB; RULES.md, "Files")."""


class TikTokConfig(PlatformSettings):
    """Where and as whom the TikTok destination talks to the Business API (``[tiktok]``)."""

    url_field = "base_url"
    token_field = "access_token"  # noqa: S105 - the name of the setting, not a secret
    account_field = "advertiser_id"

    base_url: str = Field(
        default=PRODUCTION_BASE_URL,
        description="Base URL of the Business API; the sandbox's URL in demos and tests.",
    )
    api_version: str = Field(default=API_VERSION, description="Business API version.")
    access_token: SecretStr | None = Field(
        default=None, description="Long-term access token of the advertiser's app."
    )
    advertiser_id: str | None = Field(default=None, description="Advertiser id (digits).")
    retention_days: int = Field(
        default=3,
        ge=1,
        le=365,
        description=(
            "TikTok expires a seed this many days after its creation, should its deletion "
            "ever fail (retention_in_days)."
        ),
    )
    file_lines: int = Field(
        default=MAX_FILE_LINES, ge=1, le=MAX_FILE_LINES, description="Hashes per uploaded file."
    )
    max_attempts: int = Field(
        default=10,
        ge=1,
        description=(
            "Attempts per call on transient errors and rate limits (10: about 8 minutes of "
            "backoff, past TikTok's 5-minute pause after its per-minute limit)."
        ),
    )
    backoff_seconds: float = Field(
        default=1.0, ge=0, description="First backoff; doubled (with jitter) per attempt."
    )
    max_backoff_seconds: float = Field(
        default=300.0, ge=0, description="Longest single wait, rate limits included."
    )
    timeout_seconds: float = Field(default=60.0, gt=0, description="HTTP timeout per call.")

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("advertiser_id")
    @classmethod
    def _advertiser_id(cls, value: str | None) -> str | None:
        return None if value is None else check_advertiser(value)


def check_advertiser(value: str) -> str:
    """A TikTok advertiser id: digits; ``ValueError`` naming the format."""
    if not value.isdigit():
        raise ValueError(f"advertiser id must be digits (got {value!r})")
    return value
