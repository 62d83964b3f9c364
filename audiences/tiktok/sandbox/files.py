"""An uploaded customer file: its MD5 signature and its lines.

The one module of the TikTok sandbox that needs ``hashlib``: the upload call
carries ``file_signature``, the MD5 of the file's bytes (a checksum, not a
secret, and not a hash of an identifier).
"""

from __future__ import annotations

import hashlib

from audiences.tiktok.sandbox.envelope import (
    FILE_EMPTY,
    FILE_SIGNATURE_MISMATCH,
    FILE_TOO_LONG,
    TikTokError,
)


def file_signature(content: bytes) -> str:
    """Lowercase hex MD5 of the file's bytes, as ``file_signature`` carries it."""
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


def file_lines(content: bytes) -> list[str]:
    """One identifier per line, white space and blank lines dropped."""
    text = content.decode("utf-8", errors="replace")
    return [line.strip() for line in text.split("\n") if line.strip()]


def check_file(content: bytes, signature: str, lines: list[str], max_lines: int) -> None:
    """Refuse a file whose signature does not match (40900), empty (40906) or too long (40907)."""
    if signature.strip().lower() != file_signature(content):
        raise TikTokError(FILE_SIGNATURE_MISMATCH, "The file signature does not match the file.")
    if not lines:
        raise TikTokError(FILE_EMPTY, "The file is empty.")
    if len(lines) > max_lines:
        raise TikTokError(FILE_TOO_LONG, f"The file has more than {max_lines} lines.")
