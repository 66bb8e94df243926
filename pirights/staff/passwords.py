"""Console passwords (SPEC §13): Argon2id hashes through argon2-cffi, and their rules.

argon2-cffi's PasswordHasher carries its parameters inside each hash, so raising them later
only needs `needs_rehash` at the next successful sign-in.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # Argon2 takes any length; a bound keeps a huge body from costing time
GENERATED_BYTES = 15  # 20 URL-safe characters, 120 random bits

_hasher = PasswordHasher()


@cache
def _dummy() -> str:
    """A hash verified against when the name is unknown or has no password, so a refusal
    takes as long whether or not the name exists. Made at the first sign-in, not at import:
    one Argon2 hash holds 64 MiB for a moment, and every process (CLI exports, workers)
    imports this module."""
    return _hasher.hash(secrets.token_urlsafe(16))


TOO_SHORT, TOO_LONG, BLANK = "too_short", "too_long", "blank"
RULES = {
    TOO_SHORT: f"A password needs at least {MIN_LENGTH} characters.",
    TOO_LONG: f"A password has at most {MAX_LENGTH} characters.",
    BLANK: "A password cannot be only spaces.",
}


def rule_broken(password: str) -> str | None:
    """Which rule a new password breaks (a key of RULES), or None."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if not password.strip():
        return BLANK
    return None


def problem_with(password: str) -> str | None:
    """Why a new password is not acceptable, in words, or None."""
    broken = rule_broken(password)
    return RULES[broken] if broken else None


def hash_password(password: str) -> str:
    """The Argon2id hash to store."""
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: compare with a dummy, answer False)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)


def generate() -> str:
    """A random password for a reset, shown once to the admin."""
    return secrets.token_urlsafe(GENERATED_BYTES)
