"""The protocol every ad platform implements, and the typed answers it gives.

A destination receives identifiers that are already normalised and hashed by
the platform's :class:`~audiences.identity.NormalisationProfile`; it never sees
a plaintext address. Every method either returns one of the typed results
below or raises :class:`~audiences.errors.DestinationError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from audiences.identity import NormalisationProfile


class MatchState(StrEnum):
    """Where the platform is with matching an uploaded seed."""

    PROCESSING = "processing"
    READY = "ready"
    FLAGGED = "flagged"
    FAILED = "failed"
    """The platform says the upload or the matching failed (the code says why)."""


class LookalikeState(StrEnum):
    """Whether a lookalike audience has been populated."""

    POPULATING = "populating"
    READY = "ready"
    FAILED = "failed"
    """The platform could not build the lookalike (the code says why)."""
    FLAGGED = "flagged"
    """The platform's integrity rules flagged the lookalike."""


@dataclass(frozen=True)
class DeliveryStatus:
    """Whether the platform can deliver ads to an audience; the code in the platform's terms."""

    active: bool
    """The platform reports the audience ready for delivery."""
    code: int
    description: str


@dataclass(frozen=True)
class UploadSession:
    """A multi-batch upload: every batch of one seed list shares it."""

    session_id: str
    """Opaque: the platform's own session id, as text."""
    estimated_total: int


@dataclass(frozen=True)
class BatchReceipt:
    """The platform's answer to one batch of identifiers (counts only)."""

    num_received: int
    num_invalid_entries: int
    created_seed_id: str | None = None
    """The seed this batch created, on a platform that creates seeds from uploaded data."""


@dataclass(frozen=True)
class LookalikeSize:
    """How large a lookalike to build, in the one form its platform takes.

    Meta takes a share of the country's population (``ratio``, 0.01 to 0.20);
    TikTok takes a word (``word``: narrow, balanced or broad). Exactly one is set.
    """

    ratio: float | None = None
    word: str | None = None

    def describe(self) -> str:
        """The size for people: ``2%`` or ``balanced``."""
        if self.ratio is not None:
            return f"{self.ratio * 100:.6g}%"
        return self.word or "unknown"


@dataclass(frozen=True)
class MatchStatus:
    """The platform's view of a seed audience."""

    state: MatchState
    approximate_count_lower_bound: int | None
    approximate_count_upper_bound: int | None
    platform_code: str
    """The platform's own status code, for people (display text only)."""
    description: str
    delivery: DeliveryStatus | None = None
    unknown_code: bool = False
    """``platform_code`` is not in the platform's documented table: shown, logged once."""


@dataclass(frozen=True)
class LookalikeStatus:
    """The platform's view of a lookalike audience."""

    state: LookalikeState
    approximate_count_lower_bound: int | None
    approximate_count_upper_bound: int | None
    platform_code: str
    """The platform's own status code, for people (display text only)."""
    description: str
    delivery: DeliveryStatus | None = None
    unknown_code: bool = False
    """``platform_code`` is not in the platform's documented table: shown, logged once."""


@dataclass(frozen=True)
class DeletionCheck:
    """What the platform answered when asked for a deleted audience.

    ``verified`` is true only when the platform itself says the object no
    longer exists; ``platform_answer`` is that answer, for the ledger.
    """

    verified: bool
    platform_answer: str


class AudienceKind(StrEnum):
    """What an audience found on the platform is, in the product's words."""

    SEED = "seed"
    """A customer-list audience (Meta: ``CUSTOM``)."""
    LOOKALIKE = "lookalike"
    OTHER = "other"


@dataclass(frozen=True)
class AudienceRef:
    """An audience found on the platform by listing the ad account."""

    audience_id: str
    name: str
    kind: AudienceKind


@runtime_checkable
class Destination(Protocol):
    """One ad platform account, as the pipeline needs it."""

    @property
    def name(self) -> str:
        """Short platform name used in the ledger, e.g. ``"meta"``."""
        ...

    @property
    def profile(self) -> NormalisationProfile:
        """How this platform wants identifiers normalised and hashed."""
        ...

    @property
    def max_batch_size(self) -> int:
        """Most identifiers the platform accepts in one request."""
        ...

    @property
    def session_window_seconds(self) -> float:
        """How long an upload session lives after its first batch unless closed."""
        ...

    def credential_identity(self) -> str:
        """Who the credentials act as (a user id), for endpoint binding; never a secret."""
        ...

    def check_terms(self) -> None:
        """Raise ``TERMS_NOT_ACCEPTED`` unless the ad account accepted the audience terms."""
        ...

    def create_seed(self, *, name: str, description: str) -> str | None:
        """Check the terms, then create an empty customer-list audience; return its id.

        ``None`` on a platform that creates a seed only from uploaded data: the
        session started with ``seed_name`` creates it with its closing batch,
        whose receipt carries the new id (``BatchReceipt.created_seed_id``).
        """
        ...

    def list_audiences(self) -> list[AudienceRef]:
        """Every audience on the ad account (to find seeds a crash left unrecorded)."""
        ...

    def start_session(self, *, estimated_total: int, seed_name: str = "") -> UploadSession:
        """Open a new multi-batch upload session.

        ``seed_name`` names the seed the session creates, on a platform whose
        ``create_seed`` returned ``None``.
        """
        ...

    def upload_batch(
        self,
        audience_id: str | None,
        hashes: Sequence[str],
        *,
        session: UploadSession,
        batch_seq: int,
        last_batch: bool,
    ) -> BatchReceipt:
        """Add one batch of hashed identifiers to a seed within a session.

        ``audience_id`` is ``None`` while a seed that the session creates does
        not exist yet (see :meth:`create_seed`).
        """
        ...

    def remove_batch(self, audience_id: str, hashes: Sequence[str]) -> BatchReceipt:
        """Remove hashed identifiers from a seed."""
        ...

    def match_status(self, audience_id: str) -> MatchStatus:
        """Read how far the platform is with matching a seed."""
        ...

    def create_lookalike(
        self, *, seed_id: str, name: str, country: str, size: LookalikeSize
    ) -> str:
        """Create a lookalike of a matched seed; return its id."""
        ...

    def lookalike_status(self, audience_id: str) -> LookalikeStatus:
        """Read whether a lookalike has been populated."""
        ...

    def delete_audience(self, audience_id: str) -> None:
        """Ask the platform to delete an audience."""
        ...

    def verify_deleted(self, audience_id: str) -> DeletionCheck:
        """Ask the platform whether the audience still exists."""
        ...
