"""HMAC-SHA-256 of many rows of an Arrow binary array in one call (``_hmac.c``)."""

from typing_extensions import Buffer

def hmac_sha256_rows(key: bytes, data: Buffer, offsets: Buffer, first: int, rows: int) -> bytes: ...
