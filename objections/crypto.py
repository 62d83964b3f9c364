"""Address encryption (AES-GCM) and the blind index (HMAC-SHA-256 of the canonical key)."""

from __future__ import annotations

import os
from collections.abc import Iterable

import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from objections._hmac import hmac_sha256_rows
from objections.errors import KeyConfigurationError

_NONCE_BYTES = 12
_ASSOCIATED_DATA = b"audience-export/objections/address/v1"


class AddressCipher:
    """Encrypts one address per call; the output is ``nonce || ciphertext+tag``."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, address: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, address.encode(), _ASSOCIATED_DATA)

    def decrypt(self, sealed: bytes) -> str:
        try:
            plain = self._aead.decrypt(
                sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _ASSOCIATED_DATA
            )
        except InvalidTag:
            raise KeyConfigurationError(
                "an address cannot be decrypted: the encryption key does not fit this register"
            ) from None
        return plain.decode()

    def __repr__(self) -> str:
        return "AddressCipher(<secret>)"


class BlindIndex:
    """HMAC-SHA-256(index key, canonical key), exactly as :func:`hmac.digest` computes it.

    Every digest is computed by one call into OpenSSL per batch (``_hmac.c``):
    the padded key's two states once, then two SHA-256 blocks per row.
    """

    def __init__(self, key: bytes, key_id: str) -> None:
        self.key_id = key_id
        self._key = key

    def digest(self, canonical_key: str) -> bytes:
        return self.digest_many((canonical_key,))[0]

    def digest_many(self, canonical_keys: Iterable[str]) -> list[bytes]:
        """One digest per key, in order."""
        packed = self.digest_packed(pa.array(list(canonical_keys), pa.string()))
        return [packed[start : start + 32] for start in range(0, len(packed), 32)]

    def digest_packed(self, canonical_keys: pa.StringArray) -> bytes:
        """The digests of an Arrow array of keys (no nulls), 32 bytes each, end to end:
        one call into OpenSSL (``_hmac.c``) outside the interpreter lock, 0.15 µs a row."""
        binary = canonical_keys.cast(pa.binary())
        if not len(binary):
            return b""
        _validity, offsets, data = binary.buffers()
        return hmac_sha256_rows(self._key, data or b"", offsets, binary.offset, len(binary))

    def __repr__(self) -> str:
        return f"BlindIndex(key_id={self.key_id!r})"
