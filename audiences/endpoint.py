"""Which platform endpoint an export used: the identity every later step must match.

A deletion "verified" through another endpoint proves nothing (an empty sandbox
answers "does not exist" for any id), so the ledger binds each export to the
endpoint that created its seed, and every lifecycle step compares the
configured endpoint with it before calling the platform. Nothing here is a
secret: the credential is named by an identity (a user id, or a keyed
fingerprint), never by the token itself.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields
from enum import StrEnum
from urllib.parse import urlsplit


class Environment(StrEnum):
    """Whether an endpoint is the real platform or a stand-in."""

    SANDBOX = "sandbox"
    PRODUCTION = "production"
    UNKNOWN = "unknown"
    """Recorded before exports were bound to endpoints: never matches anything."""


@dataclass(frozen=True)
class Endpoint:
    """Platform, environment, base URL, ad account and credential identity of an export."""

    platform: str
    environment: Environment
    base_url: str
    ad_account: str
    credential: str

    def differences(self, other: Endpoint) -> list[str]:
        """The names of the fields that differ; every field when either side is unknown."""
        if Environment.UNKNOWN in (self.environment, other.environment):
            return [field.name for field in fields(self)]
        return [
            field.name
            for field in fields(self)
            if getattr(self, field.name) != getattr(other, field.name)
        ]

    def describe(self) -> str:
        """One line for people: ``meta sandbox http://127.0.0.1:8765 act 1 as user 42``."""
        return (
            f"{self.platform} {self.environment} {self.base_url} "
            f"account {self.ad_account} as {self.credential}"
        )


def environment_of(base_url: str) -> Environment:
    """A loopback URL is a sandbox (no platform serves production there); else production."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return Environment.SANDBOX
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return Environment.SANDBOX if loopback else Environment.PRODUCTION
