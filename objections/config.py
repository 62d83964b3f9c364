"""Typed configuration of the objection register."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


class RegisterConfig(BaseModel):
    """Where the register lives and where its keys come from.

    Keys come either from ``encryption_key`` + ``index_key`` (environment or
    a secret store) or from ``key_file``; the environment wins when both exist.
    """

    url: str = Field(description="SQLAlchemy URL of the register database.")
    platforms: frozenset[str] = Field(
        min_length=1,
        description="Platforms the product can export to: an objection's scope is 'all' or some.",
    )
    key_file: Path | None = Field(
        default=None, description="JSON key ring file (mode 0600) holding the register keys."
    )
    encryption_key: SecretStr | None = Field(
        default=None, description="Base64 key that encrypts stored addresses."
    )
    index_key: SecretStr | None = Field(
        default=None, description="Base64 key of the blind index (HMAC-SHA-256)."
    )
