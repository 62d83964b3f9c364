"""Everything one flow run works with, built once from the settings at the edge.

Validation happens here, before anything touches a platform: an unknown
destination, a bad country or ratio, a missing token or ad account all stop
the run with a message that names the setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from audiences.destination import Destination
from audiences.ledger import ExportRequest, Ledger
from audiences.meta.client import MetaDestination
from audiences.meta.config import MetaConfig
from objections.register import Register
from pipelines.embedded import embedded_sandbox
from pipelines.lifecycle import Lifecycle
from pipelines.settings import SANDBOX_AD_ACCOUNT, Settings, validate_country, validate_ratio

DESTINATIONS = ("meta",)


class ConfigurationError(Exception):
    """A setting or parameter is missing or invalid; nothing was sent anywhere."""


def resolve_request(
    settings: Settings,
    *,
    destination: str | None = None,
    ad_account: str | None = None,
    country: str | None = None,
    ratio: float | None = None,
    dry_run: bool = False,
    max_seed_age_hours: float | None = None,
) -> ExportRequest:
    """Flow parameters over settings defaults, validated."""
    defaults = settings.export
    name = destination or defaults.destination
    if name not in DESTINATIONS:
        raise ConfigurationError(
            f"unknown destination {name!r}; known destinations: {', '.join(DESTINATIONS)}"
        )
    hours = max_seed_age_hours if max_seed_age_hours is not None else defaults.max_seed_age_hours
    if not 0 < hours <= 24 * 30:
        raise ConfigurationError(f"max seed age must be between 0 and 720 hours (got {hours})")
    try:
        return ExportRequest(
            destination=name,
            ad_account=_ad_account(settings, ad_account),
            country=validate_country(country or defaults.country),
            ratio=validate_ratio(ratio if ratio is not None else defaults.ratio),
            dry_run=dry_run,
            max_seed_age=timedelta(hours=hours),
        )
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


def _ad_account(settings: Settings, requested: str | None) -> str:
    chosen = requested or settings.meta.ad_account
    if chosen is None and settings.uses_sandbox:
        chosen = SANDBOX_AD_ACCOUNT
    if chosen is None:
        raise ConfigurationError(
            "no ad account: pass --ad-account or set AUDIENCE_EXPORT_META_AD_ACCOUNT"
        )
    try:
        account = MetaConfig(ad_account=chosen).ad_account
    except ValueError as error:
        raise ConfigurationError(
            f"ad account must be digits, optionally prefixed by act_ (got {chosen!r})"
        ) from error
    assert account is not None
    return account


def meta_config(settings: Settings, ad_account: str) -> MetaConfig:
    """The Meta configuration for one ad account; the embedded sandbox when unconfigured."""
    if settings.uses_sandbox:
        server = embedded_sandbox(settings.sandbox)
        return settings.meta.model_copy(
            update={
                "graph_url": server.url,
                "access_token": SecretStr(server.access_token),
                "ad_account": ad_account,
            }
        )
    if settings.meta.access_token is None:
        raise ConfigurationError(
            "no Meta access token: set AUDIENCE_EXPORT_META_ACCESS_TOKEN (or meta.access_token)"
        )
    return settings.meta.model_copy(update={"ad_account": ad_account})


def open_destination(settings: Settings, name: str, ad_account: str) -> Destination:
    """The destination an export or the reconciler talks to."""
    if name not in DESTINATIONS:
        raise ConfigurationError(f"unknown destination {name!r}")
    return MetaDestination(meta_config(settings, ad_account))


@dataclass(frozen=True)
class Runtime:
    """The open ledger and register of one flow run."""

    settings: Settings
    ledger: Ledger
    register: Register

    def lifecycle(self, destination: Destination) -> Lifecycle:
        """The post-upload steps against one destination."""
        return Lifecycle(
            ledger=self.ledger,
            destination=destination,
            stale_after=timedelta(minutes=self.settings.export.stale_after_minutes),
            clock=utc_now,
        )


@contextmanager
def open_runtime(settings: Settings) -> Iterator[Runtime]:
    """Open the ledger and the register (running their migrations)."""
    with ExitStack() as stack:
        ledger = stack.enter_context(Ledger.open(settings.ledger_url))
        register = stack.enter_context(Register.open(settings.register_config))
        yield Runtime(settings=settings, ledger=ledger, register=register)


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
