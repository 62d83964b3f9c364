"""The TikTok destination: customer-file and lookalike audiences over the Business API.

TikTok creates an audience only from uploaded files, so a seed is made by its
upload session: each batch is uploaded as a customer file, and the closing
batch creates the seed from every file of the session (``create_seed``
returns ``None``; the closing receipt carries the id). Later files are
appended or removed with ``update``. Deletion is verified twice: the list
filtered by the id no longer holds it, and reading it answers "does not
exist" (``RULES.md``, "Deleting and verifying").
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audiences.destination import (
    AudienceRef,
    BatchReceipt,
    DeletionCheck,
    LookalikeSize,
    LookalikeStatus,
    MatchStatus,
    UploadSession,
)
from audiences.errors import DestinationError, ErrorKind
from audiences.identity import NormalisationProfile
from audiences.tiktok.config import TikTokConfig
from audiences.tiktok.errors import translate_shape
from audiences.tiktok.lookalike import LOCATION_IDS
from audiences.tiktok.profile import TIKTOK_EMAIL_PROFILE
from audiences.tiktok.status import audience_kind, lookalike_status, match_status
from audiences.tiktok.transport import BusinessApi, Data
from audiences.tiktok.upload_file import customer_file

CALCULATE_TYPE = "EMAIL_SHA256"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_FILE_PATHS = 500
"""``create`` takes 1 to 500 file paths."""
MAX_IDS = 100
"""``get``, ``list`` and ``delete`` take 1 to 100 audience ids."""
PAGE_SIZE = 100
UPLOAD = "/dmp/custom_audience/file/upload/"
CREATE = "/dmp/custom_audience/create/"
UPDATE = "/dmp/custom_audience/update/"
LOOKALIKE = "/dmp/custom_audience/lookalike/create/"
GET = "/dmp/custom_audience/get/"
LIST = "/dmp/custom_audience/list/"
DELETE = "/dmp/custom_audience/delete/"
USER = "/user/info/"


@dataclass
class _SeedFiles:
    """The files a session uploaded before its seed exists, and the seed's name."""

    seed_name: str
    paths: list[str] = field(default_factory=list)


class TikTokDestination:
    """One TikTok advertiser account as a :class:`~audiences.destination.Destination`."""

    def __init__(self, config: TikTokConfig, api: BusinessApi | None = None) -> None:
        self._config = config
        self._api = api or BusinessApi(config)
        self._sessions: dict[str, _SeedFiles] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "tiktok"

    @property
    def profile(self) -> NormalisationProfile:
        return TIKTOK_EMAIL_PROFILE

    @property
    def max_batch_size(self) -> int:
        return self._config.file_lines

    @property
    def session_window_seconds(self) -> float:
        return math.inf  # TikTok has no upload sessions: files wait for their audience

    def credential_identity(self) -> str:
        """The token's user: ``core_user_id`` of ``/user/info/``."""
        data = self._api.get("Reading who the access token belongs to", USER)
        user = data.get("core_user_id")
        if user in (None, ""):
            raise translate_shape("Reading who the access token belongs to", "core_user_id")
        return f"tiktok user {user}"

    def check_terms(self) -> None:
        """TikTok's customer-file terms are accepted in Ads Manager; the API cannot read them."""

    def create_seed(self, *, name: str, description: str) -> str | None:
        """``None``: TikTok creates the seed from the session's files (see the module)."""
        return None

    def list_audiences(self) -> list[AudienceRef]:
        refs: list[AudienceRef] = []
        page = 1
        while True:
            data = self._api.get(
                "Listing the advertiser's audiences", LIST, {"page": page, "page_size": PAGE_SIZE}
            )
            refs += [
                AudienceRef(
                    str(entry["audience_id"]), str(entry.get("name", "")), audience_kind(entry)
                )
                for entry in _entries(data)
                if "audience_id" in entry
            ]
            total_pages = (data.get("page_info") or {}).get("total_page", 1)
            if not isinstance(total_pages, int) or page >= total_pages:
                return refs
            page += 1

    def start_session(self, *, estimated_total: int, seed_name: str = "") -> UploadSession:
        _check_files_needed(estimated_total, self.max_batch_size)
        session = UploadSession(session_id=secrets.token_hex(8), estimated_total=estimated_total)
        with self._lock:
            self._sessions[session.session_id] = _SeedFiles(seed_name)
        return session

    def upload_batch(
        self,
        audience_id: str | None,
        hashes: Sequence[str],
        *,
        session: UploadSession,
        batch_seq: int,
        last_batch: bool,
    ) -> BatchReceipt:
        """Upload one file; the closing batch of a seedless session creates the seed.

        TikTok reports no per-line answer, so lines that are not SHA-256 hex are
        counted as invalid here and never sent.
        """
        if batch_seq == 1:  # the file size the pipeline chose: refuse before anything is sent
            _check_files_needed(session.estimated_total, max(1, len(hashes)))
        valid = [value for value in hashes if _SHA256_HEX.fullmatch(value)]
        invalid = len(hashes) - len(valid)
        if audience_id is not None:
            if valid:
                path = self._upload(valid, f"Uploading file {batch_seq}")
                self._update(audience_id, "APPEND", [path], f"Appending file {batch_seq}")
            return BatchReceipt(len(hashes), invalid)
        with self._lock:
            pending = self._sessions[session.session_id]
        if valid:
            if len(pending.paths) == MAX_FILE_PATHS:
                self._forget(session)
                raise _too_many_files(session.estimated_total, len(hashes))
            pending.paths.append(self._upload(valid, f"Uploading file {batch_seq}"))
        if not last_batch:
            return BatchReceipt(len(hashes), invalid)
        try:
            seed_id = self._create(pending)
        finally:
            self._forget(session)
        return BatchReceipt(len(hashes), invalid, created_seed_id=seed_id)

    def remove_batch(self, audience_id: str, hashes: Sequence[str]) -> BatchReceipt:
        """Upload the people as a file and remove it from the audience (``update REMOVE``).

        TikTok refuses an update that leaves fewer than 1 000 people (and
        perhaps one while the audience is processed); that refusal (40002) is
        ``REMOVAL_REFUSED`` (``RULES.md``, "Updating").
        """
        path = self._upload(hashes, "Uploading people to remove")
        try:
            self._update(audience_id, "REMOVE", [path], f"Removing people from {audience_id}")
        except DestinationError as error:
            if error.kind is not ErrorKind.INVALID_REQUEST:
                raise
            raise DestinationError(
                f"Removing people from audience {audience_id} failed: TikTok refused it "
                "(it refuses updates leaving an audience under 1 000 people, and may refuse "
                "them while the audience is being processed)",
                kind=ErrorKind.REMOVAL_REFUSED,
                code=error.code,
            ) from None
        return BatchReceipt(len(hashes), 0)

    def match_status(self, audience_id: str) -> MatchStatus:
        return match_status(self._details(audience_id, "Reading the seed's match status"))

    def create_lookalike(
        self, *, seed_id: str, name: str, country: str, size: LookalikeSize
    ) -> str:
        if size.word is None or country not in LOCATION_IDS:
            raise ValueError("TikTok needs a size word and a country with a known location id")
        spec = {
            "source_audience_id": seed_id,
            "include_source": False,
            "mobile_os": "ALL",
            "placements": ["TIKTOK"],
            "location_ids": [LOCATION_IDS[country]],
            "audience_size": size.word.upper(),
        }
        data = self._api.post(
            f"Creating a lookalike of audience {seed_id}",
            LOOKALIKE,
            {"custom_audience_name": name[:128], "lookalike_spec": spec},
            recover=lambda: self._created_named(name[:128]),
        )
        return _audience_id(data, f"Creating a lookalike of audience {seed_id}")

    def lookalike_status(self, audience_id: str) -> LookalikeStatus:
        return lookalike_status(self._details(audience_id, "Reading the lookalike's status"))

    def delete_audience(self, audience_id: str) -> None:
        """Delete an audience; one TikTok says does not exist counts as deleted."""
        try:
            self._api.post(
                f"Deleting audience {audience_id}", DELETE, {"custom_audience_ids": [audience_id]}
            )
        except DestinationError as error:
            if error.kind is not ErrorKind.NOT_FOUND:
                raise

    def verify_deleted(self, audience_id: str) -> DeletionCheck:
        """Gone when the list filtered by its id is empty *and* reading it answers "not exist"."""
        listed = self._api.get(
            f"Listing audience {audience_id}", LIST, {"custom_audience_ids": [audience_id]}
        )
        if any(str(entry.get("audience_id")) == audience_id for entry in _entries(listed)):
            return DeletionCheck(False, f"TikTok still lists audience {audience_id}")
        try:
            read = self._api.get(
                f"Reading audience {audience_id}", GET, {"custom_audience_ids": [audience_id]}
            )
        except DestinationError as error:
            if error.kind is not ErrorKind.NOT_FOUND:
                raise
            return DeletionCheck(
                True,
                f"list filtered by id {audience_id}: no audience; get: code {error.code} "
                "(the audience does not exist)",
            )
        if _details_of(read, audience_id) is None:
            return DeletionCheck(
                True,
                f"list filtered by id {audience_id}: no audience; get: code 0 without "
                "details of the audience",
            )
        return DeletionCheck(False, f"TikTok still answers for audience {audience_id}")

    # Files and audiences.

    def _upload(self, hashes: Sequence[str], what: str) -> str:
        upload = customer_file(hashes)
        data = self._api.upload(
            what,
            UPLOAD,
            {"calculate_type": CALCULATE_TYPE, "file_signature": upload.signature},
            f"audience-export-{secrets.token_hex(4)}.csv",
            upload.content,
        )
        path = data.get("file_path")
        if not isinstance(path, str) or not path:
            raise translate_shape(what, "file_path")
        return path

    def _forget(self, session: UploadSession) -> None:
        with self._lock:
            self._sessions.pop(session.session_id, None)

    def _created_named(self, name: str) -> Data | None:
        """An audience of this name, as a creation's answer (one whose answer was lost)."""
        for ref in self.list_audiences():
            if ref.name == name:
                return {"custom_audience_id": ref.audience_id}
        return None

    def _create(self, pending: _SeedFiles) -> str:
        what = "Creating the seed audience"
        if not pending.paths:
            raise DestinationError(
                f"{what} failed: no valid identifier was uploaded", kind=ErrorKind.INVALID_REQUEST
            )
        data = self._api.post(
            what,
            CREATE,
            {
                "custom_audience_name": pending.seed_name[:128],
                "calculate_type": CALCULATE_TYPE,
                "file_paths": pending.paths,
                "retention_in_days": self._config.retention_days,
            },
            recover=lambda: self._created_named(pending.seed_name[:128]),
        )
        return _audience_id(data, what)

    def _update(self, audience_id: str, action: str, paths: list[str], what: str) -> None:
        self._api.post(
            what,
            UPDATE,
            {"custom_audience_id": audience_id, "action": action, "file_paths": paths},
        )

    def _details(self, audience_id: str, what: str) -> dict[str, Any]:
        data = self._api.get(what, GET, {"custom_audience_ids": [audience_id]})
        details = _details_of(data, audience_id)
        if details is None:
            raise translate_shape(what, f"details of audience {audience_id}")
        return details


def _check_files_needed(estimated_total: int, lines_per_file: int) -> None:
    if math.ceil(estimated_total / lines_per_file) > MAX_FILE_PATHS:
        raise _too_many_files(estimated_total, lines_per_file)


def _too_many_files(estimated_total: int, lines_per_file: int) -> DestinationError:
    return DestinationError(
        f"Uploading {estimated_total} people failed: TikTok creates an audience from at most "
        f"{MAX_FILE_PATHS} files, and files of {lines_per_file} people would take more "
        "(raise export.upload_batch_size, up to tiktok.file_lines)",
        kind=ErrorKind.INVALID_REQUEST,
    )


def _details_of(data: Data, audience_id: str) -> dict[str, Any] | None:
    for entry in _entries(data):
        details = entry.get("audience_details")
        if isinstance(details, dict) and str(details.get("audience_id")) == audience_id:
            return details
    return None


def _entries(data: Data) -> list[dict[str, Any]]:
    found = data.get("list")
    return [entry for entry in found if isinstance(entry, dict)] if isinstance(found, list) else []


def _audience_id(data: Data, what: str) -> str:
    audience_id = data.get("custom_audience_id")
    if audience_id in (None, ""):
        raise translate_shape(what, "custom_audience_id")
    return str(audience_id)
