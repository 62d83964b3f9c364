"""Typed configuration of the Meta destination (secrets stay ``SecretStr``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

PRODUCTION_GRAPH_URL = "https://graph.facebook.com"
GRAPH_API_VERSION = "v26.0"
SESSION_WINDOW_SECONDS = 90 * 60
"""Meta ends a session without ``last_batch_flag`` about 90 minutes after its first batch."""


class MetaConfig(BaseModel):
    """Where and as whom the Meta destination talks to the Graph API."""

    model_config = ConfigDict(extra="forbid")

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
        digits = value.removeprefix("act_")
        if not digits.isdigit():
            raise ValueError(
                f"ad account must be digits, optionally prefixed by act_ (got {value!r})"
            )
        return digits
