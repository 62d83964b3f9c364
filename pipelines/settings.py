"""The one settings object, loaded once at the edge (CLI, flow entry).

Sources, highest priority first: environment variables
(``AUDIENCE_EXPORT_<SECTION>_<FIELD>``, e.g. ``AUDIENCE_EXPORT_META_ACCESS_TOKEN``),
then the TOML file named by ``--config`` or ``AUDIENCE_EXPORT_CONFIG``, then
the embedded defaults, which put everything in the data folder
``AUDIENCE_EXPORT_HOME`` (default ``./.audience-export``): a SQLite demo
source, SQLite register and ledger; the platforms' sandboxes only when chosen.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pycountry
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from audiences.destination import LookalikeSize
from audiences.platform import SANDBOX_CHOICE, PlatformSettings
from audiences.registry import PLATFORMS, platform
from objections.config import RegisterConfig
from pipelines.console.settings import ConsoleSettings, SmtpSettings
from pipelines.errors import ConfigurationError

ENV_PREFIX = "AUDIENCE_EXPORT_"
CONFIG_FILE_VARIABLE = f"{ENV_PREFIX}CONFIG"
DEFAULT_HOME = Path(".audience-export")
EXPORT_PLATFORMS = tuple(PLATFORMS)
"""Every ad platform the product can export to (objection scopes name one of these)."""


class SettingsError(ConfigurationError):
    """The configuration (file or environment) is invalid; the message names every problem."""


class Section(BaseModel):
    """A settings section: unknown keys are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class SourceSettings(Section):
    """The account database the export reads from."""

    url: str | None = Field(
        default=None,
        description=(
            "sqlite:///path, postgresql://…, or a .parquet/.csv file or folder; "
            "default: the demo SQLite database in the data folder."
        ),
    )
    query: str | None = Field(
        default=None,
        description="Eligibility query returning (account_id, email); default: built-in rule.",
    )
    batch_rows: int = Field(
        default=50_000, ge=100, le=1_000_000, description="Rows per Arrow batch read."
    )


class ObjectionsSettings(Section):
    """The objection register (see ``objections.config.RegisterConfig``)."""

    url: str | None = Field(
        default=None, description="Default: register.sqlite in the data folder."
    )
    key_file: Path | None = Field(
        default=None, description="Default: register-keys.json in the data folder."
    )
    encryption_key: SecretStr | None = None
    index_key: SecretStr | None = None
    allow_empty: bool = Field(
        default=False,
        description="Export against a register that has never held an objection (first run).",
    )
    accept_identity: str | None = Field(
        default=None,
        description=(
            "Acknowledge a register whose identity differs from the last export's "
            "(the new identity, as `objections stats` shows it)."
        ),
    )


class LedgerSettings(Section):
    """The audience ledger."""

    url: str | None = Field(default=None, description="Default: ledger.sqlite in the data folder.")


class ExportSettings(Section):
    """Defaults of every export; flow parameters override them per run."""

    destination: str = Field(default=next(iter(PLATFORMS)), description="Ad platform to export to.")
    country: str = Field(default="FR", description="ISO 3166-1 alpha-2 country of the lookalike.")
    ratio: float = Field(
        default=0.01,
        description=(
            "Lookalike size on platforms that size by a share of the country's population "
            "(Meta: 0.01 to 0.20; see its RULES.md)."
        ),
    )
    size: str = Field(
        default="balanced",
        description=(
            "Lookalike size on platforms that size by a word (TikTok: narrow, balanced or "
            "broad; see its RULES.md)."
        ),
    )
    max_seed_age_hours: float = Field(
        default=48.0, gt=0, le=24 * 30, description="Delete a seed this long after creation."
    )
    poll_seconds: float = Field(
        default=2.0, gt=0, description="Wait between status checks of the platform."
    )
    wait_for_match_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How long a run waits for matching before leaving it to the reconciler.",
    )

    upload_batch_size: int = Field(
        default=10_000,
        ge=1,
        description="Hashes per upload request; capped at the platform's limit.",
    )
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "A running export holds a lease this long, renewed by a heartbeat; once it "
            "has expired the export is taken to have stopped and its seed is deleted."
        ),
    )
    lease_renew_seconds: float = Field(
        default=10.0, gt=0, description="How often a running export renews its lease."
    )
    seed_delete_refused: Literal["empty", "delete-lookalike"] = Field(
        default="empty",
        description=(
            "When the platform refuses to delete a seed that has lookalikes: remove every "
            "uploaded member from the seed (the lookalike keeps working), or delete the "
            "lookalike too."
        ),
    )

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        return validate_country(value)

    @property
    def default_size(self) -> LookalikeSize:
        """The lookalike size of an export that asks for none (each platform picks its form)."""
        return LookalikeSize(ratio=self.ratio, word=self.size)

    @field_validator("ratio")
    @classmethod
    def _ratio_every_platform_takes(cls, value: float) -> float:
        """A default ratio every platform that sizes by ratio takes (runs choose the platform)."""
        for chosen in PLATFORMS.values():
            if not chosen.lookalike_words:
                chosen.check_lookalike_size(LookalikeSize(ratio=value), LookalikeSize())
        return value

    @field_validator("size")
    @classmethod
    def _word_every_platform_takes(cls, value: str) -> str:
        """A default size word every platform that sizes by word takes."""
        for chosen in PLATFORMS.values():
            if chosen.lookalike_words:
                checked = chosen.check_lookalike_size(LookalikeSize(word=value), LookalikeSize())
                value = checked.word or value
        return value


class LegalSettings(Section):
    """Why exporting to one platform is lawful: ``[legal.<platform>]`` in TOML.

    In the environment, one JSON object per platform:
    ``AUDIENCE_EXPORT_LEGAL_META='{"basis": "legitimate_interest", ...}'``.
    """

    basis: Literal["legitimate_interest", "consent"] | None = Field(
        default=None, description="The lawful basis: legitimate_interest or consent."
    )
    assessment_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The legitimate-interest assessment or DPIA (id or URL).",
    )
    notice_version: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The version of the privacy notice in force.",
    )
    notice_recipients: list[str] = Field(
        default_factory=list, description="The platforms that notice names as recipients."
    )
    consent_column: str = Field(
        default="ad_consent",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$",
        description="Under consent: the boolean column of accounts that holds it.",
    )
    consent_in_query: bool = Field(
        default=False,
        description="Under consent with a custom source.query: the query applies consent itself.",
    )


class NotifySettings(Section):
    """Where people are told (``audience-export prefect setup``)."""

    webhook_url: SecretStr | None = Field(
        default=None, description="Webhook notified of failures, overdue seeds, ready lookalikes."
    )


class SandboxSettings(Section):
    """How the in-process sandboxes behave when chosen (``--sandbox``)."""

    match_delay_seconds: float = Field(default=1.0, ge=0, description="Matching time.")
    lookalike_delay_seconds: float = Field(default=1.0, ge=0, description="Lookalike time.")
    refuse_seed_delete_with_lookalikes: bool = Field(
        default=False, description="Refuse to delete a seed with a live lookalike (error 2656)."
    )
    removal_floor: int = Field(
        default=0, ge=0, description="Refuse removals leaving fewer members (200/1870047)."
    )
    session_timeout_seconds: float | None = Field(
        default=None, gt=0, description="End unflagged upload sessions this long after their start."
    )


class CoreSettings(BaseSettings):
    """Everything audience-export needs to run, resolved once; :data:`Settings` adds a
    section per platform of the registry (``[meta]``, …)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
    )

    home: Path = Field(default=DEFAULT_HOME, description="Data folder of the embedded defaults.")
    source: SourceSettings = SourceSettings()
    objections: ObjectionsSettings = ObjectionsSettings()
    ledger: LedgerSettings = LedgerSettings()
    export: ExportSettings = ExportSettings()
    sandbox: SandboxSettings = SandboxSettings()
    notify: NotifySettings = NotifySettings()
    console: ConsoleSettings = ConsoleSettings()
    smtp: SmtpSettings = SmtpSettings()
    legal: dict[str, LegalSettings] = Field(
        default_factory=dict, description="Lawful basis per platform."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init arguments; the environment beats it.
        return env_settings, init_settings

    # Resolved locations of the embedded defaults.

    @property
    def source_url(self) -> str:
        """Where accounts are read from."""
        return self.source.url or sqlite_url(self.home / "accounts.sqlite")

    @property
    def ledger_url(self) -> str:
        """Where the audience ledger lives."""
        return self.ledger.url or sqlite_url(self.home / "ledger.sqlite")

    @property
    def register_config(self) -> RegisterConfig:
        """The objection register's own configuration."""
        return RegisterConfig(
            url=self.objections.url or sqlite_url(self.home / "register.sqlite"),
            platforms=frozenset(PLATFORMS),
            key_file=self.objections.key_file or self.home / "register-keys.json",
            encryption_key=self.objections.encryption_key,
            index_key=self.objections.index_key,
        )

    def platform_settings(self, name: str) -> PlatformSettings:
        """The settings section of the platform called ``name``.

        A platform registered after the settings were defined (the fake
        destination in tests) runs on its defaults.
        """
        chosen = platform(name)
        section: PlatformSettings | None = getattr(self, chosen.name, None)
        return section if section is not None else chosen.settings_model()

    def sandbox_chosen(self, name: str | None = None) -> bool:
        """Whether the built-in sandbox was chosen for a platform (default: the export's).

        The sandbox is never fallen into: an unconfigured platform means
        production, which then refuses to run without its token and ad account.
        """
        return self.platform_settings(name or self.export.destination).sandbox_chosen

    @property
    def uses_sandbox(self) -> bool:
        """Whether the sandbox was chosen for the default destination."""
        return self.sandbox_chosen()

    def with_sandbox(self) -> CoreSettings:
        """These settings with every platform's sandbox chosen (``--sandbox``, the demo)."""
        return self.model_copy(
            update={
                name: self.platform_settings(name).model_copy(
                    update={platform(name).settings_model.url_field: SANDBOX_CHOICE}
                )
                for name in PLATFORMS
            }
        )


if TYPE_CHECKING:
    Settings = CoreSettings
else:
    Settings = create_model(
        "Settings",
        __base__=CoreSettings,
        __module__=__name__,
        **{
            name: (
                entry.settings_model,
                Field(default_factory=entry.settings_model, description=f"{entry.title}."),
            )
            for name, entry in PLATFORMS.items()
        },
    )
    Settings.__doc__ = CoreSettings.__doc__


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def validate_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased; anything else is refused by name."""
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(
            f"country must be an ISO 3166-1 alpha-2 code such as FR or NL (got {value!r})"
        )
    return code


def load_settings(config_file: Path | None = None) -> Settings:
    """Read the TOML file (if any) and the environment into one ``Settings``.

    Raises :class:`SettingsError` naming every invalid or unknown setting.
    """
    named = os.environ.get(CONFIG_FILE_VARIABLE)
    path = config_file or (Path(named) if named else None)
    file_values: dict[str, Any] = {}
    if path is not None:
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise SettingsError(
                f"cannot read configuration file {path}: {error.strerror}"
            ) from None
        except tomllib.TOMLDecodeError as error:
            raise SettingsError(f"configuration file {path} is not valid TOML: {error}") from None
    try:
        return Settings(**file_values)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error, path)) from None


def describe_validation_error(error: ValidationError, path: Path | None) -> str:
    """One line per problem, naming the setting and, where known, its file."""
    origin = f" in {path}" if path else ""
    lines = [f"invalid configuration{origin}:"]
    for problem in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in problem["loc"]) or "(root)"
        lines.append(f"  {location}: {problem['msg']}")
    return "\n".join(lines)
