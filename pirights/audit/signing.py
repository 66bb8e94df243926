"""Ed25519-signed export manifests (SPEC §6): who can prove an export is complete and ours.

A manifest names the export's seq range, count, last hash and the file's SHA-256; the
signature covers its canonical JSON (the same canonical form as the chain), so it can be
checked with any Ed25519 library.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pirights.audit.chain import canonical
from pirights.errors import DomainError

ALGORITHM = "Ed25519"
MANIFEST_VERSION = 1


class SigningUnavailable(DomainError):
    """Signing was asked for but the configured key cannot be used: a fault of the server."""

    status, title, slug = 503, "Signing key unusable", "signing-key-unusable"


class SigningNotConfigured(SigningUnavailable):
    """Signing was asked for but this deployment has no key: the caller's request, not a fault.

    409 (the request conflicts with how the server is set up), naming `sign` so a client
    can drop it or ask the operator to configure a key.
    """

    status, title, slug = 409, "Signing not configured", "signing-not-configured"

    def __init__(self) -> None:
        super().__init__(NO_KEY, errors={"sign": ["no audit signing key is configured"]})


NO_KEY = (
    "No audit signing key is configured, so sign=true cannot be served: set audit.signing_key "
    "or PIRIGHTS_AUDIT_SIGNING_KEY to an Ed25519 private key in PEM (the text or a path; "
    "`pirights audit keygen` makes one), or export without sign."
)


def load_private_key(configured: str) -> Ed25519PrivateKey:
    """The signing key from configuration: PEM text, or a path to a PEM file."""
    if not configured.strip():
        raise SigningNotConfigured()
    text = configured.strip()
    if not text.startswith("-----BEGIN"):
        try:
            text = Path(text).expanduser().read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningUnavailable(f"The audit signing key file cannot be read: {exc}") from None
    try:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise SigningUnavailable("The audit signing key is not an unencrypted PEM key.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningUnavailable("The audit signing key must be an Ed25519 key.")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """A public key from PEM; ValueError when it is not Ed25519."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The SubjectPublicKeyInfo PEM of a key pair's public half."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, to tell which key signed."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def build_manifest(
    *,
    fmt: str,
    window_filter: dict[str, Any],
    count: int,
    first_seq: int | None,
    last_seq: int | None,
    first_prev_hash: str | None,
    last_hash: str | None,
    sha256: str,
    size: int,
    created_at: str,
    key: Ed25519PrivateKey,
    file: str | None = None,
) -> dict[str, Any]:
    """The manifest object that gets signed."""
    return {
        "version": MANIFEST_VERSION,
        "algorithm": ALGORITHM,
        "key_fingerprint": fingerprint(key),
        "format": fmt,
        "file": file,
        "filter": window_filter,
        "count": count,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "first_prev_hash": first_prev_hash,
        "last_hash": last_hash,
        "sha256": sha256,
        "bytes": size,
        "created_at": created_at,
    }


def sign(manifest: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed document: {"manifest": ..., "signature": base64 of Ed25519(canonical)}."""
    signature = key.sign(canonical(manifest).encode("utf-8"))
    return {"manifest": manifest, "signature": base64.b64encode(signature).decode("ascii")}


def signature_valid(document: dict[str, Any], public: Ed25519PublicKey) -> bool:
    """True when the document's signature is the key's over its manifest."""
    try:
        signature = base64.b64decode(document["signature"], validate=True)
        public.verify(signature, canonical(document["manifest"]).encode("utf-8"))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return False
    return True


def generate_pair(prefix: Path) -> tuple[Path, Path]:
    """Write PREFIX.key (private, mode 0600) and PREFIX.pub; refuse to overwrite either."""
    private_path = prefix.with_name(prefix.name + ".key")
    public_path = prefix.with_name(prefix.name + ".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise FileExistsError(f"{path} exists; choose another --out prefix")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created with 0600 from the start, so the private key is never readable by others.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_bytes(public_pem(key))
    return private_path, public_path
