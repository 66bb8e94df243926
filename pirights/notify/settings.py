"""Settings of requester notifications: the SMS gateway (SPEC §12.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pirights.config import ConfigError
from pirights.outbox import signing


@dataclass(frozen=True)
class NotifySettings:
    """Where text messages go and the secret that signs them (empty url: no SMS)."""

    sms_url: str = ""
    sms_secret: str = ""


def load(raw: dict[str, Any]) -> NotifySettings:
    """Read `[sms]`, refusing a gateway without a usable secret at start-up."""
    section = raw.get("sms", {}) or {}
    url = str(section.get("webhook_url", "") or "").strip()
    secret = str(section.get("webhook_secret", "") or "").strip()
    if not url:
        return NotifySettings()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"sms.webhook_url: {url!r} is not an http(s) URL")
    if not secret:
        raise ConfigError(
            "sms.webhook_secret (PIRIGHTS_SMS_WEBHOOK_SECRET) is required with an SMS gateway; "
            "make one with: python -c 'from pirights.outbox.signing import new_secret; "
            "print(new_secret())'"
        )
    try:
        signing.secret_bytes(secret)
    except signing.SecretError as exc:
        raise ConfigError(f"sms.webhook_secret: {exc}") from None
    return NotifySettings(sms_url=url, sms_secret=secret)
