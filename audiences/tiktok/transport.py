"""Business API calls as this client sends them: the token in a header, answers checked.

One :class:`BusinessApi` per destination: ``Access-Token`` header on every
call, ``advertiser_id`` in the JSON body of a POST, in the query of a GET (its
arrays JSON-encoded) and in the form of an upload; an answer must be TikTok's
JSON envelope, and a non-zero ``code`` is an error whatever the HTTP status.
Transient failures are retried by :mod:`audiences.retry` with the config's
policy. Sources: ``RULES.md``, "Transport" and "Errors".
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from audiences.retry import BackoffPolicy, call_with_retry
from audiences.tiktok.config import TikTokConfig
from audiences.tiktok.errors import translate_code, translate_gateway, translate_network

logger = logging.getLogger(__name__)

Data = dict[str, Any]


class BusinessApi:
    """The Business API at ``config.base_url``, as ``config.advertiser_id``."""

    def __init__(
        self,
        config: TikTokConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if config.token is None or config.account is None:
            raise ValueError("the TikTok destination needs an access token and an advertiser id")
        self.advertiser_id = config.account
        self._client = httpx.Client(
            base_url=f"{config.base_url}/open_api/{config.api_version}",
            headers={"Access-Token": config.token.get_secret_value()},
            timeout=config.timeout_seconds,
        )
        self._policy = BackoffPolicy(
            max_attempts=config.max_attempts,
            base_seconds=config.backoff_seconds,
            max_seconds=config.max_backoff_seconds,
        )
        self._sleep = sleep
        self._jitter = jitter

    def get(self, what: str, path: str, query: Mapping[str, object] | None = None) -> Data:
        """``GET`` with ``advertiser_id`` and ``query`` in the query string (lists as JSON)."""
        params = {"advertiser_id": self.advertiser_id} | {
            name: json.dumps(value) if isinstance(value, list) else str(value)
            for name, value in (query or {}).items()
        }
        return self._retried(what, lambda: self._client.get(path, params=params))

    def post(
        self,
        what: str,
        path: str,
        body: Mapping[str, object],
        *,
        recover: Callable[[], Data | None] | None = None,
    ) -> Data:
        """``POST`` of a JSON body holding ``advertiser_id`` and ``body``.

        ``recover`` runs before each retry: a call whose answer was lost (a
        gateway page, a timeout) may have been carried out, and what it returns
        instead of ``None`` is taken as the answer (a creation found by name).
        """
        payload = {"advertiser_id": self.advertiser_id, **body}
        return self._retried(what, lambda: self._client.post(path, json=payload), recover)

    def upload(
        self, what: str, path: str, fields: Mapping[str, str], file_name: str, content: bytes
    ) -> Data:
        """``POST`` of a multipart form: ``advertiser_id``, ``fields`` and one file."""
        form = {"advertiser_id": self.advertiser_id, **fields}
        files = {"file": (file_name, content, "text/csv")}
        return self._retried(what, lambda: self._client.post(path, data=form, files=files))

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def _retried(
        self,
        what: str,
        send: Callable[[], httpx.Response],
        recover: Callable[[], Data | None] | None = None,
    ) -> Data:
        attempts = 0

        def attempt() -> Data:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and recover is not None:
                recovered = recover()
                if recovered is not None:
                    return recovered
            return self._once(what, send)

        return call_with_retry(
            attempt,
            policy=self._policy,
            what=what,
            sleep=self._sleep,
            jitter=self._jitter,
        )

    @staticmethod
    def _once(what: str, send: Callable[[], httpx.Response]) -> Data:
        try:
            response = send()
        except httpx.HTTPError as error:
            raise translate_network(what, type(error).__name__) from None
        return _envelope_data(what, response)


def _envelope_data(what: str, response: httpx.Response) -> Data:
    """``data`` of a success envelope; a :class:`DestinationError` for anything else."""
    try:
        envelope = response.json()
    except ValueError:
        raise translate_gateway(what, response.status_code) from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
        raise translate_gateway(what, response.status_code)
    code: int = envelope["code"]
    if code != 0:
        raise translate_code(what, code)
    if response.status_code != httpx.codes.OK:
        raise translate_gateway(what, response.status_code)
    data = envelope.get("data")
    return data if isinstance(data, dict) else {}
