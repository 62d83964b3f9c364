"""The customer file of one upload, built in memory and never written to disk.

TikTok takes identifiers as an uploaded file (one hash per line) with the
lowercase hex MD5 of its bytes as ``file_signature`` (``RULES.md``, "Files").
The bytes live only as long as the request that sends them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerFile:
    """A file's bytes and the signature TikTok checks them against."""

    content: bytes
    signature: str
    lines: int


def customer_file(hashes: Sequence[str]) -> CustomerFile:
    """One hash per line, ``\\n``-terminated, no header; its MD5 signature."""
    content = "".join(f"{value}\n" for value in hashes).encode("ascii")
    return CustomerFile(content, hashlib.md5(content).hexdigest(), len(hashes))  # noqa: S324 - TikTok's file checksum, not security
