"""The Meta destination: custom and lookalike audiences through the facebook-business SDK.

Every call goes through a per-instance :class:`~audiences.meta.transport.CheckedGraphApi`
pointed at ``MetaConfig.graph_url`` (production or the sandbox): the SDK's
objects build the requests, the transport sends the token in a header and
every parameter (``appsecret_proof`` included) in a body, and refuses any
answer that is not Graph JSON. Identifiers arrive already normalised and
hashed by :data:`META_EMAIL_PROFILE`; the SDK's own normaliser is bypassed
with ``pre_hashed=True``. SDK, gateway, network and answer-shape failures are
translated by :mod:`audiences.meta.errors` and never leave this module.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.customaudience import CustomAudience
from facebook_business.adobjects.user import User
from facebook_business.exceptions import FacebookRequestError

from audiences.destination import (
    AudienceKind,
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
from audiences.meta.config import MetaConfig
from audiences.meta.errors import (
    TERMS,
    translate_gateway_fault,
    translate_request_error,
    translate_transport_error,
    translate_unreadable_answer,
)
from audiences.meta.http_logs import drop_query_strings_from_urllib3_logs
from audiences.meta.profile import META_EMAIL_PROFILE
from audiences.meta.status import STATUS_FIELDS, lookalike_status, match_status
from audiences.meta.transport import CheckedGraphApi, GatewayFault, HeaderTokenSession
from audiences.retry import BackoffPolicy, call_with_retry

T = TypeVar("T")

MAX_BATCH_SIZE = 10_000
"""Meta: at most 10 000 records per ``/users`` request, added or removed."""
REMOVE_CHUNK_SIZE = MAX_BATCH_SIZE
"""Removals travel in a request body, so they take full batches."""
LIST_PAGE_SIZE = 100
CUSTOM_AUDIENCE_TERMS = "custom_audience_tos"
"""The key of ``tos_accepted`` that is 1 once the Custom Audience terms are accepted."""

logger = logging.getLogger(__name__)


class MetaDestination:
    """One Meta ad account, as the pipeline's :class:`~audiences.destination.Destination`.

    ``sleep`` and ``jitter`` exist so the backoff policy can be unit-tested;
    leave them alone otherwise.
    """

    def __init__(
        self,
        config: MetaConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if config.access_token is None:
            raise ValueError("meta.access_token is not set: the Meta destination needs a token")
        if config.ad_account is None:
            raise ValueError("meta.ad_account is not set: the Meta destination needs an ad account")
        session = HeaderTokenSession(
            access_token=config.access_token.get_secret_value(),
            app_secret=config.app_secret.get_secret_value() if config.app_secret else None,
            timeout=config.timeout_seconds,
        )
        session.GRAPH = config.graph_url
        self._api = CheckedGraphApi(session, api_version=config.api_version)
        self._session_window = config.session_window_seconds
        self._account = AdAccount(f"act_{config.ad_account}", api=self._api)
        self._policy = BackoffPolicy(
            max_attempts=config.max_attempts,
            base_seconds=config.backoff_seconds,
            max_seconds=config.max_backoff_seconds,
        )
        self._sleep = sleep
        self._jitter = jitter
        drop_query_strings_from_urllib3_logs()

    @property
    def name(self) -> str:
        return "meta"

    @property
    def profile(self) -> NormalisationProfile:
        return META_EMAIL_PROFILE

    @property
    def max_batch_size(self) -> int:
        return MAX_BATCH_SIZE

    @property
    def session_window_seconds(self) -> float:
        """Meta ends an unclosed upload session this long after its first batch (``RULES.md``)."""
        return self._session_window

    def credential_identity(self) -> str:
        """Who the token acts as (``GET /me``: the system user's id), never the token itself."""

        def whoami() -> str:
            data = User(fbid="me", api=self._api).api_get(fields=["id"]).export_all_data()
            return f"Meta user {data['id']}"

        return self._call("Reading which user the access token acts as", whoami)

    # Seeds.

    def check_terms(self) -> None:
        """Raise ``TERMS_NOT_ACCEPTED`` unless ``tos_accepted.custom_audience_tos`` is 1."""
        what = "Checking the ad account's Custom Audience terms"

        def accepted() -> bool:
            data = self._account.api_get(fields=["tos_accepted"]).export_all_data()
            return bool((data.get("tos_accepted") or {}).get(CUSTOM_AUDIENCE_TERMS) == 1)

        if not self._call(what, accepted):
            raise DestinationError(f"{what} failed: {TERMS}", kind=ErrorKind.TERMS_NOT_ACCEPTED)

    def create_seed(self, *, name: str, description: str) -> str:
        """Create an empty customer-list audience once the terms are known to be accepted."""
        self.check_terms()
        params = {
            "name": name,
            "description": description,
            "subtype": CustomAudience.Subtype.custom,
            "customer_file_source": CustomAudience.CustomerFileSource.user_provided_only,
        }
        return self._call(
            "Creating the seed audience",
            lambda: str(self._account.create_custom_audience(params=params)["id"]),
        )

    def list_audiences(self) -> list[AudienceRef]:
        def every_page() -> list[AudienceRef]:
            cursor = self._account.get_custom_audiences(
                fields=["id", "name", "subtype"], params={"limit": LIST_PAGE_SIZE}
            )
            return [
                AudienceRef(str(found["id"]), str(found["name"]), _kind(str(found["subtype"])))
                for found in cursor
            ]

        return self._call("Listing the ad account's audiences", every_page)

    def start_session(self, *, estimated_total: int, seed_name: str = "") -> UploadSession:
        # Meta lets the client choose the session id: a random positive 63-bit integer.
        return UploadSession(
            session_id=str(secrets.randbits(63) or 1), estimated_total=estimated_total
        )

    def upload_batch(
        self,
        audience_id: str | None,
        hashes: Sequence[str],
        *,
        session: UploadSession,
        batch_seq: int,
        last_batch: bool,
    ) -> BatchReceipt:
        if audience_id is None:
            raise ValueError("Meta uploads to a seed created beforehand (create_seed)")
        meta_session = {
            "session_id": int(session.session_id),
            "batch_seq": batch_seq,
            "last_batch_flag": last_batch,
            "estimated_num_total": session.estimated_total,
        }
        return self._call(
            f"Uploading batch {batch_seq} to audience {audience_id}",
            lambda: _receipt(
                CustomAudience(audience_id, api=self._api).add_users(
                    CustomAudience.Schema.email_hash,
                    list(hashes),
                    pre_hashed=True,
                    session=meta_session,
                )
            ),
        )

    def remove_batch(self, audience_id: str, hashes: Sequence[str]) -> BatchReceipt:
        """``DELETE /{id}/users`` with the hashes in a form body, 10 000 per request."""
        receipts = [
            self._remove_chunk(audience_id, list(hashes[start : start + REMOVE_CHUNK_SIZE]))
            for start in range(0, len(hashes), REMOVE_CHUNK_SIZE)
        ]
        return BatchReceipt(
            num_received=sum(receipt.num_received for receipt in receipts),
            num_invalid_entries=sum(receipt.num_invalid_entries for receipt in receipts),
        )

    def _remove_chunk(self, audience_id: str, chunk: list[str]) -> BatchReceipt:
        return self._call(
            f"Removing people from audience {audience_id}",
            lambda: _receipt(
                CustomAudience(audience_id, api=self._api).remove_users(
                    CustomAudience.Schema.email_hash, chunk, pre_hashed=True
                )
            ),
        )

    def match_status(self, audience_id: str) -> MatchStatus:
        """The seed's state: ready, processing, failed (410/411/412) or flagged (471)."""
        return self._read(
            audience_id, STATUS_FIELDS, "Reading the seed's match status", match_status
        )

    # Lookalikes.

    def create_lookalike(
        self, *, seed_id: str, name: str, country: str, size: LookalikeSize
    ) -> str:
        if size.ratio is None:
            raise ValueError("Meta sizes a lookalike by a ratio of the country's population")
        ratio = size.ratio
        params = {
            "name": name,
            "subtype": CustomAudience.Subtype.lookalike,
            "origin_audience_id": seed_id,
            "lookalike_spec": json.dumps({"country": country, "ratio": ratio}),
        }
        return self._call(
            f"Creating a lookalike of audience {seed_id}",
            lambda: str(self._account.create_custom_audience(params=params)["id"]),
        )

    def lookalike_status(self, audience_id: str) -> LookalikeStatus:
        """The lookalike's state: ready, populating (441), failed (431-434) or flagged (471)."""
        return self._read(
            audience_id, STATUS_FIELDS, "Reading the lookalike's status", lookalike_status
        )

    # Deletion.

    def delete_audience(self, audience_id: str) -> None:
        """Delete an audience; one that is already gone (100/33) counts as deleted.

        A seed with live lookalikes may be refused (``DELETION_REFUSED``, code 2656).
        """
        try:
            self._call(
                f"Deleting audience {audience_id}",
                lambda: CustomAudience(audience_id, api=self._api).api_delete(),
            )
        except DestinationError as error:
            if error.kind is not ErrorKind.NOT_FOUND:
                raise
            logger.info("Audience %s was already deleted on Meta", audience_id)

    def verify_deleted(self, audience_id: str) -> DeletionCheck:
        """Verified only when Meta answers code 100, subcode 33 for the audience."""
        try:
            self._read(
                audience_id, ("id",), f"Checking that audience {audience_id} is deleted", dict
            )
        except DestinationError as error:
            if error.code == 100 and error.subcode == 33:
                return DeletionCheck(
                    True,
                    f"Meta answers: audience {audience_id} no longer exists "
                    f"(code {error.code}, subcode {error.subcode})",
                )
            raise
        return DeletionCheck(False, "Meta still returns the audience")

    # Plumbing.

    def _read(
        self,
        audience_id: str,
        fields: Sequence[str],
        what: str,
        parse: Callable[[dict[str, Any]], T],
    ) -> T:
        return self._call(
            what,
            lambda: parse(
                CustomAudience(audience_id, api=self._api)
                .api_get(fields=list(fields))
                .export_all_data()
            ),
        )

    def _call(self, what: str, call: Callable[[], T]) -> T:
        return call_with_retry(
            lambda: _translated(what, call),
            policy=self._policy,
            what=what,
            sleep=self._sleep,
            jitter=self._jitter,
        )


def _translated(what: str, call: Callable[[], T]) -> T:
    """Run one SDK call and read its answer; failures come out as :class:`DestinationError` only.

    The project error is raised outside the ``except`` block, so neither
    ``__cause__`` nor ``__context__`` refers to the SDK exception (whose text
    holds the request params). ``TypeError``, ``KeyError``, ``ValueError`` and
    ``AttributeError`` can only come from reading an answer of the wrong shape.
    """
    try:
        return call()
    except FacebookRequestError as error:
        failure = translate_request_error(error, what)
    except GatewayFault as fault:
        failure = translate_gateway_fault(fault.http_status, what)
    except requests.RequestException as error:
        failure = translate_transport_error(error, what)
    except (TypeError, KeyError, ValueError, AttributeError) as error:
        failure = translate_unreadable_answer(error, what)
    raise failure from None


def _receipt(response: Any) -> BatchReceipt:
    answer = response.json()
    return BatchReceipt(
        num_received=int(answer["num_received"]),
        num_invalid_entries=int(answer["num_invalid_entries"]),
    )


def _kind(subtype: str) -> AudienceKind:
    """Meta's audience subtype in the product's words."""
    return {"CUSTOM": AudienceKind.SEED, "LOOKALIKE": AudienceKind.LOOKALIKE}.get(
        subtype, AudienceKind.OTHER
    )
