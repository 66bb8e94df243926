"""Standard Webhooks signatures (https://www.standardwebhooks.com/), shared by every
channel that POSTs to someone else's endpoint (fulfilment webhooks, SMS gateways).

A message carries three headers: `webhook-id` (the same on every retry, so the receiver
can drop duplicates), `webhook-timestamp` (Unix seconds of this attempt, so the receiver
can refuse replays) and `webhook-signature`: `v1,` + base64 of HMAC-SHA256 over
`id.timestamp.body` under the secret. Secrets are written `whsec_` + base64 of their bytes.
Pure functions: the caller passes the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes


class SecretError(ValueError):
    """A signing secret that is not `whsec_` + base64 of 24 to 64 bytes."""


def new_secret() -> str:
    """A fresh secret in the `whsec_…` form, to be shown once to the receiver's owner."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a `whsec_…` secret (the prefix is optional, as receivers accept)."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        raise SecretError("a webhook secret is 'whsec_' followed by base64") from None
    if not 24 <= len(key) <= 64:
        raise SecretError("a webhook secret holds 24 to 64 bytes")
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt made at `at`."""
    timestamp = int(at.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    sent: dict[str, str],
    body: bytes,
    now: datetime,
    tolerance_seconds: int = 300,
) -> bool:
    """True when one of the `v1` signatures matches and the timestamp is within tolerance.

    For receivers written with pirights (and for tests); constant-time comparison.
    """
    lower = {k.lower(): v for k, v in sent.items()}
    msg_id, stamp = lower.get("webhook-id"), lower.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit():
        return False
    if abs(now.timestamp() - int(stamp)) > tolerance_seconds:
        return False
    expected = signature(secret, msg_id, int(stamp), body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in lower.get("webhook-signature", "").split()
    )
