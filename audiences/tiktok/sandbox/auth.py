"""Who may call the TikTok sandbox: the ``Access-Token`` header, and tokens that expired."""

from __future__ import annotations

import secrets
import threading

from audiences.tiktok.sandbox.envelope import (
    TOKEN_EMPTY,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TikTokError,
)


class AccessTokens:
    """The one token accepted now; the ones replaced before it answer "expired"."""

    def __init__(self, access_token: str) -> None:
        self._first = access_token
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Only the starting token is known, and valid."""
        with self._lock:
            self._current = self._first
            self._replaced: set[str] = set()

    @property
    def current(self) -> str:
        """The token accepted now ("" once revoked without a successor)."""
        with self._lock:
            return self._current

    def replace(self, successor: str | None) -> None:
        """The current token expires; ``successor`` (if any) is accepted from now on."""
        with self._lock:
            self._replaced.add(self._current)
            self._current = successor or ""

    def check(self, sent: str) -> None:
        """Refuse an empty (40104), expired (40102) or unknown (40105) token."""
        if not sent.strip():
            raise TikTokError(TOKEN_EMPTY, "Access token is empty.")
        with self._lock:
            current, expired = self._current, sent in self._replaced
        if expired:
            raise TikTokError(TOKEN_EXPIRED, "Access token has expired.")
        if not current or not secrets.compare_digest(sent, current):
            raise TikTokError(TOKEN_INVALID, "Access token is invalid.")
