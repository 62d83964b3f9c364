"""What a lookalike platform brings to the product: settings, capabilities, client, sandbox.

Each platform lives in one folder, ``audiences/<platform>/``, and describes
itself with one :class:`Platform`; :mod:`audiences.registry` lists them. Nothing
outside a platform's folder names the platform: the pipeline asks the
registry, and talks to every platform through this interface and
:class:`~audiences.destination.Destination`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from audiences.destination import Destination, LookalikeSize
from audiences.identity import NormalisationProfile

SANDBOX_CHOICE = "sandbox"
"""The base URL value that chooses a platform's built-in sandbox."""


class PlatformSettings(BaseModel):
    """A platform's settings section (``[<platform>]`` in TOML); subclasses add the fields.

    Every platform names the same three things, whatever its own words for
    them: the base URL, the access token and the ad account (``url_field``,
    ``token_field``, ``account_field``).
    """

    model_config = ConfigDict(extra="forbid")

    url_field: ClassVar[str]
    token_field: ClassVar[str]
    account_field: ClassVar[str]

    access_token_block: str | None = Field(
        default=None,
        description=(
            "Name of a Prefect Secret block holding the access token, read at run time "
            "when no token is set (never a flow parameter)."
        ),
    )

    @property
    def api_url(self) -> str:
        """Where the platform's API is (``sandbox`` when the sandbox is chosen)."""
        return str(getattr(self, self.url_field))

    @property
    def token(self) -> SecretStr | None:
        """The access token, if configured."""
        token: SecretStr | None = getattr(self, self.token_field)
        return token

    @property
    def account(self) -> str | None:
        """The ad account configured, if any (normalised)."""
        account: str | None = getattr(self, self.account_field)
        return account

    @property
    def sandbox_chosen(self) -> bool:
        """Whether the platform's built-in sandbox was chosen instead of the platform."""
        return self.api_url == SANDBOX_CHOICE

    def reaching(self, *, base_url: str, token: str, account: str) -> Self:
        """These settings pointed at ``base_url`` with ``token`` on ``account``."""
        return self.model_copy(
            update={
                self.url_field: base_url,
                self.token_field: SecretStr(token),
                self.account_field: account,
            }
        )

    def on_account(self, account: str) -> Self:
        """These settings for one ad account."""
        return self.model_copy(update={self.account_field: account})


@dataclass(frozen=True)
class SandboxKnobs:
    """How an embedded sandbox behaves: delays and the platform's harsher rules."""

    match_delay_seconds: float = 1.0
    lookalike_delay_seconds: float = 1.0
    refuse_seed_delete_with_lookalikes: bool = False
    removal_floor: int = 0
    session_timeout_seconds: float | None = None


@dataclass(frozen=True)
class EmbeddedSandbox:
    """A sandbox started in this process: where it listens and the token it accepts."""

    url: str
    access_token: str
    stop: Callable[[], None]


@dataclass(frozen=True)
class Platform:
    """One lookalike platform, as the pipeline sees it."""

    name: str
    title: str
    """How people name it: "Meta"."""
    settings_model: type[PlatformSettings]
    profile: NormalisationProfile
    max_batch_size: int
    min_seed_size: int
    """Fewest people a seed needs for a lookalike."""
    lookalike_sizes: str
    """The lookalike sizes the platform accepts, in words (for messages and docs)."""
    check_lookalike_size: Callable[[LookalikeSize, LookalikeSize], LookalikeSize]
    """The size as the platform takes it, from the size asked (a field left unset means
    the default) and the settings' default; ``ValueError`` naming the rule otherwise."""
    check_account: Callable[[str], str]
    """An ad account id as the platform takes it; ``ValueError`` naming the format otherwise."""
    show_account: Callable[[str], str]
    """An ad account id as people see it in the platform's UI (``act_123``)."""
    sandbox_account: str
    """The ad account the built-in sandbox serves."""
    open: Callable[[Any], Destination]
    """A destination on the platform from complete settings (token and account set)."""
    start_sandbox: Callable[[SandboxKnobs], EmbeddedSandbox]
    sandbox_command: Callable[..., None]
    """The ``audience-export sandbox`` command that serves this platform's sandbox."""
    lookalike_ratios: tuple[float, ...] = ()
    """Every lookalike ratio the platform accepts, if it sizes by ratio (the run form's choices)."""
    lookalike_words: tuple[str, ...] = ()
    """Every lookalike size word the platform accepts, if it sizes by word."""
    check_country: Callable[[str], str] = str
    """A lookalike country the platform can target; ``ValueError`` naming the rule otherwise."""
    audience_manager_url: Callable[[str], str] | None = None
    """The page of the platform's UI listing an ad account's audiences, if it has one."""
