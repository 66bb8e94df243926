"""The `[webhooks]` settings, validated once when the app is built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pirights.config import ConfigError


@dataclass(frozen=True)
class WebhookSettings:
    """How webhooks are sent: timeouts, parallel sends per worker, plain HTTP or not."""

    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 10.0
    concurrency: int = 16
    allow_http: bool = False


def _number(raw: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    """One numeric setting within [low, high], or ConfigError naming it."""
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"webhooks.{key}: must be a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"webhooks.{key}: must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"webhooks.{key}: must be between {low:g} and {high:g}, got {value!r}")
    return number


def load(raw_settings: Mapping[str, Any]) -> WebhookSettings:
    """Read `[webhooks]` from the merged configuration."""
    raw = raw_settings.get("webhooks", {}) or {}
    allow = raw.get("allow_http", False)
    if isinstance(allow, str):
        if allow.lower() not in ("true", "false", "1", "0"):
            raise ConfigError(f"webhooks.allow_http: must be true or false, got {allow!r}")
        allow = allow.lower() in ("true", "1")
    if not isinstance(allow, bool):
        raise ConfigError(f"webhooks.allow_http: must be true or false, got {allow!r}")
    d = WebhookSettings()
    return WebhookSettings(
        connect_timeout_seconds=_number(
            raw, "connect_timeout_seconds", d.connect_timeout_seconds, 0.1, 60
        ),
        read_timeout_seconds=_number(raw, "read_timeout_seconds", d.read_timeout_seconds, 0.1, 120),
        concurrency=int(_number(raw, "concurrency", d.concurrency, 1, 64)),
        allow_http=allow,
    )
