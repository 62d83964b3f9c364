"""Who may call the sandbox: the access token (header or parameter) and ``appsecret_proof``."""

from __future__ import annotations

import hashlib
import hmac
import threading

from audiences.meta.sandbox.graph import GraphError, Params

EXPIRED_SUBCODE = 463
"""Meta's subcode for an expired session (token)."""


class Credentials:
    """The one valid access token, and the tokens that were valid once."""

    def __init__(self, access_token: str, app_secret: str | None) -> None:
        self._initial = access_token
        self.app_secret = app_secret
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to the token the sandbox started with."""
        with self._lock:
            self._valid = self._initial
            self._expired: set[str] = set()

    @property
    def valid_token(self) -> str:
        """The token accepted now ("" once revoked without a replacement)."""
        with self._lock:
            return self._valid

    def replace_token(self, new_token: str | None) -> None:
        """Expire the current token; ``new_token`` (if any) becomes the valid one."""
        with self._lock:
            self._expired.add(self._valid)
            self._valid = new_token or ""

    def check(self, params: Params, header_token: str | None = None) -> None:
        """Refuse a call without the valid token (190) or with a wrong proof (100).

        The token of an ``Authorization: OAuth|Bearer`` header wins over an
        ``access_token`` parameter (query or body, kept for old clients).
        """
        token = header_token or params.get("access_token")
        with self._lock:
            valid, expired = self._valid, token in self._expired
        if not isinstance(token, str) or not token:
            raise GraphError("An active access token must be used to query this resource.", 190)
        if expired:
            raise GraphError(
                "Error validating access token: Session has expired.", 190, EXPIRED_SUBCODE
            )
        if not valid or not hmac.compare_digest(token, valid):
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190)
        if self.app_secret is not None:
            expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256)
            proof = params.get("appsecret_proof")
            if not isinstance(proof, str) or not hmac.compare_digest(proof, expected.hexdigest()):
                raise GraphError(
                    "Invalid appsecret_proof provided in the API argument",
                    100,
                    type="GraphMethodException",
                )
