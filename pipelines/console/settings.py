"""Settings of the officer's console and of the mail it sends (sections of ``Settings``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class ConsoleSettings(BaseModel):
    """``[console]``: where the console listens and how it guards its sessions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", description="Address to listen on (loopback).")
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str | None = Field(
        default=None, description="Base URL in mailed links (default http://host:port)."
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure (always when served over HTTPS)."
    )
    idle_minutes: int = Field(default=15, ge=1, description="Sign out after this idle time.")
    four_eyes: bool = Field(
        default=True, description="A withdrawal needs a second reviewer to confirm it."
    )
    link_hours: int = Field(default=72, ge=1, description="Mailbox links expire after this.")
    sent_index_days: int = Field(
        default=365, ge=1, description="Keep each export's sent index this long, then purge it."
    )


class SmtpSettings(BaseModel):
    """``[smtp]``: the server that carries mailbox verification links."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str | None = Field(default=None, description="SMTP server; unset: no mail is sent.")
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(default="privacy@localhost", description="From: address of the mail.")
    timeout_seconds: float = Field(default=30.0, gt=0)
