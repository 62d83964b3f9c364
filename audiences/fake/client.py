"""The fake destination: the whole protocol in memory, with knobs for every kind of trouble.

In the spirit of dlt's dummy destination: no network, state shared by every
instance on the same account in this process (so the export flow and the
reconciler see the same audiences), and fault knobs — transient errors, rate
limits, refused deletions, slow matching. The contract suite runs against it
as against every real platform; a deliberately broken variant must fail it.
"""

from __future__ import annotations

import itertools
import random
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from audiences.destination import (
    AudienceKind,
    AudienceRef,
    BatchReceipt,
    DeletionCheck,
    LookalikeSize,
    LookalikeState,
    LookalikeStatus,
    MatchState,
    MatchStatus,
    UploadSession,
)
from audiences.errors import DestinationError, ErrorKind
from audiences.identity import NormalisationProfile, trim_and_lowercase
from audiences.retry import BackoffPolicy, call_with_retry

MAX_BATCH_SIZE = 10_000
RETRIES = BackoffPolicy(max_attempts=8, base_seconds=0.001, max_seconds=0.01)
SESSION_WINDOW_SECONDS = 3600.0
_HASH = re.compile(r"^[0-9a-f]{64}$")
FAKE_PROFILE = NormalisationProfile(
    platform="fake",
    schema="EMAIL_SHA256",
    normalise=trim_and_lowercase,
    source="the fake platform: trim and lower-case, like the platforms it stands in for",
)


@dataclass
class Knobs:
    """The trouble the fake platform makes (all off by default)."""

    transient_rate: float = 0.0
    """Share of calls failing with a transient error (nothing done)."""
    rate_limited_calls: int = 0
    """The next this-many calls are refused as rate limited (wait 0 s)."""
    refuse_deletion_with_lookalikes: bool = False
    match_seconds: float = 0.0
    """How long a seed is "processing" after its last upload."""
    seed: int | None = None


@dataclass
class _Audience:
    audience_id: str
    name: str
    kind: AudienceKind
    origin: str | None = None
    members: set[str] = field(default_factory=set)
    last_upload: float = 0.0
    deleted: bool = False


@dataclass
class FakeAccount:
    """One ad account of the fake platform: its audiences and knobs."""

    knobs: Knobs = field(default_factory=Knobs)
    audiences: dict[str, _Audience] = field(default_factory=dict)
    wiretap: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Every valid hash each audience was sent, in order: ``added`` and ``removed``."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


_ACCOUNTS: dict[str, FakeAccount] = {}
_ACCOUNTS_LOCK = threading.Lock()


def fake_account(account: str) -> FakeAccount:
    """The process-wide state of one fake ad account (tests read and turn its knobs)."""
    with _ACCOUNTS_LOCK:
        return _ACCOUNTS.setdefault(account, FakeAccount())


class FakeDestination:
    """:class:`~audiences.destination.Destination` in memory."""

    def __init__(self, account: str) -> None:
        self._account = fake_account(account)
        self._random = random.Random(self._account.knobs.seed)  # noqa: S311 - fault injection

    @property
    def name(self) -> str:
        return "fake"

    @property
    def profile(self) -> NormalisationProfile:
        return FAKE_PROFILE

    @property
    def max_batch_size(self) -> int:
        return MAX_BATCH_SIZE

    @property
    def session_window_seconds(self) -> float:
        return SESSION_WINDOW_SECONDS

    def credential_identity(self) -> str:
        self._trouble()
        return "fake user 1"

    def check_terms(self) -> None:
        self._trouble()

    def create_seed(self, *, name: str, description: str) -> str:
        self._trouble()
        return self._add(name, AudienceKind.SEED)

    def list_audiences(self) -> list[AudienceRef]:
        self._trouble()
        with self._account.lock:
            return [
                AudienceRef(audience.audience_id, audience.name, audience.kind)
                for audience in self._account.audiences.values()
                if not audience.deleted
            ]

    def start_session(self, *, estimated_total: int, seed_name: str = "") -> UploadSession:
        return UploadSession(session_id=secrets.token_hex(8), estimated_total=estimated_total)

    def upload_batch(
        self,
        audience_id: str | None,
        hashes: Sequence[str],
        *,
        session: UploadSession,
        batch_seq: int,
        last_batch: bool,
    ) -> BatchReceipt:
        self._trouble()
        if audience_id is None:
            raise ValueError("the fake platform uploads to a seed created beforehand")
        audience = self._live(audience_id)
        valid = [value for value in hashes if _HASH.match(value)]
        with self._account.lock:
            audience.members.update(valid)
            audience.last_upload = time.monotonic()
            self._tap(audience_id)["added"].extend(valid)
        return BatchReceipt(len(hashes), len(hashes) - len(valid))

    def remove_batch(self, audience_id: str, hashes: Sequence[str]) -> BatchReceipt:
        self._trouble()
        audience = self._live(audience_id)
        with self._account.lock:
            audience.members.difference_update(hashes)
            self._tap(audience_id)["removed"].extend(hashes)
        return BatchReceipt(len(hashes), 0)

    def match_status(self, audience_id: str) -> MatchStatus:
        self._trouble()
        audience = self._live(audience_id)
        waited = time.monotonic() - audience.last_upload
        if waited < self._account.knobs.match_seconds:
            return MatchStatus(MatchState.PROCESSING, None, None, "processing", "matching")
        size = len(audience.members)
        return MatchStatus(MatchState.READY, size, size + 1, "ready", "matched")

    def create_lookalike(
        self, *, seed_id: str, name: str, country: str, size: LookalikeSize
    ) -> str:
        self._trouble()
        self._live(seed_id)
        return self._add(name, AudienceKind.LOOKALIKE, origin=seed_id)

    def lookalike_status(self, audience_id: str) -> LookalikeStatus:
        self._trouble()
        self._live(audience_id)
        return LookalikeStatus(LookalikeState.READY, 10_000, 12_000, "ready", "ready")

    def delete_audience(self, audience_id: str) -> None:
        self._trouble()
        with self._account.lock:
            audience = self._account.audiences.get(audience_id)
            if audience is None or audience.deleted:
                return
            if self._account.knobs.refuse_deletion_with_lookalikes and any(
                other.origin == audience_id and not other.deleted
                for other in self._account.audiences.values()
            ):
                raise DestinationError(
                    f"Deleting audience {audience_id} failed: it has lookalikes",
                    kind=ErrorKind.DELETION_REFUSED,
                )
            audience.deleted = True
            audience.members.clear()

    def verify_deleted(self, audience_id: str) -> DeletionCheck:
        self._trouble()
        with self._account.lock:
            audience = self._account.audiences.get(audience_id)
            gone = audience is None or audience.deleted
        answer = "the fake platform holds no such audience" if gone else "still there"
        return DeletionCheck(gone, answer)

    def _add(self, name: str, kind: AudienceKind, origin: str | None = None) -> str:
        with self._account.lock:
            audience_id = f"{next(self._account.ids):012d}"
            self._account.audiences[audience_id] = _Audience(audience_id, name, kind, origin)
        return audience_id

    def _tap(self, audience_id: str) -> dict[str, list[str]]:
        return self._account.wiretap.setdefault(audience_id, {"added": [], "removed": []})

    def _live(self, audience_id: str) -> _Audience:
        with self._account.lock:
            audience = self._account.audiences.get(audience_id)
        if audience is None or audience.deleted:
            raise DestinationError(
                f"audience {audience_id} does not exist on the fake platform",
                kind=ErrorKind.NOT_FOUND,
            )
        return audience

    def _trouble(self) -> None:
        """Inject the knobs' faults; retried here as a real client retries (nothing was done)."""
        call_with_retry(
            self._maybe_fail,
            policy=RETRIES,
            what="a call to the fake platform",
            sleep=time.sleep,
            jitter=self._random.random,
        )

    def _maybe_fail(self) -> None:
        knobs = self._account.knobs
        with self._account.lock:
            limited = knobs.rate_limited_calls > 0
            if limited:
                knobs.rate_limited_calls -= 1
        if limited:
            raise DestinationError(
                "the fake platform is rate limiting",
                kind=ErrorKind.RATE_LIMITED,
                retry_after_seconds=0.0,
            )
        if knobs.transient_rate and self._random.random() < knobs.transient_rate:
            raise DestinationError("the fake platform hiccupped", kind=ErrorKind.TRANSIENT)
