"""Request references and tracking tokens."""

from __future__ import annotations

import hashlib
import hmac

from pirights import randomness

# Crockford's base32 without I, L, O, U: easy to read aloud and to type on a phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "PIR"


def new_reference() -> str:
    """A short, human-friendly, unguessable reference: PIR-XXXXX-XXXXX (50 random bits)."""
    # 50 bits, five per character (the alphabet has 32): secrets.choice per character
    # read the system's source ten times or more (see pirights.randomness).
    bits = randomness.randbits(50)
    chars = "".join(ALPHABET[(bits >> shift) & 31] for shift in range(0, 50, 5))
    return f"{PREFIX}-{chars[:5]}-{chars[5:]}"


def normalise_reference(text: str) -> str:
    """Accept lower case, spaces and look-alike letters when a person types a reference."""
    cleaned = text.strip().upper().replace(" ", "")
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"})).replace(
        "P1R", PREFIX, 1
    )


def new_tracking_token() -> str:
    """The requester's secret for following up: 192 random bits, shown once."""
    return randomness.token_urlsafe(24)


def hash_tracking_token(token: str) -> str:
    """Tracking tokens are random, so SHA-256 suffices to store them."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str | None, stored_hash: str | None) -> bool:
    """Constant-time check of a presented tracking token."""
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(hash_tracking_token(token), stored_hash)
