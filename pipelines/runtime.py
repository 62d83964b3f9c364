"""Everything one flow run works with: the open ledger and register, and the bound destination.

Built once from the settings at the edge (a flow, or the command line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from audiences.destination import Destination
from audiences.endpoint import Endpoint, Environment, environment_of
from audiences.ledger import ExportRecord, Ledger
from audiences.platform import SANDBOX_CHOICE, PlatformSettings
from audiences.registry import UnknownPlatform, platform
from objections.register import Register
from pipelines.embedded import embedded_sandbox
from pipelines.errors import ConfigurationError
from pipelines.lifecycle import Lifecycle
from pipelines.settings import ENV_PREFIX, Settings
from pipelines.spool import SpoolStore
from pipelines.stores import open_ledger, open_register


def variable(platform_name: str, field: str) -> str:
    """The environment variable of a platform setting: ``AUDIENCE_EXPORT_META_GRAPH_URL``."""
    return f"{ENV_PREFIX}{platform_name.upper()}_{field.upper()}"


def settings_to_change(platform_name: str, differences: list[str]) -> list[str]:
    """The settings behind the endpoint fields that differ from an export's."""
    model = platform(platform_name).settings_model
    fields = {
        "environment": model.url_field,
        "base_url": model.url_field,
        "ad_account": model.account_field,
        "credential": model.token_field,
    }
    return sorted({variable(platform_name, fields[name]) for name in differences if name in fields})


def check_destination(settings: Settings, name: str, ad_account: str | None = None) -> None:
    """Refuse an unknown destination, or a production platform without its settings.

    Each missing setting is named; the sandbox is suggested, never assumed.
    """
    try:
        chosen = platform(name)
    except UnknownPlatform as error:
        raise ConfigurationError(str(error)) from None
    section = settings.platform_settings(name)
    if section.sandbox_chosen:
        return
    model = chosen.settings_model
    missing = []
    if section.token is None:
        missing.append(f"{variable(name, model.token_field)} ({name}.{model.token_field})")
    if (ad_account or section.account) is None:
        missing.append(
            f"{variable(name, model.account_field)} ({name}.{model.account_field}, or --ad-account)"
        )
    if missing:
        raise ConfigurationError(
            f"{chosen.title} ({section.api_url}) is not configured: set "
            + ", ".join(missing)
            + "; to use the built-in sandbox instead, pass --sandbox or set "
            f"{variable(name, model.url_field)}={SANDBOX_CHOICE}"
        )


def environment_of_settings(settings: Settings, name: str | None = None) -> Environment:
    """Whether a platform's configured endpoint is a sandbox, before anything is opened."""
    section = settings.platform_settings(name or settings.export.destination)
    return Environment.SANDBOX if section.sandbox_chosen else environment_of(section.api_url)


def reachable_settings(settings: Settings, name: str, ad_account: str) -> PlatformSettings:
    """A platform's settings for one ad account, pointed at the embedded sandbox when chosen."""
    check_destination(settings, name, ad_account)
    section = settings.platform_settings(name)
    if section.sandbox_chosen:
        server = embedded_sandbox(platform(name), settings.sandbox)
        return section.reaching(base_url=server.url, token=server.access_token, account=ad_account)
    return section.on_account(ad_account)


@dataclass(frozen=True)
class BoundDestination:
    """A destination and the endpoint identity every export through it is bound to."""

    destination: Destination
    endpoint: Endpoint

    def identified(self) -> BoundDestination:
        """This binding with the credential identity read from the platform (one read)."""
        credential = self.destination.credential_identity()
        return replace(self, endpoint=replace(self.endpoint, credential=credential))


def open_destination(
    settings: Settings, name: str, ad_account: str, *, identify: bool = True
) -> BoundDestination:
    """The destination an export or the reconciler talks to, with its endpoint identity.

    Asks the platform who the credentials act as (one read): a token that does
    not work stops here, before anything is created or deleted. A dry run,
    which sends nothing at all, passes ``identify=False``.
    """
    section = reachable_settings(settings, name, ad_account)
    unchecked = BoundDestination(
        platform(name).open(section),
        Endpoint(
            platform=name,
            environment=environment_of(section.api_url),
            base_url=section.api_url,
            ad_account=ad_account,
            credential="not checked (dry run)",
        ),
    )
    return unchecked.identified() if identify else unchecked


@dataclass(frozen=True)
class Runtime:
    """The open ledger and register of one flow run."""

    settings: Settings
    ledger: Ledger
    register: Register

    def spools(self) -> SpoolStore:
        """The encrypted spools: keys in the ledger, ciphertext in the data folder."""
        return SpoolStore(self.ledger, self.settings.home / "spool")

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
