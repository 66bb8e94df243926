"""Console passwords (SPEC §13): Argon2id hashes through argon2-cffi, and their rules.

argon2-cffi's PasswordHasher carries its parameters inside each hash, so raising them later
only needs `needs_rehash` at the next successful sign-in.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # Argon2 takes any length; a bound keeps a huge body from costing time
GENERATED_BYTES = 15  # 20 URL-safe characters, 120 random bits

_hasher = PasswordHasher()
# Verified against when the name is unknown or has no password, so a refusal takes as long
# whether or not the name exists.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


def problem_with(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"A password has at most {MAX_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    return None


def hash_password(password: str) -> str:
    """The Argon2id hash to store."""
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: compare with a dummy, answer False)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)


def generate() -> str:
    """A random password for a reset, shown once to the admin."""
    return secrets.token_urlsafe(GENERATED_BYTES)
