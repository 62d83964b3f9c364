"""The register's key ring: from the environment or a key file, generated on demand.

A key pair is an index key (blind index) and an encryption key (addresses);
its id is a fingerprint of the index key. The pipeline needs only the index
key; the privacy officer needs both. A key file holds several pairs during a
rotation (see :meth:`objections.register.Register.rotate_keys`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from objections.config import RegisterConfig
from objections.crypto import AddressCipher, BlindIndex
from objections.errors import KeyConfigurationError

KEY_BYTES = 32
ENCRYPTION_KEY_SETTING = "AUDIENCE_EXPORT_OBJECTIONS_ENCRYPTION_KEY"
INDEX_KEY_SETTING = "AUDIENCE_EXPORT_OBJECTIONS_INDEX_KEY"
KEY_FILE_SETTING = "AUDIENCE_EXPORT_OBJECTIONS_KEY_FILE"
_FILE_FORMAT = "audience-export objection register keys"


@dataclass(frozen=True)
class KeyPair:
    """One generation of register keys."""

    index_key: bytes = field(repr=False)
    encryption_key: bytes | None = field(repr=False)

    @property
    def key_id(self) -> str:
        """A fingerprint that names the pair without revealing it."""
        return hashlib.sha256(b"audience-export/objections/key-id\0" + self.index_key).hexdigest()[
            :16
        ]

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(secrets.token_bytes(KEY_BYTES), secrets.token_bytes(KEY_BYTES))

    def blind_index(self) -> BlindIndex:
        return BlindIndex(self.index_key, self.key_id)

    def cipher(self) -> AddressCipher:
        """The address cipher; refused where only the index key was given (pipeline hosts)."""
        return AddressCipher(self.required_encryption_key())

    def required_encryption_key(self) -> bytes:
        if self.encryption_key is None:
            raise KeyConfigurationError(
                f"the register encryption key is not available here: set {ENCRYPTION_KEY_SETTING} "
                f"or use the key file ({KEY_FILE_SETTING})"
            )
        return self.encryption_key


@dataclass(frozen=True)
class KeyRing:
    """The key pairs available to this process, oldest first, and where they came from."""

    pairs: tuple[KeyPair, ...]
    source: str

    def pair(self, key_id: str) -> KeyPair:
        for candidate in self.pairs:
            if candidate.key_id == key_id:
                return candidate
        raise KeyConfigurationError(
            f"the register uses key {key_id}, which {self.source} does not hold"
        )

    @property
    def newest(self) -> KeyPair:
        return self.pairs[-1]


@dataclass(frozen=True)
class LoadedKeys:
    ring: KeyRing
    key_file: Path | None
    """The key file the ring came from; None when the environment gave the keys."""
    generated: bool
    """Whether the key file was generated just now."""


def load_keys(config: RegisterConfig, *, create: bool = False) -> LoadedKeys:
    """The key ring the configuration names; the environment wins over the key file.

    With ``create``, a missing key file is generated (mode 0600).
    """
    if config.encryption_key is not None or config.index_key is not None:
        if config.index_key is None:
            raise KeyConfigurationError(
                f"{ENCRYPTION_KEY_SETTING} is set but {INDEX_KEY_SETTING} is not"
            )
        encryption = config.encryption_key
        pair = KeyPair(
            _decode(config.index_key.get_secret_value(), INDEX_KEY_SETTING),
            None
            if encryption is None
            else _decode(encryption.get_secret_value(), ENCRYPTION_KEY_SETTING),
        )
        return LoadedKeys(KeyRing((pair,), "the environment"), None, generated=False)
    path = config.key_file
    if path is None or (not path.exists() and not create):
        where = f" ({path} does not exist)" if path else ""
        raise KeyConfigurationError(
            "the objection register has no keys: set "
            f"{ENCRYPTION_KEY_SETTING} and {INDEX_KEY_SETTING}, or {KEY_FILE_SETTING}{where}"
        )
    if not path.exists():
        ring = KeyRing((KeyPair.generate(),), f"key file {path}")
        write_key_file(ring, path)
        return LoadedKeys(ring, path, generated=True)
    return LoadedKeys(read_key_file(path), path, generated=False)


def read_key_file(path: Path) -> KeyRing:
    """The key ring stored in ``path``; a clear error naming the file when it cannot be used.

    Like ssh with a private key, a file that its group or others may access is refused.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries: list[dict[str, Any]] = document["keys"]
        pairs = tuple(
            KeyPair(
                _decode(entry["index_key"], f"index_key in {path}"),
                _decode(entry["encryption_key"], f"encryption_key in {path}"),
            )
            for entry in entries
        )
    except OSError as error:
        raise KeyConfigurationError(f"cannot read key file {path}: {error.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise KeyConfigurationError(f"key file {path} is not a register key file") from None
    if not pairs:
        raise KeyConfigurationError(f"key file {path} holds no keys")
    _check_private(path)
    return KeyRing(pairs, f"key file {path}")


def _check_private(path: Path) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as error:
        raise KeyConfigurationError(f"cannot read key file {path}: {error.strerror}") from None
    if mode & 0o077:
        raise KeyConfigurationError(
            f"key file {path} has mode {mode:04o}: it must be readable by its owner only; "
            f"run: chmod 600 {shlex.quote(str(path))}"
        )


def write_key_file(ring: KeyRing, path: Path) -> None:
    """Replace ``path`` atomically with ``ring``, readable by its owner only (0600)."""
    document = {
        "format": _FILE_FORMAT,
        "keys": [
            {
                "id": pair.key_id,
                "index_key": _encode(pair.index_key),
                "encryption_key": _encode(pair.required_encryption_key()),
            }
            for pair in ring.pairs
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _encode(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _decode(value: str, name: str) -> bytes:
    """A base64 (standard or URL-safe) 32-byte key; errors name the setting, never the value."""
    try:
        key = base64.b64decode(value.strip().replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(f"{name} is not base64") from None
    if len(key) != KEY_BYTES:
        raise KeyConfigurationError(f"{name} must decode to {KEY_BYTES} bytes, not {len(key)}")
    return key
