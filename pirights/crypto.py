"""PII at rest: AES-256-GCM field encryption and keyed blind indexes (SPEC §8.2).

A ciphertext is `version byte | key id (4 bytes) | nonce (12) | ciphertext+tag`, so a
key rotation can decrypt with the old key while writing with the new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from pirights import randomness

_VERSION = 1


class KeyError_(ValueError):
    """The encryption key is missing or malformed."""


def generate_key() -> str:
    """A new key for PIRIGHTS_ENCRYPTION_KEY: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def decode_key(text: str) -> bytes:
    """Decode a configured key, insisting on exactly 32 bytes."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode() + b"==")
    except (ValueError, TypeError) as exc:
        raise KeyError_("security.encryption_key is not URL-safe base64") from exc
    if len(raw) != 32:
        raise KeyError_(
            "security.encryption_key must be 32 bytes in URL-safe base64; "
            "make one with `pirights keys generate`"
        )
    return raw


def decode_old_keys(value: str | list[str] | None) -> list[bytes]:
    """Old keys that may still decrypt (comma-separated text or a list), for rotation."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        return [decode_key(item) for item in items if item.strip()]
    except KeyError_:
        raise KeyError_(
            "security.encryption_old_keys (PIRIGHTS_ENCRYPTION_OLD_KEYS) must be "
            "comma-separated keys as `pirights keys generate` prints them"
        ) from None


def instance_key(instance_path: Path) -> str:
    """The embedded default: read or create instance/encryption.key with mode 0600."""
    path = instance_path / "encryption.key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


class Cipher:
    """Encrypts and decrypts field values and computes blind indexes."""

    def __init__(self, key: bytes, old_keys: list[bytes] | None = None) -> None:
        self._current = key
        self._current_id = self.key_id(key)
        # AESGCM objects are reusable and cost a key schedule to build: make them once.
        self._aeads = {self.key_id(k): AESGCM(k) for k in [key, *(old_keys or [])]}
        self._keys = {self.key_id(k): k for k in [key, *(old_keys or [])]}
        self._index_key = HKDF(SHA256(), 32, salt=None, info=b"pirights blind index").derive(key)

    @staticmethod
    def key_id(key: bytes) -> bytes:
        """Four bytes naming a key without revealing it."""
        return hashlib.sha256(b"pirights key id" + key).digest()[:4]

    @property
    def current_key_id(self) -> bytes:
        """The id of the key new ciphertexts are made with (key rotation compares it)."""
        return self._current_id

    def encrypt(self, plaintext: str) -> bytes:
        """Authenticated encryption of one UTF-8 string."""
        nonce = randomness.token_bytes(12)
        ct = self._aeads[self._current_id].encrypt(nonce, plaintext.encode("utf-8"), None)
        return bytes([_VERSION]) + self._current_id + nonce + ct

    def decrypt(self, blob: bytes) -> str:
        """Reverse `encrypt`; raises if the blob was altered or the key is unknown."""
        if not blob or blob[0] != _VERSION:
            raise ValueError("unknown ciphertext version")
        aead = self._aeads.get(bytes(blob[1:5]))
        if aead is None:
            raise ValueError("ciphertext was made with a key this server does not have")
        return aead.decrypt(bytes(blob[5:17]), bytes(blob[17:]), None).decode("utf-8")

    def derive(self, key_id: bytes, salt: bytes, info: bytes) -> bytes:
        """A 32-byte key for one purpose and one salt (a file's own key, §12.3), derived
        with HKDF from the key named by `key_id`; raises if this server lacks that key."""
        key = self._keys.get(bytes(key_id))
        if key is None:
            raise ValueError("ciphertext was made with a key this server does not have")
        return HKDF(SHA256(), 32, salt=salt, info=info).derive(key)

    def blind_index(self, value: str) -> str:
        """Keyed hash of a normalised value, so equality search works without plaintext."""
        return hmac.new(self._index_key, normalise(value).encode(), hashlib.sha256).hexdigest()


def normalise(value: str) -> str:
    """Fold case, width and spacing so 'ZS@Example.cn ' finds 'zs@example.cn'."""
    return "".join(unicodedata.normalize("NFKC", value).casefold().split())


_cipher: Cipher | None = None


def configure(cipher: Cipher) -> None:
    """Install the process-wide cipher used by Encrypted columns."""
    global _cipher
    _cipher = cipher


def cipher() -> Cipher:
    """The configured cipher; configuring it is part of create_app."""
    if _cipher is None:
        raise RuntimeError("encryption is not configured; create the app first")
    return _cipher


class Encrypted(TypeDecorator[str]):
    """A string column stored as AES-GCM ciphertext."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Encrypt on the way in."""
        return None if value is None else cipher().encrypt(value)

    def process_result_value(self, value, dialect):
        """Decrypt on the way out."""
        return None if value is None else cipher().decrypt(bytes(value))
