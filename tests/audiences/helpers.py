"""Small helpers shared by the destination tests."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from facebook_business.api import FacebookAdsApi
from facebook_business.session import FacebookSession

T = TypeVar("T")


def hashes_of(prefix: str, count: int) -> list[str]:
    """``count`` distinct SHA-256 hex digests of made-up addresses."""
    return [hashlib.sha256(f"{prefix}-{i}@example.org".encode()).hexdigest() for i in range(count)]


def wait_for(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 5.0) -> T:
    """Poll ``read`` until ``done`` holds for its value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"still not done after {timeout} s: {value!r}")
        time.sleep(0.02)


def raw_api(url: str, token: str, app_secret: str | None, version: str = "v26.0") -> FacebookAdsApi:
    """The bare SDK on the sandbox, to send requests MetaDestination never would."""
    session = FacebookSession(access_token=token, app_secret=app_secret)
    session.GRAPH = url
    return FacebookAdsApi(session, api_version=version)
