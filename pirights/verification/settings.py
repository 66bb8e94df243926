"""Settings of identity verification (SPEC §12.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pirights.config import ConfigError
from pirights.verification.codes import CodeRules


@dataclass(frozen=True)
class VerificationSettings:
    """Code rules and the shared secret of account assertions (empty: none accepted)."""

    rules: CodeRules = field(default_factory=CodeRules)
    assertion_secret: str = ""


def load(raw: dict[str, Any]) -> VerificationSettings:
    """Read `[verification]`; a code lifetime outside 1 to 1440 minutes stops start-up."""
    section = raw.get("verification", {}) or {}
    minutes = section.get("code_minutes", 15)
    try:
        if isinstance(minutes, bool):
            raise ValueError
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise ConfigError(
            f"verification.code_minutes: must be an integer, got {minutes!r}"
        ) from None
    if not 1 <= minutes <= 1440:
        raise ConfigError("verification.code_minutes: must be between 1 and 1440")
    secret = section.get("identity_assertion_secret", "") or ""
    if not isinstance(secret, str):
        raise ConfigError("verification.identity_assertion_secret: must be a string")
    return VerificationSettings(
        rules=CodeRules(lifetime=timedelta(minutes=minutes)), assertion_secret=secret
    )
