"""Admit an export, or refuse it before anything is sent and record why.

An unknown destination, a bad country or ratio, production settings missing
(the sandbox is never assumed), an unreachable source, a register that is
missing, empty or not the one the last export used, unusable register keys,
or credentials the platform does not accept (one read: who they act as) all
stop the run with a message that names the problem; :func:`admit_export`
records every such refusal in the ledger as a FAILED export, with the request
as given.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from sqlalchemy.exc import SQLAlchemyError

from audiences.destination import LookalikeSize
from audiences.ledger import AudienceState, ExportRecord, ExportRequest, Ledger, LedgerError
from audiences.registry import PLATFORMS, platform
from objections.register import Register
from pipelines.errors import ConfigurationError, ProductError, is_identifier_free
from pipelines.legal import LegalBasis, eligibility_query, legal_basis
from pipelines.runtime import (
    BoundDestination,
    Runtime,
    check_destination,
    environment_of_settings,
    open_destination,
    variable,
)
from pipelines.settings import (
    ENV_PREFIX,
    Settings,
    validate_country,
)
from pipelines.sources import open_source
from pipelines.stores import open_ledger, open_register

MAX_SEED_AGE_HOURS = 24 * 30


class RunRefused(ProductError):
    """An export was refused before its first platform call; the ledger says why."""

    def __init__(self, record: ExportRecord) -> None:
        super().__init__(
            f"{record.failure_reason} (recorded as failed export {record.export_id} in the ledger)"
        )
        self.record = record


def _form_schema(kind: str, description: str, **rules: object) -> WithJsonSchema:
    """A field's schema for the run form and the Prefect server: type, rules, no ``null``.

    Leaving a field out means the setting. The rules are declared here, for
    the server to refuse a bad run at creation; in this process they are
    checked by :func:`resolve_request`, which records a refusal as given.
    """
    return WithJsonSchema({"type": kind, "description": description, **rules})


def _without_null_defaults(schema: dict[str, Any]) -> None:
    """A form field left empty means the setting: no ``null`` offered as its default."""
    for field in schema["properties"].values():
        if "default" in field and field["default"] is None:
            del field["default"]


def _ratio_rules() -> dict[str, object]:
    """The lookalike ratios the platforms that size by ratio accept, as the form's choices."""
    listed = [entry.lookalike_ratios for entry in PLATFORMS.values() if not entry.lookalike_words]
    if listed and all(listed):
        return {"enum": sorted({ratio for ratios in listed for ratio in ratios})}
    return {"exclusiveMinimum": 0, "maximum": 1}


def _word_rules() -> dict[str, object]:
    """The lookalike size words of the platforms that size by word, as the form's choices."""
    words = sorted({word for entry in PLATFORMS.values() for word in entry.lookalike_words})
    return {"enum": words} if words else {"minLength": 1}


class ExportParameters(BaseModel):
    """An export as asked for — the flow's one parameter and the CLI's options.

    A field left out means the setting. Its JSON schema (the Prefect run form,
    and the server with ``enforce_parameter_schema``) lists the destinations
    and sizes of the registry and bounds the country and seed age, so that a
    bad run is refused at creation. In this process values are checked by
    :func:`resolve_request`, so that a refused request is recorded in the
    ledger as given.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_without_null_defaults)

    destination: Annotated[
        str | None,
        _form_schema("string", "Ad platform; default: the setting.", enum=list(PLATFORMS)),
    ] = None
    ad_account: Annotated[
        str | None, _form_schema("string", "Ad account id; default: the setting.", minLength=1)
    ] = None
    country: Annotated[
        str | None,
        _form_schema(
            "string",
            "ISO 3166-1 alpha-2 country of the lookalike, in capitals, e.g. FR.",
            pattern="^[A-Z]{2}$",
        ),
    ] = None
    ratio: Annotated[
        float | None,
        _form_schema(
            "number",
            "Lookalike size as a share of the country's population, on platforms that size "
            "by ratio (Meta): 0.01 is 1%.",
            **_ratio_rules(),
        ),
    ] = None
    size: Annotated[
        str | None,
        _form_schema(
            "string",
            "Lookalike size as a word, on platforms that size by word (TikTok).",
            **_word_rules(),
        ),
    ] = None
    dry_run: bool = Field(default=False, description="Count what would be uploaded; send nothing.")
    max_seed_age_hours: Annotated[
        float | None,
        _form_schema(
            "number",
            "Delete the seed at the latest this many hours after its creation.",
            exclusiveMinimum=0,
            maximum=MAX_SEED_AGE_HOURS,
        ),
    ] = None


AS_CONFIGURED = ExportParameters()
"""Every field from the settings."""


def resolve_request(settings: Settings, parameters: ExportParameters) -> ExportRequest:
    """Flow parameters over settings defaults, validated."""
    asked = requested(settings, parameters)
    if asked.destination not in PLATFORMS:
        raise ConfigurationError(
            f"unknown destination {asked.destination!r}; known destinations: {', '.join(PLATFORMS)}"
        )
    if parameters.ratio is not None and not math.isfinite(parameters.ratio):
        raise ConfigurationError(f"ratio must be a number (got {parameters.ratio!r})")
    hours = _max_seed_age_hours(settings, parameters)
    if not 0 < hours <= MAX_SEED_AGE_HOURS:
        raise ConfigurationError(
            f"max seed age must be between 0 and {MAX_SEED_AGE_HOURS} hours (got {hours})"
        )
    chosen = platform(asked.destination)
    try:
        country = chosen.check_country(validate_country(asked.country))
        size = chosen.check_lookalike_size(
            LookalikeSize(ratio=parameters.ratio, word=parameters.size),
            settings.export.default_size,
        )
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    check_destination(settings, asked.destination, parameters.ad_account)
    try:
        return ExportRequest(
            destination=asked.destination,
            ad_account=_ad_account(settings, asked.destination, parameters.ad_account),
            country=country,
            size=size,
            dry_run=asked.dry_run,
            max_seed_age=timedelta(hours=hours),
        )
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


def requested(settings: Settings, parameters: ExportParameters) -> ExportRequest:
    """The request as given, settings defaults filled in, not validated.

    This is what the ledger records for a refused run (country ``France``
    stays ``France``); only what the ledger itself cannot store is replaced:
    a seed age that is not positive by the default, a ratio that is not a
    number by 0.
    """
    defaults = settings.export
    hours = _max_seed_age_hours(settings, parameters)
    destination = parameters.destination or defaults.destination
    return ExportRequest(
        destination=destination,
        ad_account=parameters.ad_account or _default_ad_account(settings, destination) or "",
        country=parameters.country or defaults.country,
        size=_size_as_given(settings, parameters, destination),
        dry_run=parameters.dry_run,
        max_seed_age=timedelta(
            hours=hours if 0 < hours <= MAX_SEED_AGE_HOURS else defaults.max_seed_age_hours
        ),
    )


def _size_as_given(
    settings: Settings, parameters: ExportParameters, destination: str
) -> LookalikeSize:
    """The size asked, or the platform's default form of it; a ratio that is no number is 0."""
    ratio = parameters.ratio
    if ratio is not None and not math.isfinite(ratio):
        ratio = 0.0  # the reason names the value as given
    asked = LookalikeSize(ratio=ratio, word=parameters.size)
    if destination in PLATFORMS:
        try:
            return PLATFORMS[destination].check_lookalike_size(asked, settings.export.default_size)
        except ValueError:
            pass
    if asked.ratio is not None or asked.word is not None:
        return asked
    if destination in PLATFORMS and PLATFORMS[destination].lookalike_words:
        return LookalikeSize(word=settings.export.size)
    return LookalikeSize(ratio=settings.export.ratio)


def _max_seed_age_hours(settings: Settings, parameters: ExportParameters) -> float:
    asked = parameters.max_seed_age_hours
    return asked if asked is not None else settings.export.max_seed_age_hours


def _default_ad_account(settings: Settings, destination: str) -> str | None:
    if destination not in PLATFORMS:
        return None
    section = settings.platform_settings(destination)
    if section.account is None and section.sandbox_chosen:
        return PLATFORMS[destination].sandbox_account
    return section.account


def _ad_account(settings: Settings, destination: str, requested_account: str | None) -> str:
    chosen = requested_account or _default_ad_account(settings, destination)
    model = platform(destination).settings_model
    if chosen is None:
        raise ConfigurationError(
            f"no ad account: pass --ad-account or set {variable(destination, model.account_field)}"
        )
    try:
        return platform(destination).check_account(chosen)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


@dataclass(frozen=True)
class AdmittedExport:
    """An export that passed every check: its runtime, validated request and register identity."""

    runtime: Runtime
    request: ExportRequest
    register_identity: str
    bound: BoundDestination
    legal: LegalBasis


def check_register(
    settings: Settings, ledger: Ledger, register: Register, request: ExportRequest
) -> str:
    """The register's identity once it is shown to be *the* register, else a refusal.

    A register that has never held an objection is refused unless
    ``objections.allow_empty`` says a first run is meant; a register whose
    identity differs from the one the last export to this ad account used is
    refused unless ``objections.accept_identity`` names the new identity.
    """
    identity = register.identity
    if not register.has_held_objections and not settings.objections.allow_empty:
        raise ConfigurationError(
            f"the objection register (identity {identity}) has never held an objection: if "
            f"this is the first export, set {ENV_PREFIX}OBJECTIONS_ALLOW_EMPTY=true; otherwise "
            f"{ENV_PREFIX}OBJECTIONS_URL names the wrong register"
        )
    previous = ledger.last_register_identity(request.destination, request.ad_account)
    if previous not in (None, identity) and settings.objections.accept_identity != identity:
        raise ConfigurationError(
            f"the objection register changed: the last export to {request.destination} "
            f"account {request.ad_account} was checked against register {previous}, this one is "
            f"{identity}. If the register was moved on purpose, set "
            f"{ENV_PREFIX}OBJECTIONS_ACCEPT_IDENTITY={identity}; otherwise fix "
            f"{ENV_PREFIX}OBJECTIONS_URL"
        )
    return identity


@contextmanager
def admit_export(settings: Settings, parameters: ExportParameters) -> Iterator[AdmittedExport]:
    """Check everything an export needs before its first platform call, cheapest first.

    The ledger opens first: without it nothing can be recorded, and its
    :class:`LedgerError` names it. Then the parameters, the destination's
    credentials, the source (read-only) and the register: any of those
    failing is recorded by :func:`record_refused_run` and raised as
    :class:`RunRefused`. The source is checked before the register because
    opening the register creates its database: a refused run writes nothing
    but its ledger entry.
    """
    with open_ledger(settings) as ledger, ExitStack() as stack:
        try:
            request = resolve_request(settings, parameters)
            legal = legal_basis(settings, request.destination, environment_of_settings(settings))
            check_source(settings, legal)
            register = stack.enter_context(open_register(settings))
            identity = check_register(settings, ledger, register, request)
            bound = open_destination(
                settings, request.destination, request.ad_account, identify=not request.dry_run
            )
        except LedgerError:
            raise  # the ledger itself failed: nothing can be recorded
        except Exception as error:
            if not is_identifier_free(error):
                raise
            raise RunRefused(record_refused_run(ledger, settings, parameters, str(error))) from None
        yield AdmittedExport(Runtime(settings, ledger, register), request, identity, bound, legal)


def check_export(settings: Settings, parameters: ExportParameters) -> None:
    """:func:`admit_export`, then close everything: the command line's check before Prefect."""
    with admit_export(settings, parameters):
        pass


def record_refused_run(
    ledger: Ledger, settings: Settings, parameters: ExportParameters, reason: str
) -> ExportRecord:
    """The one ledger entry of a refused export: the request as given, FAILED with ``reason``.

    Raises :class:`LedgerError` (still naming ``reason``) when the ledger
    cannot store the request as given.
    """
    try:
        record = ledger.plan_export(requested(settings, parameters))
        return ledger.record(
            record.export_id,
            AudienceState.FAILED,
            reason=f"refused before anything was sent: {reason}",
        )
    except SQLAlchemyError as error:
        raise LedgerError(
            f"{reason} (nothing was sent; the ledger could not record the refused export: "
            f"{type(error).__name__})"
        ) from None


def check_source(settings: Settings, legal: LegalBasis) -> None:
    """Open the source read-only and run its eligibility check; :class:`SourceError` if not."""
    query = eligibility_query(settings, legal)
    with open_source(settings.source_url, query=query, batch_rows=settings.source.batch_rows):
        pass
