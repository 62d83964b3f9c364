"""Lawful by construction: no export without a recorded legal basis for its platform.

The shop platform's policy rests on legitimate interest with a right to
object; another platform may need consent. Every export records the basis, the
assessment that justifies it (legitimate-interest assessment or DPIA) and the
privacy-notice version in force; a production export without them — or to a
platform the notice does not name as a recipient — is refused before anything
is sent. The sandbox, which reaches no real platform, runs on demo values that
say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from audiences.endpoint import Environment
from pipelines.errors import ConfigurationError
from pipelines.settings import ENV_PREFIX, LegalSettings, Settings
from pipelines.sources import DEFAULT_QUERY

DEMO_REFERENCE = "DEMO: sandbox only, no assessment"
DEMO_NOTICE = "DEMO: sandbox only"


class LegalBasisMissing(ConfigurationError):
    """The platform's legal basis is not configured well enough to export; nothing was sent."""


@dataclass(frozen=True)
class LegalBasis:
    """The basis an export relies on, as the ledger records it."""

    basis: str
    assessment_reference: str
    notice_version: str
    consent_column: str | None = None
    """Under consent: the column the eligibility rule requires to be true."""
    consent_in_query: bool = False

    @property
    def is_demo(self) -> bool:
        """Whether these are the sandbox's demo values."""
        return self.assessment_reference == DEMO_REFERENCE


def legal_basis(settings: Settings, platform: str, environment: Environment) -> LegalBasis:
    """The configured basis for ``platform``; demo values for a sandbox left unconfigured.

    Raises :class:`LegalBasisMissing` naming every missing setting, or the
    platform missing from the notice's recipients.
    """
    configured = settings.legal.get(platform)
    if configured is None and environment is Environment.SANDBOX:
        return LegalBasis("legitimate_interest", DEMO_REFERENCE, DEMO_NOTICE)
    configured = configured or LegalSettings()
    prefix = f"legal.{platform}"
    missing = [
        f"{prefix}.{name}"
        for name in ("basis", "assessment_reference", "notice_version")
        if getattr(configured, name) is None
    ]
    if missing:
        raise LegalBasisMissing(
            f"no lawful basis for exporting to {platform}: set {', '.join(missing)} (TOML "
            f"[legal.{platform}], or {ENV_PREFIX}LEGAL_{platform.upper()} as a JSON object)"
        )
    assert configured.basis is not None  # checked above
    assert configured.assessment_reference is not None
    assert configured.notice_version is not None
    recipients = {name.strip().lower() for name in configured.notice_recipients}
    if platform not in recipients:
        raise LegalBasisMissing(
            f"the privacy notice {configured.notice_version} does not name {platform} as a "
            f"recipient ({prefix}.notice_recipients = {sorted(recipients)}): update the notice "
            "(and the setting) before exporting there"
        )
    consent = configured.basis == "consent"
    if consent and settings.source.query is not None and not configured.consent_in_query:
        raise LegalBasisMissing(
            f"{prefix}.basis is consent but source.query is a custom query: make the query keep "
            f"only accounts with consent and set {prefix}.consent_in_query = true"
        )
    return LegalBasis(
        configured.basis,
        configured.assessment_reference,
        configured.notice_version,
        consent_column=configured.consent_column if consent else None,
        consent_in_query=configured.consent_in_query,
    )


def eligibility_query(settings: Settings, basis: LegalBasis) -> str | None:
    """The source query for this basis: the default rule plus consent when consent is the basis."""
    if basis.consent_column is None or settings.source.query is not None:
        return settings.source.query
    return f"{DEFAULT_QUERY} AND {basis.consent_column}"


def without_consent_query(settings: Settings, basis: LegalBasis) -> str | None:
    """Eligible accounts left out for lack of consent (default rule only), to count them."""
    if basis.consent_column is None or settings.source.query is not None:
        return None
    return f"{DEFAULT_QUERY} AND NOT COALESCE({basis.consent_column}, FALSE)"
