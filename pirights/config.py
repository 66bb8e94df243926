"""Settings: TOML defaults in config/, an override file, then PIRIGHTS_* variables.

A bad value stops start-up with a ConfigError naming the key, so a misconfigured
deployment never half-starts.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

# env variable -> (section, key, type)
ENV_KEYS: dict[str, tuple[str, str, type]] = {
    "PIRIGHTS_DATABASE_URL": ("database", "url", str),
    "PIRIGHTS_SECRET_KEY": ("security", "secret_key", str),
    "PIRIGHTS_ENCRYPTION_KEY": ("security", "encryption_key", str),
    "PIRIGHTS_ENCRYPTION_OLD_KEYS": ("security", "encryption_old_keys", str),
    "PIRIGHTS_PUBLIC_RATE_LIMIT": ("public", "rate_limit", str),
    "PIRIGHTS_MAX_BODY_BYTES": ("public", "max_body_bytes", int),
    "PIRIGHTS_DEFAULT_JURISDICTION": ("requests", "default_jurisdiction", str),
    "PIRIGHTS_DUE_SOON_WORKING_DAYS": ("requests", "due_soon_working_days", int),
    "PIRIGHTS_HOST": ("server", "host", str),
    "PIRIGHTS_PORT": ("server", "port", int),
    "PIRIGHTS_WORKERS": ("server", "workers", int),
    "PIRIGHTS_THREADS": ("server", "threads", int),
    "PIRIGHTS_TRUSTED_PROXIES": ("server", "trusted_proxies", int),
    "PIRIGHTS_SECURE_COOKIES": ("security", "secure_cookies", str),
    "PIRIGHTS_AUDIT_SIGNING_KEY": ("audit", "signing_key", str),
    "PIRIGHTS_AUDIT_SEQUENCING": ("audit", "sequencing", str),
    "PIRIGHTS_SMTP_HOST": ("notifications", "smtp_host", str),
    "PIRIGHTS_SMTP_PORT": ("notifications", "smtp_port", int),
    "PIRIGHTS_SMTP_FROM": ("notifications", "smtp_from", str),
    "PIRIGHTS_SMTP_USER": ("notifications", "smtp_user", str),
    "PIRIGHTS_SMTP_PASSWORD": ("notifications", "smtp_password", str),
    "PIRIGHTS_SMTP_STARTTLS": ("notifications", "smtp_starttls", str),
    "PIRIGHTS_STAFF_EMAIL_DOMAIN": ("notifications", "staff_email_domain", str),
    "PIRIGHTS_RETENTION_YEARS": ("retention", "years", int),
    "PIRIGHTS_RATELIMIT_STORAGE": ("limits", "storage", str),
    "PIRIGHTS_STAFF_TOKEN_DAYS": ("limits", "staff_token_days", int),
    "PIRIGHTS_STAFF_AUTH_FAILURES": ("limits", "staff_auth_failures", str),
    "PIRIGHTS_COMPLAINT_MEASURE_HOURS": ("complaints", "measure_hours", int),
    "PIRIGHTS_COMPLAINT_REMEDIATION": ("complaints", "remediation", str),
    "PIRIGHTS_METRICS_TOKEN": ("metrics", "token", str),
    "PIRIGHTS_VERIFICATION_CODE_MINUTES": ("verification", "code_minutes", int),
    "PIRIGHTS_IDENTITY_ASSERTION_SECRET": ("verification", "identity_assertion_secret", str),
    "PIRIGHTS_SMS_WEBHOOK_URL": ("sms", "webhook_url", str),
    "PIRIGHTS_SMS_WEBHOOK_SECRET": ("sms", "webhook_secret", str),
    "PIRIGHTS_OIDC_ISSUER": ("console", "oidc_issuer", str),
    "PIRIGHTS_OIDC_CLIENT_ID": ("console", "oidc_client_id", str),
    "PIRIGHTS_OIDC_CLIENT_SECRET": ("console", "oidc_client_secret", str),
    "PIRIGHTS_OIDC_CLAIM": ("console", "oidc_claim", str),
    "PIRIGHTS_FILES_URL": ("files", "url", str),
    "PIRIGHTS_S3_ENDPOINT_URL": ("files", "s3_endpoint_url", str),
}


# audit.sequencing: a sequencer thread per server process, or each writer after its commit
AUDIT_SEQUENCING = ("background", "after_commit")


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the key."""


@dataclass(frozen=True)
class Settings:
    """The validated configuration the application runs with."""

    database_url: str
    secret_key: str
    encryption_key: str
    public_rate_limit: str
    max_body_bytes: int
    default_jurisdiction: str
    due_soon_working_days: int
    host: str
    port: int
    workers: int
    threads: int = 8
    trusted_proxies: int = 0
    secure_cookies: str = "auto"
    audit_signing_key: str = ""
    audit_sequencing: str = "background"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    retention_years: int = 3
    ratelimit_storage: str = ""
    staff_token_days: int = 0
    staff_auth_failures: str = "10/minute"
    complaint_measure_hours: int = 24
    complaint_remediation: str = "3m"
    policies: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file, turning syntax errors into ConfigError."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `over` into a copy of `base` (tables merge, values replace)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _typed(where: str, value: Any, kind: type) -> Any:
    """Coerce one value to `kind`, or raise ConfigError saying where it came from."""
    if kind is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: must be an integer, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: must be an integer, got {value!r}") from None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string, got {value!r}")
    return value


def load_settings(
    env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build Settings from config/*.toml, PIRIGHTS_CONFIG, the environment and `overrides`.

    `overrides` (tests, factories) is a nested mapping applied last.
    """
    env = os.environ if env is None else env
    data = _read_toml(CONFIG_DIR / "pirights.toml")
    data = _merge(data, _read_toml(CONFIG_DIR / "policies.toml"))
    if env.get("PIRIGHTS_CONFIG"):
        data = _merge(data, _read_toml(Path(env["PIRIGHTS_CONFIG"])))
    for var, (section, key, _kind) in ENV_KEYS.items():
        if var in env:
            data.setdefault(section, {})[key] = env[var]
    if overrides:
        data = _merge(data, overrides)

    def get(section: str, key: str) -> Any:
        kind = next(k for (s, n, k) in ENV_KEYS.values() if (s, n) == (section, key))
        try:
            value = data[section][key]
        except (KeyError, TypeError):
            raise ConfigError(f"{section}.{key}: missing") from None
        return _typed(f"{section}.{key}", value, kind)

    settings = Settings(
        database_url=get("database", "url"),
        secret_key=get("security", "secret_key"),
        encryption_key=get("security", "encryption_key"),
        public_rate_limit=get("public", "rate_limit").strip(),
        max_body_bytes=get("public", "max_body_bytes"),
        default_jurisdiction=get("requests", "default_jurisdiction"),
        due_soon_working_days=get("requests", "due_soon_working_days"),
        host=get("server", "host"),
        port=get("server", "port"),
        workers=get("server", "workers"),
        threads=get("server", "threads"),
        trusted_proxies=get("server", "trusted_proxies"),
        secure_cookies=get("security", "secure_cookies").strip().lower(),
        audit_signing_key=get("audit", "signing_key"),
        audit_sequencing=get("audit", "sequencing").strip(),
        smtp_host=get("notifications", "smtp_host"),
        smtp_port=get("notifications", "smtp_port"),
        smtp_from=get("notifications", "smtp_from"),
        retention_years=get("retention", "years"),
        ratelimit_storage=get("limits", "storage"),
        staff_token_days=get("limits", "staff_token_days"),
        staff_auth_failures=get("limits", "staff_auth_failures").strip(),
        complaint_measure_hours=get("complaints", "measure_hours"),
        complaint_remediation=get("complaints", "remediation"),
        policies={
            "policies": data.get("policies", {}),
            "calendars": data.get("calendars", {}),
            "default_jurisdiction": get("requests", "default_jurisdiction"),
        },
        raw=data,
    )
    _check(settings)
    return settings


def _check(s: Settings) -> None:
    """Range checks that need more than a type."""
    if s.max_body_bytes < 1024:
        raise ConfigError(f"public.max_body_bytes: must be at least 1024, got {s.max_body_bytes}")
    if not 0 <= s.due_soon_working_days <= 60:
        raise ConfigError("requests.due_soon_working_days: must be between 0 and 60")
    if not 1 <= s.port <= 65535:
        raise ConfigError(f"server.port: must be between 1 and 65535, got {s.port}")
    if not 0 <= s.trusted_proxies <= 5:
        raise ConfigError("server.trusted_proxies: must be between 0 and 5")
    if s.secure_cookies not in ("auto", "always"):
        raise ConfigError(
            f"security.secure_cookies: must be 'auto' or 'always', got {s.secure_cookies!r}"
        )
    if not 1 <= s.workers <= 64:
        raise ConfigError(f"server.workers: must be between 1 and 64, got {s.workers}")
    if not 1 <= s.threads <= 64:
        raise ConfigError(f"server.threads: must be between 1 and 64, got {s.threads}")
    if s.audit_sequencing not in AUDIT_SEQUENCING:
        raise ConfigError(
            f"audit.sequencing: must be 'background' or 'after_commit', got {s.audit_sequencing!r}"
        )
    if not 1 <= s.complaint_measure_hours <= 24 * 30:
        raise ConfigError("complaints.measure_hours: must be between 1 and 720")
    if not s.complaint_remediation[:-1].isdigit() or s.complaint_remediation[-1:] not in "dm":
        raise ConfigError(
            f"complaints.remediation: {s.complaint_remediation!r} is not a period like 3m or 90d"
        )
    rate = s.public_rate_limit.lower()
    if rate != "off" and not _looks_like_rate(rate):
        raise ConfigError(
            f"public.rate_limit: {s.public_rate_limit!r} is not like '20/hour' or 'off'"
        )
    failures = s.staff_auth_failures.lower()
    if failures != "off" and not _looks_like_rate(failures):
        raise ConfigError(
            f"limits.staff_auth_failures: {s.staff_auth_failures!r} is not like '10/minute' or "
            "'off'"
        )
    if s.database_url and not s.database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError("database.url: only sqlite:// and postgresql:// URLs are supported")


def _looks_like_rate(text: str) -> bool:
    """True for 'N/unit' (unit: second, minute, hour, day), the Flask-Limiter short form."""
    count, _, unit = text.partition("/")
    return count.strip().isdigit() and unit.strip() in {
        "second",
        "minute",
        "hour",
        "day",
        "seconds",
        "minutes",
        "hours",
        "days",
    }
