"""Everything one flow run works with: the open ledger and register, and the bound destination.

Built once from the settings at the edge (a flow, or the command line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr

from audiences.destination import Destination
from audiences.endpoint import Endpoint, environment_of
from audiences.ledger import ExportRecord, Ledger
from audiences.meta.client import MetaDestination
from audiences.meta.config import MetaConfig
from objections.register import Register
from pipelines.embedded import embedded_sandbox
from pipelines.lifecycle import Lifecycle
from pipelines.settings import ENV_PREFIX, EXPORT_PLATFORMS, SANDBOX_CHOICE, Settings
from pipelines.spool import SpoolStore
from pipelines.stores import open_ledger, open_register

DESTINATIONS = EXPORT_PLATFORMS

ENDPOINT_SETTINGS = {
    "platform": "the export's destination",
    "environment": f"{ENV_PREFIX}META_GRAPH_URL (or --sandbox)",
    "base_url": f"{ENV_PREFIX}META_GRAPH_URL",
    "ad_account": f"{ENV_PREFIX}META_AD_ACCOUNT",
    "credential": f"{ENV_PREFIX}META_ACCESS_TOKEN",
}
"""The setting to change when an endpoint field differs from an export's."""


class ConfigurationError(Exception):
    """A setting or parameter is missing or invalid; nothing was sent anywhere."""


def check_destination(settings: Settings, name: str, ad_account: str | None = None) -> None:
    """Refuse an unknown destination, or production Meta without its settings.

    Each missing setting is named; the sandbox is suggested, never assumed.
    """
    if name not in DESTINATIONS:
        raise ConfigurationError(
            f"unknown destination {name!r}; known destinations: {', '.join(DESTINATIONS)}"
        )
    if settings.uses_sandbox:
        return
    missing = []
    if settings.meta.access_token is None:
        missing.append(f"{ENV_PREFIX}META_ACCESS_TOKEN (meta.access_token)")
    if (ad_account or settings.meta.ad_account) is None:
        missing.append(f"{ENV_PREFIX}META_AD_ACCOUNT (meta.ad_account, or --ad-account)")
    if missing:
        raise ConfigurationError(
            f"Meta ({settings.meta.graph_url}) is not configured: set "
            + ", ".join(missing)
            + f"; to use the built-in sandbox instead, pass --sandbox or set "
            f"{ENV_PREFIX}META_GRAPH_URL={SANDBOX_CHOICE}"
        )


def meta_config(settings: Settings, ad_account: str) -> MetaConfig:
    """The Meta configuration for one ad account; the embedded sandbox when chosen."""
    check_destination(settings, "meta", ad_account)
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


@dataclass(frozen=True)
class BoundDestination:
    """A destination and the endpoint identity every export through it is bound to."""

    destination: Destination
    endpoint: Endpoint


def open_destination(
    settings: Settings, name: str, ad_account: str, *, identify: bool = True
) -> BoundDestination:
    """The destination an export or the reconciler talks to, with its endpoint identity.

    Asks the platform who the credentials act as (one read): a token that does
    not work stops here, before anything is created or deleted. A dry run,
    which sends nothing at all, passes ``identify=False``.
    """
    check_destination(settings, name, ad_account)
    config = meta_config(settings, ad_account)
    assert config.ad_account is not None  # checked above
    destination = MetaDestination(config)
    endpoint = Endpoint(
        platform=name,
        environment=environment_of(config.graph_url),
        base_url=config.graph_url,
        ad_account=config.ad_account,
        credential=destination.credential_identity() if identify else "not checked (dry run)",
    )
    return BoundDestination(destination, endpoint)


@dataclass(frozen=True)
class Runtime:
    """The open ledger and register of one flow run."""

    settings: Settings
    ledger: Ledger
    register: Register

    def lifecycle(
        self,
        bound: BoundDestination,
        *,
        lease_owner: str | None = None,
        on_stopped_run: Callable[[ExportRecord], None] | None = None,
        spools: SpoolStore | None = None,
    ) -> Lifecycle:
        """The post-upload steps against one bound destination.

        ``lease_owner`` is the export's own runner; the reconciler passes none and
        so never touches an export whose lease is live.
        """
        return Lifecycle(
            ledger=self.ledger,
            destination=bound.destination,
            endpoint=bound.endpoint,
            clock=utc_now,
            lease_owner=lease_owner,
            on_stopped_run=on_stopped_run,
            seed_delete_refused=self.settings.export.seed_delete_refused,
            spools=spools,
        )


@contextmanager
def open_runtime(settings: Settings) -> Iterator[Runtime]:
    """Open the ledger and the register (running their migrations)."""
    with open_ledger(settings) as ledger, open_register(settings) as register:
        yield Runtime(settings=settings, ledger=ledger, register=register)


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
