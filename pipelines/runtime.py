"""Everything one flow run works with: the open ledger and register, and the destination.

Built once from the settings at the edge (a flow, or the command line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from audiences.destination import Destination
from audiences.ledger import ExportRecord, Ledger
from audiences.meta.client import MetaDestination
from audiences.meta.config import MetaConfig
from objections.register import Register
from pipelines.embedded import embedded_sandbox
from pipelines.lifecycle import Lifecycle
from pipelines.settings import Settings
from pipelines.stores import open_ledger, open_register

DESTINATIONS = ("meta",)


class ConfigurationError(Exception):
    """A setting or parameter is missing or invalid; nothing was sent anywhere."""


def check_destination(settings: Settings, name: str) -> None:
    """Refuse an unknown destination, or Meta configured without an access token."""
    if name not in DESTINATIONS:
        raise ConfigurationError(f"unknown destination {name!r}")
    if not settings.uses_sandbox and settings.meta.access_token is None:
        raise ConfigurationError(
            "no Meta access token: set AUDIENCE_EXPORT_META_ACCESS_TOKEN (or meta.access_token)"
        )


def meta_config(settings: Settings, ad_account: str) -> MetaConfig:
    """The Meta configuration for one ad account; the embedded sandbox when unconfigured."""
    check_destination(settings, "meta")
    if settings.uses_sandbox:
        server = embedded_sandbox(settings.sandbox)
        return settings.meta.model_copy(
            update={
                "graph_url": server.url,
                "access_token": SecretStr(server.access_token),
                "ad_account": ad_account,
            }
        )
    return settings.meta.model_copy(update={"ad_account": ad_account})


def open_destination(settings: Settings, name: str, ad_account: str) -> Destination:
    """The destination an export or the reconciler talks to."""
    check_destination(settings, name)
    return MetaDestination(meta_config(settings, ad_account))


@dataclass(frozen=True)
class Runtime:
    """The open ledger and register of one flow run."""

    settings: Settings
    ledger: Ledger
    register: Register

    def lifecycle(
        self,
        destination: Destination,
        on_stopped_run: Callable[[ExportRecord], None] | None = None,
    ) -> Lifecycle:
        """The post-upload steps against one destination."""
        return Lifecycle(
            ledger=self.ledger,
            destination=destination,
            stale_after=timedelta(minutes=self.settings.export.stale_after_minutes),
            clock=utc_now,
            on_stopped_run=on_stopped_run,
        )


@contextmanager
def open_runtime(settings: Settings) -> Iterator[Runtime]:
    """Open the ledger and the register (running their migrations)."""
    with open_ledger(settings) as ledger, open_register(settings) as register:
        yield Runtime(settings=settings, ledger=ledger, register=register)


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
