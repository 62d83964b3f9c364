"""SHA-256 of many rows of an Arrow binary array in one call (``_sha256.c``)."""

from typing_extensions import Buffer

def sha256_rows(data: Buffer, offsets: Buffer, first: int, rows: int) -> bytes: ...
