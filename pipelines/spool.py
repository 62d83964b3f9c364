"""The encrypted spool: what a seed received, kept only while the seed exists.

If the platform refuses to delete a seed (Meta, while lookalikes built from it
exist), the seed can still be emptied — but only by removing exactly what was
uploaded; and a person who objects while the seed is live must leave it, though
the seed holds the hash of *their account's* spelling of the address, not of
the objection's. So each export writes every uploaded hash with the canonical
mailbox key it came from to a spool, encrypted with AES-GCM under a per-export
data key. The key lives in the ledger database, the
ciphertext in the data folder: neither alone reveals anything. Once the
platform confirms the seed is gone, the key is deleted (crypto-shredding) and
the files with it, and the ledger notes it.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audiences.ledger import Ledger
from pipelines.errors import ProductError

HASH_BYTES = 32
_NONCE_BYTES = 12


class SpoolUnavailable(ProductError):
    """The spool of an export cannot be read (shredded, on another machine, or damaged)."""


@dataclass(frozen=True)
class SpoolStore:
    """Spools of every export: keys in the ledger, ciphertext under ``folder``."""

    ledger: Ledger
    folder: Path

    def writer(self, export_id: str) -> SpoolWriter:
        """A new spool for ``export_id``: its key is stored before anything is written."""
        data_key = AESGCM.generate_key(bit_length=256)
        self.ledger.store_spool_key(export_id, data_key)
        folder = self.folder / export_id
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return SpoolWriter(export_id, folder, AESGCM(data_key))

    def read(self, export_id: str) -> Iterator[list[str]]:
        """The hashes an export uploaded, chunk by chunk (lowercase hex)."""
        for rows in self._rows(export_id):
            yield [digest for digest, _key in rows]

    def pairs_of(self, export_id: str, canonical_keys: Collection[str]) -> list[tuple[str, str]]:
        """(hash, canonical key) of the uploads whose mailbox key is one of ``canonical_keys``."""
        return [
            (digest, key)
            for rows in self._rows(export_id)
            for digest, key in rows
            if key in canonical_keys
        ]

    def _rows(self, export_id: str) -> Iterator[list[tuple[str, str]]]:
        data_key = self.ledger.spool_key(export_id)
        folder = self.folder / export_id
        if data_key is None or not folder.is_dir():
            raise SpoolUnavailable(
                f"the spool of export {export_id} is not here (its key was shredded, or it was "
                f"written on another machine's data folder {self.folder})"
            )
        cipher = AESGCM(data_key)
        for chunk in sorted(folder.glob("*.chunk")):
            blob = chunk.read_bytes()
            try:
                packed = cipher.decrypt(
                    blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(export_id, chunk.stem)
                )
            except InvalidTag:
                raise SpoolUnavailable(
                    f"chunk {chunk.name} of export {export_id}'s spool is damaged"
                ) from None
            yield list(_unpack(packed))

    def destroy(self, export_id: str, why: str) -> bool:
        """Shred the key, then remove the files; false when there was no spool."""
        shredded = self.ledger.shred_spool_key(export_id, f"spool destroyed: {why}")
        shutil.rmtree(self.folder / export_id, ignore_errors=True)
        return shredded


@dataclass
class SpoolWriter:
    """Appends encrypted chunks of hashes to one export's spool."""

    export_id: str
    folder: Path
    cipher: AESGCM
    chunks: int = 0

    def append(self, hashes: Sequence[str], canonical_keys: Sequence[str]) -> None:
        """Encrypt and write one chunk (written before the batch is sent)."""
        self.chunks += 1
        name = f"{self.chunks:08d}"
        nonce = os.urandom(_NONCE_BYTES)
        packed = b"".join(
            bytes.fromhex(digest) + struct.pack(">H", len(encoded)) + encoded
            for digest, encoded in zip(
                hashes, (key.encode() for key in canonical_keys), strict=True
            )
        )
        sealed = self.cipher.encrypt(nonce, packed, _aad(self.export_id, name))
        path = self.folder / f"{name}.chunk"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as sink:
            sink.write(nonce + sealed)


def _unpack(packed: bytes) -> Iterator[tuple[str, str]]:
    """(hash, canonical key) rows: 32 hash bytes, a 2-byte key length, the UTF-8 key."""
    position = 0
    while position < len(packed):
        digest = packed[position : position + HASH_BYTES].hex()
        (length,) = struct.unpack_from(">H", packed, position + HASH_BYTES)
        start = position + HASH_BYTES + 2
        yield digest, packed[start : start + length].decode()
        position = start + length


def _aad(export_id: str, chunk_name: str) -> bytes:
    return f"audience-export spool {export_id} {chunk_name}".encode()
